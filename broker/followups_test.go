package broker_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/brokertest"
)

// followupEnv is the family of the overview tests on a clock the test
// turns, with consent for every partner, registered on Thursday 17
// December 2026: ten working days later, with both Christmas days and New
// Year's day not counted, is Monday 4 January 2027.
type followupEnv struct {
	*invEnv
	f     family
	clock atomic.Pointer[time.Time]
}

func newFollowupEnv(t *testing.T) *followupEnv {
	t.Helper()
	return newFollowupEnvWith(t, nil)
}

// newFollowupEnvWith is newFollowupEnv under policy data that patch
// changed (nil: the embedded bundle's).
func newFollowupEnvWith(t *testing.T, patch func(config map[string]any)) *followupEnv {
	t.Helper()
	fe := &followupEnv{}
	start := time.Date(2026, 12, 17, 9, 0, 0, 0, time.UTC)
	fe.clock.Store(&start)
	var eng broker.PolicyEngine
	if patch != nil {
		eng = brokertest.EngineWithConfig(t, patch)
	}
	fe.invEnv = newInvEnvWith(t, func(c *broker.Config) {
		c.Now = func() time.Time { return *fe.clock.Load() }
		if eng != nil {
			c.Policy = eng
		}
	})
	in := broker.HouseholdInput{Municipality: "gem-a", Area: "centrum"}
	fe.f = family{id: "hh-1", bsns: map[string]string{}}
	for _, m := range familyMembers {
		m.BSN = fe.bsn()
		fe.f.bsns[m.Label] = m.BSN
		in.Members = append(in.Members, m)
	}
	if _, err := fe.svc.PutHousehold(fe.ctx, fe.coordinator("gem-a", invPurpose), "hh-1", in); err != nil {
		t.Fatal(err)
	}
	// The CJG registers first (nobody else yet: no match), so that its
	// professional may record the consents; then the kredietbank and the
	// UWV make matches the coordinator is told of.
	fe.put("cjg", "hh-1-og", fe.f.bsns["kind 2"], "opvoedondersteuning")
	all := []broker.Sector{broker.SectorDebt, broker.SectorYouth, broker.SectorEducation, broker.SectorWorkIncome,
		broker.SectorMunicipality}
	for _, label := range []string{"moeder", "vader"} {
		fe.consent(fe.f.bsns[label], broker.GivenBySelf, all...)
	}
	for _, label := range []string{"kind 1", "kind 2"} {
		fe.consent(fe.f.bsns[label], broker.GivenByParent, all...)
	}
	fe.consent(fe.f.bsns["kind 1"], broker.GivenBySelf, all...)
	fe.put("kredietbank", "hh-1-kb", fe.f.bsns["moeder"], "schuldregeling")
	fe.put("uwv", "hh-1-ww", fe.f.bsns["vader"], "ww")
	return fe
}

func (fe *followupEnv) advance(d time.Duration) {
	t := fe.clock.Load().Add(d)
	fe.clock.Store(&t)
}

// followups lists what the coordinator (c.regisseur of gem-a) sees.
func (fe *followupEnv) followups(c *broker.Caller, state string) []broker.FollowupView {
	fe.t.Helper()
	l, err := fe.svc.Followups(fe.ctx, c, broker.FollowupQuery{State: state})
	if err != nil {
		fe.t.Fatalf("listing follow-ups: %v", err)
	}
	fe.noBSN("a follow-up list", l)
	return l.Followups
}

func (fe *followupEnv) about(c *broker.Caller, partner string) broker.FollowupView {
	fe.t.Helper()
	for _, f := range fe.followups(c, "") {
		if f.Partner == partner && f.For == "" {
			return f
		}
	}
	fe.t.Fatalf("no follow-up about %s", partner)
	return broker.FollowupView{}
}

// followupItems returns partner's inbox items about follow-up id.
func (fe *followupEnv) followupItems(partner string, role broker.Role, id, reason string) []broker.InboxView {
	var out []broker.InboxView
	for _, it := range fe.inbox(partner, role) {
		if it.Followup != nil && it.Followup.ID == id && it.Followup.Reason == reason {
			out = append(out, it)
		}
	}
	return out
}

