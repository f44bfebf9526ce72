package httpapi

// Protocol conformance over real HTTP (issue 12, items 10 and 11): request
// targets with dot segments, encoded slashes or empty segments are refused
// with a signed 400 bad_path problem before routing, never redirected; every
// 401 carries an RFC 6750 WWW-Authenticate challenge; a suspended partner
// gets 403; and PROTOCOL.md's table of reasons says the statuses the broker
// sends. Requests are written on a raw TCP connection, so that no client
// library cleans or re-encodes the target. Identifiers start with "conf".

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// confEnv is the involvement tests' broker with partners whose private keys
// the test holds, so that it can make any token by hand.
type confEnv struct {
	*ivEnv
	key, other, susp confKey
	brokerKeys       *protocol.KeySet
}

type confKey struct {
	partner string
	kid     string
	ed      ed25519.PrivateKey
}

const (
	confPartner = "conf-partner"
	confSusp    = "conf-susp"
)

func confNewEnv(t *testing.T) *confEnv {
	t.Helper()
	e := &confEnv{ivEnv: ivNewEnv(t)}
	e.key = e.register(confPartner)
	e.susp = e.register(confSusp)
	e.other = confNewKey(t, "") // registered nowhere
	if _, err := e.svc.SetPartnerStatus(e.ctx, e.operator, confSusp, broker.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if e.brokerKeys, err = protocol.ParseKeySet(raw); err != nil {
		t.Fatal(err)
	}
	return e
}

func confNewKey(t testing.TB, partner string) confKey {
	t.Helper()
	key, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	k := confKey{partner: partner}
	k.kid, _ = key.KeyID()
	if err := jwk.Export(key, &k.ed); err != nil {
		t.Fatal(err)
	}
	return k
}

// register registers a connector partner of municipality gem-a with a new
// key and returns the key.
func (e *confEnv) register(id string) confKey {
	e.t.Helper()
	k := confNewKey(e.t, id)
	pub, err := jwk.Import(k.ed.Public())
	if err != nil {
		e.t.Fatal(err)
	}
	_ = pub.Set(jwk.KeyIDKey, k.kid)
	_ = pub.Set(jwk.AlgorithmKey, protocol.AlgEdDSA)
	set, err := protocol.PublicSet(pub)
	if err != nil {
		e.t.Fatal(err)
	}
	jwks, _ := json.Marshal(set)
	if _, err := e.svc.RegisterPartner(e.ctx, e.operator, broker.Partner{ID: id, Name: "Partner " + id,
		Sector: broker.SectorDebt, Municipalities: []string{"gem-a"}, Roles: []broker.Role{broker.RoleConnector},
		Level: 2, Covenant: "2026-1", JWKS: jwks}); err != nil {
		e.t.Fatalf("registering %s: %v", id, err)
	}
	return k
}

func (k confKey) header() map[string]any {
	return map[string]any{"alg": protocol.AlgEdDSA, "typ": protocol.RequestTokenType, "kid": k.kid}
}

// claims are valid claims of the key's partner for a request.
func (k confKey) claims(method, target string, body []byte) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{"iss": k.partner, "sub": "conf-tester", "aud": ivBrokerID, "iat": now, "exp": now + 60,
		"jti": protocol.NewJTI(), "htm": method, "htu": target, "role": string(broker.RoleConnector)}
	if len(body) > 0 {
		c["bsh"] = protocol.BodyHash(body)
	}
	return c
}

// craft signs header and claims by hand.
func (k confKey) craft(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(k.ed, []byte(input)))
}

// token is a valid token of the key's partner for a request.
func (k confKey) token(t *testing.T, method, target string, body []byte) string {
	return k.craft(t, k.header(), k.claims(method, target, body))
}

// confResponse is a response read off the wire.
type confResponse struct {
	*http.Response
	body []byte
}

// raw sends one request with the target exactly as given on the request
// line, on a fresh connection.
func (e *confEnv) raw(t *testing.T, method, target, token string, body []byte) confResponse {
	t.Helper()
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	if token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", token)
	}
	if len(body) > 0 {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return confResponse{Response: resp, body: got}
}

