package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors"
)

// failoverRounds bounds TestFailoverTwoBrokers: each round kills broker 1
// under load and starts it again, which costs a broker start-up.
const failoverRounds = 3

// failoverTransport is the load balancer in front of two brokers, as the
// harness's clients see it: requests alternate between the brokers; a
// broker that gave a transport error or a 503 is passed over for a while,
// so that the SDK's retry of the same idempotent request (a fresh token
// each attempt: the replay cache is shared, a token is never sent twice)
// goes to the other one. pin, when 0 or 1, sends everything to that
// broker (set-up and reads through the survivor).
type failoverTransport struct {
	hosts [2]string
	base  http.RoundTripper
	next  atomic.Uint64
	pin   atomic.Int32
	down  [2]atomic.Int64 // unix nanoseconds until which a broker is passed over
	// failed counts requests that failed at a broker (and were then
	// retried at the other, where the SDK retries).
	failed [2]atomic.Int64
	// unavailable counts the 503s among them (the rest are transport
	// errors).
	unavailable [2]atomic.Int64
}

func newFailoverTransport(a, b string) *failoverTransport {
	f := &failoverTransport{hosts: [2]string{a, b}, base: http.DefaultTransport.(*http.Transport).Clone()}
	f.pin.Store(-1)
	return f
}

func (f *failoverTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	i := int(f.next.Add(1) % 2)
	now := time.Now().UnixNano()
	if p := f.pin.Load(); p >= 0 {
		i = int(p)
	} else if f.down[i].Load() > now && f.down[1-i].Load() <= now {
		i = 1 - i
	}
	r2 := r.Clone(r.Context())
	r2.URL.Host, r2.Host = f.hosts[i], f.hosts[i]
	resp, err := f.base.RoundTrip(r2)
	// A request its client gave up on (the writers stop at a round's
	// end) says nothing about the broker.
	if (err != nil && r.Context().Err() == nil) || (err == nil && resp.StatusCode == http.StatusServiceUnavailable) {
		f.failed[i].Add(1)
		if err == nil {
			f.unavailable[i].Add(1)
		}
		f.down[i].Store(time.Now().Add(300 * time.Millisecond).UnixNano())
	}
	return resp, err
}

