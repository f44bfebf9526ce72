package broker_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// statEnv is the region of the overview tests on a clock the test sets,
// with the analyst role granted to both municipalities.
type statEnv struct {
	*invEnv
	clock *atomic.Pointer[time.Time]
}

func newStatEnv(t *testing.T) *statEnv {
	t.Helper()
	clock := &atomic.Pointer[time.Time]{}
	start := time.Date(2026, 1, 15, 11, 0, 0, 0, time.UTC)
	clock.Store(&start)
	e := newInvEnvWith(t, func(c *broker.Config) { c.Now = func() time.Time { return *clock.Load() } })
	for _, id := range []string{"gem-a", "gem-b"} {
		p, err := e.svc.LookupPartner(id)
		if err != nil {
			t.Fatal(err)
		}
		q := *p
		q.Roles = append(q.Roles, broker.RoleAnalyst)
		if _, err := e.svc.UpdatePartner(e.ctx, e.operator, q); err != nil {
			t.Fatalf("granting %s the analyst role: %v", id, err)
		}
	}
	return &statEnv{invEnv: e, clock: clock}
}

func (e *statEnv) at(t time.Time) { e.clock.Store(&t) }

func (e *statEnv) analyst(municipality string) *broker.Caller {
	c := e.caller(municipality, broker.RoleAnalyst, "")
	c.Sub, c.Person = "a.analist", broker.Person{ID: "a.analist", Verified: true, Via: "key:test"}
	return c
}

// statistics asks for the first quarter of 2026.
func (e *statEnv) statistics(c *broker.Caller, municipality string) (broker.Statistics, error) {
	return e.svc.Statistics(e.ctx, c, broker.StatisticsQuery{Municipality: municipality, From: "2026-01", To: "2026-03", By: "month"})
}

