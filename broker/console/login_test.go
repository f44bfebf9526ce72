package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the page: %.300s", body)
	}
	return m[1]
}

// TestLogin drives the login over real HTTP against a real OpenID
// provider (oidc-provider, started by the test): the code flow with PKCE,
// state and nonce, and each refusal.
func TestLogin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	t.Run("code flow with PKCE, state and nonce logs in", func(t *testing.T) {
		b := e.browser(t)
		p := b.login("partner-a", "anna")
		if p.status != http.StatusOK || !strings.Contains(p.body, "Ingelogd als <strong>Anna Bakker</strong> (anna.bakker) namens Partner A") {
			t.Fatalf("landing: %d %.500s", p.status, p.body)
		}
		if !strings.Contains(p.body, "Uitloggen") {
			t.Fatal("no logout button")
		}
		var auth *url.URL
		for _, u := range b.seen {
			if u.Path == "/auth" && u.Query().Get("client_id") == "broker-a" {
				auth = u
			}
		}
		q := auth.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || len(q.Get("state")) < 40 || len(q.Get("nonce")) < 40 {
			t.Fatalf("authorization request lacks PKCE S256, state or nonce: %s", auth)
		}
		if q.Get("redirect_uri") != e.srv.URL+"/console/callback" {
			t.Fatalf("redirect_uri %q", q.Get("redirect_uri"))
		}
		c := b.sessionCookie()
		s, err := e.store.Session(hash32(c.Value))
		if err != nil {
			t.Fatalf("the session is not stored under the hash of the cookie: %v", err)
		}
		if _, err := e.store.Session(c.Value); err == nil {
			t.Fatal("the session is stored under the cookie's own id")
		}
		if s.Person != "anna.bakker" || s.Role != broker.RoleCoordinator || len(s.Roles) != 2 || s.Issuer != e.op || s.AuthTime.IsZero() {
			t.Fatalf("session %+v", s)
		}
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/console/", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.Value})
		caller, err := e.h.Caller(req)
		if err != nil {
			t.Fatal(err)
		}
		if caller.Sub != "anna.bakker" || caller.Person != (broker.Person{ID: "anna.bakker", Verified: true, Via: "oidc:" + e.op}) ||
			caller.Role != broker.RoleCoordinator || caller.Partner.ID != "partner-a" {
			t.Fatalf("caller %+v", caller)
		}
		logins := e.audit(broker.ActionConsoleLogin)
		last := logins[len(logins)-1]
		if last.Decision != broker.DecisionAllow || last.Sub != "anna.bakker" || last.SubKnown != broker.SubVerified || last.SubVia != "oidc:"+e.op ||
			last.Detail["issuer"] != e.op {
			t.Fatalf("login audit %+v", last)
		}

		// Both mapped roles are offered; the person chooses one.
		p = b.do(http.MethodPost, e.srv.URL+"/console/role", url.Values{"csrf": {csrfOf(t, p.body)}, "role": {"privacy-officer"}})
		p = b.follow(p, nil, nil)
		if !strings.Contains(p.body, "in de rol privacyfunctionaris") {
			t.Fatalf("role not chosen: %.400s", p.body)
		}
		p = b.do(http.MethodPost, e.srv.URL+"/console/role", url.Values{"csrf": {csrfOf(t, p.body)}, "role": {"operator"}})
		if p.status != http.StatusForbidden {
			t.Fatalf("a role the login did not map: %d", p.status)
		}
	})

	t.Run("wrong state", func(t *testing.T) {
		b := e.browser(t)
		cb := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		q := cb.Query()
		q.Set("state", "niet-de-goede-state-"+strings.Repeat("x", 30))
		cb.RawQuery = q.Encode()
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonState, "Inlogpoging verlopen")
		if b.sessionCookie() != nil {
			t.Fatal("a session cookie after a wrong state")
		}
	})

	t.Run("replayed callback (state used once)", func(t *testing.T) {
		b := e.browser(t)
		cb := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		if p := b.follow(b.do(http.MethodGet, cb.String(), nil), nil, nil); p.status != http.StatusOK {
			t.Fatalf("first use: %d", p.status)
		}
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonState, "al gebruikt")
	})

	t.Run("expired state", func(t *testing.T) {
		defer e.offset.Store(0)
		b := e.browser(t)
		cb := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		e.offset.Store(int64(DefaultLoginTimeout + time.Second))
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonState, "verlopen")
	})

	t.Run("callback in another browser (login CSRF)", func(t *testing.T) {
		attacker := e.browser(t)
		cb := attacker.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		victim := e.browser(t)
		e.refused(t, victim.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonNotBound, "niet in deze browser")
		if victim.sessionCookie() != nil {
			t.Fatal("the victim got the attacker's session")
		}
	})

	t.Run("wrong nonce (altered in the authorization request)", func(t *testing.T) {
		b := e.browser(t)
		alter := func(u *url.URL) {
			if u.Path == "/auth" {
				q := u.Query()
				q.Set("nonce", "een-andere-nonce")
				u.RawQuery = q.Encode()
			}
		}
		cb := b.loginUntilCallback("/console/login?partner=partner-a", "anna", alter)
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonNonce, "hoort niet bij deze inlogpoging")
	})

	t.Run("wrong nonce (removed)", func(t *testing.T) {
		b := e.browser(t)
		drop := func(u *url.URL) {
			if u.Path == "/auth" {
				q := u.Query()
				q.Del("nonce")
				u.RawQuery = q.Encode()
			}
		}
		cb := b.loginUntilCallback("/console/login?partner=partner-a", "anna", drop)
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonNonce, "hoort niet bij deze inlogpoging")
	})

	t.Run("code of another login (PKCE verifier does not match)", func(t *testing.T) {
		b := e.browser(t)
		first := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		second := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		q := second.Query()
		q.Set("code", first.Query().Get("code"))
		second.RawQuery = q.Encode()
		e.refused(t, b.do(http.MethodGet, second.String(), nil), http.StatusBadRequest, reasonCode, "niet bevestigd")
	})

	t.Run("wrong audience (a token for another client)", func(t *testing.T) {
		defer e.swap.swap.Store(nil)
		other := e.directToken(e.op, "test-client", "geheim-t", "anna")
		e.swap.swap.Store(&other)
		b := e.browser(t)
		cb := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonAudience, "niet voor Ketenbrug bestemd")
	})

	t.Run("token of another issuer", func(t *testing.T) {
		defer e.swap.swap.Store(nil)
		// op2 is another provider with a client of the same id and secret.
		foreign := e.directToken(e.op2, "broker-a", "geheim-a", "anna")
		e.swap.swap.Store(&foreign)
		b := e.browser(t)
		cb := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonIssuer, "ongeldig")
	})

	t.Run("expired ID token", func(t *testing.T) {
		defer e.offset.Store(0)
		b := e.browser(t)
		// Partner C's client gets ID tokens valid for 60 s.
		cb := b.loginUntilCallback("/console/login?partner=partner-c", "carla", nil)
		e.offset.Store(int64(2 * time.Minute))
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusBadRequest, reasonExpired, "verlopen")
	})

	t.Run("a person of partner A through partner B's config", func(t *testing.T) {
		b := e.browser(t)
		p := b.login("partner-b", "anna")
		e.refused(t, p, http.StatusForbidden, broker.ReasonLoginNoRole, "geen rol in Ketenbrug namens Partner B")
		if !strings.Contains(p.body, "Vraag de beheerder van uw organisatie") {
			t.Fatalf("no next step: %.500s", p.body)
		}
		if b.sessionCookie() != nil {
			t.Fatal("a session for a person partner B's mapping does not know")
		}
		// Partner B's own person gets in; for B only.
		p = e.browser(t).login("partner-b", "ben")
		if p.status != http.StatusOK || !strings.Contains(p.body, "namens Partner B") {
			t.Fatalf("ben: %d %.300s", p.status, p.body)
		}
	})

	t.Run("code of partner B's login at partner A's callback", func(t *testing.T) {
		b := e.browser(t)
		bb := b.loginUntilCallback("/console/login?partner=partner-b", "anna", nil)
		a := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		q := a.Query()
		q.Set("code", bb.Query().Get("code"))
		a.RawQuery = q.Encode()
		// The state is A's, the code was issued to B's client: the
		// provider refuses to redeem it for A's.
		e.refused(t, b.do(http.MethodGet, a.String(), nil), http.StatusBadRequest, reasonCode, "niet bevestigd")
	})

	t.Run("a person without a mapped role", func(t *testing.T) {
		p := e.browser(t).login("partner-a", "dirk")
		e.refused(t, p, http.StatusForbidden, broker.ReasonLoginNoRole, "geen rol in Ketenbrug")
	})

	t.Run("a partner without a login", func(t *testing.T) {
		p := e.browser(t).get("/console/login?partner=operator")
		if p.status != http.StatusNotFound || !strings.Contains(p.body, "Wat nu?") {
			t.Fatalf("%d %.300s", p.status, p.body)
		}
	})

	t.Run("partner picker", func(t *testing.T) {
		p := e.browser(t).get("/console/login")
		if p.status != http.StatusOK || !strings.Contains(p.body, "Partner A") || strings.Contains(p.body, "Operator") {
			t.Fatalf("%d %.500s", p.status, p.body)
		}
	})

	t.Run("session after the partner is suspended", func(t *testing.T) {
		b := e.browser(t)
		b.login("partner-a", "anna")
		hash := hash32(b.sessionCookie().Value)
		if _, err := e.svc.SetPartnerStatus(ctx, e.operator, "partner-a", broker.PartnerSuspended); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := e.svc.SetPartnerStatus(ctx, e.operator, "partner-a", broker.PartnerActive); err != nil {
				t.Fatal(err)
			}
		}()
		p := b.get("/console/")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "geschorst") {
			t.Fatalf("%d %.300s", p.status, p.body)
		}
		if _, err := e.store.Session(hash); err == nil {
			t.Fatal("the revoked session is still stored")
		}
		ends := e.audit(broker.ActionConsoleRevoked)
		if last := ends[len(ends)-1]; last.Detail["reason"] != "partner_suspended" || last.Sub != "anna.bakker" {
			t.Fatalf("revocation audit %+v", last)
		}
		// And no new login for a suspended partner.
		if p := e.browser(t).get("/console/login?partner=partner-a"); p.status != http.StatusNotFound {
			t.Fatalf("login for a suspended partner: %d", p.status)
		}
	})

	t.Run("session after the person is suspended", func(t *testing.T) {
		b := e.browser(t)
		b.login("partner-a", "anna")
		if _, err := e.svc.PutPersonKey(ctx, e.operator, "partner-a", broker.PersonKey{Person: "anna.bakker",
			Roles: []broker.Role{broker.RoleCoordinator}, JWKS: testJWKS(t)}); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = e.svc.RemovePersonKey(ctx, e.operator, "partner-a", "anna.bakker") }()
		if p := b.get("/console/"); p.status != http.StatusOK {
			t.Fatalf("an active person key: %d", p.status)
		}
		if _, err := e.svc.SetPersonStatus(ctx, e.operator, "partner-a", "anna.bakker", broker.PartnerSuspended); err != nil {
			t.Fatal(err)
		}
		p := b.get("/console/")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Uw toegang in Ketenbrug is geschorst") {
			t.Fatalf("%d %.300s", p.status, p.body)
		}
		e.refused(t, e.browser(t).login("partner-a", "anna"), http.StatusForbidden, broker.ReasonLoginPersonSuspended, "geschorst")
	})

	t.Run("session after the login configuration changes", func(t *testing.T) {
		b := e.browser(t)
		b.login("partner-b", "ben")
		e.setLogin("partner-b", "broker-c", "professional=b-medewerkers")
		defer e.setLogin("partner-b", "broker-b", "professional=b-medewerkers")
		if p := b.get("/console/"); p.status != http.StatusUnauthorized {
			t.Fatalf("a session of the old client: %d", p.status)
		}
	})

	t.Run("idle timeout", func(t *testing.T) {
		defer e.offset.Store(0)
		b := e.browser(t)
		b.login("partner-a", "anna")
		e.offset.Store(int64(DefaultIdleTimeout - time.Minute))
		if p := b.get("/console/"); p.status != http.StatusOK {
			t.Fatalf("before the idle timeout: %d", p.status)
		}
		e.offset.Store(int64(2*DefaultIdleTimeout - 2*time.Minute))
		if p := b.get("/console/"); p.status != http.StatusOK {
			t.Fatalf("used within the idle timeout: %d", p.status)
		}
		e.offset.Store(int64(3*DefaultIdleTimeout - time.Minute))
		p := b.get("/console/")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "te lang niet actief") {
			t.Fatalf("after the idle timeout: %d %.300s", p.status, p.body)
		}
	})

	t.Run("absolute timeout", func(t *testing.T) {
		defer e.offset.Store(0)
		b := e.browser(t)
		b.login("partner-a", "anna")
		var p page
		for d := 20 * time.Minute; d < DefaultAbsoluteTimeout+time.Hour; d += 20 * time.Minute {
			e.offset.Store(int64(d))
			if p = b.get("/console/"); p.status != http.StatusOK {
				if d < DefaultAbsoluteTimeout {
					t.Fatalf("ended after %s, before the absolute timeout: %.300s", d, p.body)
				}
				break
			}
		}
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "langer dan de toegestane tijd") {
			t.Fatalf("after the absolute timeout: %d %.300s", p.status, p.body)
		}
	})

	t.Run("logout", func(t *testing.T) {
		b := e.browser(t)
		p := b.login("partner-a", "anna")
		hash := hash32(b.sessionCookie().Value)
		if p := b.do(http.MethodPost, e.srv.URL+"/console/logout", url.Values{"csrf": {"0000"}}); p.status != http.StatusForbidden {
			t.Fatalf("logout with a wrong CSRF token: %d", p.status)
		}
		p = b.do(http.MethodPost, e.srv.URL+"/console/logout", url.Values{"csrf": {csrfOf(t, p.body)}})
		if p.status != http.StatusOK || !strings.Contains(p.body, "U bent uitgelogd") {
			t.Fatalf("logout: %d %.300s", p.status, p.body)
		}
		if _, err := e.store.Session(hash); err == nil {
			t.Fatal("the session outlives the logout")
		}
		if b.sessionCookie() != nil {
			t.Fatal("the cookie outlives the logout")
		}
		if p := b.get("/console/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/login" {
			t.Fatalf("after logout: %d %s", p.status, p.header.Get("Location"))
		}
		outs := e.audit(broker.ActionConsoleLogout)
		if last := outs[len(outs)-1]; last.Sub != "anna.bakker" || last.SubVia != "oidc:"+e.op || last.Detail["reason"] != "logout" {
			t.Fatalf("logout audit %+v", last)
		}
	})

	t.Run("cookie flags", func(t *testing.T) {
		b := e.browser(t)
		cb := b.loginUntilCallback("/console/login?partner=partner-a", "anna", nil)
		p := b.do(http.MethodGet, cb.String(), nil)
		var set string
		for _, c := range p.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, sessionCookie+"=") {
				set = c
			}
		}
		for _, want := range []string{"Path=/", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(set, want) {
				t.Fatalf("session cookie %q lacks %s", set, want)
			}
		}
		if strings.Contains(set, "Domain=") || strings.Contains(set, "Secure") || strings.Contains(set, "Max-Age") {
			t.Fatalf("session cookie over http: %q", set)
		}
		// Over https: the __Host- prefix, Secure, Path=/ and no Domain.
		tls, err := New(Config{Broker: e.svc, Sessions: e.store, PublicURL: "https://broker.regio.example"})
		if err != nil {
			t.Fatal(err)
		}
		for _, base := range []string{sessionCookie, loginCookie} {
			c := tls.cookie(base, "x", 0)
			if c.Name != "__Host-"+base || !c.Secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("cookie over https: %+v", c)
			}
		}
	})

	t.Run("max_age exceeded for a fresh-login-required action", func(t *testing.T) {
		defer e.offset.Store(0)
		e.h.Action("GET /console/test/fresh", true, func(w http.ResponseWriter, _ *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
			_, err := w.Write([]byte("gedaan door " + c.Person.ID + " via " + c.Person.Via))
			return err
		})
		b := e.browser(t)
		b.login("partner-a", "anna")
		if p := b.get("/console/test/fresh"); p.status != http.StatusOK || !strings.Contains(p.body, "gedaan door anna.bakker") {
			t.Fatalf("right after login: %d %.200s", p.status, p.body)
		}
		e.offset.Store(int64(DefaultFreshLogin + time.Minute))
		p := b.get("/console/test/fresh")
		if p.status != http.StatusSeeOther || !strings.Contains(p.header.Get("Location"), "fresh=1") {
			t.Fatalf("a stale login was not sent to log in again: %d %s", p.status, p.header.Get("Location"))
		}
		// Someone strips max_age and prompt from the request: the provider
		// answers from its session, with the old auth_time.
		strip := func(u *url.URL) {
			if u.Path == "/auth" {
				q := u.Query()
				if q.Get("max_age") != "0" || q.Get("prompt") != "login" {
					t.Errorf("the fresh login did not ask max_age=0, prompt=login: %s", u)
				}
				q.Del("max_age")
				q.Del("prompt")
				u.RawQuery = q.Encode()
			}
		}
		cb := b.loginUntilCallback("/console/login?partner=partner-a&fresh=1&next=/console/test/fresh", "anna", strip)
		e.refused(t, b.do(http.MethodGet, cb.String(), nil), http.StatusUnauthorized, reasonNotFresh, "Opnieuw aanmelden nodig")

		// Unaltered, the provider asks the person to log in again.
		e.offset.Store(0)
		fresh := b.loginUntilCallback("/console/login?partner=partner-a&fresh=1&next=/console/test/fresh", "anna", nil)
		p = b.follow(b.do(http.MethodGet, fresh.String(), nil), nil, nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, "gedaan door anna.bakker via oidc:"+e.op) {
			t.Fatalf("after a fresh login: %d %.300s", p.status, p.body)
		}
	})

	t.Run("open redirect refused", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/", "//evil.example/console/", "/console/../x", "/elders"} {
			if got := safeNext(next); got != "/console/" {
				t.Errorf("safeNext(%q) = %q", next, got)
			}
		}
	})
}

// TestConsoleWithoutProvider needs no provider: pages without a session.
func TestConsoleWithoutSession(t *testing.T) {
	h, err := New(Config{Broker: stubBroker{}, Sessions: nil, PublicURL: "http://127.0.0.1:1"})
	if err == nil {
		t.Fatal("a console without sessions")
	}
	_ = h
}

type stubBroker struct{ Broker }
