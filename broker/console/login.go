package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Reasons of refused logins, audited (beside the domain's claim reasons).
const (
	reasonState       = "login_state"          // unknown, expired or used state
	reasonNotBound    = "login_not_bound"      // the browser that answers did not start the login
	reasonProvider    = "login_provider_error" // the provider answered with an error
	reasonUnavailable = "login_provider_unavailable"
	reasonChanged     = "login_config_changed"
	reasonSecret      = "login_secret_unreadable"
	reasonCode        = "login_code_refused"
	reasonToken       = "login_token_invalid"
	reasonExpired     = "login_token_expired"
	reasonIssuer      = "login_token_issuer"
	reasonAudience    = "login_token_audience"
	reasonNonce       = "login_nonce"
	reasonNotFresh    = "login_not_fresh"
)

// clockSkew is how far the provider's clock may be behind the broker's
// when a fresh login's auth_time is checked.
const clockSkew = 30 * time.Second

// pendingLogin is a started login, kept server-side under its state until
// the provider's answer comes back: used once, or never after expires.
type pendingLogin struct {
	partner, issuer, clientID string
	nonce, verifier           string
	bind                      [32]byte // SHA-256 of the login cookie's value
	fresh                     bool
	next                      string
	created                   time.Time
}

// pendingLogins is held in memory, not in the store: starting a login
// needs no session, so anyone may start one, and an anonymous request
// must not cost a durable write. A restart forgets them; the person
// starts again.
type pendingLogins struct {
	mu  sync.Mutex
	max int
	m   map[string]pendingLogin
}

func newPendingLogins(max int) *pendingLogins {
	return &pendingLogins{max: max, m: map[string]pendingLogin{}}
}

var errTooManyLogins = &pageError{status: http.StatusServiceUnavailable, title: "Even geduld",
	text: "Er worden op dit moment te veel inlogpogingen tegelijk gedaan.", next: "Probeer het over een minuut opnieuw.",
	link: "/console/login", label: "Opnieuw inloggen", reason: "too_many_pending_logins"}

func (p *pendingLogins) add(state string, l pendingLogin, now time.Time, ttl time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) >= p.max {
		for k, v := range p.m {
			if now.Sub(v.created) > ttl {
				delete(p.m, k)
			}
		}
		if len(p.m) >= p.max {
			return errTooManyLogins
		}
	}
	p.m[state] = l
	return nil
}

// take removes and returns the login of state: a state is used once,
// whatever the outcome.
func (p *pendingLogins) take(state string, now time.Time, ttl time.Duration) (pendingLogin, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.m[state]
	if !ok {
		return pendingLogin{}, false
	}
	delete(p.m, state)
	return l, now.Sub(l.created) <= ttl && !now.Before(l.created.Add(-clockSkew))
}

// providers caches each issuer's discovery document and key set.
type providers struct {
	client *http.Client
	mu     sync.Mutex
	m      map[string]cachedProvider
}

type cachedProvider struct {
	p       *oidc.Provider
	fetched time.Time
}

// providerTTL: a provider's discovery document is fetched again after
// this; its keys are fetched again by go-oidc whenever an unknown key
// signs.
const providerTTL = time.Hour

func newProviders(client *http.Client) *providers {
	return &providers{client: client, m: map[string]cachedProvider{}}
}

// ctx gives go-oidc and oauth2 the console's HTTP client. The key set
// keeps the context of discovery for its later fetches, so it must not
// be a request's context (which ends with the request).
func (ps *providers) ctx(parent context.Context) context.Context {
	return oidc.ClientContext(parent, ps.client)
}

func (ps *providers) get(issuer string) (*oidc.Provider, error) {
	ps.mu.Lock()
	c, ok := ps.m[issuer]
	ps.mu.Unlock()
	if ok && time.Since(c.fetched) < providerTTL {
		return c.p, nil
	}
	// Discovery checks that the document names issuer itself.
	p, err := oidc.NewProvider(ps.ctx(context.Background()), issuer)
	if err != nil {
		return nil, err
	}
	ps.mu.Lock()
	ps.m[issuer] = cachedProvider{p: p, fetched: time.Now()}
	ps.mu.Unlock()
	return p, nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginPartner returns the partner a login may be started for: active and
// with a login configuration.
func (h *Handler) loginPartner(id string) (*broker.Partner, error) {
	p, err := h.b.LookupPartner(id)
	if err != nil || p.Login == nil || p.Status != broker.PartnerActive {
		return nil, &pageError{status: http.StatusNotFound, title: "Inloggen niet mogelijk",
			text: "Voor deze organisatie kunt u niet inloggen bij Ketenbrug: zij is onbekend, geschorst, of haar inlogsysteem is niet geregistreerd.",
			next: "Kies uw organisatie opnieuw. Staat zij er niet bij, vraag dan de beheerder van de regio om het inlogsysteem van uw organisatie te registreren.",
			link: "/console/login", label: "Organisatie kiezen", reason: "login_partner_unknown"}
	}
	return p, nil
}

// safeNext accepts a console path to return to after login, nothing else:
// an open redirect would lend the broker's name to any site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/console/") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "//") || strings.Contains(next, "/../") || strings.Contains(next, "/./") {
		return "/console/"
	}
	return next
}