func TestFollowupOpensWithTheMatchSignal(t *testing.T) {
	fe := newFollowupEnv(t)
	coord := fe.coordinator("gem-a", invPurpose)
	got := fe.followups(coord, "")
	partners := []string{}
	for _, f := range got {
		partners = append(partners, f.Partner)
		if f.State != broker.FollowupOpen || f.Due != "2027-01-04" || f.Lead != f.Coordinator ||
			f.Coordinator != (broker.Actor{Partner: "gem-a", Sub: "c.regisseur"}) || f.Involvements != 1 || f.Overdue {
			t.Errorf("follow-up %+v", f)
		}
	}
	slices.Sort(partners)
	if !slices.Equal(partners, []string{"kredietbank", "uwv"}) {
		t.Fatalf("follow-ups about %v, want kredietbank and uwv", partners)
	}
	// The match signal in the coordinator's inbox names its follow-up.
	uwv := fe.about(coord, "uwv")
	var linked bool
	for _, it := range fe.inbox("gem-a", broker.RoleCoordinator) {
		if it.Kind == broker.InboxMatch && it.Followup != nil && it.Followup.ID == uwv.ID && it.Followup.Reason == "opened" {
			linked = true
		}
	}
	if !linked {
		t.Error("the coordinator's match signal does not name its follow-up")
	}
	// A second registration of the UWV with the household joins the live
	// follow-up instead of opening another.
	fe.put("uwv", "hh-1-ww2", fe.f.bsns["moeder"], "ww")
	again := fe.about(coord, "uwv")
	if again.ID != uwv.ID || again.Involvements != 2 || len(fe.followups(coord, "")) != 2 {
		t.Fatalf("after a second match with the UWV: %+v", fe.followups(coord, ""))
	}
}

// TestFollowupVisibility: only the lead and the coordinator, as persons,
// see a follow-up; to anyone else it does not exist, exactly as an id
// never used, and the attempt is audited about the household's members.
func TestFollowupVisibility(t *testing.T) {
	fe := newFollowupEnv(t)
	coord := fe.coordinator("gem-a", invPurpose)
	id := fe.about(coord, "uwv").ID
	if _, err := fe.svc.Followup(fe.ctx, coord, id); err != nil {
		t.Fatalf("the coordinator: %v", err)
	}
	colleague := fe.coordinator("gem-a", invPurpose)
	colleague.Sub = "a.collega"
	otherMunicipality := fe.coordinator("gem-b", invPurpose)
	connector := fe.connector("gem-a")
	connector.Sub = "c.regisseur" // an organisation key asserting the coordinator, in the connector role
	for name, c := range map[string]*broker.Caller{
		"another person of the coordinator's partner": colleague,
		"the other partner of the match":              fe.professional("uwv", invPurpose),
		"a partner of the household":                  fe.professional("kredietbank", invPurpose),
		"another municipality's coordinator":          otherMunicipality,
		"a connector of the coordinator's partner":    connector,
	} {
		t.Run(name, func(t *testing.T) {
			before := fe.head()
			_, err := fe.svc.Followup(fe.ctx, c, id)
			_, never := fe.svc.Followup(fe.ctx, c, "f-never")
			if !errors.Is(err, broker.ErrNotFound) || !errors.Is(never, broker.ErrNotFound) {
				t.Fatalf("got %v and, for an id never used, %v; want both not found", err, never)
			}
			if len(fe.followups(c, "")) != 0 && c.Role != broker.RoleConnector {
				t.Error("the list shows another's follow-up")
			}
			for _, step := range []struct {
				name string
				in   broker.FollowupStepInput
			}{
				{broker.FollowupStepContact, broker.FollowupStepInput{}},
				{broker.FollowupStepClose, broker.FollowupStepInput{Outcome: "afgestemd"}},
				{broker.FollowupStepReassign, broker.FollowupStepInput{Lead: &broker.Actor{Partner: c.Partner.ID, Sub: c.Sub}}},
				// A bad body must not tell a used id from one never used.
				{broker.FollowupStepContact, broker.FollowupStepInput{On: "2099-01-01"}},
				{broker.FollowupStepClose, broker.FollowupStepInput{Outcome: "Weet niet"}},
				{broker.FollowupStepReassign, broker.FollowupStepInput{Lead: &broker.Actor{Partner: "niemand", Sub: "x"}}},
			} {
				if _, err := fe.svc.StepFollowup(fe.ctx, c, id, step.name, step.in); !errors.Is(err, broker.ErrNotFound) {
					t.Errorf("%s: %v, want not found", step.name, err)
				}
			}
			refused := 0
			for _, a := range fe.entriesSince(before) {
				if a.Object == "followup:"+id && a.Decision == broker.DecisionDeny && len(a.Subjects) > 0 {
					refused++
				}
			}
			if refused < 4 {
				t.Errorf("%d audited refusals about the members, want 4", refused)
			}
		})
	}
	if _, err := fe.svc.Followups(fe.ctx, connector, broker.FollowupQuery{}); !deniedWith(err, broker.ReasonRoleNotAllowed) &&
		err != nil {
		t.Errorf("a connector's list: %v", err)
	}
	if l, err := fe.svc.Followups(fe.ctx, fe.caller("fg", broker.RoleAnalyst, ""), broker.FollowupQuery{}); err == nil {
		t.Errorf("an analyst listed follow-ups: %+v", l)
	}
}