// The pilot's figures on crafted data: January has 12 overviews allowed
// and 3 denied, February 11 allowed. The 3 never shows: not as a cell,
// not as the difference of asked and allowed, not as the difference of
// the period's totals.
func TestStatisticsSuppressOnCraftedData(t *testing.T) {
	e := newStatEnv(t)
	for i := range 10 {
		e.newFamily("hh-" + string(rune('a'+i)))
	}
	for range 12 {
		e.overview("hh-a", invPurpose)
	}
	for range 3 {
		_, err := e.svc.HouseholdOverview(e.ctx, e.coordinator("gem-a", ""), "hh-a")
		if !deniedWith(err, broker.ReasonPurposeMissing) {
			t.Fatalf("an overview without a purpose: %v", err)
		}
	}
	e.at(time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC))
	for range 11 {
		e.overview("hh-a", invPurpose)
	}
	// The municipality moves to level 3 in February.
	e.at(time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC))
	e.setLevel("gem-a", 3)
	e.at(time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC))

	before := e.head()
	st, err := e.statistics(e.analyst("gem-a"), "gem-a")
	if err != nil {
		t.Fatal(err)
	}
	e.noBSN("the figures", st)
	if st.Municipality != "gem-a" || st.From != "2026-01" || st.To != "2026-03" || len(st.Rows) != 3 || st.MinCell != 10 || st.Level != 3 {
		t.Fatalf("figures %+v", st)
	}
	for i, want := range []float64{2, 3, 3} {
		if c := st.Rows[i].Cells["level"]; c.Value == nil || *c.Value != want {
			t.Errorf("%s: level %+v, want %v", st.Rows[i].Month, c, want)
		}
	}
	if c := st.HouseholdsMultiPartner; c.Suppressed || *c.Value != 10 {
		t.Errorf("households with two or more partners: %+v, want 10", c)
	}
	jan := st.Rows[0].Cells
	if c := jan["overviews_asked"]; c.Suppressed || *c.Value != 15 {
		t.Errorf("January's overviews asked: %+v, want 15", c)
	}
	for _, k := range []string{"overviews_allowed", "overviews_denied", "overviews_denied.purpose_missing"} {
		if c := jan[k]; !c.Suppressed || c.Value != nil || c.Text != "<10" {
			t.Errorf("January's %s: %+v, want <10", k, c)
		}
	}
	// The question is audited.
	got := e.entriesSince(before)
	if len(got) != 1 || got[0].Action != broker.ActionStatisticsRead || got[0].Decision != broker.DecisionAllow ||
		got[0].Detail["municipality"] != "gem-a" || got[0].Role != broker.RoleAnalyst || len(got[0].Bases) == 0 {
		t.Fatalf("audit %+v", got)
	}
	// No figure is 3, and no two figures of a row or a column differ by 3.
	rows := st.Rows
	for _, m := range st.Measures {
		if m.Kind != "count" {
			continue
		}
		for _, r1 := range rows {
			a := r1.Cells[m.Key]
			if a.Suppressed {
				continue
			}
			if *a.Value == 3 {
				t.Errorf("%s %s shows 3", r1.Month, m.Key)
			}
			for _, r2 := range rows {
				if b := r2.Cells[m.Key]; !b.Suppressed && *a.Value-*b.Value == 3 {
					t.Errorf("%s: %q − %q = 3", m.Key, r1.Month, r2.Month)
				}
			}
			for _, n := range st.Measures {
				if b := r1.Cells[n.Key]; n.Kind == "count" && !b.Suppressed && *a.Value-*b.Value == 3 {
					t.Errorf("%q: %s − %s = 3", r1.Month, m.Key, n.Key)
				}
			}
		}
	}
	// No total over months, whose differences between two periods would
	// lay a month bare; and a month reads the same in every period asked,
	// so no two answers can be subtracted either.
	for _, p := range [][2]string{{"2026-01", "2026-01"}, {"2026-01", "2026-02"}, {"2026-02", "2026-12"}} {
		other, err := e.svc.Statistics(e.ctx, e.analyst("gem-a"), broker.StatisticsQuery{Municipality: "gem-a", From: p[0], To: p[1]})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range other.Rows {
			i := map[string]int{"2026-01": 0, "2026-02": 1, "2026-03": 2}[row.Month]
			a, _ := json.Marshal(row)
			b, _ := json.Marshal(st.Rows[i])
			if string(a) != string(b) {
				t.Errorf("%s asked for %v: %s, asked for the quarter: %s", row.Month, p, a, b)
			}
		}
		if p[1] == "2026-12" && other.To != "2026-03" {
			t.Errorf("a period into months that have not ended ends at %s, want 2026-03", other.To)
		}
	}
	// This month has not ended: it is not counted yet.
	if _, err := e.svc.Statistics(e.ctx, e.analyst("gem-a"), broker.StatisticsQuery{Municipality: "gem-a", From: "2026-04"}); invalidField(err) != "from" {
		t.Errorf("a period of months that have not ended: %v", err)
	}
	// The answer names no household, person or professional.
	raw, _ := json.Marshal(st)
	for _, s := range []string{"hh-", "p:", "c.regisseur", "kredietbank", "cjg", `"total"`} {
		if strings.Contains(string(raw), s) {
			t.Errorf("the figures hold %q", s)
		}
	}
	if len(st.NotAvailable) != 0 {
		t.Errorf("every measure of the pilot is counted now; not available: %+v", st.NotAvailable)
	}
}