func (h *Handler) oauthConfig(p *broker.Partner, prov *oidc.Provider, secret string) *oauth2.Config {
	scopes := []string{oidc.ScopeOpenID, "profile"}
	for _, s := range p.Login.Scopes {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &oauth2.Config{ClientID: p.Login.ClientID, ClientSecret: secret, Endpoint: prov.Endpoint(),
		RedirectURL: h.cfg.PublicURL + "/console/callback", Scopes: scopes}
}

// startLogin shows the partner picker, or sends the browser to the
// partner's provider with a fresh state, nonce and PKCE challenge.
func (h *Handler) startLogin(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	id := q.Get("partner")
	if id == "" {
		var ps []view
		for _, p := range h.b.LoginPartners() {
			ps = append(ps, view{"Name": p.Name, "Link": loginLink(p.ID, false, q.Get("next"))})
		}
		render(w, http.StatusOK, "picker", &Page{Title: "Inloggen", Lang: langOf(r), Data: view{"Partners": ps}})
		return nil
	}
	p, err := h.loginPartner(id)
	if err != nil {
		return err
	}
	prov, err := h.providers.get(p.Login.Issuer)
	if err != nil {
		return h.refuse(r, p.ID, p.Login.Issuer, "", reasonUnavailable, err, &pageError{status: http.StatusBadGateway,
			title: "Inlogsysteem niet bereikbaar", text: "Het inlogsysteem van uw organisatie antwoordt nu niet.",
			next: "Probeer het over enkele minuten opnieuw. Blijft dit zo, meld het dan aan de beheerder van uw organisatie.",
			link: loginLink(p.ID, false, ""), label: "Opnieuw proberen"})
	}
	now := h.cfg.Now()
	state, bind := randomToken(), randomToken()
	l := pendingLogin{partner: p.ID, issuer: p.Login.Issuer, clientID: p.Login.ClientID,
		nonce: randomToken(), verifier: oauth2.GenerateVerifier(), bind: sha256.Sum256([]byte(bind)),
		fresh: q.Get("fresh") == "1", next: safeNext(q.Get("next")), created: now}
	if err := h.pending.add(state, l, now, h.cfg.LoginTimeout); err != nil {
		return err
	}
	// The login cookie binds the answer to this browser: a callback URL
	// that someone else's browser started (login CSRF) is refused.
	http.SetCookie(w, h.cookie(loginCookie, bind, int(h.cfg.LoginTimeout.Seconds())))
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(l.verifier), oidc.Nonce(l.nonce)}
	if l.fresh {
		// The person must authenticate now, whatever session the
		// provider holds; the callback checks auth_time, since a
		// provider (or someone editing the URL) may ignore this.
		opts = append(opts, oauth2.SetAuthURLParam("max_age", "0"), oauth2.SetAuthURLParam("prompt", "login"))
	} else {
		// A max_age makes auth_time a required claim (OpenID Connect
		// Core 3.1.2.1), so the session knows when the person last
		// authenticated; no older authentication than a session may
		// last is reused.
		opts = append(opts, oauth2.SetAuthURLParam("max_age", strconv.Itoa(int(h.cfg.AbsoluteTimeout.Seconds()))))
	}
	http.Redirect(w, r, h.oauthConfig(p, prov, "").AuthCodeURL(state, opts...), http.StatusSeeOther)
	return nil
}

// refuse audits a refused login and returns its page.
func (h *Handler) refuse(r *http.Request, partner, issuer, person, reason string, cause error, page *pageError) error {
	h.b.RecordLoginRefused(r.Context(), partner, issuer, person, reason)
	page.reason = reason
	if cause != nil {
		h.log.Info("login refused", "partner", partner, "issuer", issuer, "reason", reason, "cause", cause.Error())
	}
	return &loginRefused{reason: reason, partner: partner, person: person, page: page}
}

