package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/httpapi"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// limitedPartner registers partner id (a connector of gem-c) and returns a
// client that never retries, so that a 429 reaches the test.
func limitedPartner(t *testing.T, tb *testBroker, id string) (*connectors.Client, *connectors.Identity) {
	t.Helper()
	k := newTestKey(t, protocol.AlgEdDSA)
	req := map[string]any{"id": id, "name": "Partner " + id, "sector": broker.SectorDebt, "roles": []broker.Role{broker.RoleConnector},
		"level": 2, "municipalities": []string{"gem-c"}, "covenant": "2026-1", "jwks": jwksOf(t, k)}
	if err := tb.operator.JSON(context.Background(), http.MethodPost, "/v1/partners", "", req, nil); err != nil {
		t.Fatalf("registering %s: %v", id, err)
	}
	ident := k.identity(t, id, "connector", broker.RoleConnector)
	c, err := connectors.New(connectors.Config{Server: tb.url, Identity: ident, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c, ident
}

func TestPartnerRateLimit(t *testing.T) {
	tb := newTestBrokerWith(t, func(c *SystemConfig) {
		c.Limits = httpapi.Limits{PartnerRate: 0.01, PartnerBurst: 20} // no refill during the test
	})
	a, _ := limitedPartner(t, tb, "busy")
	b, _ := limitedPartner(t, tb, "quiet")
	ctx := context.Background()
	for i := range 20 {
		if err := a.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil); err != nil {
			t.Fatalf("request %d within the burst: %v", i+1, err)
		}
	}
	err := a.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil)
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusTooManyRequests || pe.Code != "rate_limited" || pe.RetryAfter < time.Second {
		t.Fatalf("past the burst: %v (retry after %v), want 429 rate_limited with Retry-After", err, pe.RetryAfter)
	}
	// Another partner has its own bucket.
	if err := b.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil); err != nil {
		t.Fatalf("another partner: %v", err)
	}
	// The refusal is counted.
	_, body := tb.get(t, "/metrics")
	if !strings.Contains(string(body), `ketenbrug_limited_total{limit="rate"} 1`) {
		t.Errorf("metrics lack the refusal:\n%s", grepLines(string(body), "limited"))
	}
}