// TestFailoverTwoBrokers (issue 20): two `ketenbrug serve` processes on
// one PostgreSQL database, with the same broker key and pseudonym secret,
// behind a client-side load balancer. The crash harness's writers send to
// both; mid-load broker 1 is SIGKILLed, the clients retry idempotent
// requests at broker 2, and after each kill, read through broker 2 alone
// while broker 1 is down: every acknowledged write is there, nothing
// unacknowledged is half there, the audit chain verifies, and no inbox
// item is there twice (a retried request that had been committed at the
// dead broker must not signal again). Broker 1 is then started again and
// takes load in the next round.
func TestFailoverTwoBrokers(t *testing.T) {
	if testing.Short() {
		t.Skip("failover harness: builds and kills the broker binary")
	}
	store := testPostgresURL(t)
	// init and serve both take it from the environment.
	t.Setenv("KETENBRUG_STORE", store)
	started := time.Now()
	bin := buildBroker(t)
	// A short refresh: a partner the set-up registers at broker 1 is
	// known at broker 2 soon after (the default is 2 s).
	args := []string{"--store-refresh", "100ms"}
	dir1 := filepath.Join(t.TempDir(), "data")
	b1 := &childBroker{t: t, bin: bin, dir: dir1, id: "kb-failover", args: args}
	b1.init()
	// Broker 2 is not init'ed (the region exists in the database): its
	// data directory holds the region's key and secret only.
	dir2 := t.TempDir()
	copySecrets(t, dir1, dir2)
	b2 := &childBroker{t: t, bin: bin, dir: dir2, id: "kb-failover", args: args, addr: freeLoopbackAddr(t)}
	t.Cleanup(func() {
		if b2.cmd != nil {
			_ = b2.cmd.Process.Kill()
			<-b2.exited
		}
	})
	lb := newFailoverTransport(b1.addr, b2.addr)
	// Every client the harness makes sends through lb and retries an
	// idempotent request on a transport error or 5xx: the retry goes to
	// the other broker. Non-idempotent POSTs (consents, assignments) are
	// not retried: a write is acknowledged or it is not.
	b1.clientCfg = func(c *connectors.Config) {
		c.HTTPClient = &http.Client{Transport: lb, Timeout: 20 * time.Second}
		c.MaxRetries, c.Backoff = 6, 20*time.Millisecond
	}
	b1.start()
	b2.start()
	// Set-up at broker 1, then wait until broker 2 knows every partner
	// (its refresh): load before that would be refused there as unknown.
	lb.pin.Store(0)
	parties := b1.setupParties()
	lb.pin.Store(1)
	clients := append([]*connectors.Client{parties.conn, parties.pro, parties.fg, parties.op,
		parties.collab.coord, parties.collab.debt}, parties.collab.syncers...)
	for _, c := range clients {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if c.JSON(context.Background(), http.MethodGet, "/v1/whoami", "", nil, nil) == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("broker 2 does not know %s after 5s\n%s", c.Identity().Partner, b2.out.String())
			}
		}
	}
	lb.pin.Store(-1)

	ledger := newCrashLedger()
	checked, ackedAfterKill := 0, 0
	for round := range failoverRounds {
		ctx, cancel := context.WithCancel(context.Background())
		wg := startWriters(ctx, parties, ledger, round, false)
		// No plan writers: a plan edit is a PUT with If-Match, which the
		// SDK retries; a retry at broker 2 of an edit broker 1 committed
		// before it died is rightly answered 412, which the harness would
		// read as a refusal. Crash safety of plans is TestCrashSafety's.
		time.Sleep(time.Duration(300+rand.IntN(500)) * time.Millisecond)
		b1.kill()
		before := ackedInvolvements(ledger)
		// Load goes on at broker 2 alone: requests in flight at broker 1
		// when it died are retried there, and new ones go there.
		time.Sleep(700 * time.Millisecond)
		cancel()
		wg.Wait()
		ackedAfterKill += ackedInvolvements(ledger) - before
		// Read everything back through the survivor while broker 1 is down.
		lb.pin.Store(1)
		checked = verifyLedger(t, parties, ledger, round)
		checkNoDuplicateInbox(t, round, map[string]*connectors.Client{"connector": parties.conn, "cjg": parties.pro,
			"debt": parties.collab.debt, "coordinator": parties.collab.coord})
		if t.Failed() {
			t.FailNow()
		}
		b1.start()
		lb.pin.Store(-1)
	}
	b1.stop()
	b2.stop()
	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	t.Logf("%d rounds of SIGKILL to broker 1 under load on two brokers in %s: %d acknowledged writes checked in the last round "+
		"through broker 2; %d of %d involvement upserts and %d of %d consents acknowledged, %d involvements after the kills; "+
		"requests failed at broker 1: %d (%d of them 503), at broker 2: %d (%d of them 503)",
		failoverRounds, time.Since(started).Round(time.Millisecond), checked, countTrue(ledger.invAcked), len(ledger.invSent),
		countTrue(ledger.conAcked), len(ledger.conSent), ackedAfterKill, lb.failed[0].Load(), lb.unavailable[0].Load(),
		lb.failed[1].Load(), lb.unavailable[1].Load())
	if lb.failed[0].Load() == 0 {
		t.Error("no request failed at broker 1: the kills tested no failover")
	}
	if ackedAfterKill == 0 {
		t.Error("no write was acknowledged after a kill: broker 2 did not take over")
	}
}

func ackedInvolvements(l *crashLedger) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return countTrue(l.invAcked)
}

// checkNoDuplicateInbox reads each partner's whole inbox and fails on two
// items that say the same thing (all but their id, sequence number and
// time): a request retried at the other broker after the first broker
// committed it must not signal twice.
func checkNoDuplicateInbox(t *testing.T, round int, clients map[string]*connectors.Client) {
	t.Helper()
	for name, c := range clients {
		seen := map[string]string{}
		after := ""
		for {
			path := "/v1/inbox?limit=500"
			if after != "" {
				path += "&after=" + url.QueryEscape(after)
			}
			var page struct {
				Items []map[string]any `json:"items"`
				Next  string           `json:"next"`
			}
			if err := c.JSON(context.Background(), http.MethodGet, path, "", nil, &page); err != nil {
				t.Fatalf("round %d: the %s's inbox: %v", round, name, err)
			}
			for _, it := range page.Items {
				id, _ := it["id"].(string)
				for _, k := range []string{"id", "created", "acked"} {
					delete(it, k)
				}
				key, _ := json.Marshal(it)
				if first, dup := seen[string(key)]; dup {
					t.Errorf("round %d: the %s's inbox holds %s and %s, the same signal twice: %s", round, name, first, id, key)
				}
				seen[string(key)] = id
			}
			if page.Next == "" || len(page.Items) < 500 {
				break
			}
			after = page.Next
		}
	}
}

// freeLoopbackAddr picks a free loopback port, as childBroker.init does
// for a broker it initialises.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