// retry is the page of a login that went wrong on the way: start again.
func retry(partner, title, text string) *pageError {
	return &pageError{status: http.StatusBadRequest, title: title, text: text,
		next: "Begin opnieuw met inloggen. Gebeurt dit steeds, meld het dan aan de beheerder van uw organisatie, met het tijdstip.",
		link: loginLink(partner, false, ""), label: "Opnieuw inloggen"}
}

// callback takes the provider's answer: the state must be one this
// browser started and not used before; the code is exchanged with the
// PKCE verifier; the ID token must verify (signature, issuer, audience,
// expiry), carry the login's nonce and, for a fresh login, a new
// auth_time; its claims must map to a role of the partner.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	now := h.cfg.Now()
	l, ok := h.pending.take(q.Get("state"), now, h.cfg.LoginTimeout)
	// The login cookie has done its work, whatever comes next.
	http.SetCookie(w, h.cookie(loginCookie, "", -1))
	if !ok {
		return h.refuse(r, l.partner, l.issuer, "", reasonState, nil, retry(l.partner, "Inlogpoging verlopen",
			"Deze inlogpoging is verlopen, al gebruikt of niet door Ketenbrug begonnen."))
	}
	bind, err := r.Cookie(h.cookieName(loginCookie))
	if err != nil || subtle.ConstantTimeCompare([]byte(hash32(bind.Value)), []byte(hex.EncodeToString(l.bind[:]))) != 1 {
		return h.refuse(r, l.partner, l.issuer, "", reasonNotBound, nil, retry(l.partner, "Inlogpoging niet herkend",
			"Deze inlogpoging is niet in deze browser begonnen."))
	}
	if e := q.Get("error"); e != "" {
		return h.refuse(r, l.partner, l.issuer, "", reasonProvider, errors.New(clip(e)), &pageError{status: http.StatusUnauthorized,
			title: "Inloggen afgebroken", text: "Het inlogsysteem van uw organisatie heeft de inlog niet doorgegeven (" + clip(e) + ").",
			next: "Probeer opnieuw in te loggen. Lukt het niet, neem dan contact op met de beheerder van uw organisatie.",
			link: loginLink(l.partner, l.fresh, l.next), label: "Opnieuw inloggen"})
	}
	p, err := h.b.LookupPartner(l.partner)
	if err != nil || !p.LoginAccepts(l.issuer, l.clientID) {
		return h.refuse(r, l.partner, l.issuer, "", reasonChanged, nil, &pageError{status: http.StatusForbidden,
			title: "Inloggen niet mogelijk", text: "Uw organisatie is geschorst of haar inlogregeling is intussen gewijzigd.",
			next: "Log opnieuw in; lukt het niet, vraag dan de beheerder van de regio.", link: "/console/login", label: "Opnieuw inloggen"})
	}
	prov, err := h.providers.get(l.issuer)
	if err != nil {
		return h.refuse(r, p.ID, l.issuer, "", reasonUnavailable, err, retry(p.ID, "Inlogsysteem niet bereikbaar",
			"Het inlogsysteem van uw organisatie antwoordt nu niet."))
	}
	secret, err := h.b.ClientSecret(p)
	if err != nil {
		return h.refuse(r, p.ID, l.issuer, "", reasonSecret, err, &pageError{status: http.StatusInternalServerError,
			title: "Inloggen niet mogelijk", text: "Ketenbrug kan het geheim voor het inlogsysteem van uw organisatie niet lezen.",
			next: "Meld dit aan de beheerder van de regio: het bestand met het client secret ontbreekt of is onleesbaar.",
			link: "/console/login", label: "Organisatie kiezen"})
	}
	ctx := h.providers.ctx(r.Context())
	tok, err := h.oauthConfig(p, prov, secret).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(l.verifier))
	if err != nil {
		return h.refuse(r, p.ID, l.issuer, "", reasonCode, err, retry(p.ID, "Inloggen mislukt",
			"Het inlogsysteem van uw organisatie heeft de inlog niet bevestigd."))
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := prov.Verifier(&oidc.Config{ClientID: l.clientID, Now: h.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		return h.refuse(r, p.ID, l.issuer, "", tokenReason(err, raw, l.issuer, l.clientID), err, retry(p.ID, "Inloggen mislukt",
			"Het inlogbewijs van uw organisatie is ongeldig, verlopen of niet voor Ketenbrug bestemd."))
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return h.refuse(r, p.ID, l.issuer, "", reasonToken, err, retry(p.ID, "Inloggen mislukt", "Het inlogbewijs is onleesbaar."))
	}
	// With several audiences, the token must have been issued to us
	// (OpenID Connect Core 3.1.3.7, azp).
	if azp, _ := claims["azp"].(string); len(idt.Audience) > 1 && azp != l.clientID {
		return h.refuse(r, p.ID, l.issuer, "", reasonAudience, nil, retry(p.ID, "Inloggen mislukt",
			"Het inlogbewijs is niet voor Ketenbrug bestemd."))
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(l.nonce)) != 1 {
		return h.refuse(r, p.ID, l.issuer, "", reasonNonce, nil, retry(p.ID, "Inloggen mislukt",
			"Het inlogbewijs hoort niet bij deze inlogpoging."))
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return h.refuse(r, p.ID, l.issuer, "", reasonToken, err, retry(p.ID, "Inloggen mislukt", "Het inlogbewijs klopt niet."))
		}
	}
	authTime := authTimeOf(claims)
	if l.fresh && (authTime.IsZero() || authTime.Before(l.created.Add(-clockSkew))) {
		person, _ := claims[p.Login.PersonClaim].(string)
		return h.refuse(r, p.ID, l.issuer, person, reasonNotFresh, nil, &pageError{status: http.StatusUnauthorized,
			title: "Opnieuw aanmelden nodig", text: "Voor deze handeling moet u zich zojuist opnieuw hebben aangemeld bij uw organisatie, en dat is niet gebeurd.",
			next: "Meld u opnieuw aan; uw inlogsysteem vraagt dan opnieuw om uw gegevens.",
			link: loginLink(p.ID, true, l.next), label: "Opnieuw aanmelden"})
	}
	ident, err := p.Login.MapClaims(p, claims)
	if err != nil {
		var lr *broker.LoginRefusedError
		if !errors.As(err, &lr) {
			return err
		}
		return h.refuse(r, p.ID, l.issuer, lr.Person, lr.Reason, err, refusedPage(p, lr))
	}
	return h.startSession(w, r, p, l, ident, authTime)
}

