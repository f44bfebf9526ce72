package policy

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestHotSwap swaps the active version back and forth while decisions run
// concurrently: none fails, and each is the answer of the version it names.
func TestHotSwap(t *testing.T) {
	// A generous limit: the race detector makes evaluation much slower.
	e, err := New(Config{Default: defaultFS(t), Logger: quiet(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defaultID, defaultRaw, _ := e.Builtin()
	other := pack(t, map[string]string{"p.rego": `package ketenbrug

decision := {"allow": false, "reasons": ["level_too_low"], "bases": ["other"]}
`})
	otherID := broker.PolicyID(other)
	in := overviewInput()
	ctx := context.Background()

	check := func(d broker.Decision) error {
		switch d.Version {
		case defaultID:
			if !d.Allow || len(d.Show) != 4 {
				return fmt.Errorf("default version answered %+v", d)
			}
		case otherID:
			if d.Allow || !slices.Equal(d.Reasons, []string{"level_too_low"}) || d.Show != nil {
				return fmt.Errorf("other version answered %+v", d)
			}
		default:
			return fmt.Errorf("unknown version %q", d.Version)
		}
		return nil
	}

	var stop atomic.Bool
	var decided atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				d, err := e.Decide(ctx, in)
				if err == nil {
					err = check(d)
				}
				if err != nil {
					errs <- err
					return
				}
				decided.Add(1)
			}
		})
	}
	wg.Go(func() { // dry-runs under the other version meanwhile
		for !stop.Load() {
			d, err := e.DecideWith(ctx, otherID, other, in)
			if err == nil && d.Version != otherID {
				err = fmt.Errorf("DecideWith answered under %s", d.Version)
			}
			if err != nil {
				errs <- err
				return
			}
		}
	})
	for i := range 40 {
		id, raw := otherID, other
		if i%2 == 1 {
			id, raw = defaultID, defaultRaw
		}
		if err := e.Activate(ctx, id, raw); err != nil {
			t.Fatal(err)
		}
		if e.Active() != id {
			t.Fatalf("active %s, want %s", e.Active(), id)
		}
		for n := decided.Load(); decided.Load() < n+5 && len(errs) == 0; {
			runtime.Gosched() // let some decisions run under this version
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if e.Active() != defaultID {
		t.Errorf("active %s", e.Active())
	}
	t.Logf("%d decisions during 40 swaps", decided.Load())
}

func TestCacheIsBounded(t *testing.T) {
	e, err := New(Config{Default: defaultFS(t), Logger: quiet(), CacheSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for i := range 4 {
		raw := pack(t, map[string]string{"p.rego": fmt.Sprintf("package ketenbrug\n\ndecision := {\"allow\": true, \"reasons\": [], \"bases\": [\"v%d\"]}\n", i)})
		id := broker.PolicyID(raw)
		ids = append(ids, id)
		d, err := e.DecideWith(ctx, id, raw, overviewInput())
		if err != nil || d.Bases[0] != fmt.Sprintf("v%d", i) {
			t.Fatalf("%+v %v", d, err)
		}
	}
	e.mu.Lock()
	n := len(e.cache)
	_, oldest := e.cache[ids[0]]
	e.mu.Unlock()
	if n != 2 || oldest {
		t.Errorf("cache holds %d versions (oldest kept: %v)", n, oldest)
	}
	// The active version is never lost to eviction.
	if d, err := e.Decide(ctx, overviewInput()); err != nil || !d.Allow {
		t.Errorf("%+v %v", d, err)
	}
}