func TestFollowupLifecycle(t *testing.T) {
	fe := newFollowupEnv(t)
	coord := fe.coordinator("gem-a", invPurpose)
	id := fe.about(coord, "uwv").ID
	before := fe.head()

	// Bad input loses nothing.
	for name, in := range map[string]broker.FollowupStepInput{
		"a contact in the future":           {On: "2026-12-18"},
		"a contact before the follow-up":    {On: "2026-12-16"},
		"a contact that is not a date":      {On: "morgen"},
		"a contact with an outcome":         {Outcome: "afgestemd"},
		"a contact with someone not an id":  {With: "UWV Amersfoort"},
		"a contact naming a BSN as partner": {With: fe.f.bsns["vader"]},
	} {
		if _, err := fe.svc.StepFollowup(fe.ctx, coord, id, broker.FollowupStepContact, in); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := fe.svc.StepFollowup(fe.ctx, coord, id, "forget", broker.FollowupStepInput{}); !errors.Is(err, broker.ErrInvalid) {
		t.Errorf("an unknown step: %v", err)
	}
	if got := fe.about(coord, "uwv"); got.State != broker.FollowupOpen || got.Revision != 1 {
		t.Fatalf("after bad input: %+v", got)
	}

	v, err := fe.svc.StepFollowup(fe.ctx, coord, id, broker.FollowupStepContact, broker.FollowupStepInput{})
	if err != nil || v.State != broker.FollowupContacted || v.Contact == nil ||
		*v.Contact != (broker.FollowupContact{With: "uwv", On: "2026-12-17"}) {
		t.Fatalf("contact: %+v, %v", v, err)
	}

	// The coordinator names a professional of the kredietbank, which
	// serves the mother, as lead: the kredietbank hears of it in its
	// inbox, its professional now sees the follow-up, and a colleague
	// there does not.
	kb := fe.professional("kredietbank", invPurpose)
	v, err = fe.svc.StepFollowup(fe.ctx, coord, id, broker.FollowupStepReassign,
		broker.FollowupStepInput{Lead: &broker.Actor{Partner: "kredietbank", Sub: kb.Sub}})
	if err != nil || v.Lead != (broker.Actor{Partner: "kredietbank", Sub: kb.Sub}) || v.State != broker.FollowupContacted {
		t.Fatalf("reassign: %+v, %v", v, err)
	}
	if len(fe.followupItems("kredietbank", broker.RoleConnector, id, "reassigned")) != 1 {
		t.Error("the new lead's partner was not told")
	}
	if _, err := fe.svc.Followup(fe.ctx, kb, id); err != nil {
		t.Errorf("the new lead: %v", err)
	}
	kbColleague := fe.professional("kredietbank", invPurpose)
	kbColleague.Sub = "k.collega"
	if _, err := fe.svc.Followup(fe.ctx, kbColleague, id); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("the new lead's colleague: %v", err)
	}
	// A lead cannot pass it on; a partner not serving the household, or
	// in a sector the policy does not list, cannot lead.
	if _, err := fe.svc.StepFollowup(fe.ctx, kb, id, broker.FollowupStepReassign,
		broker.FollowupStepInput{Lead: &broker.Actor{Partner: "kredietbank", Sub: "k.collega"}}); !deniedWith(err, broker.ReasonNotCoordinator) {
		t.Errorf("the lead passing it on: %v", err)
	}
	if _, err := fe.svc.StepFollowup(fe.ctx, coord, id, broker.FollowupStepReassign,
		broker.FollowupStepInput{Lead: &broker.Actor{Partner: "sociale-dienst", Sub: "s.iemand"}}); !deniedIncluding(err, broker.ReasonLeadNotAllowed) {
		t.Errorf("a lead of a partner that does not serve the household: %v", err)
	}

	// The lead closes it, with an outcome from the policy data only (the
	// list the console offers).
	if o := fe.svc.FollowupOutcomes(); len(o) != 4 || o["afgestemd"] == "" {
		t.Errorf("the policy's outcomes: %v", o)
	}
	if _, err := fe.svc.StepFollowup(fe.ctx, kb, id, broker.FollowupStepClose,
		broker.FollowupStepInput{Outcome: "weet-niet"}); !deniedWith(err, broker.ReasonOutcomeUnknown) {
		t.Errorf("an unknown outcome: %v", err)
	}
	v, err = fe.svc.StepFollowup(fe.ctx, kb, id, broker.FollowupStepClose, broker.FollowupStepInput{Outcome: "afgestemd"})
	if err != nil || v.State != broker.FollowupClosed || v.Outcome != "afgestemd" || len(v.Steps) != 4 {
		t.Fatalf("close: %+v, %v", v, err)
	}
	if _, err := fe.svc.StepFollowup(fe.ctx, coord, id, broker.FollowupStepContact, broker.FollowupStepInput{}); !isConflict(err) {
		t.Errorf("a contact after the close: %v", err)
	}
	// Every step is audited, under the follow-up's purpose, about the
	// members the match was about.
	steps := map[string]int{}
	for _, a := range fe.entriesSince(before) {
		if a.Object == "followup:"+id && a.Decision == broker.DecisionAllow {
			steps[a.Action]++
			if a.Purpose != invPurpose || len(a.Subjects) != 1 {
				t.Errorf("audit entry %+v", a)
			}
		}
	}
	for _, action := range []string{broker.ActionFollowupContact, broker.ActionFollowupReassign, broker.ActionFollowupClose} {
		if steps[action] != 1 {
			t.Errorf("%d audited %s, want 1 (%v)", steps[action], action, steps)
		}
	}
	// Closed follow-ups come after the live ones.
	list := fe.followups(coord, "")
	if len(list) != 2 || list[0].Partner != "kredietbank" || list[1].ID != id {
		t.Errorf("the list's order: %+v", list)
	}
	if live := fe.followups(coord, "live"); len(live) != 1 || live[0].Partner != "kredietbank" {
		t.Errorf("live: %+v", live)
	}
}