// verifySignature checks the response's Ketenbrug-Signature: by the
// broker's key, over this status and body, and bound to the token's issuer
// and jti (both empty without a readable token).
func (e *confEnv) verifySignature(t *testing.T, r confResponse, token string) {
	t.Helper()
	sig := r.Header.Get(protocol.SignatureHeader)
	if sig == "" {
		t.Fatalf("%d answer without %s", r.StatusCode, protocol.SignatureHeader)
	}
	iss, jti := protocol.PeekRequest(token)
	if iss != "" {
		v, err := protocol.NewResponseVerifier(protocol.ResponseVerifierConfig{Broker: ivBrokerID, Partner: iss,
			Keys: protocol.StaticKeys{ivBrokerID: e.brokerKeys}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyResponse(context.Background(), sig, protocol.Response{RequestID: jti, Status: r.StatusCode,
			BodyHash: protocol.BodyHash(r.body)}); err != nil {
			t.Fatalf("response signature: %v", err)
		}
		return
	}
	parts := strings.Split(sig, ".")
	if len(parts) != 3 {
		t.Fatalf("signature %q is not a compact JWS", sig)
	}
	var hdr struct{ Kid string }
	var claims map[string]any
	for i, v := range []any{&hdr, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, v) != nil {
			t.Fatalf("signature part %d unreadable", i)
		}
	}
	key, ok := e.brokerKeys.Key(hdr.Kid)
	if !ok {
		t.Fatalf("signature by unknown key %q", hdr.Kid)
	}
	pub, ok := key.CryptoPublicKey().(ed25519.PublicKey)
	sigBytes, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !ok || !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sigBytes) {
		t.Fatal("response signature does not verify")
	}
	if claims["iss"] != ivBrokerID || claims["status"] != float64(r.StatusCode) {
		t.Errorf("response claims %v", claims)
	}
	if bsh, _ := claims["bsh"].(string); bsh != protocol.BodyHash(r.body) {
		t.Errorf("response bsh %q does not match the body", bsh)
	}
}

// problem checks that r is a problem document with status and code, the
// request id of its header, and a valid signature.
func (e *confEnv) problem(t *testing.T, r confResponse, token string, status int, code string) Problem {
	t.Helper()
	var p Problem
	if r.StatusCode != status {
		t.Fatalf("status %d (Location %q) %s, want %d %s", r.StatusCode, r.Header.Get("Location"), r.body, status, code)
	}
	if ct := r.Header.Get("Content-Type"); ct != ProblemContentType {
		t.Errorf("Content-Type %q", ct)
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, r.body)
	}
	if p.Code != code || p.Status != status || p.Type != "urn:ketenbrug:problem:"+code || p.Detail == "" {
		t.Errorf("problem %+v, want %d %s", p, status, code)
	}
	if p.RequestID == "" || p.RequestID != r.Header.Get(RequestIDHeader) {
		t.Errorf("request_id %q, header %q", p.RequestID, r.Header.Get(RequestIDHeader))
	}
	if loc := r.Header.Get("Location"); loc != "" {
		t.Errorf("Location %q on a refusal", loc)
	}
	e.verifySignature(t, r, token)
	return p
}

