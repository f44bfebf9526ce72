package broker_test

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// caseload yields items as lines 1, 2, ….
func caseload(items ...broker.SyncItem) iter.Seq[broker.SyncItem] {
	return func(yield func(broker.SyncItem) bool) {
		for i, it := range items {
			if it.Line == 0 {
				it.Line = i + 1
			}
			if !yield(it) {
				return
			}
		}
	}
}

func line(ref, bsn, service string) broker.SyncItem {
	return broker.SyncItem{Ref: ref, Input: broker.InvolvementInput{BSN: bsn, Service: service, Start: "2026-02-01",
		Contact: broker.Contact{Name: "Team", Phone: "088-1234567"}}}
}

// refsByStatus lists the partner's references with their status.
func (e *invEnv) refsByStatus(partner string) map[string]string {
	e.t.Helper()
	page, err := e.svc.Involvements(e.ctx, e.connector(partner), "", "", 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, v := range page.Involvements {
		out[v.Ref] = v.Status
	}
	return out
}

func TestSyncReportsBadLinesAndKeepsTheRest(t *testing.T) {
	e := newInvEnv(t)
	a, b := e.bsn(), e.bsn()
	bad := line("ok-3", "123456789", "ww")
	longRef := line("x", a, "ww")
	longRef.Ref = "has space"
	parseErr := broker.SyncItem{Ref: "p-1", Err: &broker.ValidationError{Field: "colour", Reason: `unknown field "colour"`}}
	badStatus := line("ok-6", a, "ww")
	badStatus.Input.Status = "paused"
	asBSN := line(b, b, "ww")
	res, err := e.svc.Sync(e.ctx, e.connector("uwv"), caseload(
		line("ok-1", a, "ww"),             // 1
		line("ok-2", b, "wia"),            // 2
		bad,                               // 3: BSN fails the elfproef
		longRef,                           // 4: bad reference
		parseErr,                          // 5: the transport could not parse it
		badStatus,                         // 6
		line("ok-1", b, "ww"),             // 7: ok-1 again
		asBSN,                             // 8: a BSN as reference
		line("ok-9", a, "Re-integratie"),  // 9: bad service code
		line("ok-10", b, "re-integratie"), // 10
	), broker.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != 10 || res.Added != 3 || res.Rejected != 7 || res.Changed != 0 || res.Ended != 0 || res.DryRun {
		t.Fatalf("result %+v", res)
	}
	var got []string
	for _, p := range res.Problems {
		got = append(got, fmt.Sprintf("%d %s %s", p.Line, p.Ref, p.Field))
		if p.Reason == "" {
			t.Errorf("line %d rejected without a reason", p.Line)
		}
	}
	want := []string{"3 ok-3 bsn", "4  ref", "5 p-1 colour", "6 ok-6 status", "7 ok-1 ref", "8  ref", "9 ok-9 service"}
	if !slices.Equal(got, want) {
		t.Fatalf("problems\n%q\nwant\n%q", got, want)
	}
	e.noBSN("a sync result", res, a, b)
	if st := e.refsByStatus("uwv"); fmt.Sprint(st) != "map[ok-1:active ok-10:active ok-2:active]" {
		t.Fatalf("stored %v", st)
	}
}

func TestSyncEndsWhatTheCaseloadNoLongerHolds(t *testing.T) {
	e := newInvEnv(t)
	a, b, c := e.bsn(), e.bsn(), e.bsn()
	e.put("school", "handmade", c, "extra-ondersteuning")
	res, err := e.svc.Sync(e.ctx, e.connector("school"), caseload(
		line("lln-1", a, "extra-ondersteuning"), line("lln-2", b, "extra-ondersteuning"), line("lln-3", c, "lwoo")), broker.SyncOptions{})
	if err != nil || res.Added != 3 || res.Ended != 1 {
		t.Fatalf("first sync %+v, %v", res, err)
	}
	// The same caseload again changes nothing and writes no audit entry.
	mark := e.head()
	res, err = e.svc.Sync(e.ctx, e.connector("school"), caseload(
		line("lln-1", a, "extra-ondersteuning"), line("lln-2", b, "extra-ondersteuning"), line("lln-3", c, "lwoo")), broker.SyncOptions{})
	if err != nil || res.Unchanged != 3 || res.Added+res.Changed+res.Ended != 0 {
		t.Fatalf("the same sync again %+v, %v", res, err)
	}
	if es := e.entriesSince(mark); len(es) != 0 {
		t.Fatalf("an idempotent sync left %d audit entries", len(es))
	}

	// lln-2 left school; lln-3 changed service; lln-4 is new.
	mark = e.head()
	res, err = e.svc.Sync(e.ctx, e.connector("school"), caseload(
		line("lln-1", a, "extra-ondersteuning"), line("lln-3", c, "extra-ondersteuning"), line("lln-4", b, "lwoo")), broker.SyncOptions{})
	if err != nil || res.Added != 1 || res.Changed != 1 || res.Unchanged != 1 || res.Ended != 1 || res.Rejected != 0 {
		t.Fatalf("second sync %+v, %v", res, err)
	}
	if st := e.refsByStatus("school"); fmt.Sprint(st) != "map[handmade:ended lln-1:active lln-2:ended lln-3:active lln-4:active]" {
		t.Fatalf("stored %v", st)
	}
	ended := 0
	for _, a := range e.entriesSince(mark) {
		if a.Action != "involvement.sync" || a.Object != "involvements:school" {
			t.Errorf("sync audit entry %+v", a)
		}
		if a.Detail["ended"] == "1" && len(a.Subjects) == 1 {
			ended++
		}
	}
	if ended != 1 {
		t.Errorf("the end of lln-2 was not audited about its person")
	}
	// Another partner's involvements are untouched by school's sync.
	e.put("cjg", "lln-1", a, "opvoedondersteuning")
	if _, err := e.svc.Sync(e.ctx, e.connector("school"), caseload(), broker.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	if st := e.refsByStatus("cjg"); st["lln-1"] != "active" {
		t.Errorf("school's empty sync ended cjg's lln-1: %v", st)
	}
	if st := e.refsByStatus("school"); st["lln-1"] != "ended" || st["lln-4"] != "ended" {
		t.Errorf("an empty caseload left %v", st)
	}
}

func TestSyncBadLineDoesNotEndItsInvolvement(t *testing.T) {
	e := newInvEnv(t)
	a, b := e.bsn(), e.bsn()
	if _, err := e.svc.Sync(e.ctx, e.connector("uwv"), caseload(line("ww-1", a, "ww"), line("ww-2", b, "ww")), broker.SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	// ww-2's line is broken this time: it is rejected, and ww-2 stays as it
	// was — a typo must not end a running involvement.
	broken := line("ww-2", b, "ww")
	broken.Input.Start = "2026-02-30"
	res, err := e.svc.Sync(e.ctx, e.connector("uwv"), caseload(line("ww-1", a, "ww"), broken), broker.SyncOptions{})
	if err != nil || res.Rejected != 1 || res.Ended != 0 || res.Unchanged != 1 {
		t.Fatalf("sync with a broken line %+v, %v", res, err)
	}
	if st := e.refsByStatus("uwv"); st["ww-2"] != "active" {
		t.Fatalf("the broken line's involvement is %s", st["ww-2"])
	}
}

func TestSyncDryRunChangesNothing(t *testing.T) {
	e := newInvEnv(t)
	a := e.bsn()
	e.put("uwv", "old", a, "ww")
	mark := e.head()
	res, err := e.svc.Sync(e.ctx, e.connector("uwv"), caseload(line("new-1", a, "ww"), line("new-2", a, "wia"), line("bad", "1", "ww")), broker.SyncOptions{DryRun: true})
	if err != nil || !res.DryRun || res.Added != 2 || res.Ended != 1 || res.Rejected != 1 {
		t.Fatalf("dry run %+v, %v", res, err)
	}
	if st := e.refsByStatus("uwv"); fmt.Sprint(st) != "map[old:active]" {
		t.Fatalf("a dry run stored %v", st)
	}
	if es := e.entriesSince(mark); len(es) != 0 {
		t.Fatalf("a dry run left audit entries: %+v", es)
	}
}

func TestSyncNeedsAConnector(t *testing.T) {
	e := newInvEnv(t)
	a := e.bsn()
	_, err := e.svc.Sync(e.ctx, e.coordinator("gem-a", invPurpose), caseload(line("x", a, "ww")), broker.SyncOptions{})
	if !deniedWith(err, broker.ReasonRoleNotAllowed) {
		t.Fatalf("a coordinator's sync: %v", err)
	}
	if !errors.Is(err, broker.ErrDenied) {
		t.Fatal("not a denial")
	}
}

func TestSyncManyChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("a few thousand lines")
	}
	e := newInvEnv(t)
	a := e.bsn()
	const n = 2500 // three transactions of up to 1000 lines
	items := func(skip int) iter.Seq[broker.SyncItem] {
		return func(yield func(broker.SyncItem) bool) {
			for i := range n {
				if i%skip == 0 {
					continue
				}
				it := line(fmt.Sprintf("c-%05d", i), a, "schuldregeling")
				it.Line = i + 1
				if !yield(it) {
					return
				}
			}
		}
	}
	res, err := e.svc.Sync(e.ctx, e.connector("kredietbank"), items(n+1), broker.SyncOptions{})
	if err != nil || res.Added != n-1 {
		t.Fatalf("first sync %+v, %v", res, err)
	}
	res, err = e.svc.Sync(e.ctx, e.connector("kredietbank"), items(10), broker.SyncOptions{})
	if err != nil || res.Unchanged != n-250 || res.Ended != 249 {
		t.Fatalf("second sync %+v, %v", res, err)
	}
	page, err := e.svc.Involvements(e.ctx, e.connector("kredietbank"), broker.InvolvementEnded, "", 1000)
	if err != nil || len(page.Involvements) != 249 {
		t.Fatalf("%d ended, %v", len(page.Involvements), err)
	}
}