// TestFollowupEscalation: past its due date a follow-up escalates to the
// lead and the municipality's team lead, once; again after the second
// period (five working days), once; the sweep is idempotent.
func TestFollowupEscalation(t *testing.T) {
	fe := newFollowupEnv(t)
	coord := fe.coordinator("gem-a", invPurpose)
	// The municipality registers its team lead.
	p, err := fe.svc.LookupPartner("gem-a")
	if err != nil {
		t.Fatal(err)
	}
	np := *p
	np.TeamLead = &broker.Actor{Partner: "sociale-dienst", Sub: "t.teamleider"}
	if _, err := fe.svc.UpdatePartner(fe.ctx, fe.operator, np); err != nil {
		t.Fatal(err)
	}
	id := fe.about(coord, "uwv").ID
	sweep := func(want broker.FollowupSweep) {
		t.Helper()
		got, err := fe.svc.SweepFollowups(fe.ctx)
		if err != nil || got != want {
			t.Fatalf("on %s the sweep did %+v, %v; want %+v", fe.clock.Load().Format(time.DateOnly), got, err, want)
		}
	}
	fe.advance(18 * 24 * time.Hour) // Monday 4 January 2027: due today, not overdue
	sweep(broker.FollowupSweep{})
	fe.advance(24 * time.Hour) // the 5th: both live follow-ups are overdue
	sweep(broker.FollowupSweep{Escalated: 2})
	sweep(broker.FollowupSweep{})
	if v := fe.about(coord, "uwv"); !v.Overdue || v.Escalations != 1 || fe.followups(coord, "")[0].Overdue != true {
		t.Errorf("after the first escalation: %+v", v)
	}
	if n := len(fe.followupItems("gem-a", broker.RoleCoordinator, id, "overdue")); n != 1 {
		t.Errorf("the lead's partner got %d escalations, want 1", n)
	}
	tl := fe.followupItems("sociale-dienst", broker.RoleConnector, id, "overdue")
	if len(tl) != 1 || tl[0].Followup.To != (broker.Actor{Partner: "sociale-dienst", Sub: "t.teamleider"}) || tl[0].About != nil {
		t.Errorf("the team lead's escalation: %+v", tl)
	}
	// Five working days after the due date (the 11th) it escalates again,
	// on the 12th.
	fe.advance(6 * 24 * time.Hour) // the 11th
	sweep(broker.FollowupSweep{})
	fe.advance(24 * time.Hour)
	sweep(broker.FollowupSweep{Escalated: 2})
	sweep(broker.FollowupSweep{})
	if n := len(fe.followupItems("sociale-dienst", broker.RoleConnector, id, "overdue-again")); n != 1 {
		t.Errorf("the team lead got %d second escalations, want 1", n)
	}
	fe.advance(30 * 24 * time.Hour)
	sweep(broker.FollowupSweep{})
	// Closed, it no longer escalates or shows as overdue.
	if _, err := fe.svc.StepFollowup(fe.ctx, coord, id, broker.FollowupStepClose,
		broker.FollowupStepInput{Outcome: "niet-bereikt"}); err != nil {
		t.Fatal(err)
	}
	if v := fe.about(coord, "uwv"); v.Overdue {
		t.Errorf("a closed follow-up overdue: %+v", v)
	}
	if over := fe.followups(coord, "overdue"); len(over) != 1 || over[0].Partner != "kredietbank" {
		t.Errorf("overdue: %+v", over)
	}
}