// TestConformanceBadPathsAreRefused: a request target with a dot segment
// (also percent-encoded), an encoded slash or backslash, or an empty
// segment is answered 400 bad_path, signed, before routing and before the
// token is checked — on public paths too — and never redirected to a
// cleaned path, where the token (bound to the target as sent) would not
// fit anyway and a proxy's rules might not apply.
func TestConformanceBadPathsAreRefused(t *testing.T) {
	e := confNewEnv(t)
	cases := []struct {
		name, method, target string
		public               bool
	}{
		{"dot-dot segment", http.MethodGet, "/v1/../v1/whoami", false},
		{"dot-dot at the end", http.MethodGet, "/v1/partners/..", false},
		{"dot-dot under an id", http.MethodGet, "/v1/households/../partners", false},
		{"encoded dot-dot, lower case", http.MethodGet, "/v1/%2e%2e/v1/whoami", false},
		{"encoded dot-dot, upper case", http.MethodGet, "/v1/%2E%2E/v1/whoami", false},
		{"half-encoded dot-dot", http.MethodGet, "/v1/.%2e/v1/whoami", false},
		{"encoded dot-dot as an id", http.MethodGet, "/v1/partners/%2e%2e", false},
		{"dot segment", http.MethodGet, "/v1/./whoami", false},
		{"encoded dot segment", http.MethodGet, "/v1/%2e/whoami", false},
		{"encoded dot segment at the end", http.MethodGet, "/v1/whoami/%2E", false},
		{"encoded slash, lower case", http.MethodPut, "/v1/involvements/a%2fb", false},
		{"encoded slash, upper case", http.MethodPut, "/v1/involvements/a%2Fb", false},
		{"encoded slash with dot-dot", http.MethodPut, "/v1/involvements/x%2f..%2f..%2fpartners", false},
		{"encoded backslash, lower case", http.MethodPut, "/v1/involvements/a%5cb", false},
		{"encoded backslash, upper case", http.MethodPut, "/v1/involvements/a%5Cb", false},
		{"backslash", http.MethodPut, `/v1/involvements/a\b`, false},
		{"backslash dot-dot", http.MethodGet, `/v1/whoami\..\partners`, false},
		{"double slash in the middle", http.MethodGet, "/v1//whoami", false},
		{"double slash at the start", http.MethodGet, "//v1/whoami", false},
		{"double slash at the end", http.MethodGet, "/v1/partners//", false},
		{"public: dot-dot", http.MethodGet, "/.well-known/../healthz", true},
		{"public: encoded dot-dot", http.MethodGet, "/v1/%2e%2e/healthz", true},
		{"public: dot segment", http.MethodGet, "/./metrics", true},
		{"public: double slash", http.MethodGet, "//healthz", true},
		{"public: encoded slash", http.MethodGet, "/.well-known%2fjwks.json", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body []byte
			if c.method == http.MethodPut {
				body, _ = json.Marshal(ivInvolvement(e.bsn(), "schuldregeling"))
			}
			// With a token signed for exactly this target, and without one.
			tok := e.key.token(t, c.method, c.target, body)
			for _, token := range []string{tok, ""} {
				r := e.raw(t, c.method, c.target, token, body)
				p := e.problem(t, r, token, http.StatusBadRequest, "bad_path")
				if strings.Contains(p.Detail, c.target) {
					t.Errorf("detail echoes the target: %q", p.Detail)
				}
				if r.Header.Get("WWW-Authenticate") != "" {
					t.Errorf("WWW-Authenticate on a bad path: %q", r.Header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	// Nothing was stored under a bad path.
	tok := e.key.token(t, http.MethodGet, "/v1/involvements", nil)
	r := e.raw(t, http.MethodGet, "/v1/involvements", tok, nil)
	var page broker.InvolvementPage
	if err := json.Unmarshal(r.body, &page); r.StatusCode != http.StatusOK || err != nil || len(page.Involvements) != 0 {
		t.Errorf("involvements after the bad paths: %d %s", r.StatusCode, r.body)
	}

	// What is not a bad path passes: a dot inside a segment, dots and
	// slashes in the query, a path without any of them (status 0: any
	// answer but 400 or a redirect).
	good := []struct {
		name, target string
		status       int
		token        bool
	}{
		{"plain public path", "/healthz", http.StatusOK, false},
		{"slashes and dots in the query", "/healthz?next=/../%2f%2e%2e/", http.StatusOK, false},
		{"plain authenticated path", "/v1/whoami", http.StatusOK, true},
		{"dots inside a segment", "/v1/partners/conf..partner.", 0, true},
		{"trailing slash", "/v1/whoami/", http.StatusNotFound, true},
	}
	for _, g := range good {
		t.Run("allowed: "+g.name, func(t *testing.T) {
			tok := ""
			if g.token {
				tok = e.key.token(t, http.MethodGet, g.target, nil)
			}
			r := e.raw(t, http.MethodGet, g.target, tok, nil)
			if r.StatusCode == http.StatusNotFound {
				tok = "" // an unrouted request is answered before its token is read
			}
			if g.status != 0 && r.StatusCode != g.status ||
				r.StatusCode == http.StatusBadRequest || r.StatusCode >= 300 && r.StatusCode < 400 {
				t.Fatalf("status %d %s, want %d", r.StatusCode, r.body, g.status)
			}
			e.verifySignature(t, r, tok)
		})
	}
}

// TestConformanceNoRedirectWithCleaningRouter: the router itself does not
// clean paths (gorilla/mux's default answers 301 to the cleaned path).
func TestConformanceNoRedirectWithCleaningRouter(t *testing.T) {
	a := testAPI(t)
	for _, target := range []string{"/v1/../healthz", "/healthz/.", "//healthz"} {
		req, err := http.NewRequest(http.MethodGet, "http://kb.example"+target, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.RequestURI = target
		rec := newConfRecorder()
		a.router.ServeHTTP(rec, req)
		if rec.status >= 300 && rec.status < 400 {
			t.Errorf("router answers %s with %d to %q", target, rec.status, rec.header.Get("Location"))
		}
	}
}

type confRecorder struct {
	header http.Header
	status int
}

func newConfRecorder() *confRecorder                { return &confRecorder{header: http.Header{}} }
func (r *confRecorder) Header() http.Header         { return r.header }
func (r *confRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (r *confRecorder) WriteHeader(status int)      { r.status = status }

// confWantChallenge is the WWW-Authenticate header of a refused token.
func confWantChallenge(code string) string {
	return `Bearer realm="` + ivBrokerID + `", error="invalid_token", error_description="` + code + `"`
}

// TestConformanceTokenRefusalStatuses: every reason code the broker can
// refuse a token with is answered over real HTTP with the documented status:
// 401 with an RFC 6750 challenge (error="invalid_token" and the code; only
// the realm when there was no token at all), and 403 without a challenge
// for a suspended partner. The code stays token_<reason>. PROTOCOL.md's
// table of reasons says the same statuses.
func TestConformanceTokenRefusalStatuses(t *testing.T) {
	e := confNewEnv(t)
	const whoami = "/v1/whoami"
	const withdraw = "/v1/consents/c-1/withdraw"
	k := e.key
	forged := func(t *testing.T, hdr func(map[string]any), edit func(map[string]any)) string {
		h, c := k.header(), k.claims(http.MethodGet, whoami, nil)
		if hdr != nil {
			hdr(h)
		}
		if edit != nil {
			edit(c)
		}
		return k.craft(t, h, c)
	}
	now := time.Now().Unix()
	type sent struct {
		method, target, token string
		body                  []byte
	}
	get := func(tok string) sent { return sent{http.MethodGet, whoami, tok, nil} }
	cases := []struct {
		reason string
		status int
		make   func(t *testing.T) sent
	}{
		{protocol.ReasonMalformed, 401, func(t *testing.T) sent { return get("not-a-compact-jws") }},
		{protocol.ReasonTokenTooLarge, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["pad"] = strings.Repeat("a", protocol.MaxTokenSize) }))
		}},
		{protocol.ReasonAlgNotAllowed, 401, func(t *testing.T) sent {
			return get(forged(t, func(h map[string]any) { h["alg"] = "none" }, nil))
		}},
		{protocol.ReasonTypInvalid, 401, func(t *testing.T) sent {
			return get(forged(t, func(h map[string]any) { h["typ"] = "JWT" }, nil))
		}},
		{protocol.ReasonHeaderNotAllowed, 401, func(t *testing.T) sent {
			return get(forged(t, func(h map[string]any) { h["jku"] = "https://attacker.example/jwks.json" }, nil))
		}},
		{protocol.ReasonUnknownKey, 401, func(t *testing.T) sent {
			return get(forged(t, func(h map[string]any) { h["kid"] = "no-such-key" }, nil))
		}},
		{protocol.ReasonPartnerSuspended, 403, func(t *testing.T) sent {
			return get(e.susp.token(t, http.MethodGet, whoami, nil))
		}},
		{protocol.ReasonBadSignature, 401, func(t *testing.T) sent {
			return get(e.other.craft(t, k.header(), k.claims(http.MethodGet, whoami, nil)))
		}},
		{protocol.ReasonExpired, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["iat"], c["exp"] = now-200, now-100 }))
		}},
		{protocol.ReasonNotYetValid, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["iat"], c["exp"] = now+120, now+180 }))
		}},
		{protocol.ReasonLifetimeTooLong, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["exp"] = c["iat"].(int64) + 301 }))
		}},
		{protocol.ReasonIssuedBeforeStart, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["iat"], c["exp"] = now-250, now+10 }))
		}},
		{protocol.ReasonJTIInvalid, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["jti"] = "short" }))
		}},
		{protocol.ReasonReplayed, 401, func(t *testing.T) sent {
			tok := k.token(t, http.MethodGet, whoami, nil)
			if r := e.raw(t, http.MethodGet, whoami, tok, nil); r.StatusCode != http.StatusOK {
				t.Fatalf("first use: %d %s", r.StatusCode, r.body)
			}
			return get(tok)
		}},
		{protocol.ReasonAudienceMismatch, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["aud"] = "another-broker" }))
		}},
		{protocol.ReasonMethodMismatch, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["htm"] = http.MethodPost }))
		}},
		{protocol.ReasonURIMismatch, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["htu"] = "/v1/partners" }))
		}},
		{protocol.ReasonBodyHashMismatch, 401, func(t *testing.T) sent {
			tok := k.craft(t, k.header(), k.claims(http.MethodPost, withdraw, []byte(`{"reason":"signed"}`)))
			return sent{http.MethodPost, withdraw, tok, []byte(`{"reason":"changed"}`)}
		}},
		{protocol.ReasonBodyHashMissing, 401, func(t *testing.T) sent {
			tok := k.craft(t, k.header(), k.claims(http.MethodPost, withdraw, nil))
			return sent{http.MethodPost, withdraw, tok, []byte(`{"reason":"unsigned"}`)}
		}},
		{protocol.ReasonClaimsInvalid, 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { delete(c, "sub") }))
		}},
		{"missing_token", 401, func(t *testing.T) sent { return get("") }},
		{"role_not_allowed", 401, func(t *testing.T) sent {
			return get(forged(t, nil, func(c map[string]any) { c["role"] = "operator" }))
		}},
	}

	// Every reason the broker can answer with has a case.
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.reason] = true
	}
	for _, r := range protocol.Reasons {
		if r != protocol.ReasonRequestMismatch && r != protocol.ReasonStatusMismatch && !covered[r] {
			t.Errorf("reason %s has no case", r)
		}
	}

	documented := confProtocolStatuses(t)
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			s := c.make(t)
			r := e.raw(t, s.method, s.target, s.token, s.body)
			code := "token_" + c.reason
			e.problem(t, r, s.token, c.status, code)
			challenges := r.Header.Values("WWW-Authenticate")
			switch {
			case c.status == http.StatusForbidden:
				if len(challenges) != 0 {
					t.Errorf("WWW-Authenticate %q on a 403", challenges)
				}
			case c.reason == "missing_token":
				// RFC 6750 §3.1: no error information without a token.
				if len(challenges) != 1 || challenges[0] != `Bearer realm="`+ivBrokerID+`"` {
					t.Errorf("WWW-Authenticate %q, want only the realm", challenges)
				}
			default:
				if len(challenges) != 1 || challenges[0] != confWantChallenge(code) {
					t.Errorf("WWW-Authenticate %q, want %q", challenges, confWantChallenge(code))
				}
			}
			if doc, ok := documented[c.reason]; !ok {
				t.Errorf("PROTOCOL.md's table of reasons does not list %s", c.reason)
			} else if doc != c.status {
				t.Errorf("PROTOCOL.md documents %d for %s, the broker answers %d", doc, c.reason, c.status)
			}
		})
	}
	for _, r := range []string{protocol.ReasonRequestMismatch, protocol.ReasonStatusMismatch} {
		if status, ok := documented[r]; !ok || status != 0 {
			t.Errorf("PROTOCOL.md: %s is the SDK's, with no status (—); got %d", r, status)
		}
	}

	// A 401 that is not about a token's reason code (unauthenticated) is
	// a challenge too: every 401 carries one.
	t.Run("every 401 of problemFor has a challenge", func(t *testing.T) {
		rec := newConfRecorder()
		a := testAPI(t)
		a.writeProblem(rec, &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v1/whoami"}}, broker.ErrUnauthenticated)
		if rec.status != http.StatusUnauthorized || rec.header.Get("WWW-Authenticate") != `Bearer realm="kb-test"` {
			t.Errorf("%d %q", rec.status, rec.header.Get("WWW-Authenticate"))
		}
	})
}

