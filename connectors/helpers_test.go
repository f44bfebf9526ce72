package connectors_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// fakeBroker speaks the broker's side of the protocol over HTTP: discovery,
// its JWKS, request-token verification and signed responses. What a /v1/
// request is answered with is up to handle. It stands in for a real broker
// (which lives in cmd/ketenbrug and cannot be imported here).
type fakeBroker struct {
	*httptest.Server
	id       string
	mu       sync.Mutex
	signer   *protocol.Signer
	keys     []jwk.Key // published
	verifier *protocol.Verifier
	// handle answers a verified request; attempt counts calls to the path.
	handle func(w http.ResponseWriter, r *http.Request, c *protocol.Claims, attempt int)
	// unsigned answers a /v1/ request without a signature, as a proxy in
	// front of the broker would, while it returns true.
	unsigned func(w http.ResponseWriter, r *http.Request, attempt int) bool
	// configFails makes the discovery document fail this many times.
	configFails int
	attempts    map[string]int
	tokens      []string
}

// newFakeBroker starts a broker that knows the partner with this public
// JWKS under its partner id.
func newFakeBroker(t testing.TB, partner string, partnerJWKS []byte) *fakeBroker {
	t.Helper()
	ks, err := protocol.ParseKeySet(partnerJWKS)
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBroker{id: "kb-fake", attempts: map[string]int{}}
	b.rotate(t)
	if b.verifier, err = protocol.NewVerifier(protocol.VerifierConfig{Audience: b.id,
		Keys: protocol.StaticKeys{partner: ks}, Replay: protocol.NewMemoryReplayCache(),
		NotBefore: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	b.handle = func(w http.ResponseWriter, _ *http.Request, c *protocol.Claims, _ int) {
		b.reply(w, c, http.StatusOK, map[string]string{"partner": c.Issuer, "sub": c.Subject, "role": c.Role})
	}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

// rotate gives the broker a new signing key, published next to the old.
func (b *fakeBroker) rotate(t testing.TB) {
	t.Helper()
	key, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	s, err := protocol.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.signer, b.keys = s, append(b.keys, key)
	b.mu.Unlock()
}

func (b *fakeBroker) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.attempts[r.URL.Path]++
	attempt := b.attempts[r.URL.Path]
	b.mu.Unlock()
	switch r.URL.Path {
	case protocol.ConfigurationPath:
		b.mu.Lock()
		fail := b.configFails > 0
		if fail {
			b.configFails--
		}
		b.mu.Unlock()
		if fail {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(protocol.NewConfiguration(b.id, protocol.JWKSPath))
		return
	case protocol.JWKSPath:
		b.mu.Lock()
		set, err := protocol.PublicSet(b.keys...)
		b.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(set)
		return
	}
	if b.unsigned != nil && b.unsigned(w, r, attempt) {
		return
	}
	token, err := protocol.BearerToken(r.Header.Get("Authorization"))
	if err != nil {
		b.reply(w, nil, http.StatusUnauthorized, map[string]string{"code": "token_missing_token"})
		return
	}
	b.mu.Lock()
	b.tokens = append(b.tokens, token)
	b.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c, err := b.verifier.Verify(r.Context(), token, protocol.Request{Method: r.Method, URI: r.RequestURI,
		HasBody: len(body) > 0, BodyHash: protocol.BodyHash(body)})
	if err != nil {
		b.reply(w, nil, http.StatusUnauthorized, map[string]string{"code": "token_" + protocol.Reason(err)})
		return
	}
	b.handle(w, r, c, attempt)
}

// reply writes v as JSON (a problem document from 400 on) with a
// Ketenbrug-Signature for the request of c (nil: unauthenticated).
func (b *fakeBroker) reply(w http.ResponseWriter, c *protocol.Claims, status int, v any) {
	body, _ := json.Marshal(v)
	rc := protocol.ResponseClaims{Issuer: b.id, IssuedAt: time.Now(), Status: status, BodyHash: protocol.BodyHash(body)}
	if c != nil {
		rc.Audience, rc.Request = c.Issuer, c.ID
	}
	b.mu.Lock()
	sig, err := b.signer.SignResponse(rc)
	b.mu.Unlock()
	if err != nil {
		panic(err)
	}
	w.Header().Set(protocol.SignatureHeader, sig)
	if status >= 400 {
		w.Header().Set("Content-Type", "application/problem+json")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// problem answers with a problem document.
func (b *fakeBroker) problem(w http.ResponseWriter, c *protocol.Claims, status int, code string) {
	b.reply(w, c, status, map[string]any{"type": "urn:ketenbrug:problem:" + code, "title": http.StatusText(status),
		"status": status, "code": code, "detail": "test", "request_id": "r-test"})
}

// calls returns how often path was asked for.
func (b *fakeBroker) calls(path string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts[path]
}
