package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/broker/httpapi"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/load"
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
// loopback — the load tool's loop (cmd/ketenbrug-bench/load), here against
// a broker in this process, so that its heap and goroutines can be
// watched: a seeded synthetic region, a
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
	ds, err := dataset.New(dataset.Config{Seed: 7, Persons: 3000, Municipalities: 4})
	if err != nil {
		t.Fatal(err)
	}
	target := startLoadBroker(t, ctx, ds)
	target.TokenLifetime = soakTokenLifetime
	cfg := load.Config{Seed: 7, Clients: *soakClients, VerifyEvery: 5}
	if cfg.Mix, err = load.ParseMix("overview=70,upsert=20,consent=10"); err != nil {
		t.Fatal(err)
	}

	// Warm up: caches filled (the replay cache too), connection pools and
	// worker goroutines at their steady size. Then the baseline, once the
	// warm-up's connections are closed.
	warm := cfg
	warm.Duration = soakWarmUp
	if _, err := runLoad(ctx, target, warm); err != nil {
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
	soak := cfg
	soak.Duration = *soakDuration
	res, err := runLoad(ctx, target, soak)
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
		total += o.Count
		failed += o.Errors
		lines = append(lines, fmt.Sprintf("%s %d (%.0f/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, statuses %v)",
			o.Name, o.Count, o.RPS, o.P50, o.P99, o.Max, o.ByStatus))
	}
	third := max(len(live)/3, 1)
	first, last := slices.Max(live[:third]), slices.Max(live[len(live)-third:])
	t.Logf("soak: %d clients for %s: %d requests, %.0f/s; %s", cfg.Clients, res.Elapsed.Round(time.Millisecond), total,
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
		if cfg.Mix[i] > 0 && o.Count < 10 {
			t.Errorf("only %d %s requests", o.Count, o.Name)
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

// runLoad runs the load tool's loop against target as the tool does: four
// requests per client to warm up, then the measured run; the loop's
// connections are closed when it returns.
func runLoad(ctx context.Context, target *load.Target, c load.Config) (*load.Result, error) {
	l, err := load.New(target, c)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	l.Warm(ctx, 4)
	return l.Run(ctx), nil
}

// startLoadBroker seeds ds straight into the store of a fresh data
// directory (synthetic: not audited) and starts a broker on it in this
// process, wired by CreateSystem and served by newHTTPServer as serve does,
// on a loopback port, without a per-partner rate limit (the load
// concentrates its clients on a few partners).
func startLoadBroker(t *testing.T, ctx context.Context, ds *dataset.Dataset) *load.Target {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	d, _, err := prepareDataDir(data)
	if err != nil {
		t.Fatal(err)
	}
	pseudonyms, err := broker.NewPseudonymizer(d.secret)
	if err != nil {
		t.Fatal(err)
	}
	store, err := boltstore.Open(d.file(storeFile), boltstore.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = dataset.Load(ctx, store, pseudonyms, ds, dataset.LoadOptions{})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
	log := slog.New(slog.DiscardHandler)
	tuneGC(log) // as serve does
	sys, err := CreateSystem(ctx, SystemConfig{DataDir: data, ID: "ketenbrug-bench", FourEyes: true,
		PolicyTimeout: time.Second, Logger: log, Limits: httpapi.Limits{PartnerRate: rate.Inf}})
	if err != nil {
		t.Fatalf("starting the broker: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		sys.Close()
		t.Fatal(err)
	}
	srv := newHTTPServer(sys.Handler, sys.Config.Timeouts, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if err := errors.Join(err, sys.Close()); err != nil {
			t.Errorf("stopping the broker: %v", err)
		}
	})
	keys, err := protocol.PublicSet(d.brokerKey)
	if err != nil {
		t.Fatal(err)
	}
	target, err := load.NewTarget("http://"+ln.Addr().String(), sys.Config.ID, ds, keys)
	if err != nil {
		t.Fatal(err)
	}
	return target
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
