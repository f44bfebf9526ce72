package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/brokertest"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// testBrokerID is the id (token audience) of the brokers the tests run.
const testBrokerID = "kb-test"

// testBroker is a real broker (CreateSystem on a temporary data directory:
// bbolt file, keys, OPA with the default bundle) served on a loopback port
// by the same server code as `ketenbrug serve`. Its JSON log goes to logs.
type testBroker struct {
	sys      *System
	url      string
	logs     *brokertest.Buffer
	started  time.Time
	keys     *protocol.KeySet // the broker's public keys, from its JWKS
	http     *http.Client
	operator *connectors.Client
	// operatorID is the operator's identity, for command-line tests.
	operatorID *connectors.Identity
}

// newTestBroker starts a broker for t and stops it when t ends.
func newTestBroker(t testing.TB) *testBroker { return newTestBrokerWith(t, nil) }

// newTestBrokerWith is newTestBroker with its configuration changed by
// adjust (limits, timeouts).
func newTestBrokerWith(t testing.TB, adjust func(*SystemConfig)) *testBroker {
	t.Helper()
	ctx := context.Background()
	logs := &brokertest.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	started := time.Now()
	cfg := SystemConfig{DataDir: t.TempDir(), ID: testBrokerID, FourEyes: true, PolicyTimeout: 2 * time.Second, Logger: log}
	if adjust != nil {
		adjust(&cfg)
	}
	sys, err := CreateSystem(ctx, cfg)
	if err != nil {
		t.Fatalf("CreateSystem: %v", err)
	}
	// The operator, as `ketenbrug init` registers it.
	opID, pub, err := connectors.NewIdentity(operatorID, "operator", string(broker.RoleOperator), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sys.Service.EnsureOperator(ctx, broker.Partner{ID: operatorID, Name: "Operator",
		Sector: broker.SectorOther, Roles: []broker.Role{broker.RoleOperator}, Level: broker.MaxLevel, JWKS: pub}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serveUntilDone(serveCtx, sys, ln, log) }()
	tb := &testBroker{sys: sys, url: "http://" + ln.Addr().String(), logs: logs, started: started,
		http: &http.Client{Timeout: 30 * time.Second}}
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serveUntilDone: %v", err)
		}
		if err := sys.Close(); err != nil {
			t.Errorf("closing the system: %v", err)
		}
	})
	resp, body := tb.get(t, "/.well-known/jwks.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jwks: %d", resp.StatusCode)
	}
	if tb.keys, err = protocol.ParseKeySet(body); err != nil {
		t.Fatalf("broker jwks: %v", err)
	}
	tb.operator, tb.operatorID = tb.client(t, opID), opID
	return tb
}