// confProtocolStatuses parses the table of reasons in section 5 of
// PROTOCOL.md: reason code -> documented HTTP status.
func confProtocolStatuses(t *testing.T) map[string]int {
	t.Helper()
	raw, err := os.ReadFile("../../connectors/protocol/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ([0-9]{3}|—) \\|")
	out := map[string]int{}
	for _, m := range row.FindAllStringSubmatch(string(raw), -1) {
		status, _ := strconv.Atoi(m[2]) // 0 for the SDK's reasons
		out[m[1]] = status
	}
	if len(out) < len(protocol.Reasons) {
		t.Fatalf("PROTOCOL.md: found %d rows of reason and status, want at least %d", len(out), len(protocol.Reasons))
	}
	return out
}

// TestConformanceOpenAPIDocumentsChallengesAndBadPath: the OpenAPI
// document says what the broker does — every 401 with a WWW-Authenticate
// header, 403 for a suspended partner's token on every authenticated
// operation, and 400 bad_path on every operation, public ones included.
func TestConformanceOpenAPIDocumentsChallengesAndBadPath(t *testing.T) {
	doc, ops := loadDoc(t)
	var all any
	if err := json.Unmarshal(OpenAPI(), &all); err != nil {
		t.Fatal(err)
	}
	if len(ops) < 30 {
		t.Fatalf("only %d operations", len(ops))
	}
	for key, op := range ops {
		bad, ok := op.Responses["400"].(map[string]any)
		if !ok {
			t.Errorf("%s documents no 400 (bad_path)", key)
		} else if d, _ := deref(t, all, bad)["description"].(string); !strings.Contains(d, "bad_path") {
			t.Errorf("%s: its 400 does not name bad_path", key)
		}
		unauth, ok := op.Responses["401"].(map[string]any)
		if !ok {
			continue // public
		}
		headers, _ := deref(t, all, unauth)["headers"].(map[string]any)
		if h, ok := headers["WWW-Authenticate"].(map[string]any); !ok || deref(t, all, h)["required"] != true {
			t.Errorf("%s: its 401 has no required WWW-Authenticate header", key)
		}
		forbidden, ok := op.Responses["403"].(map[string]any)
		if !ok {
			t.Errorf("%s needs a token but documents no 403 (token_partner_suspended)", key)
		} else if d, _ := deref(t, all, forbidden)["description"].(string); !strings.Contains(d, "token_partner_suspended") {
			t.Errorf("%s: its 403 does not name token_partner_suspended", key)
		}
	}
	code := doc.Components.Schemas["Problem"]["properties"].(map[string]any)["code"].(map[string]any)
	if d, _ := code["description"].(string); !strings.Contains(d, "bad_path (400)") || !strings.Contains(d, "token_partner_suspended 403") {
		t.Errorf("the Problem code's description does not give bad_path's and token_partner_suspended's statuses")
	}
}