// Who may read which figures, and that every question is audited.
func TestStatisticsWhoMayRead(t *testing.T) {
	e := newStatEnv(t)
	e.newFamily("hh-1")
	e.at(time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)) // the first quarter has ended

	// Operators and the region's privacy office read any municipality.
	for _, c := range []*broker.Caller{e.operator, e.caller("fg", broker.RolePrivacyOfficer, "")} {
		for _, m := range []string{"gem-a", "gem-b"} {
			if _, err := e.statistics(c, m); err != nil {
				t.Errorf("%s of %s reading %s: %v", c.Role, c.Partner.ID, m, err)
			}
		}
	}

	// Other roles are refused by the policy, and the refusal is audited.
	for _, c := range []*broker.Caller{e.connector("kredietbank"), e.professional("gem-a", invPurpose), e.coordinator("gem-a", invPurpose)} {
		before := e.head()
		_, err := e.statistics(c, "gem-a")
		if !deniedWith(err, broker.ReasonRoleNotAllowed) {
			t.Errorf("%s: %v, want role_not_allowed", c.Role, err)
		}
		if got := e.entriesSince(before); len(got) != 1 || got[0].Action != broker.ActionStatisticsRead || got[0].Decision != broker.DecisionDeny {
			t.Errorf("%s's refusal is not audited: %+v", c.Role, got)
		}
	}

	// An analyst of B asking for A is answered as for a municipality that
	// does not exist; both refusals are audited.
	b := e.analyst("gem-b")
	before := e.head()
	_, errA := e.statistics(b, "gem-a")
	_, errX := e.statistics(b, "gem-x")
	if !errors.Is(errA, broker.ErrNotFound) || !errors.Is(errX, broker.ErrNotFound) ||
		strings.ReplaceAll(errA.Error(), "gem-a", "M") != strings.ReplaceAll(errX.Error(), "gem-x", "M") {
		t.Fatalf("another municipality: %v; one that does not exist: %v", errA, errX)
	}
	if got := e.entriesSince(before); len(got) != 2 || got[0].Decision != broker.DecisionDeny || got[1].Decision != broker.DecisionDeny {
		t.Fatalf("the refusals are not audited: %+v", got)
	}
	// The operator, asking for one that does not exist, gets the same.
	if _, err := e.statistics(e.operator, "gem-x"); err == nil || strings.ReplaceAll(err.Error(), "gem-x", "M") != strings.ReplaceAll(errX.Error(), "gem-x", "M") {
		t.Errorf("the operator asking for gem-x: %v", err)
	}
	// Its own municipality, without naming it (its partner serves one).
	if st, err := e.svc.Statistics(e.ctx, b, broker.StatisticsQuery{}); err != nil || st.Municipality != "gem-b" || len(st.Rows) != 12 {
		t.Errorf("an analyst's own figures by default: %+v, %v", st, err)
	}

	// The analyst reads nothing else.
	a := e.analyst("gem-a")
	if _, err := e.svc.HouseholdOverview(e.ctx, a, "hh-1"); !errors.Is(err, broker.ErrDenied) {
		t.Errorf("an analyst's overview: %v", err)
	}
	if _, err := e.svc.AuditEntries(e.ctx, a, broker.AuditQuery{Reference: "X-1"}); !errors.Is(err, broker.ErrForbidden) {
		t.Errorf("an analyst reading the audit trail: %v", err)
	}
	if _, err := e.svc.Inbox(e.ctx, a, 0, 10, 0); !errors.Is(err, broker.ErrForbidden) {
		t.Errorf("an analyst reading the inbox: %v", err)
	}
	if _, err := e.svc.Assignments(e.ctx, a, broker.AssignmentQuery{}); !errors.Is(err, broker.ErrForbidden) {
		t.Errorf("an analyst listing assignments: %v", err)
	}
	if _, err := e.svc.Households(e.ctx, a, "gem-a", "", 10); err == nil {
		t.Errorf("an analyst listing households: allowed")
	}

	// Bad questions name the field.
	for _, q := range []broker.StatisticsQuery{
		{Municipality: "gem-a", From: "januari"},
		{Municipality: "gem-a", From: "2026-05", To: "2026-01"},
		{Municipality: "gem-a", From: "2020-01", To: "2026-01"},
		{Municipality: "gem-a", By: "week"},
	} {
		before := e.head()
		if _, err := e.svc.Statistics(e.ctx, a, q); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("%+v: %v, want invalid", q, err)
		}
		if got := e.entriesSince(before); len(got) != 1 || got[0].Action != broker.ActionStatisticsRead || got[0].Decision != broker.DecisionDeny {
			t.Errorf("%+v: the refusal is not audited: %+v", q, got)
		}
	}
}