// TestFollowupEndsWithItsInvolvements: when the other partner ends every
// involvement the follow-up was about, the next sweep cancels it.
func TestFollowupEndsWithItsInvolvements(t *testing.T) {
	fe := newFollowupEnv(t)
	coord := fe.coordinator("gem-a", invPurpose)
	id := fe.about(coord, "kredietbank").ID
	if _, _, err := fe.svc.PutInvolvement(fe.ctx, fe.connector("kredietbank"), "hh-1-kb", broker.InvolvementInput{
		BSN: fe.f.bsns["moeder"], Service: "schuldregeling", Status: broker.InvolvementEnded,
		Start: "2026-01-05", End: "2026-12-17"}); err != nil {
		t.Fatal(err)
	}
	before := fe.head()
	got, err := fe.svc.SweepFollowups(fe.ctx)
	if err != nil || got != (broker.FollowupSweep{Ended: 1}) {
		t.Fatalf("sweep: %+v, %v", got, err)
	}
	v, err := fe.svc.Followup(fe.ctx, coord, id)
	if err != nil || v.State != broker.FollowupCancelled || v.Outcome != broker.FollowupEndedInvolvements {
		t.Fatalf("after the involvement ended: %+v, %v", v, err)
	}
	var audited bool
	for _, a := range fe.entriesSince(before) {
		audited = audited || a.Action == broker.ActionFollowupCancel && a.Object == "followup:"+id
	}
	if !audited {
		t.Error("the cancellation is not audited")
	}
	// The other follow-up goes on.
	if v := fe.about(coord, "uwv"); v.State != broker.FollowupOpen {
		t.Errorf("the UWV's follow-up: %+v", v)
	}
}

// partnerFollowups are the policy data of a region that has the debt
// counsellors' match signals followed up too, from level minLevel.
func partnerFollowups(minLevel int) func(map[string]any) {
	return func(config map[string]any) {
		f := config["followups"].(map[string]any)
		f["partner_sectors"], f["partner_min_level"] = []string{"debt"}, minLevel
	}
}