// client returns an SDK client for id.
func (tb *testBroker) client(t testing.TB, id *connectors.Identity) *connectors.Client {
	t.Helper()
	c, err := connectors.New(connectors.Config{Server: tb.url, Identity: id, Backoff: 10 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get fetches a public path with a plain HTTP client.
func (tb *testBroker) get(t testing.TB, path string) (*http.Response, []byte) {
	t.Helper()
	return tb.send(t, http.MethodGet, path, "", nil, nil)
}

// send sends one request as is: uri is the path and query exactly as on
// the request line; token (when not "") goes in a bearer header.
func (tb *testBroker) send(t testing.TB, method, uri, token string, body []byte, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, tb.url+uri, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := tb.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, uri, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, uri, err)
	}
	return resp, out
}

// logLines returns the broker's log lines, decoded.
func (tb *testBroker) logLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(tb.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// waitLog waits for a log line with this request id and problem code.
func (tb *testBroker) waitLog(t testing.TB, requestID, code string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		for _, m := range tb.logLines(t) {
			if m["request_id"] == requestID && m["code"] == code {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with request_id %s and code %s", requestID, code)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// assertNoBSNInLogs fails when any of the BSNs appears in the broker's log.
func (tb *testBroker) assertNoBSNInLogs(t testing.TB, bsns ...string) {
	t.Helper()
	logs := tb.logs.String()
	for _, b := range bsns {
		if strings.Contains(logs, b) {
			t.Errorf("a BSN appears in the broker's log output")
		}
	}
}

// metrics scrapes /metrics.
func (tb *testBroker) metrics(t testing.TB) string {
	t.Helper()
	resp, body := tb.get(t, "/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	return string(body)
}

// metricValue returns the value of one sample in a Prometheus text
// exposition (0 when absent). series is the name with its labels, as
// exposed, e.g. `ketenbrug_token_refusals_total{reason="expired"}`.
func metricValue(t testing.TB, exposition, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("metric %s: %v", series, err)
	}
	return v
}

func refusalSeries(reason string) string {
	return `ketenbrug_token_refusals_total{reason="` + reason + `"}`
}

// problem is a decoded problem document.
type problem struct {
	Type      string          `json:"type"`
	Title     string          `json:"title"`
	Status    int             `json:"status"`
	Detail    string          `json:"detail"`
	Code      string          `json:"code"`
	RequestID string          `json:"request_id"`
	Field     string          `json:"field"`
	Reasons   []string        `json:"reasons"`
	Report    json.RawMessage `json:"report"`
}

// expectProblem checks that resp is an RFC 9457 problem document with this
// status and code, and returns it.
func expectProblem(t testing.TB, resp *http.Response, body []byte, status int, code string) problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var members map[string]any
	if err := json.Unmarshal(body, &members); err != nil {
		t.Fatalf("problem document is not JSON: %v: %s", err, body)
	}
	for _, m := range []string{"type", "title", "status", "detail", "code", "request_id"} {
		if _, ok := members[m]; !ok {
			t.Errorf("problem document lacks %q: %s", m, body)
		}
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != status || p.Code != code {
		t.Fatalf("problem status %d code %q, want %d %q: %s", p.Status, p.Code, status, code, body)
	}
	if p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("problem document has an empty type, title or detail: %s", body)
	}
	if p.RequestID == "" || p.RequestID != resp.Header.Get("Ketenbrug-Request-Id") {
		t.Errorf("problem request_id %q, header %q", p.RequestID, resp.Header.Get("Ketenbrug-Request-Id"))
	}
	return p
}

// verifyResponse checks the Ketenbrug-Signature of a response to a request
// made with token (or none): with the SDK's ResponseVerifier when the token
// names an issuer, else by hand (signature by the broker's key, iss, empty
// aud and req, status, bsh).
func (tb *testBroker) verifyResponse(t testing.TB, resp *http.Response, body []byte, token string) {
	t.Helper()
	sig := resp.Header.Get(protocol.SignatureHeader)
	if sig == "" {
		t.Fatalf("no %s header on a %d answer", protocol.SignatureHeader, resp.StatusCode)
	}
	iss, jti := protocol.PeekRequest(token)
	if iss != "" {
		if err := tb.verifySDK(sig, iss, jti, resp.StatusCode, body); err != nil {
			t.Fatalf("response signature: %v", err)
		}
		return
	}
	claims, err := tb.verifyByHand(sig)
	if err != nil {
		t.Fatalf("response signature: %v", err)
	}
	want := map[string]any{"iss": testBrokerID, "aud": "", "req": "", "status": float64(resp.StatusCode)}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("response claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if got, _ := claims["bsh"].(string); got != protocol.BodyHash(body) {
		t.Errorf("response bsh %q does not match the body", got)
	}
}

// verifySDK checks a response token as the SDK does.
func (tb *testBroker) verifySDK(sig, partner, jti string, status int, body []byte) error {
	v, err := protocol.NewResponseVerifier(protocol.ResponseVerifierConfig{Broker: testBrokerID, Partner: partner,
		Keys: protocol.StaticKeys{testBrokerID: tb.keys}})
	if err != nil {
		return err
	}
	_, err = v.VerifyResponse(context.Background(), sig, protocol.Response{RequestID: jti, Status: status,
		BodyHash: protocol.BodyHash(body)})
	return err
}

// verifyByHand checks a response token without the protocol package's
// verifier: header, Ed25519 signature with the key its kid names in the
// broker's JWKS, and returns the claims.
func (tb *testBroker) verifyByHand(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	var hdr map[string]any
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return nil, err
	}
	if hdr["typ"] != protocol.ResponseTokenType || hdr["alg"] != protocol.AlgEdDSA {
		return nil, fmt.Errorf("header %v", hdr)
	}
	kid, _ := hdr["kid"].(string)
	key, ok := tb.keys.Key(kid)
	if !ok {
		return nil, fmt.Errorf("kid %q not in the broker's JWKS", kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, err
	}
	if !ed25519.Verify(key.CryptoPublicKey().(ed25519.PublicKey), []byte(parts[0]+"."+parts[1]), sig) {
		return nil, errors.New("bad signature")
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, err
	}
	return claims, nil
}

func decodeSegment(s string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// testKey is a partner's private key, usable both by the SDK (Identity)
// and for tokens crafted by hand.
type testKey struct {
	key    jwk.Key
	kid    string
	alg    string
	signer *protocol.Signer
	ed     ed25519.PrivateKey // for hand-made EdDSA tokens
}

// newTestKey makes a key for alg. RSA keys have 2048 bits (the protocol's
// minimum; quicker to make than GenerateKey's 3072).
func newTestKey(t testing.TB, alg string) *testKey {
	t.Helper()
	var key jwk.Key
	var err error
	switch alg {
	case protocol.AlgPS256, protocol.AlgRS256:
		var raw *rsa.PrivateKey
		if raw, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
		if key, err = jwk.Import(raw); err != nil {
			t.Fatal(err)
		}
		sa, _ := jwa.LookupSignatureAlgorithm(alg)
		if err := key.Set(jwk.AlgorithmKey, sa); err != nil {
			t.Fatal(err)
		}
		if err := jwk.AssignKeyID(key); err != nil {
			t.Fatal(err)
		}
	default:
		if key, err = protocol.GenerateKey(alg); err != nil {
			t.Fatal(err)
		}
	}
	k := &testKey{key: key, alg: alg}
	k.kid, _ = key.KeyID()
	if k.signer, err = protocol.NewSigner(key); err != nil {
		t.Fatal(err)
	}
	if alg == protocol.AlgEdDSA || alg == "" {
		k.alg = protocol.AlgEdDSA
		if err := jwk.Export(key, &k.ed); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// jwks returns the public JWKS of keys.
func jwksOf(t testing.TB, keys ...*testKey) json.RawMessage {
	t.Helper()
	var ks []jwk.Key
	for _, k := range keys {
		ks = append(ks, k.key)
	}
	set, err := protocol.PublicSet(ks...)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// identity returns an SDK identity with this key.
func (k *testKey) identity(t testing.TB, partner, sub string, role broker.Role) *connectors.Identity {
	t.Helper()
	priv, err := json.Marshal(k.key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(map[string]any{"partner": partner, "sub": sub, "role": role, "key": json.RawMessage(priv)})
	if err != nil {
		t.Fatal(err)
	}
	id, err := connectors.ParseIdentity(raw)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// claims returns valid request claims of partner for a request, as a map
// that a test may change before signing it by hand.
func claimsFor(partner, role, method, uri string, body []byte) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{"iss": partner, "sub": "tester", "aud": testBrokerID, "iat": now, "exp": now + 60,
		"jti": protocol.NewJTI(), "htm": method, "htu": uri, "role": role}
	if len(body) > 0 {
		c["bsh"] = protocol.BodyHash(body)
	}
	return c
}

// header returns the protected header this key signs with.
func (k *testKey) header() map[string]any {
	return map[string]any{"alg": k.alg, "typ": protocol.RequestTokenType, "kid": k.kid}
}

// craft signs header and claims by hand with the key's Ed25519 private
// key, so that a test can make tokens the Signer refuses to make.
func (k *testKey) craft(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return k.craftPayload(t, header, payload)
}

// craftPayload signs header and a raw payload by hand.
func (k *testKey) craftPayload(t testing.TB, header map[string]any, payload []byte) string {
	t.Helper()
	if k.ed == nil {
		t.Fatal("craft needs an EdDSA key")
	}
	input := segment(t, header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(k.ed, []byte(input)))
}

func segment(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// sign makes a valid request token with the protocol's Signer.
func (k *testKey) sign(t testing.TB, partner, role, method, uri string, body []byte) string {
	t.Helper()
	now := time.Now()
	c := protocol.Claims{Issuer: partner, Subject: "tester", Audience: testBrokerID, IssuedAt: now,
		Expiry: now.Add(time.Minute), ID: protocol.NewJTI(), Method: method, URI: uri, Role: role}
	if len(body) > 0 {
		c.BodyHash = protocol.BodyHash(body)
	}
	tok, err := k.signer.SignRequest(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// register registers a partner through the API as the operator.
func (tb *testBroker) register(t testing.TB, id string, sector broker.Sector, roles []broker.Role, keys ...*testKey) broker.Partner {
	t.Helper()
	req := map[string]any{"id": id, "name": "Test partner " + id, "sector": sector, "roles": roles, "level": 2,
		"municipalities": []string{"gem-test"}, "covenant": "2026-1", "jwks": jwksOf(t, keys...)}
	// By the tests' convention, fg-regio is the region's privacy office.
	if id == "fg-regio" {
		req["privacy_office"] = true
	}
	var p broker.Partner
	if err := tb.operator.JSON(context.Background(), http.MethodPost, "/v1/partners", "", req, &p); err != nil {
		t.Fatalf("registering %s: %v", id, err)
	}
	return p
}

// newBSN returns a random valid BSN (it passes the elfproef).
func newBSN(t testing.TB) string { return brokertest.RandomBSN(t) }

// problemOf returns err as a problem, or fails.
func problemOf(t testing.TB, err error) *connectors.ProblemError {
	t.Helper()
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) {
		t.Fatalf("want a problem document, got %v", err)
	}
	return pe
}

// discardLogger drops what it is given.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
