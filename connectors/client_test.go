package connectors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// newClient makes an identity for partner "kredietbank", a fake broker that
// knows it, and a client with quick retries.
func newClient(t *testing.T, cfg connectors.Config) (*connectors.Client, *fakeBroker) {
	t.Helper()
	id, jwks, err := connectors.NewIdentity("kredietbank", "connector", "connector", "")
	if err != nil {
		t.Fatal(err)
	}
	b := newFakeBroker(t, "kredietbank", jwks)
	cfg.Server, cfg.Identity = b.URL, id
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	c, err := connectors.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, b
}

func TestClientSignsAndVerifies(t *testing.T) {
	c, b := newClient(t, connectors.Config{})
	ctx := context.Background()
	var me map[string]string
	if err := c.JSON(ctx, http.MethodGet, "/v1/whoami?x=a%20b&y=1", "", nil, &me); err != nil {
		t.Fatal(err)
	}
	if me["partner"] != "kredietbank" || me["role"] != "connector" || c.BrokerID() != b.id {
		t.Errorf("whoami %v at %q", me, c.BrokerID())
	}
	b.handle = func(w http.ResponseWriter, r *http.Request, cl *protocol.Claims, _ int) {
		if cl.Purpose != "integrale-ondersteuning" || cl.BodyHash == "" || r.Header.Get("Content-Type") != "application/json" {
			b.problem(w, cl, http.StatusBadRequest, "unexpected")
			return
		}
		b.problem(w, cl, http.StatusForbidden, "denied")
	}
	err := c.JSON(ctx, http.MethodPost, "/v1/persons/involvements", "integrale-ondersteuning", map[string]string{"bsn": "x"}, nil)
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusForbidden || pe.Code != "denied" || pe.RequestID != "r-test" {
		t.Fatalf("want the problem, got %v", err)
	}
	// Every attempt has its own token.
	seen := map[string]bool{}
	for _, tok := range b.tokens {
		_, jti := protocol.PeekRequest(tok)
		if seen[jti] {
			t.Errorf("jti %s used twice", jti)
		}
		seen[jti] = true
	}
}

func TestClientRefusesUnverifiedResponses(t *testing.T) {
	c, b := newClient(t, connectors.Config{MaxRetries: -1})
	ctx := context.Background()
	cases := map[string]func(w http.ResponseWriter, r *http.Request, cl *protocol.Claims){
		"no signature": func(w http.ResponseWriter, _ *http.Request, _ *protocol.Claims) {
			w.Write([]byte(`{"partner":"kredietbank"}`))
		},
		"body changed after signing": func(w http.ResponseWriter, _ *http.Request, cl *protocol.Claims) {
			rec := &recorder{header: http.Header{}}
			b.reply(rec, cl, http.StatusOK, map[string]string{"partner": "kredietbank"})
			w.Header().Set(protocol.SignatureHeader, rec.header.Get(protocol.SignatureHeader))
			w.Write(bytes.Replace(rec.body.Bytes(), []byte("kredietbank"), []byte("someone-else"), 1))
		},
		"status changed after signing": func(w http.ResponseWriter, _ *http.Request, cl *protocol.Claims) {
			rec := &recorder{header: http.Header{}}
			b.reply(rec, cl, http.StatusForbidden, map[string]string{"code": "forbidden"})
			w.Header().Set(protocol.SignatureHeader, rec.header.Get(protocol.SignatureHeader))
			w.Write(rec.body.Bytes())
		},
		"signed for another request": func(w http.ResponseWriter, _ *http.Request, cl *protocol.Claims) {
			other := *cl
			other.ID = protocol.NewJTI()
			b.reply(w, &other, http.StatusOK, map[string]string{"partner": "kredietbank"})
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			b.handle = func(w http.ResponseWriter, r *http.Request, cl *protocol.Claims, _ int) { h(w, r, cl) }
			err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil)
			if !errors.Is(err, connectors.ErrUnverifiedResponse) {
				t.Errorf("want ErrUnverifiedResponse, got %v", err)
			}
		})
	}
}

// recorder is a minimal ResponseWriter.
type recorder struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

func TestClientFollowsBrokerKeyRotation(t *testing.T) {
	c, b := newClient(t, connectors.Config{})
	ctx := context.Background()
	if err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	b.rotate(t) // signs with a key the client has not seen yet
	if err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil); err != nil {
		t.Fatalf("after the broker's key rotation: %v", err)
	}
	if n := b.calls(protocol.JWKSPath); n != 2 {
		t.Errorf("the JWKS was fetched %d times, want 2", n)
	}
}