// TestPartnerFollowupOpensUnassigned: where the policy data names the debt
// counsellors (followups.partner_sectors), the UWV's match signal to the
// kredietbank opens a follow-up for the kredietbank too, without a
// person: the coordinator sees it and names one; until then nobody of the
// kredietbank sees it, and it escalates to the coordinator. The CJG, in a
// sector not named, gets none.
func TestPartnerFollowupOpensUnassigned(t *testing.T) {
	fe := newFollowupEnvWith(t, partnerFollowups(2))
	coord := fe.coordinator("gem-a", invPurpose)
	kb := fe.professional("kredietbank", invPurpose)
	var f broker.FollowupView
	for _, v := range fe.followups(coord, "") {
		switch {
		case v.For == "kredietbank" && v.Partner == "uwv":
			f = v
		case v.For != "":
			t.Errorf("a follow-up for %s about %s", v.For, v.Partner)
		}
	}
	if n := len(fe.followups(coord, "")); n != 3 {
		t.Fatalf("the coordinator sees %d follow-ups, want 3 (her two and the kredietbank's)", n)
	}
	if f.ID == "" || f.Lead != (broker.Actor{Partner: "kredietbank"}) || f.Coordinator != actorOf(coord) ||
		f.Due != "2027-01-04" || f.State != broker.FollowupOpen || f.Involvements != 1 {
		t.Fatalf("the kredietbank's follow-up: %+v", f)
	}
	// Until a person is named nobody of the kredietbank sees it, exactly as
	// an id never used; its inbox's match signal does not name it.
	_, err := fe.svc.Followup(fe.ctx, kb, f.ID)
	_, never := fe.svc.Followup(fe.ctx, kb, "f-never")
	if !errors.Is(err, broker.ErrNotFound) || !errors.Is(never, broker.ErrNotFound) || len(fe.followups(kb, "")) != 0 {
		t.Fatalf("the kredietbank's professional: %v (never used: %v)", err, never)
	}
	for _, it := range fe.inbox("kredietbank", broker.RoleConnector) {
		if it.Followup != nil || it.Household != "" {
			t.Errorf("the kredietbank's inbox names a follow-up or the household: %+v", it)
		}
	}
	// A second match with the UWV joins it.
	fe.put("uwv", "hh-1-ww2", fe.f.bsns["moeder"], "ww")
	if v, err := fe.svc.Followup(fe.ctx, coord, f.ID); err != nil || v.Involvements != 2 {
		t.Fatalf("after a second match: %+v, %v", v, err)
	}
	// Overdue and unassigned, it escalates to the coordinator, not to the
	// kredietbank's inbox.
	fe.advance(19 * 24 * time.Hour)
	if _, err := fe.svc.SweepFollowups(fe.ctx); err != nil {
		t.Fatal(err)
	}
	esc := fe.followupItems("gem-a", broker.RoleCoordinator, f.ID, "overdue")
	if len(esc) != 1 || esc[0].Followup.To != actorOf(coord) {
		t.Errorf("the coordinator's escalation: %+v", esc)
	}
	if n := len(fe.followupItems("kredietbank", broker.RoleConnector, f.ID, "overdue")); n != 0 {
		t.Errorf("the kredietbank got %d escalations of a follow-up nobody there leads", n)
	}
	// The coordinator names the kredietbank's professional: now she sees
	// it and closes it.
	v, err := fe.svc.StepFollowup(fe.ctx, coord, f.ID, broker.FollowupStepReassign,
		broker.FollowupStepInput{Lead: &broker.Actor{Partner: "kredietbank", Sub: kb.Sub}})
	if err != nil || v.Lead != actorOf(kb) || v.For != "kredietbank" {
		t.Fatalf("naming the lead: %+v, %v", v, err)
	}
	if len(fe.followupItems("kredietbank", broker.RoleConnector, f.ID, "reassigned")) != 1 {
		t.Error("the kredietbank was not told its person leads it")
	}
	if _, err := fe.svc.StepFollowup(fe.ctx, kb, f.ID, broker.FollowupStepClose,
		broker.FollowupStepInput{Outcome: "afgestemd"}); err != nil {
		t.Errorf("the named lead closes it: %v", err)
	}
}

// actorOf is the person c acts as.
func actorOf(c *broker.Caller) broker.Actor { return broker.Actor{Partner: c.Partner.ID, Sub: c.Sub} }