// Assignments and consents are counted in the month they happened, the
// medians over the days from given to accepted and to completed (the
// giving found in an earlier month of the trail); asked for one month, a
// figure of 10 or more shows.
func TestStatisticsCountsAssignmentsAndConsents(t *testing.T) {
	e := newStatEnv(t)
	e.at(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	var mothers []string
	for _, id := range []string{"hh-a", "hh-b", "hh-c"} {
		f := e.newFamily(id)
		e.consentAll(f) // 4 consents each
		mothers = append(mothers, f.bsns["moeder"])
	}
	// New entries name their municipality where their object does not,
	// so that a household moving later does not move them.
	if _, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-a", invPurpose), mothers[0], ""); err != nil {
		t.Fatal(err)
	}
	for _, a := range e.entries() {
		if (a.Action == broker.ActionConsentRecord || a.Action == broker.ActionPersonOverview) && a.Detail["municipality"] != "gem-a" {
			t.Errorf("%s entry without its municipality: %+v", a.Action, a.Detail)
		}
	}
	// With consent given, the UWV's registration of each mother signals
	// the household's other partners and its coordinator.
	for i, bsn := range mothers {
		e.put("uwv", fmt.Sprintf("ww-%d", i), bsn, "ww")
	}
	signals := 0
	for _, p := range []string{"kredietbank", "school", "cjg", "uwv"} {
		signals += len(e.itemsOf(p, broker.RoleConnector, broker.InboxMatch))
	}
	signals += len(e.itemsOf("gem-a", broker.RoleCoordinator, broker.InboxMatch))
	if signals < 10 {
		t.Fatalf("%d match signals in the inboxes; the test needs 10 or more", signals)
	}
	e.setLevel("gem-a", 3)
	e.setLevel("kredietbank", 3)
	var ids []string
	for range 12 {
		a, err := e.give("hh-a")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	rc := e.caller("kredietbank", broker.RoleConnector, debtPurpose)
	e.at(time.Date(2026, 1, 8, 9, 0, 0, 0, time.UTC))
	for i, id := range ids {
		step, text := broker.StepAccept, ""
		if i >= 10 {
			step, text = broker.StepDecline, "geen capaciteit"
		}
		if _, err := e.svc.StepAssignment(e.ctx, rc, id, step, text); err != nil {
			t.Fatalf("%s %s: %v", step, id, err)
		}
	}
	e.at(time.Date(2026, 2, 8, 21, 0, 0, 0, time.UTC))
	for _, id := range ids[:10] {
		if _, err := e.svc.StepAssignment(e.ctx, rc, id, broker.StepComplete, "overzicht gemaakt"); err != nil {
			t.Fatalf("complete %s: %v", id, err)
		}
	}
	e.at(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	ask := func(month string) map[string]broker.StatisticsCell {
		t.Helper()
		st, err := e.svc.Statistics(e.ctx, e.operator, broker.StatisticsQuery{Municipality: "gem-a", From: month, To: month})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Rows) != 1 {
			t.Fatalf("%d rows for one month", len(st.Rows))
		}
		return st.Rows[0].Cells
	}
	want := func(cells map[string]broker.StatisticsCell, key string, v float64) {
		t.Helper()
		if c := cells[key]; c.Suppressed || c.Value == nil || *c.Value != v {
			t.Errorf("%s: %+v, want %v", key, c, v)
		}
	}
	hidden := func(cells map[string]broker.StatisticsCell, key string) {
		t.Helper()
		if c := cells[key]; !c.Suppressed || c.Value != nil {
			t.Errorf("%s: %+v, want <10", key, c)
		}
	}
	jan := ask("2026-01")
	want(jan, "assignments_given", 12)
	want(jan, "assignments_accepted", 10)
	hidden(jan, "assignments_declined")
	want(jan, "assignments_median_days_to_accept", 3)
	hidden(jan, "assignments_completed")
	hidden(jan, "assignments_median_days_to_complete")
	want(jan, "consents_given", 12)
	want(jan, "match_signals", float64(signals))
	hidden(jan, "consents_withdrawn")
	hidden(jan, "plans_opened")
	feb := ask("2026-02")
	want(feb, "assignments_completed", 10)
	want(feb, "assignments_median_days_to_complete", 34.5) // 5 January 09:00 to 8 February 21:00
	hidden(feb, "assignments_given")
}
