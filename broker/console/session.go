package console

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Cookie names without their prefix. Over https they carry __Host-: a
// browser then takes them only when Secure, with Path=/ and without Domain,
// so no other host (a sibling subdomain) can set or shadow them. Browsers
// discard a __Host- cookie that is not Secure, so over plain http (a
// loopback broker) the prefix is left off.
const (
	sessionCookie = "ketenbrug-session"
	loginCookie   = "ketenbrug-login"
)

// lastSeenGranularity: a session's last use is written at most this often,
// so that each console request does not cost a durable write; the idle
// timeout is exact to within it.
const lastSeenGranularity = time.Minute

func (h *Handler) cookieName(base string) string {
	if h.secure {
		return "__Host-" + base
	}
	return base
}

// cookie makes one of the console's cookies; maxAge 0 leaves it a browser
// session cookie, below 0 deletes it.
func (h *Handler) cookie(base, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: h.cookieName(base), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode}
}

// sessionID returns the session id of the request's cookie.
func (h *Handler) sessionID(r *http.Request) (string, bool) {
	c, err := r.Cookie(h.cookieName(sessionCookie))
	if err != nil || len(c.Value) < 40 || len(c.Value) > 64 {
		return "", false
	}
	return c.Value, true
}

// startSession stores a new session for a verified login, audits the
// login, and gives the browser the session's cookie. Every login makes a
// new id (never one the browser brought: session fixation), and the
// session the browser had before, if any, ends.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, p *broker.Partner, l pendingLogin, ident broker.LoginIdentity, authTime time.Time) error {
	now := h.cfg.Now()
	if old, ok := h.sessionID(r); ok {
		if err := h.cfg.Sessions.DeleteSession(hash32(old)); err != nil {
			return err
		}
	}
	h.sweep(now)
	id := randomToken()
	s := broker.ConsoleSession{IDHash: hash32(id), Partner: p.ID, Person: ident.Person, Name: ident.Name,
		Roles: ident.Roles, Role: ident.Roles[0], Issuer: l.issuer, ClientID: l.clientID, AuthTime: authTime,
		CreatedAt: now, LastSeen: now}
	if err := h.cfg.Sessions.PutSession(s); err != nil {
		return err
	}
	roles := make([]string, len(s.Roles))
	for i, role := range s.Roles {
		roles[i] = string(role)
	}
	detail := map[string]string{"issuer": l.issuer, "roles": strings.Join(roles, ",")}
	if l.fresh {
		detail["fresh"] = "true"
	}
	// The login is audited before the session may be used; without the
	// entry there is no session.
	if err := h.b.RecordLogin(r.Context(), s.Caller(p, newRequestID()), detail); err != nil {
		_ = h.cfg.Sessions.DeleteSession(s.IDHash)
		return err
	}
	http.SetCookie(w, h.cookie(sessionCookie, id, 0))
	http.Redirect(w, r, l.next, http.StatusSeeOther)
	return nil
}

// sweep removes expired sessions; a login calls it, so the store holds
// no more sessions than were used within the absolute timeout.
func (h *Handler) sweep(now time.Time) {
	n, err := h.cfg.Sessions.DeleteSessions(func(s broker.ConsoleSession) bool {
		return h.expiry(s, now) != ""
	})
	if err != nil {
		h.log.Warn("sweeping expired console sessions", "error", err)
	} else if n > 0 {
		h.log.Info("expired console sessions removed", "sessions", n)
	}
}

// expiry says why s has expired at now, or "".
func (h *Handler) expiry(s broker.ConsoleSession, now time.Time) string {
	switch {
	case now.Sub(s.CreatedAt) >= h.cfg.AbsoluteTimeout:
		return "absolute_timeout"
	case now.Sub(s.LastSeen) >= h.cfg.IdleTimeout:
		return "idle_timeout"
	}
	return ""
}