// TestPartnerFollowupNeedsTheLevel: a partner's match signal opens no
// follow-up below followups.partner_min_level (the partners are at level
// 2), and none by default (no partner_sectors): the coordinator's own two
// are all there is.
func TestPartnerFollowupNeedsTheLevel(t *testing.T) {
	for name, patch := range map[string]func(map[string]any){
		"level 3 asked":             partnerFollowups(3),
		"the default policy's data": nil,
	} {
		t.Run(name, func(t *testing.T) {
			fe := newFollowupEnvWith(t, patch)
			for _, v := range fe.followups(fe.coordinator("gem-a", invPurpose), "") {
				if v.For != "" {
					t.Errorf("a follow-up for %s: %+v", v.For, v)
				}
			}
		})
	}
}

// deniedIncluding reports whether err is a policy denial naming reason
// (among others).
func deniedIncluding(err error, reason string) bool {
	var d *broker.DeniedError
	return errors.As(err, &d) && slices.Contains(d.Reasons, reason)
}

// TestFollowupFigures: the pilot's follow-up figures on crafted data. In
// January 2027 fifteen follow-ups fall due: the crafted ten followed up in
// time and three late, and the environment's two, due on the 4th and never
// contacted. The five late ones never show: not as a cell, and not as the
// difference of the follow-ups due and those in time.
func TestFollowupFigures(t *testing.T) {
	fe := newFollowupEnv(t)
	p, err := fe.svc.LookupPartner("gem-a")
	if err != nil {
		t.Fatal(err)
	}
	np := *p
	np.Roles = append(np.Roles, broker.RoleAnalyst)
	if _, err := fe.svc.UpdatePartner(fe.ctx, fe.operator, np); err != nil {
		t.Fatal(err)
	}
	coord := broker.Actor{Partner: "gem-a", Sub: "c.regisseur"}
	opened := time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)
	if err := fe.store.Update(func(tx broker.Tx) error {
		for i := range 14 {
			f := broker.Followup{ID: fmt.Sprintf("f-crafted-%02d", i), Municipality: "gem-a", Household: "hh-1",
				Purpose: invPurpose, Partner: "uwv", Coordinator: coord, Lead: coord, Due: "2027-01-18",
				State: broker.FollowupClosed, CreatedAt: opened, UpdatedAt: opened, Revision: 2,
				Steps: []broker.FollowupStep{{Step: broker.FollowupStepOpen, State: broker.FollowupOpen, At: opened, By: coord}}}
			at := opened.Add(time.Duration(i+1) * 24 * time.Hour) // contacts on the 5th … the 17th: in time
			switch {
			case i >= 10 && i < 13:
				at = time.Date(2027, 1, 20, 9, 0, 0, 0, time.UTC) // late
			case i == 13:
				// Cancelled before it was due, never contacted: not counted.
				f.Steps = append(f.Steps, broker.FollowupStep{Step: broker.FollowupStepCancel, State: broker.FollowupCancelled,
					At: opened.Add(48 * time.Hour), By: coord})
				f.State = broker.FollowupCancelled
				if err := tx.PutFollowup(f); err != nil {
					return err
				}
				continue
			}
			f.Steps = append(f.Steps, broker.FollowupStep{Step: broker.FollowupStepContact, State: broker.FollowupContacted,
				At: at, By: coord})
			if err := tx.PutFollowup(f); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 2, 3, 9, 0, 0, 0, time.UTC)
	fe.clock.Store(&now)
	analyst := fe.caller("gem-a", broker.RoleAnalyst, "")
	analyst.Sub, analyst.Person = "a.analist", broker.Person{ID: "a.analist", Verified: true, Via: "key:test"}
	st, err := fe.svc.Statistics(fe.ctx, analyst, broker.StatisticsQuery{Municipality: "gem-a", From: "2027-01", To: "2027-01"})
	if err != nil {
		t.Fatal(err)
	}
	cells := st.Rows[0].Cells
	text := func(k string) string { return cells[k].Text }
	if text("followups_due") != "15" || !cells["followups_late"].Suppressed || !cells["followups_in_time"].Suppressed {
		t.Errorf("due %q, in time %q, late %q: the 5 late ones could be worked out", text("followups_due"),
			text("followups_in_time"), text("followups_late"))
	}
	// Thirteen first contacts in January, a median of ten days from
	// opening to contact (days 1 … 10, then three on the 16th).
	if text("followups_contacted") != "13" || text("followups_median_days_to_contact") != "7.0" {
		t.Errorf("contacted %q, median days %q", text("followups_contacted"), text("followups_median_days_to_contact"))
	}
	raw, _ := json.Marshal(st)
	for _, s := range []string{`"5"`, "hh-1", "c.regisseur", "f-crafted"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("the figures hold %s", s)
		}
	}
}