// refusedPage names the next step for a person the mapping refused.
func refusedPage(p *broker.Partner, lr *broker.LoginRefusedError) *pageError {
	pe := &pageError{status: http.StatusForbidden, title: "Geen toegang tot Ketenbrug", link: "/console/login", label: "Terug naar inloggen"}
	switch lr.Reason {
	case broker.ReasonLoginNoRole:
		pe.text = "U bent aangemeld bij het inlogsysteem van uw organisatie, maar u heeft geen rol in Ketenbrug namens " + p.Name + "."
		pe.next = "Vraag de beheerder van uw organisatie om u op te nemen in een groep die toegang geeft tot Ketenbrug" +
			" (bijvoorbeeld die van de regisseurs of de privacyfunctionarissen), en log daarna opnieuw in."
	case broker.ReasonLoginPersonSuspended:
		pe.text = "Uw toegang tot Ketenbrug namens " + p.Name + " is geschorst."
		pe.next = "Vraag de beheerder van uw organisatie of van de regio waarom, en om de schorsing op te heffen."
	default:
		pe.text = "Het inlogsysteem van uw organisatie geeft geen bruikbare gebruikersnaam door."
		pe.next = "Meld dit aan de beheerder van uw organisatie: de inlogregeling moet een bruikbaar kenmerk als persoon aanwijzen."
	}
	return pe
}

// authTimeOf reads auth_time (seconds since the epoch); zero when absent.
func authTimeOf(claims map[string]any) time.Time {
	switch v := claims["auth_time"].(type) {
	case float64:
		if v > 0 && v < 1e11 {
			return time.Unix(int64(v), 0)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil && n > 0 {
			return time.Unix(n, 0)
		}
	}
	return time.Time{}
}

// tokenReason names why go-oidc refused an ID token, for the audit trail:
// the refusal itself is the verifier's, whatever this says. The payload is
// read unverified only to tell an issuer or audience mismatch apart.
func tokenReason(err error, raw, issuer, clientID string) string {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return reasonExpired
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return reasonToken
	}
	payload, derr := base64.RawURLEncoding.DecodeString(parts[1])
	if derr != nil {
		return reasonToken
	}
	var c struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return reasonToken
	}
	if c.Iss != issuer {
		return reasonIssuer
	}
	var one string
	var many []string
	if json.Unmarshal(c.Aud, &one) == nil {
		many = []string{one}
	} else {
		_ = json.Unmarshal(c.Aud, &many)
	}
	if !slices.Contains(many, clientID) {
		return reasonAudience
	}
	return reasonToken
}

// clip shortens text from the provider shown on a page.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) > 60 {
		s = s[:60]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func hash32(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
