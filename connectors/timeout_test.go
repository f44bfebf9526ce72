package connectors_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// The per-request bound (Config.Timeout) is applied per attempt through
// the request's context, not by http.Client.Timeout, so that the requests
// that rightly take long (a full-caseload sync, an inbox long-poll) get
// their own bound. A national partner's sync once never completed: the
// client's 60 s cut it off, the broker's sync was cancelled and the whole
// sync was sent again.

const syncPath = "/v1/involvements/sync"

// slowly answers after d, or when the client gives up, whichever is
// first; answers counts the requests that were answered.
func slowly(b *fakeBroker, d time.Duration, answers *atomic.Int32, reply any) {
	b.handle = func(w http.ResponseWriter, r *http.Request, cl *protocol.Claims, _ int) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(d):
		}
		answers.Add(1)
		b.reply(w, cl, http.StatusOK, reply)
	}
}

func caseload() *bytes.Reader {
	return bytes.NewReader([]byte("{\"ref\":\"a\"}\n{\"ref\":\"b\"}\n"))
}

func TestSyncOutlastsRequestTimeout(t *testing.T) {
	ctx := context.Background()
	c, b := newClient(t, connectors.Config{Timeout: 200 * time.Millisecond})
	var answers atomic.Int32
	slowly(b, 600*time.Millisecond, &answers, wire.SyncResult{Lines: 2, Added: 2})
	res, err := c.SyncWith(ctx, caseload(), wire.SyncOptions{Purpose: "registratie"})
	if err != nil {
		t.Fatalf("a sync answered after longer than Config.Timeout: %v", err)
	}
	if res.Added != 2 || res.Lines != 2 {
		t.Errorf("result %+v", res)
	}
	if n := b.calls(syncPath); n != 1 || answers.Load() != 1 {
		t.Errorf("the sync was sent %d times and answered %d times, want once", n, answers.Load())
	}
	// The dry run is as long as the sync itself.
	if _, err := c.Sync(ctx, caseload(), true); err != nil {
		t.Errorf("dry run: %v", err)
	}
}

func TestSyncTimeout(t *testing.T) {
	ctx := context.Background()
	t.Run("bounds each attempt", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{Timeout: time.Minute, SyncTimeout: 200 * time.Millisecond})
		var answers atomic.Int32
		slowly(b, 10*time.Second, &answers, wire.SyncResult{})
		_, err := c.SyncWith(ctx, caseload(), wire.SyncOptions{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
		// As with any request that ran out of its time: not sent again,
		// the broker may still be applying it.
		if n := b.calls(syncPath); n != 1 {
			t.Errorf("the sync was sent %d times", n)
		}
	})
	t.Run("the caller's shorter deadline wins", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{})
		var answers atomic.Int32
		slowly(b, 10*time.Second, &answers, wire.SyncResult{})
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if _, err := c.SyncWith(ctx, caseload(), wire.SyncOptions{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want context.DeadlineExceeded, got %v", err)
		}
	})
	t.Run("an HTTPClient's own Timeout still applies", func(t *testing.T) {
		c, b := newClient(t, connectors.Config{HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
		var answers atomic.Int32
		slowly(b, 10*time.Second, &answers, wire.SyncResult{})
		if _, err := c.SyncWith(ctx, caseload(), wire.SyncOptions{}); err == nil {
			t.Fatal("a sync outlasted the caller's http.Client.Timeout")
		}
	})
}

func TestRequestTimeout(t *testing.T) {
	ctx := context.Background()
	c, b := newClient(t, connectors.Config{Timeout: 200 * time.Millisecond, MaxRetries: 2})
	// The first call takes long; later ones are answered at once.
	b.handle = func(w http.ResponseWriter, r *http.Request, cl *protocol.Claims, attempt int) {
		if attempt == 1 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Second):
			}
		}
		b.reply(w, cl, http.StatusOK, map[string]string{})
	}
	err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want context.DeadlineExceeded, got %v", err)
	}
	// The connector daemon tells a broker it cannot reach by *url.Error.
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("not a *url.Error: %v", err)
	}
	if !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("the error does not say which bound ran out: %v", err)
	}
	// A GET is retried on network errors and 5xx, but, as with
	// http.Client.Timeout before, not when it ran out of time.
	if n := b.calls("/v1/whoami"); n != 1 {
		t.Errorf("sent %d times", n)
	}
	// The client still works; a quick answer comes through.
	if err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil); err != nil {
		t.Error(err)
	}
}

func TestInboxLongPollOutlastsRequestTimeout(t *testing.T) {
	ctx := context.Background()
	c, b := newClient(t, connectors.Config{Timeout: 200 * time.Millisecond})
	var answers atomic.Int32
	// The broker holds a long-poll for its wait when no item comes.
	b.handle = func(w http.ResponseWriter, r *http.Request, cl *protocol.Claims, _ int) {
		wait, err := time.ParseDuration(r.URL.Query().Get("wait"))
		if err != nil {
			b.problem(w, cl, http.StatusBadRequest, "validation_failed")
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(wait):
		}
		answers.Add(1)
		b.reply(w, cl, http.StatusOK, wire.InboxPage{Items: []wire.InboxView{}})
	}
	page, err := c.Inbox(ctx, connectors.InboxQuery{Wait: 600 * time.Millisecond})
	if err != nil {
		t.Fatalf("a long-poll longer than Config.Timeout: %v", err)
	}
	if len(page.Items) != 0 || answers.Load() != 1 {
		t.Errorf("page %+v, %d answers", page, answers.Load())
	}
}

func TestDefaultClientsHaveNoOverallTimeout(t *testing.T) {
	id, _, err := connectors.NewIdentity("p", "s", "connector", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := connectors.Config{Server: "https://broker.example", Identity: id}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPClient.Timeout != 0 {
		t.Errorf("the default HTTPClient has a Timeout of %s: it would cut off a long sync", cfg.HTTPClient.Timeout)
	}
	if cfg.Timeout != connectors.DefaultTimeout || cfg.SyncTimeout != connectors.DefaultSyncTimeout {
		t.Errorf("Timeout %s, SyncTimeout %s", cfg.Timeout, cfg.SyncTimeout)
	}
	tr, ok := cfg.HTTPClient.Transport.(*http.Transport)
	if !ok || tr.ResponseHeaderTimeout != 0 || tr.TLSHandshakeTimeout == 0 {
		t.Errorf("default transport %T: want connection timeouts and no ResponseHeaderTimeout", cfg.HTTPClient.Transport)
	}
	hc, err := connectors.TLSFiles{}.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 0 {
		t.Errorf("TLSFiles.HTTPClient has a Timeout of %s", hc.Timeout)
	}
	if tr, ok := hc.Transport.(*http.Transport); !ok || tr.ResponseHeaderTimeout != 0 || tr.TLSHandshakeTimeout == 0 {
		t.Errorf("TLS transport %T: want connection timeouts and no ResponseHeaderTimeout", hc.Transport)
	}
}