// TestFollowupEndsWithThePlan: when the coordinator closes the
// household's plan, the next sweep cancels the household's live
// follow-ups; one opened after the close is not touched by it.
func TestFollowupEndsWithThePlan(t *testing.T) {
	e, _ := planFamily(t)
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan); err != nil {
		t.Fatal(err)
	}
	var subjects []broker.Pseudonym
	var uwv broker.Involvement
	if err := e.store.View(func(tx broker.ReadTx) error {
		h, err := tx.Household("gem-a", "hh-1")
		for _, m := range h.Members {
			subjects = append(subjects, m.Subject)
		}
		if err != nil {
			return err
		}
		uwv, err = tx.Involvement("uwv", "hh-1-ww")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	coord := broker.Actor{Partner: "gem-a", Sub: "c.regisseur"}
	put := func(id string, opened time.Time) {
		t.Helper()
		if err := e.store.Update(func(tx broker.Tx) error {
			return tx.PutFollowup(broker.Followup{ID: id, Municipality: "gem-a", Household: "hh-1", Purpose: invPurpose,
				Partner: "uwv", Involvements: []string{uwv.ID}, Subjects: subjects, Coordinator: coord, Lead: coord,
				Due: opened.AddDate(0, 0, 14).Format(time.DateOnly), State: broker.FollowupOpen, CreatedAt: opened,
				UpdatedAt: opened, Revision: 1})
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("f-before", time.Now().UTC().Add(-time.Hour))
	if got, err := e.svc.SweepFollowups(e.ctx); err != nil || got != (broker.FollowupSweep{}) {
		t.Fatalf("with the plan open: %+v, %v", got, err)
	}
	cur, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ClosePlan(e.ctx, e.coord(), "hh-1", cur.Version); err != nil {
		t.Fatal(err)
	}
	put("f-after", time.Now().UTC().Add(time.Hour))
	if got, err := e.svc.SweepFollowups(e.ctx); err != nil || got != (broker.FollowupSweep{Ended: 1}) {
		t.Fatalf("after the close: %+v, %v", got, err)
	}
	v, err := e.svc.Followup(e.ctx, e.coord(), "f-before")
	if err != nil || v.State != broker.FollowupCancelled || v.Outcome != broker.FollowupEndedPlan {
		t.Errorf("the follow-up opened before the close: %+v, %v", v, err)
	}
	if v, err := e.svc.Followup(e.ctx, e.coord(), "f-after"); err != nil || v.State != broker.FollowupOpen {
		t.Errorf("the follow-up opened after the close: %+v, %v", v, err)
	}
}

// TestFollowupOpensFromASync: a full-caseload sync's match signals (asked
// in bulk) open follow-ups as a single registration's do: the school's two
// new lines about the children make one follow-up, with both.
func TestFollowupOpensFromASync(t *testing.T) {
	fe := newFollowupEnv(t)
	coord := fe.coordinator("gem-a", invPurpose)
	fe.sync("school",
		broker.SyncItem{Line: 1, Ref: "ib-1", Input: broker.InvolvementInput{BSN: fe.f.bsns["kind 1"], Service: "extra-ondersteuning",
			Status: broker.InvolvementActive, Start: "2026-01-05"}},
		broker.SyncItem{Line: 2, Ref: "ib-2", Input: broker.InvolvementInput{BSN: fe.f.bsns["kind 2"], Service: "extra-ondersteuning",
			Status: broker.InvolvementActive, Start: "2026-01-05"}})
	school := fe.about(coord, "school")
	if school.State != broker.FollowupOpen || school.Involvements != 2 || school.Due != "2027-01-04" {
		t.Fatalf("the school's follow-up: %+v", school)
	}
	if n := len(fe.followups(coord, "")); n != 3 {
		t.Errorf("%d follow-ups, want 3 (kredietbank, uwv, school)", n)
	}
}
