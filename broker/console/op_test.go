package console

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/audit"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
	"github.com/ketenbrug/ketenbrug/policy"
	"github.com/ketenbrug/ketenbrug/rego"
)

// opDir holds the test provider: server.js and, after `bash .ci/setup`
// (npm ci), its node_modules.
const opDir = "testdata/op"

// requireProvider skips when node or the provider's packages are missing,
// except in CI (CI=true), where a missing provider is a broken set-up and
// fails: the login's tests must never pass there by being skipped.
func requireProvider(t *testing.T) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("node"); err != nil {
		why = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(opDir, "node_modules", "oidc-provider", "package.json")); err != nil {
		why = "the test provider's packages are not installed"
	}
	if why == "" {
		return
	}
	msg := why + ": run `bash .ci/setup` (npm ci --prefix broker/console/testdata/op) to test the login against a real OpenID provider"
	if os.Getenv("CI") == "true" {
		t.Fatal("CI: " + msg)
	}
	t.Skip(msg)
}

type opClient struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	IDTokenTTL   int      `json:"id_token_ttl,omitempty"`
}

// testRedirect is the redirect URI of the tests' own client, which fetches
// tokens directly (directToken); nothing listens there.
const testRedirect = "http://127.0.0.1:9/test-cb"

// startOP starts a real provider (node server.js) on a free loopback port
// and returns its issuer; it is killed when the test ends.
func startOP(t *testing.T, clients []opClient, accounts map[string]map[string]any) string {
	t.Helper()
	cfg, _ := json.Marshal(map[string]any{"clients": clients, "accounts": accounts})
	file := filepath.Join(t.TempDir(), "op.json")
	if err := os.WriteFile(file, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "server.js", file)
	cmd.Dir = opDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("provider's stderr:\n%s", stderr.String())
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if issuer, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- issuer
			}
		}
	}()
	select {
	case issuer := <-ready:
		return issuer
	case <-time.After(30 * time.Second):
		t.Fatalf("the provider did not start: %s", stderr.String())
		return ""
	}
}

// swapTransport lets a test replace the ID token of the provider's token
// response (a token the real provider issued elsewhere): the broker's
// checks must refuse it.
type swapTransport struct {
	base http.RoundTripper
	swap atomic.Pointer[string]
}

func (s *swapTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(r)
	tok := s.swap.Load()
	if err != nil || tok == nil || r.URL.Path != "/token" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, err
	}
	body["id_token"] = *tok
	raw, _ = json.Marshal(body)
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	resp.ContentLength = int64(len(raw))
	resp.Header.Del("Content-Length")
	return resp, nil
}