// session returns the request's session and its partner, checked on each
// request: not expired, the partner active and still logging in at the
// session's issuer and client, the person not suspended, the role still
// the partner's. A session that fails is deleted and its end audited.
func (h *Handler) session(r *http.Request) (*broker.ConsoleSession, *broker.Partner, error) {
	id, ok := h.sessionID(r)
	if !ok {
		return nil, nil, errNoSession
	}
	s, err := h.cfg.Sessions.Session(hash32(id))
	if errors.Is(err, broker.ErrNotFound) {
		return nil, nil, errNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	now := h.cfg.Now()
	p, perr := h.b.LookupPartner(s.Partner)
	reason := h.expiry(s, now)
	switch {
	case reason != "":
	case perr != nil || p.Status != broker.PartnerActive:
		reason = "partner_suspended"
	case s.Issuer == broker.DemoIssuer && !h.cfg.DemoLogin,
		s.Issuer != broker.DemoIssuer && !p.LoginAccepts(s.Issuer, s.ClientID):
		reason = "login_changed"
	case p.PersonKey(s.Person) != nil && p.PersonKey(s.Person).Status != broker.PartnerActive:
		reason = "person_suspended"
	case !p.HasRole(s.Role) || !s.HasRole(s.Role):
		reason = "role_removed"
	}
	if reason != "" {
		return nil, nil, h.end(r, &s, p, reason)
	}
	// The live inbox's questions (live.go) are the page's, not the
	// person's: they do not count as use, or an open tab would never
	// time out.
	if now.Sub(s.LastSeen) >= lastSeenGranularity && r.URL.Path != livePath {
		s.LastSeen = now
		if err := h.cfg.Sessions.PutSession(s); err != nil {
			return nil, nil, err
		}
	}
	return &s, p, nil
}

// end deletes s and audits why it ended; p may be nil (an unknown
// partner).
func (h *Handler) end(r *http.Request, s *broker.ConsoleSession, p *broker.Partner, reason string) error {
	if err := h.cfg.Sessions.DeleteSession(s.IDHash); err != nil {
		return err
	}
	if p == nil {
		p = &broker.Partner{ID: s.Partner}
	}
	if err := h.b.RecordLogout(r.Context(), s.Caller(p, newRequestID()), reason); err != nil {
		h.log.Error("auditing the end of a console session", "reason", reason, "error", err)
	}
	if reason == "logout" {
		return nil
	}
	return &sessionEnded{partner: s.Partner, reason: reason}
}

func (h *Handler) freshEnough(s *broker.ConsoleSession) bool {
	return !s.AuthTime.IsZero() && h.cfg.Now().Sub(s.AuthTime) <= h.cfg.FreshLogin
}

// csrf is the session's form token: a hash of the session id, which only
// the session's browser holds, so no other site can know it.
func csrf(id string) string { return hash32("csrf\x00" + id) }

var errForm = &pageError{status: http.StatusForbidden, title: "Formulier niet geaccepteerd",
	text: "Dit formulier kwam niet van uw eigen sessie in de console, of is verlopen.",
	next: "Ga terug naar de startpagina en probeer het daar opnieuw.", link: "/console/", label: "Naar de startpagina",
	reason: "form_refused"}

// checkForm accepts a form posted from the console itself: same origin
// (Go's CrossOriginProtection reads Sec-Fetch-Site and Origin, when the
// browser sends them; an Origin must also be the public URL) and the
// session's CSRF token, which only the session's browser can know.
func (h *Handler) checkForm(r *http.Request, _ *broker.ConsoleSession) error {
	if err := h.cop.Check(r); err != nil {
		h.log.Info("console form refused", "why", "cross-origin", "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		return errForm
	}
	// Under Referrer-Policy: no-referrer a browser sends "Origin: null"
	// with its own forms; Sec-Fetch-Site (above) and the token decide then.
	if o := r.Header.Get("Origin"); o != "" && o != "null" && o != h.cfg.PublicURL {
		h.log.Info("console form refused", "why", "origin")
		return errForm
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errForm
	}
	id, _ := h.sessionID(r)
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(csrf(id))) != 1 {
		h.log.Info("console form refused", "why", "csrf token")
		return errForm
	}
	return nil
}

// logout ends the session and deletes the cookie.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	s, p, err := h.session(r)
	if err != nil {
		return err
	}
	if err := h.checkForm(r, s); err != nil {
		return err
	}
	if err := h.end(r, s, p, "logout"); err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(sessionCookie, "", -1))
	render(w, http.StatusOK, "loggedout", &Page{Title: "Uitgelogd", Lang: langOf(r), Data: loginLink(p.ID, false, "")})
	return nil
}

// chooseRole sets the role the person acts in, one of those the login
// mapped.
func (h *Handler) chooseRole(w http.ResponseWriter, r *http.Request) error {
	s, p, err := h.session(r)
	if err != nil {
		return err
	}
	if err := h.checkForm(r, s); err != nil {
		return err
	}
	role := broker.Role(r.PostForm.Get("role"))
	if !s.HasRole(role) || !p.HasRole(role) {
		return &pageError{status: http.StatusForbidden, title: "Rol niet beschikbaar",
			text: "U kunt niet in deze rol werken: uw organisatie heeft u die niet gegeven.",
			next: "Kies een van de rollen op de startpagina.", link: "/console/", label: "Naar de startpagina", reason: "role_refused"}
	}
	s.Role = role
	if err := h.cfg.Sessions.PutSession(*s); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
	return nil
}

// Caller returns the domain's caller of a console request with a valid
// session, for handlers mounted beside the console.
func (h *Handler) Caller(r *http.Request) (*broker.Caller, error) {
	s, p, err := h.session(r)
	if err != nil {
		return nil, err
	}
	return s.Caller(p, newRequestID()), nil
}
