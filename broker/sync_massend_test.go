package broker_test

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// numbered yields lines for refs from..to-1 of one person, each with service.
func numbered(bsn, service string, from, to int) iter.Seq[broker.SyncItem] {
	return func(yield func(broker.SyncItem) bool) {
		for i := from; i < to; i++ {
			it := line(fmt.Sprintf("c-%05d", i), bsn, service)
			it.Line = i - from + 1
			if !yield(it) {
				return
			}
		}
	}
}

func TestSyncEndLimit(t *testing.T) {
	for _, tc := range []struct {
		live     int
		fraction float64
		want     int
	}{
		{0, 0.10, 10},       // a handful may always end …
		{5, 0.10, 10},       // … all of a handful too
		{10, 0.10, 10},      // ten is still a handful
		{11, 0.10, 10},      // more than a handful: never all
		{100, 0.10, 10},     // 10 %
		{2499, 0.10, 249},   // rounded down
		{20000, 0.10, 2000}, // the truncated export's partner
		{20000, 0.5, 10000}, // a looser broker
		{20, 1.0, 19},       // 100 % still never all
		{20000, 0.0001, 10}, // never below the handful
		{20000, 0, 2000},    // zero: the default
		{1_000_000, 0.10, 100_000},
	} {
		if got := broker.SyncEndLimit(tc.live, tc.fraction); got != tc.want {
			t.Errorf("SyncEndLimit(%d, %v) = %d, want %d", tc.live, tc.fraction, got, tc.want)
		}
	}
}

func TestSyncConfigRefusesABadEndFraction(t *testing.T) {
	for _, tc := range []struct {
		fraction float64
		refused  bool
	}{{-0.1, true}, {1.01, true}, {2, true}, {0, false}, {0.25, false}, {1, false}} {
		c := broker.Config{SyncMaxEndFraction: tc.fraction}
		err := c.Validate() // other fields are missing too; only this one's error counts
		if got := err != nil && strings.Contains(err.Error(), "SyncMaxEndFraction"); got != tc.refused {
			t.Errorf("SyncMaxEndFraction %v: %v", tc.fraction, err)
		}
	}
}

// TestSyncRefusesAMassEnd: the first rows of a truncated export would end
// most of the caseload. The sync is refused as a whole before any line of
// it is applied, the refusal is audited as a denial, and a dry run shows
// the figures; allowed explicitly, the same sync is applied.
func TestSyncRefusesAMassEnd(t *testing.T) {
	e := newInvEnv(t)
	a := e.bsn()
	if res, err := e.svc.Sync(e.ctx, e.connector("uwv"), numbered(a, "ww", 0, 100), broker.SyncOptions{}); err != nil || res.Added != 100 {
		t.Fatalf("first sync %+v, %v", res, err)
	}
	// The truncated export: its 20 lines also change their service, so a
	// chunk applied before the refusal would show.
	truncated := numbered(a, "wia", 0, 20)

	mark := e.head()
	res, err := e.svc.Sync(e.ctx, e.connector("uwv"), truncated, broker.SyncOptions{DryRun: true})
	if err != nil || !res.MassEnd || res.Ended != 80 || res.Live != 100 || res.EndLimit != 10 || res.Changed != 20 {
		t.Fatalf("dry run %+v, %v", res, err)
	}
	if es := e.entriesSince(mark); len(es) != 0 {
		t.Fatalf("a dry run left audit entries: %+v", es)
	}

	res, err = e.svc.Sync(e.ctx, e.connector("uwv"), truncated, broker.SyncOptions{})
	var me *broker.MassEndError
	if !errors.Is(err, broker.ErrMassEnd) || !errors.As(err, &me) {
		t.Fatalf("mass end: %+v, %v", res, err)
	}
	if me.Ended != 80 || me.Live != 100 || me.Limit != 10 {
		t.Errorf("figures %+v", me)
	}
	if errors.Is(err, broker.ErrInvalid) || errors.Is(err, broker.ErrDenied) {
		t.Errorf("a mass end is its own kind of error: %v", err)
	}
	st := e.refsByStatus("uwv")
	page, _ := e.svc.Involvements(e.ctx, e.connector("uwv"), "", "", 1000)
	for _, v := range page.Involvements {
		if v.Service != "ww" || st[v.Ref] != broker.InvolvementActive {
			t.Fatalf("a refused sync changed %s: %+v", v.Ref, v)
		}
	}
	es := e.entriesSince(mark)
	if len(es) != 1 || es[0].Event != broker.EventDenial || es[0].Decision != broker.DecisionDeny ||
		es[0].Action != "involvement.sync" || len(es[0].Reasons) != 1 || es[0].Reasons[0] != broker.ReasonMassEnd ||
		es[0].Detail["ended"] != "80" || es[0].Detail["live"] != "100" || es[0].Detail["limit"] != "10" {
		t.Fatalf("the refusal's audit entries: %+v", es)
	}

	res, err = e.svc.Sync(e.ctx, e.connector("uwv"), truncated, broker.SyncOptions{AllowMassEnd: true})
	if err != nil || res.Ended != 80 || res.Changed != 20 || !res.MassEnd {
		t.Fatalf("allowed: %+v, %v", res, err)
	}
	if st := e.refsByStatus("uwv"); st["c-00019"] != broker.InvolvementActive || st["c-00020"] != broker.InvolvementEnded {
		t.Fatalf("allowed sync left %v", st)
	}
}

