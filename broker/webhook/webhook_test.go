package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/webhook"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// source is an in-memory broker side: pending jobs, delivered ones and
// dead letters.
type source struct {
	mu        sync.Mutex
	jobs      map[string]broker.WebhookDelivery
	delivered []broker.WebhookDelivery
	dead      []broker.WebhookDelivery
	causes    []string
	bell      chan struct{}
}

func newSource(jobs ...broker.WebhookDelivery) *source {
	s := &source{jobs: map[string]broker.WebhookDelivery{}, bell: make(chan struct{})}
	for _, j := range jobs {
		s.jobs[j.ID] = j
	}
	return s
}

func (s *source) DueWebhookDeliveries(_ context.Context, limit int) ([]broker.WebhookDelivery, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var out []broker.WebhookDelivery
	var next time.Time
	for _, j := range s.jobs {
		if !j.NextAt.After(now) && len(out) < limit {
			out = append(out, j)
			continue
		}
		if next.IsZero() || j.NextAt.Before(next) {
			next = j.NextAt
		}
	}
	return out, next, nil
}

func (s *source) WebhookDelivered(_ context.Context, d broker.WebhookDelivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.jobs, d.ID)
	s.delivered = append(s.delivered, d)
	return nil
}

func (s *source) WebhookFailed(_ context.Context, d broker.WebhookDelivery, cause string, retryAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.Attempts++
	s.causes = append(s.causes, cause)
	if retryAt.IsZero() {
		delete(s.jobs, d.ID)
		s.dead = append(s.dead, d)
		return nil
	}
	d.NextAt = retryAt
	s.jobs[d.ID] = d
	return nil
}

func (s *source) DeliveryBell() <-chan struct{} { return s.bell }

func (s *source) state() (pending, delivered, dead int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs), len(s.delivered), len(s.dead)
}