func TestLongPollsPerPartnerBounded(t *testing.T) {
	tb := newTestBrokerWith(t, func(c *SystemConfig) { c.Limits = httpapi.Limits{LongPolls: 2} })
	a, _ := limitedPartner(t, tb, "poller")
	b, _ := limitedPartner(t, tb, "other")
	ctx := context.Background()
	// Two long-polls held open until the test lets them go.
	held, release := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A probe may take the slot for a moment: try again.
			for {
				err := a.JSON(held, http.MethodGet, "/v1/inbox?wait=50s", "", nil, nil)
				var pe *connectors.ProblemError
				if !errors.As(err, &pe) || pe.Status != http.StatusTooManyRequests || held.Err() != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	// Once both are held, a third is refused at once. A probe that gets
	// in (the held ones not there yet) waits only a millisecond.
	probe := func() error { return a.JSON(ctx, http.MethodGet, "/v1/inbox?wait=1ms", "", nil, nil) }
	var pe *connectors.ProblemError
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := probe()
		if errors.As(err, &pe) && pe.Status == http.StatusTooManyRequests {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a third long-poll was never refused (last: %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pe.Code != "rate_limited" || pe.RetryAfter != time.Second {
		t.Errorf("refusal %+v", pe)
	}
	// A read without waiting, and another partner's long-poll, still work.
	if err := a.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, nil); err != nil {
		t.Errorf("a plain inbox read: %v", err)
	}
	if err := b.JSON(ctx, http.MethodGet, "/v1/inbox?wait=1ms", "", nil, nil); err != nil {
		t.Errorf("another partner's long-poll: %v", err)
	}
	// Once the held ones end, long-polls are possible again.
	release()
	wg.Wait()
	deadline = time.Now().Add(20 * time.Second)
	for err := probe(); err != nil; err = probe() {
		if time.Now().After(deadline) {
			t.Fatalf("no long-poll possible after the held ones ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// closedWithin reports whether the server closes conn within d (reading
// until EOF or an error other than our own deadline).
func closedWithin(conn net.Conn, d time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func TestSlowClientsAreCutOff(t *testing.T) {
	tb := newTestBrokerWith(t, func(c *SystemConfig) {
		c.Timeouts = ServerTimeouts{ReadHeader: 300 * time.Millisecond, Read: 600 * time.Millisecond}
	})
	addr := strings.TrimPrefix(tb.url, "http://")
	_, ident := limitedPartner(t, tb, "slow")

	t.Run("headers trickled", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: broker\r\n")
		stop := time.Now().Add(5 * time.Second)
		for time.Now().Before(stop) {
			if _, err := fmt.Fprintf(conn, "X-Slow: %d\r\n", time.Now().UnixNano()); err != nil {
				return // the server hung up: cut off
			}
			time.Sleep(100 * time.Millisecond)
			conn.SetReadDeadline(time.Now().Add(time.Millisecond))
			if _, err := conn.Read(make([]byte, 1)); err != nil {
				var ne net.Error
				if !(errors.As(err, &ne) && ne.Timeout()) {
					return // closed
				}
			}
		}
		t.Fatal("a client trickling its headers held the connection for 5s (read-header timeout 300ms)")
	})

	t.Run("body trickled", func(t *testing.T) {
		body := `{"bsn":"111222333","purpose":"integrale-ondersteuning","all":true,"given_by":"self"}`
		now := time.Now()
		token, err := ident.Signer().SignRequest(protocol.Claims{Issuer: ident.Partner, Subject: ident.Sub, Audience: testBrokerID,
			IssuedAt: now, Expiry: now.Add(time.Minute), ID: protocol.NewJTI(), Method: http.MethodPost, URI: "/v1/consents",
			BodyHash: protocol.BodyHash([]byte(body)), Role: ident.Role, Purpose: "integrale-ondersteuning"})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/consents HTTP/1.1\r\nHost: broker\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			token, len(body))
		done := make(chan *http.Response, 1)
		go func() {
			resp, _ := http.ReadResponse(bufio.NewReader(conn), nil)
			done <- resp
		}()
		for i := 0; i < len(body); i++ {
			select {
			case resp := <-done:
				if resp != nil && resp.StatusCode < 300 {
					t.Fatalf("a trickled body was accepted: %d", resp.StatusCode)
				}
				return // answered with a refusal, or hung up
			default:
			}
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return // the server hung up
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("a body trickled over %s was read to the end (read timeout 600ms)", strconv.Itoa(len(body)/10)+"s")
	})
}

func TestLimitAndTimeoutFlagsValidate(t *testing.T) {
	if l, err := (limitFlags{rate: 0, burst: 5, longPolls: 1}).limits(); err != nil || l.PartnerRate != rate.Inf {
		t.Errorf("rate 0: %+v %v, want unlimited", l, err)
	}
	if _, err := (limitFlags{rate: -1}).limits(); err == nil {
		t.Error("a negative rate was accepted")
	}
	if tt, err := (ServerTimeouts{}).withDefaults(); err != nil || tt.ReadHeader != 10*time.Second || tt.Write != 5*time.Minute {
		t.Errorf("defaults: %+v %v", tt, err)
	}
	for _, bad := range []ServerTimeouts{{Read: -time.Second}, {Write: 30 * time.Second}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
	if _, err := CreateSystem(context.Background(), SystemConfig{DataDir: t.TempDir(), ID: testBrokerID,
		Logger: discardLogger(), Timeouts: ServerTimeouts{Write: time.Second}}); err == nil {
		t.Error("a write timeout shorter than a long-poll did not stop start-up")
	}
}

// A client address that keeps sending refused tokens is answered 429
// before any signature is checked.
func TestRefusedTokensPerAddressLimited(t *testing.T) {
	tb := newTestBrokerWith(t, func(c *SystemConfig) {
		c.Limits = httpapi.Limits{AuthFailureRate: 0.01, AuthFailureBurst: 5} // no refill during the test
	})
	for i := range 5 {
		resp, body := tb.send(t, http.MethodGet, "/v1/whoami", "not-a-token", nil, nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("refused token %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := tb.send(t, http.MethodGet, "/v1/whoami", "not-a-token", nil, nil)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), `"rate_limited"`) || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("past the allowance: %d %s (Retry-After %q), want 429 rate_limited", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	_, metrics := tb.get(t, "/metrics")
	if !strings.Contains(string(metrics), `ketenbrug_limited_total{limit="auth-failures"}`) {
		t.Error("the refusal is not counted")
	}
}