// TestSyncWithinTheEndLimit: ordinary churn is never refused.
func TestSyncWithinTheEndLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		live, keep int
	}{
		{"ten of a hundred", 100, 90},
		{"all of a handful", 5, 0},
		{"ten of eleven", 11, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newInvEnv(t)
			a := e.bsn()
			if _, err := e.svc.Sync(e.ctx, e.connector("uwv"), numbered(a, "ww", 0, tc.live), broker.SyncOptions{}); err != nil {
				t.Fatal(err)
			}
			res, err := e.svc.Sync(e.ctx, e.connector("uwv"), numbered(a, "ww", 0, tc.keep), broker.SyncOptions{})
			if err != nil || res.Ended != tc.live-tc.keep || res.MassEnd {
				t.Fatalf("%+v, %v", res, err)
			}
		})
	}
}

// TestSyncRefusesEndingAllOfMoreThanAHandful: eleven live involvements and
// an empty caseload.
func TestSyncRefusesEndingAllOfMoreThanAHandful(t *testing.T) {
	e := newInvEnv(t)
	a := e.bsn()
	if _, err := e.svc.Sync(e.ctx, e.connector("uwv"), numbered(a, "ww", 0, 11), broker.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Sync(e.ctx, e.connector("uwv"), caseload(), broker.SyncOptions{}); !errors.Is(err, broker.ErrMassEnd) {
		t.Fatalf("an empty caseload ending 11: %v", err)
	}
}

// TestSyncMassEndCheckedBeforeAnyChunk: a refused sync of several chunks
// applies none of them.
func TestSyncMassEndCheckedBeforeAnyChunk(t *testing.T) {
	if testing.Short() {
		t.Skip("a few thousand lines")
	}
	e := newInvEnv(t)
	a := e.bsn()
	if _, err := e.svc.Sync(e.ctx, e.connector("kredietbank"), numbered(a, "schuldregeling", 0, 3000), broker.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	// 2500 lines (three chunks) with a changed service; 500 would end,
	// over the limit of 300.
	_, err := e.svc.Sync(e.ctx, e.connector("kredietbank"), numbered(a, "budgetbeheer", 0, 2500), broker.SyncOptions{})
	var me *broker.MassEndError
	if !errors.As(err, &me) || me.Ended != 500 || me.Limit != 300 {
		t.Fatalf("%v", err)
	}
	page, err := e.svc.Involvements(e.ctx, e.connector("kredietbank"), broker.InvolvementActive, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range page.Involvements {
		if v.Service != "schuldregeling" {
			t.Fatalf("a refused sync applied a chunk: %s is %s", v.Ref, v.Service)
		}
	}
}