func TestClientRetries(t *testing.T) {
	ctx := context.Background()
	// unavailable answers 503 (signed, as the broker does) the first n
	// times, then 200.
	unavailable := func(b *fakeBroker, n int) {
		b.handle = func(w http.ResponseWriter, _ *http.Request, cl *protocol.Claims, attempt int) {
			if attempt <= n {
				b.problem(w, cl, http.StatusServiceUnavailable, "unavailable")
				return
			}
			b.reply(w, cl, http.StatusOK, map[string]int{"attempt": attempt})
		}
	}

	t.Run("GET is retried on 503", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		unavailable(b, 2)
		var out map[string]int
		if err := c.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, &out); err != nil {
			t.Fatal(err)
		}
		if out["attempt"] != 3 || b.calls("/v1/inbox") != 3 {
			t.Errorf("answered at attempt %d after %d calls, want 3", out["attempt"], b.calls("/v1/inbox"))
		}
	})
	t.Run("PUT is retried on 503", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		unavailable(b, 1)
		if err := c.JSON(ctx, http.MethodPut, "/v1/involvements/ref-1", "", map[string]string{"service": "x"}, nil); err != nil {
			t.Fatal(err)
		}
		if b.calls("/v1/involvements/ref-1") != 2 {
			t.Errorf("%d calls", b.calls("/v1/involvements/ref-1"))
		}
	})
	t.Run("GET gives up after MaxRetries", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{MaxRetries: 2})
		unavailable(b, 100)
		err := c.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, nil)
		var pe *connectors.ProblemError
		if !errors.As(err, &pe) || pe.Status != http.StatusServiceUnavailable {
			t.Fatalf("want the 503 problem, got %v", err)
		}
		if b.calls("/v1/inbox") != 3 {
			t.Errorf("%d calls, want 3", b.calls("/v1/inbox"))
		}
	})
	t.Run("POST is not retried", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		unavailable(b, 1)
		err := c.JSON(ctx, http.MethodPost, "/v1/consents", "", map[string]string{"bsn": "x"}, nil)
		var pe *connectors.ProblemError
		if !errors.As(err, &pe) || pe.Status != http.StatusServiceUnavailable {
			t.Fatalf("want the 503 problem, got %v", err)
		}
		if b.calls("/v1/consents") != 1 {
			t.Errorf("a POST was sent %d times", b.calls("/v1/consents"))
		}
	})
	t.Run("idempotent POST is retried", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		unavailable(b, 1)
		if _, err := c.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/consents/search", Body: []byte(`{}`), Idempotent: true}); err != nil {
			t.Fatal(err)
		}
		if b.calls("/v1/consents/search") != 2 {
			t.Errorf("%d calls", b.calls("/v1/consents/search"))
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		b.handle = func(w http.ResponseWriter, _ *http.Request, cl *protocol.Claims, _ int) {
			b.problem(w, cl, http.StatusNotFound, "not_found")
		}
		if err := c.JSON(ctx, http.MethodGet, "/v1/partners/x", "", nil, nil); err == nil {
			t.Fatal("no error")
		}
		if b.calls("/v1/partners/x") != 1 {
			t.Errorf("%d calls", b.calls("/v1/partners/x"))
		}
	})
	t.Run("429 waits for Retry-After", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		b.handle = func(w http.ResponseWriter, _ *http.Request, cl *protocol.Claims, attempt int) {
			if attempt == 1 {
				w.Header().Set("Retry-After", "1")
				b.problem(w, cl, http.StatusTooManyRequests, "too_many_requests")
				return
			}
			b.reply(w, cl, http.StatusOK, map[string]int{})
		}
		start := time.Now()
		if err := c.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, nil); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("retried after %v, before Retry-After", d)
		}
	})
	t.Run("ctx deadline is honoured", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{Backoff: 10 * time.Second, MaxRetries: 5})
		unavailable(b, 100)
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := c.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("want context.DeadlineExceeded, got %v", err)
		}
		var pe *connectors.ProblemError
		if !errors.As(err, &pe) || pe.Status != http.StatusServiceUnavailable {
			t.Errorf("the last answer is lost: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v", d)
		}
	})
	t.Run("ctx deadline during a slow answer", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		b.handle = func(w http.ResponseWriter, r *http.Request, cl *protocol.Claims, _ int) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			b.reply(w, cl, http.StatusOK, map[string]int{})
		}
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := c.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("want context.DeadlineExceeded, got %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("returned after %v", d)
		}
		if n := b.calls("/v1/inbox"); n != 1 {
			t.Errorf("%d calls after the deadline", n)
		}
	})
	t.Run("unsigned 503 from a proxy is retried", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		b.unsigned = func(w http.ResponseWriter, _ *http.Request, attempt int) bool {
			if attempt > 1 {
				return false
			}
			http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
			return true
		}
		if err := c.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, nil); err != nil {
			t.Fatal(err)
		}
		if b.calls("/v1/inbox") != 2 {
			t.Errorf("%d calls", b.calls("/v1/inbox"))
		}
	})
	t.Run("unsigned 503 stays unverified", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{MaxRetries: 1})
		b.unsigned = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
			http.Error(w, "503 Service Unavailable", http.StatusServiceUnavailable)
			return true
		}
		err := c.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, nil)
		if !errors.Is(err, connectors.ErrUnverifiedResponse) {
			t.Errorf("want ErrUnverifiedResponse, got %v", err)
		}
		if b.calls("/v1/inbox") != 2 {
			t.Errorf("%d calls", b.calls("/v1/inbox"))
		}
	})
	t.Run("discovery is retried", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		b.configFails = 1
		if err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil); err != nil {
			t.Fatal(err)
		}
		if n := b.calls(protocol.ConfigurationPath); n != 2 {
			t.Errorf("discovery asked %d times", n)
		}
	})
}