var testEngine = sync.OnceValues(func() (*policy.Engine, error) {
	return policy.New(policy.Config{Default: rego.Bundle, Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
})

// env is a broker with the console on a real HTTP server, two real
// providers (op, shared by partners A, B and C; op2, another issuer) and
// a clock the test can move.
type env struct {
	t        *testing.T
	svc      *broker.Service
	store    *boltstore.Store
	h        *Handler
	srv      *httptest.Server
	op, op2  string
	offset   atomic.Int64
	swap     *swapTransport
	operator *broker.Caller
	secrets  string
	// pseudonyms is the broker's pseudonymizer, to name a person in a
	// test's expectations.
	pseudonyms *broker.Pseudonymizer
}

func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

// The region of the tests.
var accounts = map[string]map[string]any{
	"anna":  {"name": "Anna Bakker", "preferred_username": "anna.bakker", "groups": []string{"a-regisseurs", "a-privacy"}},
	"ben":   {"name": "Ben Smit", "preferred_username": "ben.smit", "groups": []string{"b-medewerkers"}},
	"carla": {"name": "Carla de Vries", "preferred_username": "carla", "groups": []string{"c-medewerkers"}},
	"dirk":  {"name": "Dirk Jansen", "preferred_username": "dirk", "groups": []string{"kantine"}},
	// The browser tests' region (browser_test.go).
	"sanne": {"name": "Sanne Bos", "preferred_username": "s.bos", "groups": []string{"amf-regisseurs"}},
	"piet":  {"name": "Piet de Boer", "preferred_username": "p.deboer", "groups": []string{"kb-medewerkers"}},
	"olga":  {"name": "Olga Visser", "preferred_username": "o.visser", "groups": []string{"beheer"}},
	"aisha": {"name": "Aisha Yilmaz", "preferred_username": "a.yilmaz", "groups": []string{"amf-analisten"}},
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, nil) }

// newEnvWith is newEnv with more clients at the provider op (their
// redirect URI is the console's callback).
func newEnvWith(t *testing.T, extra []opClient) *env {
	t.Helper()
	requireProvider(t)
	e := &env{t: t, swap: &swapTransport{base: http.DefaultTransport}}
	var handler atomic.Pointer[http.Handler]
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	cb := []string{e.srv.URL + "/console/callback"}
	for i := range extra {
		extra[i].RedirectURIs = cb
	}
	e.op = startOP(t, append([]opClient{
		{ClientID: "broker-a", ClientSecret: "geheim-a", RedirectURIs: cb},
		{ClientID: "broker-b", ClientSecret: "geheim-b", RedirectURIs: cb},
		{ClientID: "broker-c", ClientSecret: "geheim-c", RedirectURIs: cb, IDTokenTTL: 60},
		{ClientID: "test-client", ClientSecret: "geheim-t", RedirectURIs: []string{testRedirect}},
	}, extra...), accounts)
	e.op2 = startOP(t, []opClient{
		{ClientID: "broker-a", ClientSecret: "geheim-a", RedirectURIs: []string{testRedirect}},
	}, accounts)

	ctx := context.Background()
	eng, err := testEngine()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if e.store, err = boltstore.Open(filepath.Join(t.TempDir(), "ketenbrug.db"), boltstore.Config{Logger: log}); err != nil {
		t.Fatal(err)
	}
	signer, err := audit.NewEd25519Signer("console-test", ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), nil)
	if err != nil {
		t.Fatal(err)
	}
	alog, err := audit.New(audit.Config{Store: e.store, Signer: signer, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = alog.Close(); _ = e.store.Close() })
	secret := make([]byte, broker.MinSecretLen)
	_, _ = rand.Read(secret)
	pseudonyms, err := broker.NewPseudonymizer(secret)
	if err != nil {
		t.Fatal(err)
	}
	e.pseudonyms = pseudonyms
	e.secrets = t.TempDir()
	if e.svc, err = broker.New(ctx, broker.Config{ID: "ketenbrug-test", Store: e.store, Audit: alog, AuditReader: alog,
		Policy: eng, Pseudonyms: pseudonyms, CheckJWKS: func(json.RawMessage) error { return nil }, FourEyes: true,
		Logger: log, LoginSecrets: broker.SecretDir(e.secrets)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.EnsureOperator(ctx, broker.Partner{ID: "operator", Name: "Operator", Sector: broker.SectorOther,
		Roles: []broker.Role{broker.RoleOperator}, Level: broker.MaxLevel, JWKS: testJWKS(t)}); err != nil {
		t.Fatal(err)
	}
	op, _ := e.svc.LookupPartner("operator")
	e.operator = &broker.Caller{Partner: *op, Sub: "operator", Role: broker.RoleOperator, RequestID: "r-setup",
		Person: broker.Person{ID: "operator", Verified: true, Via: "key:setup"}}
	for _, p := range []struct {
		id, name, client string
		roles            []broker.Role
		maps             []string
	}{
		{"partner-a", "Partner A", "broker-a", []broker.Role{broker.RoleCoordinator, broker.RolePrivacyOfficer, broker.RoleConnector},
			[]string{"coordinator=a-regisseurs", "privacy-officer=a-privacy"}},
		{"partner-b", "Partner B", "broker-b", []broker.Role{broker.RoleProfessional, broker.RoleConnector},
			[]string{"professional=b-medewerkers"}},
		{"partner-c", "Partner C", "broker-c", []broker.Role{broker.RoleProfessional},
			[]string{"professional=c-medewerkers"}},
	} {
		if _, err := e.svc.RegisterPartner(ctx, e.operator, broker.Partner{ID: p.id, Name: p.name, Sector: broker.SectorDebt,
			Roles: p.roles, Level: 2, Municipalities: []string{"gem-test"}, JWKS: testJWKS(t)}); err != nil {
			t.Fatal(err)
		}
		e.setLogin(p.id, p.client, p.maps...)
	}
	e.h, err = New(Config{Broker: e.svc, Sessions: e.store, PublicURL: e.srv.URL, Logger: testLogger(), Now: e.now,
		HTTPClient: &http.Client{Transport: e.swap, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	var hh http.Handler = e.h
	handler.Store(&hh)
	return e
}

func testJWKS(t *testing.T) json.RawMessage {
	key, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := protocol.PublicSet(key)
	raw, _ := json.Marshal(set)
	return raw
}

// setLogin registers partner's login at op as client, with the client's
// secret in a file of the secrets directory.
func (e *env) setLogin(partner, client string, maps ...string) {
	e.t.Helper()
	file := filepath.Join(e.secrets, partner+".secret")
	if err := os.WriteFile(file, []byte("geheim-"+strings.TrimPrefix(client, "broker-")+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	lc := broker.LoginConfig{Issuer: e.op, ClientID: client, ClientSecretFile: file, PersonClaim: "preferred_username", RolesClaim: "groups"}
	for _, m := range maps {
		rm, err := broker.ParseRoleMapping(m)
		if err != nil {
			e.t.Fatal(err)
		}
		lc.RoleMap = append(lc.RoleMap, rm)
	}
	if _, err := e.svc.SetLoginConfig(context.Background(), e.operator, partner, lc); err != nil {
		e.t.Fatal(err)
	}
}

// browser is a Go HTTP client with a cookie jar that follows redirects
// one at a time, so a test can see and alter each.
type browser struct {
	t   *testing.T
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
	// seen records every URL the browser went to.
	seen []*url.URL
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, jar: jar, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	url    *url.URL
	body   string
	header http.Header
}

func (b *browser) do(method, raw string, form url.Values) page {
	b.t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		b.t.Fatal(err)
	}
	b.seen = append(b.seen, u)
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, raw, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: u, body: string(data), header: resp.Header}
}

// follow follows redirects from p until a page that is not one, or until
// stop says to stop before going to a location. rewrite may alter a
// location first (as someone editing the URL in the browser would).
func (b *browser) follow(p page, stop func(*url.URL) bool, rewrite func(*url.URL)) page {
	b.t.Helper()
	for i := 0; p.status >= 300 && p.status < 400; i++ {
		if i > 20 {
			b.t.Fatal("too many redirects")
		}
		loc, err := p.url.Parse(p.header.Get("Location"))
		if err != nil {
			b.t.Fatal(err)
		}
		if rewrite != nil {
			rewrite(loc)
		}
		if stop != nil && stop(loc) {
			return page{status: p.status, url: loc, header: p.header}
		}
		p = b.do(http.MethodGet, loc.String(), nil)
	}
	return p
}

func (b *browser) get(path string) page { return b.do(http.MethodGet, b.e.srv.URL+path, nil) }

// toProvider starts a login at the console and follows it to the
// provider's login form (or, when the provider already knows the person,
// on to wherever it ends).
func (b *browser) toProvider(start string, rewrite func(*url.URL)) page {
	b.t.Helper()
	return b.follow(b.get(start), nil, rewrite)
}

// loginUntilCallback logs user in at the provider and returns the
// callback URL the provider sends the browser to, without going there.
func (b *browser) loginUntilCallback(start, user string, rewrite func(*url.URL)) *url.URL {
	b.t.Helper()
	isCallback := func(u *url.URL) bool { return u.Path == "/console/callback" }
	p := b.follow(b.get(start), isCallback, rewrite)
	if !isCallback(p.url) {
		if p.status != http.StatusOK || !strings.Contains(p.body, "/login") {
			b.t.Fatalf("expected the provider's login form at %s, got %d: %.300s", p.url, p.status, p.body)
		}
		p = b.do(http.MethodPost, p.url.String()+"/login", url.Values{"username": {user}})
		p = b.follow(p, isCallback, rewrite)
	}
	if !isCallback(p.url) {
		b.t.Fatalf("the provider did not send the browser back: %d %s %.300s", p.status, p.url, p.body)
	}
	return p.url
}

// login logs user in for partner and returns the page the console ends
// on.
func (b *browser) login(partner, user string) page {
	b.t.Helper()
	cb := b.loginUntilCallback("/console/login?partner="+partner, user, nil)
	return b.follow(b.do(http.MethodGet, cb.String(), nil), nil, nil)
}

func (b *browser) sessionCookie() *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

// directToken runs a code flow as client at issuer for user, with the
// tests' own redirect URI, and returns the real ID token the provider
// issued.
func (e *env) directToken(issuer, client, secret, user string) string {
	e.t.Helper()
	b := e.browser(e.t)
	verifier := oauth2.GenerateVerifier()
	cfg := &oauth2.Config{ClientID: client, ClientSecret: secret, RedirectURL: testRedirect, Scopes: []string{"openid", "profile"},
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/auth", TokenURL: issuer + "/token"}}
	start := cfg.AuthCodeURL("s-"+rand.Text(), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-"+rand.Text()))
	isCB := func(u *url.URL) bool { return strings.HasPrefix(u.String(), testRedirect) }
	p := b.follow(b.do(http.MethodGet, start, nil), isCB, nil)
	if !isCB(p.url) {
		p = b.follow(b.do(http.MethodPost, p.url.String()+"/login", url.Values{"username": {user}}), isCB, nil)
	}
	code := p.url.Query().Get("code")
	if code == "" {
		e.t.Fatalf("no code from %s: %s", issuer, p.url)
	}
	tok, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	return raw
}

// audit returns the stored audit entries with action.
func (e *env) audit(action string) []broker.AuditEntry {
	e.t.Helper()
	var out []broker.AuditEntry
	if err := e.store.View(func(tx broker.ReadTx) error {
		return tx.AuditRaw(1, func(_ uint64, raw []byte) error {
			var a broker.AuditEntry
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			if a.Action == action {
				out = append(out, a)
			}
			return nil
		})
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// lastRefusal returns the reason of the newest refused login.
func (e *env) lastRefusal() broker.AuditEntry {
	e.t.Helper()
	var last broker.AuditEntry
	for _, a := range e.audit(broker.ActionConsoleLogin) {
		if a.Decision == broker.DecisionDeny {
			last = a
		}
	}
	return last
}

// refused checks that p is a refused login with reason.
func (e *env) refused(t *testing.T, p page, status int, reason, text string) {
	t.Helper()
	if p.status != status || !strings.Contains(p.body, text) {
		t.Fatalf("want %d with %q, got %d: %.500s", status, text, p.status, p.body)
	}
	if got := e.lastRefusal(); len(got.Reasons) != 1 || got.Reasons[0] != reason {
		t.Fatalf("audited refusal %v, want %s", got.Reasons, reason)
	}
	if strings.Contains(p.body, "Ingelogd als") {
		t.Fatal("a refused login shows the landing page")
	}
}

// testLogger is the console's logger in tests: discarded, unless
// KETENBRUG_TEST_LOG=1 shows it on stderr.
func testLogger() *slog.Logger {
	if os.Getenv("KETENBRUG_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}
