package load

import (
	"context"
	"time"

	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
)

// RunOpen runs the measured load as an open loop at rate requests per
// second (all clients together), for Config.Duration: requests are sent on
// a fixed schedule that does not wait for answers, and each latency is
// measured from the request's intended send time, not from when it was
// sent. A closed loop slows down with the server and so never sees the
// queue it would have built (coordinated omission); here a late answer
// delays the client's next sends, and that delay is counted in their
// latencies, as wrk2 does. Each client keeps its own schedule at
// rate/Clients, offset so that the clients' sends interleave evenly.
func (l *Loop) RunOpen(ctx context.Context, rate float64) *Result {
	l.issued.Store(0)
	begin := time.Now()
	l.stopAt.Store(begin.Add(l.c.Duration).UnixNano())
	interval := time.Duration(float64(time.Second) * float64(len(l.clients)) / rate)
	l.all(ctx, func(c *client) {
		offset := interval * time.Duration(c.k) / time.Duration(len(l.clients))
		c.open(ctx, begin.Add(offset), interval)
	})
	return l.result(time.Since(begin))
}

// open sends requests at start, start+interval, … until the run ends.
func (c *client) open(ctx context.Context, start time.Time, interval time.Duration) {
	for n := uint64(0); ctx.Err() == nil; n++ {
		intended := start.Add(time.Duration(n) * interval)
		if intended.UnixNano() >= c.l.stopAt.Load() || !c.l.more() {
			return
		}
		if d := time.Until(intended); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		r := dataset.Uint64(c.l.c.Seed+uint64(c.k)<<32, n)
		op := c.l.c.Mix.pick(r)
		verify := c.l.c.VerifyEvery > 0 && int(n)%c.l.c.VerifyEvery == 0
		status, sigOK, err := c.l.t.Do(ctx, c.l.http, c.request(op, r), verify)
		if err != nil && ctx.Err() != nil {
			return
		}
		c.record(op, time.Since(intended), status, sigOK, err)
	}
}