func TestIdentityFiles(t *testing.T) {
	id, jwks, err := connectors.NewIdentity("kredietbank", "connector", "connector", protocol.AlgES256)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks %s: %v", jwks, err)
	}
	if _, private := set.Keys[0]["d"]; private || set.Keys[0]["alg"] != protocol.AlgES256 || set.Keys[0]["kid"] != id.Signer().KeyID() {
		t.Errorf("public JWKS %v", set.Keys[0])
	}
	pub, err := id.PublicJWKS()
	if err != nil || !bytes.Equal(pub, jwks) {
		t.Errorf("PublicJWKS differs: %v", err)
	}

	path := filepath.Join(t.TempDir(), "id.json")
	if err := id.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v: %v", fi.Mode().Perm(), err)
	}
	if err := id.WriteFile(path); err == nil {
		t.Error("WriteFile overwrote an identity")
	}
	back, err := connectors.LoadIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Partner != "kredietbank" || back.Signer().KeyID() != id.Signer().KeyID() {
		t.Errorf("loaded %+v", back)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := connectors.LoadIdentity(path); err == nil {
		t.Error("loaded an identity file others can read")
	}
	for _, raw := range []string{`{}`, `{"partner":"p","sub":"s","role":"connector"}`, `not json`,
		`{"partner":"p","sub":"s","role":"connector","key":` + string(jwks) + `}`} {
		if _, err := connectors.ParseIdentity([]byte(raw)); err == nil {
			t.Errorf("ParseIdentity accepted %.60s", raw)
		}
	}
	if _, _, err := connectors.NewIdentity("", "s", "connector", ""); err == nil {
		t.Error("an identity without partner")
	}
	if _, _, err := connectors.NewIdentity("p", "s", "connector", "HS256"); err == nil {
		t.Error("an HS256 identity")
	}
}

func TestConfigValidate(t *testing.T) {
	id, _, err := connectors.NewIdentity("p", "s", "connector", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, server := range []string{"", "broker.example", "ftp://broker.example", "http://"} {
		if _, err := connectors.New(connectors.Config{Server: server, Identity: id}); err == nil {
			t.Errorf("server %q accepted", server)
		}
	}
	if _, err := connectors.New(connectors.Config{Server: "https://broker.example"}); err == nil {
		t.Error("a client without identity")
	}
	if _, err := connectors.New(connectors.Config{Server: "https://broker.example/", Identity: id}); err != nil {
		t.Error(err)
	}
}

func TestProblemError(t *testing.T) {
	pe := &connectors.ProblemError{Status: 403, Code: "denied", Detail: "the policy refused this request",
		Reasons: []string{"no_consent"}, RequestID: "r-1"}
	want := "403 denied: the policy refused this request (reasons: no_consent) [request r-1]"
	if pe.Error() != want {
		t.Errorf("%q", pe.Error())
	}
}
