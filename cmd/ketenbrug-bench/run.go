package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/load"
)

// clientGCPercent is the garbage collector's target in this process: the
// broker's (serve sets 400), as when the load clients shared its process.
const clientGCPercent = 400

// check refuses flags out of range and returns the mix.
func (c config) check() (load.Mix, error) {
	mix, err := load.ParseMix(c.mix)
	if err != nil {
		return mix, err
	}
	switch {
	case c.clients < 1 || c.clients > 4096:
		return mix, errors.New("--clients must be 1-4096")
	case c.duration <= 0 || c.duration > 10*time.Minute:
		return mix, errors.New("--duration must be between 0 and 10m")
	case c.peerDuration <= 0 || c.peerDuration > 2*time.Minute:
		return mix, errors.New("--peer-duration must be between 0 and 2m")
	case c.syncLines < 1 || c.syncLines > 500_000:
		return mix, errors.New("--sync-lines must be 1-500000 (the broker's bound on one caseload)")
	}
	for _, p := range c.openLoop {
		if p == 0 && len(c.openLoop) == 1 {
			break // --open-loop 0: none (pflag reads an empty list as an error)
		}
		if p < 1 || p > 100 {
			return mix, errors.New("--open-loop takes percentages of the closed loop's maximum rate, 1-100 (for example 25,50,75)")
		}
	}
	return mix, nil
}

// runBench runs every phase: seeding, the load, the comparisons.
func runBench(ctx context.Context, progress io.Writer, c config) (*result, error) {
	mix, err := c.check()
	if err != nil {
		return nil, err
	}
	ds, err := dataset.New(dataset.Config{Seed: c.seed, Persons: c.persons, Households: c.households,
		Involvements: c.involvements, Municipalities: c.municipalities})
	if err != nil {
		return nil, err
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(clientGCPercent))
	}
	res := newResult(ds, c.clients)
	say := func(format string, args ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", args...) }

	var (
		t     *load.Target
		local *localBroker
		m     meter
	)
	if c.server == "" {
		res.Mode = "local: ketenbrug serve as a child process"
		if local, err = startLocal(ctx, c, ds, res, say); err != nil {
			return nil, err
		}
		defer local.cleanup(say)
		t, m = local.target, local
	} else {
		res.Mode = "server " + c.server
		if t, err = remoteTarget(ctx, ds, c, res, say); err != nil {
			return nil, err
		}
		m = &remoteMeter{url: t.URL}
	}
	if err := measureLoad(ctx, t, m, c, mix, res, say); err != nil {
		return nil, err
	}
	if local != nil {
		// Only the broker started here: a sync writes --sync-lines
		// synthetic involvements for each of two municipalities.
		// A sync that breaks off is reported, not fatal: what the run
		// measured before it (the loops, at national scale an hour of
		// seeding) is kept, and the comparisons still run.
		if err := measureSyncs(ctx, t, ds, c.syncLines, res, say); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			res.SyncError = err.Error()
			say("%v", err)
		}
	}
	var inputs []*broker.DecisionInput
	var decisions []broker.Decision
	if local != nil {
		// The broker is stopped first: its decision records are read from
		// its store, and the comparisons run on a quiet machine.
		if inputs, decisions, err = local.stopAndRead(); err != nil {
			return nil, err
		}
	}
	return res, comparisons(ctx, c, inputs, decisions, res, say)
}

// measureLoad warms the loop up and runs it, measuring the broker's CPU
// and memory around the run.
func measureLoad(ctx context.Context, t *load.Target, m meter, c config, mix load.Mix, res *result, say func(string, ...any)) error {
	l, err := load.New(t, load.Config{Seed: c.seed, Clients: c.clients, Duration: c.duration, Requests: c.requests,
		Mix: mix, VerifyEvery: c.verifyEvery})
	if err != nil {
		return err
	}
	defer l.Close()
	say("warming up")
	l.Warm(ctx, 4)
	runtime.GC()
	debug.FreeOSMemory()
	m.begin(ctx, res, say)
	stopProf, err := m.profile(ctx, c.cpuprofile, c.duration)
	if err != nil {
		return err
	}
	cpu0 := processCPU()
	say("running %d clients for %s (mix %s)", c.clients, c.duration, c.mix)
	lr := l.Run(ctx)
	res.ClientCPUSeconds = processCPU() - cpu0
	if err := stopProf(); err != nil {
		say("CPU profile: %v", err)
	}
	m.end(ctx, res)
	res.Elapsed, res.Ops, res.BadSigs = lr.Elapsed, lr.Ops, lr.BadSigs
	return openLoops(ctx, l, c, res, say)
}

// openLoops runs the open loop at each of c.openLoop's percentages of the
// closed loop's maximum rate (all operations together), each for
// c.duration, and adds its figures: the latencies a partner would see at
// that arrival rate, queueing included.
func openLoops(ctx context.Context, l *load.Loop, c config, res *result, say func(string, ...any)) error {
	maxRate := 0.0
	for _, o := range res.Ops {
		maxRate += o.RPS
	}
	for _, pct := range c.openLoop {
		if pct == 0 {
			continue // --open-loop 0
		}
		if maxRate == 0 || ctx.Err() != nil {
			break
		}
		rate := maxRate * float64(pct) / 100
		say("open loop at %d%% of the closed loop's maximum: %.0f req/s for %s", pct, rate, c.duration)
		lr := l.RunOpen(ctx, rate)
		p := openLoopPoint{Percent: pct, Rate: rate, Elapsed: lr.Elapsed, Overview: lr.Ops[load.Overview]}
		for _, o := range lr.Ops {
			p.Achieved += o.RPS
			p.Errors += o.Errors
		}
		p.Errors += lr.BadSigs
		res.OpenLoop = append(res.OpenLoop, p)
	}
	return ctx.Err()
}

// comparisons measures the crypto-only ceiling, OPA's REST API and the
// embedded engine on the recorded overview inputs.
func comparisons(ctx context.Context, c config, inputs []*broker.DecisionInput, decisions []broker.Decision,
	res *result, say func(string, ...any)) error {
	var err error
	say("measuring the crypto-only ceiling for %s on %d cores", c.peerDuration, runtime.GOMAXPROCS(0))
	if res.CryptoRPS, err = cryptoCeiling(ctx, c.peerDuration); err != nil {
		return err
	}
	res.PeerInputs = len(inputs)
	if len(inputs) == 0 {
		res.OPANote = "no overview decision records to replay (with --server the broker's records are not readable)"
		say("%s", res.OPANote)
		return nil
	}
	if err := opaPeer(ctx, c, inputs, decisions, res, say); err != nil {
		res.OPANote = "OPA peer failed: " + err.Error()
		say("%s", res.OPANote)
	}
	say("deciding the same %d inputs with the embedded engine for %s", len(inputs), c.peerDuration)
	return embeddedPeer(ctx, inputs, c, res)
}
