package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker/dataset"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

var (
	soakDuration = flag.Duration("soak.duration", 45*time.Second, "how long TestSoak holds its steady load")
	soakClients  = flag.Int("soak.clients", 16, "concurrent clients of TestSoak")
)

// Bounds of the soak. Growth is judged on the live heap (what the last
// garbage collection kept), since the heap in use breathes up to five
// times that under GOGC 400, which the broker sets as serve does: the live
// heap's peak in the last third of the run may not pass soakHeapGrowth
// times its peak in the first third. The replay cache holds every jti
// until its token expires (plus the clock skew allowed): it grows, by
// design, until one such window has passed. So the soak's tokens live
// soakTokenLifetime and the warm-up lasts a window, after which the cache
// is at its steady size. The heap in use may not pass soakHeapCeiling.
const (
	soakHeapGrowth     = 1.5
	soakHeapCeiling    = 512 << 20
	soakGoroutineSlack = 8
	soakSampleEvery    = 500 * time.Millisecond
	soakTokenLifetime  = 2 * time.Second
	soakWarmUp         = soakTokenLifetime + protocol.MaxClockSkew + time.Second
)

// TestSoak holds a steady load on an in-process broker over real HTTP on
// loopback — the `ketenbrug bench` load: a seeded synthetic region, a
// closed loop of partner identities signing every request, overviews,
// involvement upserts and consents, response signatures checked — for
// -soak.duration after a warm-up of soakWarmUp, and asserts that no
// request failed, that no goroutines were left behind, and that the heap
// did not keep growing.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: a steady load for -soak.duration")
	}
	if *soakDuration <= 0 || *soakDuration > 10*time.Minute {
		t.Fatalf("-soak.duration %s: want (0, 10m]", *soakDuration)
	}
	// The broker sets GOGC as serve does; the tests after this one run
	// with the package's own setting again.
	gc := debug.SetGCPercent(100)
	debug.SetGCPercent(gc)
	t.Cleanup(func() { debug.SetGCPercent(gc) })

	ctx := context.Background()
	say := func(format string, args ...any) { t.Logf("bench: "+format, args...) }
	ds, err := dataset.New(dataset.Config{Seed: 7, Persons: 3000, Municipalities: 4})
	if err != nil {
		t.Fatal(err)
	}
	res := &benchResult{}
	target, err := localTarget(ctx, ds, res, say)
	if err != nil {
		t.Fatalf("starting the broker: %v", err)
	}
	t.Cleanup(func() {
		if err := target.stop(); err != nil {
			t.Errorf("stopping the broker: %v", err)
		}
		if err := os.RemoveAll(target.dir); err != nil {
			t.Error(err)
		}
	})
	target.tokenLifetime = soakTokenLifetime
	cfg := benchConfig{seed: 7, clients: *soakClients, mix: "overview=70,upsert=20,consent=10", verifyEvery: 5}
	mix, err := parseMix(cfg.mix)
	if err != nil {
		t.Fatal(err)
	}

	// Warm up: caches filled (the replay cache too), connection pools and
	// worker goroutines at their steady size. Then the baseline, once the
	// warm-up's connections are closed.
	warm := cfg
	warm.duration = soakWarmUp
	if err := runLoad(ctx, target, warm, mix, &benchResult{}, say); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	before := settledGoroutines(0, 0)

	// The soak, with the heap sampled throughout.
	var (
		mu            sync.Mutex
		samples, live []uint64
	)
	liveHeap := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	sampleCtx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tk := time.NewTicker(soakSampleEvery)
		defer tk.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			metrics.Read(liveHeap)
			mu.Lock()
			samples = append(samples, ms.HeapInuse)
			live = append(live, liveHeap[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-sampleCtx.Done():
				return
			case <-tk.C:
			}
		}
	}()
	load := cfg
	load.duration = *soakDuration
	err = runLoad(ctx, target, load, mix, res, say)
	stopSampling()
	<-sampled
	if err != nil {
		t.Fatalf("soak: %v", err)
	}
	after := settledGoroutines(before, soakGoroutineSlack)

	// The figures.
	var total, failed int64
	var lines []string
	for _, o := range res.Ops {
		total += o.count
		failed += o.errors
		lines = append(lines, fmt.Sprintf("%s %d (%.0f/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, statuses %v)",
			o.name, o.count, o.rps, o.p50, o.p99, o.pmax, o.byStatus))
	}
	third := max(len(live)/3, 1)
	first, last := slices.Max(live[:third]), slices.Max(live[len(live)-third:])
	t.Logf("soak: %d clients for %s: %d requests, %.0f/s; %s", cfg.clients, res.Elapsed.Round(time.Millisecond), total,
		float64(total)/res.Elapsed.Seconds(), strings.Join(lines, "; "))
	t.Logf("soak: heap in use (MiB, every %s): %s", soakSampleEvery, mibs(samples))
	t.Logf("soak: live heap (MiB): %s", mibs(live))
	t.Logf("soak: live heap peak first third %.1f MiB, last third %.1f MiB (ratio %.2f); heap in use peak %.1f MiB; goroutines %d after warm-up, %d after the soak",
		mib(first), mib(last), float64(last)/float64(first), mib(slices.Max(samples)), before, after)

	// The assertions.
	if least := int64(20 * soakDuration.Seconds()); total < least {
		t.Errorf("only %d requests in %s (want at least %d): the soak proved nothing", total, res.Elapsed, least)
	}
	for i, o := range res.Ops {
		if mix[i] > 0 && o.count < 10 {
			t.Errorf("only %d %s requests", o.count, o.name)
		}
	}
	if failed > 0 || res.BadSigs > 0 {
		t.Errorf("%d requests failed, %d response signatures did not verify", failed, res.BadSigs)
	}
	if len(samples) < 6 {
		t.Errorf("only %d heap samples", len(samples))
	} else if float64(last) > soakHeapGrowth*float64(first) {
		t.Errorf("live heap grew: peak %.1f MiB in the last third against %.1f MiB in the first (more than %.1f×)",
			mib(last), mib(first), soakHeapGrowth)
	}
	if peak := slices.Max(samples); peak > soakHeapCeiling {
		t.Errorf("heap in use reached %.1f MiB (ceiling %d MiB)", mib(peak), soakHeapCeiling>>20)
	}
	if after > before+soakGoroutineSlack {
		t.Errorf("goroutines grew from %d to %d", before, after)
	}
}

// settledGoroutines returns the number of goroutines once closing
// connections have wound down: it waits (at most 5 s) until the count is
// at most want+slack, or no longer falls.
func settledGoroutines(want, slack int) int {
	deadline := time.Now().Add(5 * time.Second)
	n := runtime.NumGoroutine()
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		m := runtime.NumGoroutine()
		if want > 0 && m <= want+slack || want == 0 && m == n {
			return m
		}
		n = m
	}
	return n
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func mibs(samples []uint64) string {
	var b strings.Builder
	for i, s := range samples {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.0f", mib(s))
	}
	return b.String()
}