// brokerKey is the broker's signing key and its public set.
func brokerKey(t *testing.T) (*protocol.Signer, *protocol.KeySet) {
	t.Helper()
	key, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := protocol.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := protocol.PublicSet(key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(pub)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := protocol.ParseKeySet(raw)
	if err != nil {
		t.Fatal(err)
	}
	return signer, ks
}

func job(id, url string) broker.WebhookDelivery {
	body, _ := json.Marshal(broker.InboxView{ID: "7", Kind: broker.InboxAssignment, Created: time.Now().UTC()})
	return broker.WebhookDelivery{Delivery: broker.Delivery{ID: id, Partner: "kredietbank", Seq: 7, Kind: broker.InboxAssignment,
		NextAt: time.Now(), CreatedAt: time.Now()}, URL: url, Body: body}
}

func start(t *testing.T, src *source, signer *protocol.Signer, s webhook.Settings) {
	t.Helper()
	d, err := webhook.New(webhook.Config{Settings: s, Source: src, Signer: signer, BrokerID: "kb-test",
		Poll: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDeliveryIsSignedByTheBroker(t *testing.T) {
	signer, keys := brokerKey(t)
	verifier, err := protocol.NewResponseVerifier(protocol.ResponseVerifierConfig{Broker: "kb-test", Partner: "kredietbank",
		Keys: protocol.StaticKeys{"kb-test": keys}})
	if err != nil {
		t.Fatal(err)
	}
	var verified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := verifier.VerifyResponse(r.Context(), r.Header.Get(protocol.SignatureHeader), protocol.Response{
			RequestID: r.Header.Get(webhook.DeliveryHeader), Status: webhook.SignedStatus, BodyHash: protocol.BodyHash(body)})
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
			r.Header.Get(webhook.AttemptHeader) != "1" {
			t.Errorf("delivery refused: %v (%s %s)", err, r.Method, r.Header)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var item broker.InboxView
		if err := json.Unmarshal(body, &item); err != nil || item.ID != "7" {
			t.Errorf("body %s: %v", body, err)
		}
		verified.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	src := newSource(job("d-1", srv.URL+"/hook"))
	start(t, src, signer, webhook.Settings{Backoff: 10 * time.Millisecond})
	waitFor(t, "the delivery", func() bool { _, n, _ := src.state(); return n == 1 })
	if verified.Load() != 1 {
		t.Errorf("verified %d deliveries", verified.Load())
	}
	// A signature for another body does not verify.
	tampered := job("d-2", srv.URL)
	sig, err := signer.SignResponse(protocol.ResponseClaims{Issuer: "kb-test", Audience: "kredietbank", IssuedAt: time.Now(),
		Request: "d-2", Status: 200, BodyHash: protocol.BodyHash([]byte("other"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.VerifyResponse(context.Background(), sig, protocol.Response{RequestID: "d-2", Status: 200,
		BodyHash: protocol.BodyHash(tampered.Body)}); err == nil {
		t.Error("a signature over another body verified")
	}
}

// A webhook that is down gets the delivery once it is back.
func TestDeliveryRetriesUntilTheWebhookIsBack(t *testing.T) {
	signer, _ := brokerKey(t)
	var calls atomic.Int32
	var up atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get(webhook.AttemptHeader) == "1" {
			t.Errorf("the successful attempt is numbered 1")
		}
	}))
	defer srv.Close()
	src := newSource(job("d-1", srv.URL))
	start(t, src, signer, webhook.Settings{MaxAttempts: 50, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	waitFor(t, "three failed attempts", func() bool { return calls.Load() >= 3 })
	up.Store(true)
	waitFor(t, "the delivery", func() bool { _, n, _ := src.state(); return n == 1 })
	if pending, _, dead := src.state(); pending != 0 || dead != 0 {
		t.Fatalf("pending %d, dead %d", pending, dead)
	}
	if src.delivered[0].Attempts < 3 {
		t.Errorf("delivered after %d failed attempts", src.delivered[0].Attempts)
	}
}

// A webhook that never comes back ends in the dead letters after the last
// attempt; so does one that redirects.
func TestDeliveryGivesUpIntoTheDeadLetters(t *testing.T) {
	signer, _ := brokerKey(t)
	var calls atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer down.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, down.URL, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	src := newSource(job("d-1", down.URL), job("d-2", redirect.URL))
	start(t, src, signer, webhook.Settings{MaxAttempts: 4, Backoff: time.Millisecond})
	waitFor(t, "two dead letters", func() bool { _, _, n := src.state(); return n == 2 })
	if calls.Load() != 4 {
		t.Errorf("the down webhook was called %d times, want 4 (redirects are not followed)", calls.Load())
	}
	for _, d := range src.dead {
		if d.Attempts != 4 {
			t.Errorf("%s: %d attempts", d.ID, d.Attempts)
		}
	}
}

// A URL that can never work is a dead letter at once: no plain http
// beyond loopback, no credentials in the URL.
func TestUnusableWebhookURLs(t *testing.T) {
	signer, _ := brokerKey(t)
	src := newSource(job("d-1", "http://example.org/hook"), job("d-2", "ftp://127.0.0.1/x"),
		job("d-3", "https://user:pw@example.org/"), job("d-4", "not a url"))
	start(t, src, signer, webhook.Settings{MaxAttempts: 5, Backoff: time.Hour})
	waitFor(t, "four dead letters", func() bool { _, _, n := src.state(); return n == 4 })
	for _, d := range src.dead {
		if d.Attempts != 1 {
			t.Errorf("%s: %d attempts", d.ID, d.Attempts)
		}
	}
	for _, c := range src.causes {
		if c == "" {
			t.Error("a dead letter without its cause")
		}
	}
}

// Backoff doubles from Backoff up to MaxBackoff; the bell wakes the
// deliverer for a new job at once.
func TestBackoffAndBell(t *testing.T) {
	signer, _ := brokerKey(t)
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	src := newSource()
	d, err := webhook.New(webhook.Config{Settings: webhook.Settings{MaxAttempts: 5, Backoff: 40 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond}, Source: src, Signer: signer, BrokerID: "kb-test", Poll: time.Hour,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(20 * time.Millisecond) // the deliverer waits on the bell (poll: an hour)
	src.mu.Lock()
	j := job("d-1", srv.URL)
	src.jobs[j.ID] = j
	bell := src.bell
	src.bell = make(chan struct{})
	src.mu.Unlock()
	close(bell)
	waitFor(t, "the dead letter", func() bool { _, _, n := src.state(); return n == 1 })
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 5 {
		t.Fatalf("%d attempts", len(times))
	}
	want := []time.Duration{40, 80, 100, 100}
	for i, w := range want {
		gap := times[i+1].Sub(times[i])
		if gap < w*time.Millisecond || gap > (w+200)*time.Millisecond {
			t.Errorf("gap %d: %s, want about %dms", i+1, gap, w)
		}
	}
}
