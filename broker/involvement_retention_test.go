package broker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Ended involvements are removed once their retention period has passed,
// on the broker's own clock: live ones and recently ended ones stay, and
// every removal is audited without a BSN.
func TestPurgeEndedInvolvementsOnAControlledClock(t *testing.T) {
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	e := newInvEnvWith(t, func(c *broker.Config) { c.Now = func() time.Time { return clock } })
	old, recent, live := e.bsn(), e.bsn(), e.bsn()
	e.put("kredietbank", "dossier-old", old, "schuldregeling")
	e.put("kredietbank", "dossier-recent", recent, "schuldregeling")
	e.put("kredietbank", "dossier-live", live, "schuldregeling")
	c := e.connector("kredietbank")
	if _, err := e.svc.EndInvolvement(e.ctx, c, "dossier-old", "2026-02-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.EndInvolvement(e.ctx, c, "dossier-recent", "2026-02-20"); err != nil {
		t.Fatal(err)
	}
	// Two years minus a day after the first end: nothing is due yet.
	clock = time.Date(2028, 1, 31, 9, 0, 0, 0, time.UTC)
	if n, err := e.svc.PurgeEndedInvolvements(e.ctx, 730); err != nil || n != 0 {
		t.Fatalf("purge before the period: %d, %v", n, err)
	}
	clock = time.Date(2028, 2, 10, 9, 0, 0, 0, time.UTC)
	head := e.head()
	n, err := e.svc.PurgeEndedInvolvements(e.ctx, 730)
	if err != nil || n != 1 {
		t.Fatalf("purge: %d, %v; want 1", n, err)
	}
	refs := e.refsByStatus("kredietbank")
	if _, ok := refs["dossier-old"]; ok {
		t.Error("the involvement ended more than two years ago is still there")
	}
	if refs["dossier-recent"] != broker.InvolvementEnded || refs["dossier-live"] != broker.InvolvementActive {
		t.Errorf("the others changed: %v", refs)
	}
	var purged []broker.AuditEntry
	for _, en := range e.entriesSince(head) {
		if en.Action == broker.ActionInvolvementPurge {
			purged = append(purged, en)
		}
	}
	if len(purged) != 1 || len(purged[0].Subjects) != 1 || purged[0].Detail["ended"] != "2026-02-01" {
		t.Fatalf("audit of the purge: %+v", purged)
	}
	// Idempotent, and 0 days removes nothing.
	if n, err := e.svc.PurgeEndedInvolvements(context.Background(), 730); err != nil || n != 0 {
		t.Fatalf("second purge: %d, %v", n, err)
	}
	if n, _ := e.svc.PurgeEndedInvolvements(context.Background(), 0); n != 0 {
		t.Fatal("retention 0 removed something")
	}
}

// TestPurgeEndedInvolvementsAPageAtATime: the sweep reads a partner's
// involvements a page at a time, each page in a read transaction of its
// own (one over a national store held bbolt's file growth, and with it
// every audited request, for minutes). With pages of one involvement it
// still removes exactly what is due, of every partner, resuming after
// what it removed.
func TestPurgeEndedInvolvementsAPageAtATime(t *testing.T) {
	defer broker.SetRetentionPage(1)()
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	e := newInvEnvWith(t, func(c *broker.Config) { c.Now = func() time.Time { return clock } })
	for _, r := range []struct{ partner, ref, end string }{
		{"kredietbank", "a-old", "2026-01-10"}, {"kredietbank", "b-live", ""}, {"kredietbank", "c-old", "2026-01-20"},
		{"kredietbank", "d-recent", "2026-02-25"}, {"cjg", "e-old", "2026-01-05"}, {"cjg", "f-live", ""},
	} {
		e.put(r.partner, r.ref, e.bsn(), "dienst")
		if r.end != "" {
			if _, err := e.svc.EndInvolvement(e.ctx, e.connector(r.partner), r.ref, r.end); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock = time.Date(2028, 2, 10, 9, 0, 0, 0, time.UTC)
	if n, err := e.svc.PurgeEndedInvolvements(e.ctx, 730); err != nil || n != 3 {
		t.Fatalf("purge: %d, %v; want 3", n, err)
	}
	if got := fmt.Sprint(e.refsByStatus("kredietbank"), e.refsByStatus("cjg")); got !=
		"map[b-live:active d-recent:ended] map[f-live:active]" {
		t.Fatalf("left: %s", got)
	}
}

// The retention job applies both periods of the active policy on its
// clock: within the audit period nothing of the trail goes, and the chain
// still verifies; past the involvement period the ended involvement goes.
func TestRetentionAppliesThePolicysPeriods(t *testing.T) {
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	e := newInvEnvWith(t, func(c *broker.Config) { c.Now = now })
	r := &broker.Retention{Periods: e.policy.Engine, Audit: e.audit, Involvements: e.svc, Now: now}
	if a, i := r.Periods.RetentionDays(); a != 1826 || i != 730 {
		t.Fatalf("the default policy's periods: audit %d, involvements %d days", a, i)
	}
	e.put("kredietbank", "dossier-old", e.bsn(), "schuldregeling")
	if _, err := e.svc.EndInvolvement(e.ctx, e.connector("kredietbank"), "dossier-old", "2026-02-01"); err != nil {
		t.Fatal(err)
	}
	if entries, involvements, err := r.Once(e.ctx); err != nil || entries != 0 || involvements != 0 {
		t.Fatalf("within both periods: %d entries, %d involvements, %v", entries, involvements, err)
	}
	clock = time.Date(2028, 2, 10, 9, 0, 0, 0, time.UTC)
	entries, involvements, err := r.Once(e.ctx)
	if err != nil || entries != 0 || involvements != 1 {
		t.Fatalf("past the involvement period: %d entries, %d involvements, %v", entries, involvements, err)
	}
	if v, err := e.audit.Verify(e.ctx); err != nil || !v.OK {
		t.Fatalf("the chain after retention: %+v, %v", v, err)
	}
}
