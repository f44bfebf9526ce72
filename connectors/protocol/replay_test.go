package protocol

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type manualClock struct{ t atomic.Int64 }

func (c *manualClock) now() time.Time      { return time.Unix(0, c.t.Load()) }
func (c *manualClock) add(d time.Duration) { c.t.Add(int64(d)) }

func TestMemoryReplayCache(t *testing.T) {
	var clk manualClock
	clk.t.Store(testNow.UnixNano())
	c := NewMemoryReplayCacheClock(clk.now)
	until := testNow.Add(time.Minute)

	if c.CheckAndStore("p", "jti-aaaaaaaaaaaaaaaa", until) {
		t.Fatal("fresh jti seen")
	}
	if !c.CheckAndStore("p", "jti-aaaaaaaaaaaaaaaa", until) {
		t.Fatal("stored jti not seen")
	}
	if c.CheckAndStore("q", "jti-aaaaaaaaaaaaaaaa", until) {
		t.Fatal("jti of another issuer seen")
	}
	if c.CheckAndStore("p", "already-expired-jti", testNow.Add(-time.Second)) || c.CheckAndStore("p", "already-expired-jti", testNow.Add(-time.Second)) {
		t.Fatal("expired entry remembered")
	}
	clk.add(59 * time.Second)
	if !c.CheckAndStore("p", "jti-aaaaaaaaaaaaaaaa", until) {
		t.Fatal("forgotten before until")
	}
	clk.add(time.Second)
	if c.CheckAndStore("p", "jti-aaaaaaaaaaaaaaaa", until.Add(time.Minute)) {
		t.Fatal("remembered after until")
	}
}

// TestMemoryReplayCachePrunes: expired entries go away without a sweep.
func TestMemoryReplayCachePrunes(t *testing.T) {
	var clk manualClock
	clk.t.Store(testNow.UnixNano())
	c := NewMemoryReplayCacheClock(clk.now)
	const n = 20000
	for i := range n {
		c.CheckAndStore("p", fmt.Sprintf("jti-%016d", i), testNow.Add(time.Duration(1+i%300)*time.Second))
	}
	if c.Len() != n {
		t.Fatalf("len %d", c.Len())
	}
	clk.add(301 * time.Second)
	// Each call prunes a bounded batch in its shard; keep inserting.
	for i := range n {
		c.CheckAndStore("p", fmt.Sprintf("new-%016d", i), clk.now().Add(time.Second))
	}
	if got := c.Len(); got > n+n/4 {
		t.Fatalf("expired entries not pruned: %d entries", got)
	}
	clk.add(2 * time.Second)
	for i := range 4 * n {
		c.CheckAndStore("p", fmt.Sprintf("newer-%016d", i), clk.now().Add(-time.Nanosecond)) // expired at once: not stored
	}
	if got := c.Len(); got != 0 {
		t.Fatalf("%d entries left", got)
	}
}

// TestMemoryReplayCacheConcurrent: of many racing presentations of one
// jti exactly one wins. Run with -race.
func TestMemoryReplayCacheConcurrent(t *testing.T) {
	c := NewMemoryReplayCache()
	until := time.Now().Add(time.Minute)
	const workers, jtis = 8, 500
	var wins [jtis]atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jtis {
				if !c.CheckAndStore("p", fmt.Sprintf("jti-%016d", j), until) {
					wins[j].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	for j := range jtis {
		if wins[j].Load() != 1 {
			t.Fatalf("jti %d accepted %d times", j, wins[j].Load())
		}
	}
}

func TestExpiryHeap(t *testing.T) {
	var h expiryHeap
	for _, v := range []int64{5, 3, 9, 1, 7, 3, 8, 2} {
		h.push(replayEntry{until: v})
	}
	prev := int64(-1)
	for len(h) > 0 {
		e := h.pop()
		if e.until < prev {
			t.Fatalf("heap order: %d after %d", e.until, prev)
		}
		prev = e.until
	}
}
