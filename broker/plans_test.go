package broker_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// planFamily is hh-1 at level 4 with gem-a, the kredietbank and the CJG,
// every member consenting (the children by a parent) to the municipality,
// debt and youth partners, for integrated support.
func planFamily(t *testing.T) (*invEnv, family) { return planFamilyWith(t, nil) }

// planFamilyWith is planFamily with the service's configuration adjusted
// by opt (a controlled clock, say).
func planFamilyWith(t *testing.T, opt func(*broker.Config)) (*invEnv, family) {
	e := newInvEnvWith(t, opt)
	f := e.newFamily("hh-1")
	for _, p := range []string{"gem-a", "kredietbank", "cjg"} {
		e.setLevel(p, 4)
	}
	e.consentFamily(f)
	return e, f
}

// consentFamily records every member's consent (the children by a parent,
// the child of 12 also their own) to the municipality, debt and youth
// partners, for integrated support.
func (e *invEnv) consentFamily(f family) {
	for _, m := range familyMembers {
		givenBy := broker.GivenBySelf
		if m.Role == broker.MemberChild {
			givenBy = broker.GivenByParent
		}
		e.consent(f.bsns[m.Label], givenBy, broker.SectorMunicipality, broker.SectorDebt, broker.SectorYouth)
		if m.Label == "kind 1" { // 12: in youth care the child consents too
			e.consent(f.bsns[m.Label], broker.GivenBySelf, broker.SectorMunicipality, broker.SectorDebt, broker.SectorYouth)
		}
	}
}

// firstPlan is the plan the coordinator makes first: two goals, an
// agreement with the kredietbank and one with the CJG.
var firstPlan = broker.PlanInput{
	Goals: []broker.Goal{
		{ID: "schulden", Title: "Schulden stabiliseren", Target: "2027-06-01"},
		{ID: "opvoeding", Title: "Rust in het gezin"},
	},
	Agreements: []broker.Agreement{
		{ID: "w-kb", Goal: "schulden", Partner: "kredietbank", Action: "Schuldenoverzicht en budgetplan", Due: "2027-01-15"},
		{ID: "w-cjg", Goal: "opvoeding", Partner: "cjg", Action: "Opvoedondersteuning, wekelijks"},
	},
	Note: "planbijeenkomst 1",
}

func (e *invEnv) coord() *broker.Caller { return e.coordinator("gem-a", invPurpose) }

func (e *invEnv) planItems(partner string, role broker.Role) []broker.InboxView {
	e.t.Helper()
	var out []broker.InboxView
	for _, it := range e.inbox(partner, role) {
		if it.Kind == broker.InboxPlan {
			out = append(out, it)
		}
	}
	return out
}

func TestPlanNeedsLevel4(t *testing.T) {
	e, _ := planFamily(t)
	e.setLevel("gem-a", 3)
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan); !deniedWith(err, broker.ReasonLevelTooLow) {
		t.Fatalf("at level 3: %v", err)
	}
	if _, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 0); !deniedWith(err, broker.ReasonLevelTooLow) {
		t.Fatalf("read at level 3: %v", err)
	}
	e.setLevel("gem-a", 4)
	// A participant that joined at level 3 keeps the plan at level 3.
	e.setLevel("cjg", 3)
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan); !deniedWith(err, broker.ReasonLevelTooLow) {
		t.Fatalf("with a participant at level 3: %v", err)
	}
	e.setLevel("cjg", 4)
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan); err != nil {
		t.Fatal(err)
	}
}

func TestPlanVersionsAndParticipants(t *testing.T) {
	e, f := planFamily(t)
	before := e.head()
	// No plan yet: the coordinator hears so; a partner is no participant.
	if _, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 0); !errors.Is(err, broker.ErrNotFound) {
		t.Fatalf("no plan yet: %v", err)
	}
	if _, err := e.svc.Plan(e.ctx, e.professional("kredietbank", invPurpose), "hh-1", 0); !deniedWith(err, broker.ReasonNotParticipant) {
		t.Fatalf("a partner before the plan: %v", err)
	}
	// Only the coordinator, as a person, writes the plan.
	other := e.coordinator("gem-a", invPurpose)
	other.Sub = "another.coordinator"
	if _, err := e.svc.PutPlan(e.ctx, other, "hh-1", 0, firstPlan); !deniedWith(err, broker.ReasonNotCoordinator) {
		t.Fatalf("another coordinator: %v", err)
	}
	if _, err := e.svc.PutPlan(e.ctx, e.professional("kredietbank", invPurpose), "hh-1", 0, firstPlan); !deniedWith(err, broker.ReasonNotCoordinator) {
		t.Fatalf("a participant writes: %v", err)
	}

	v1, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Status != broker.PlanOpen || v1.Coordinator.Partner != "gem-a" || len(v1.Goals) != 2 ||
		len(v1.Agreements) != 2 || v1.Agreements[0].Status != broker.AgreementPlanned || v1.Agreements[0].PartnerName != "Kredietbank" ||
		!strings.Contains(v1.Change, "plan created") || !strings.Contains(v1.Change, "planbijeenkomst 1") ||
		!slices.Equal(v1.Members, []string{"moeder", "vader", "kind 1", "kind 2"}) || v1.ETag() != `"1"` {
		t.Fatalf("version 1: %+v", v1)
	}
	e.noBSN("a plan", v1)
	// Creating it again is a stale precondition.
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan); !errors.Is(err, broker.ErrPreconditionFailed) {
		t.Fatalf("create twice: %v", err)
	}
	// Both participants were told, the coordinator's own partner not.
	for _, p := range []string{"kredietbank", "cjg"} {
		items := e.planItems(p, broker.RoleConnector)
		if len(items) != 1 || items[0].Plan.Version != 1 || items[0].Household != "hh-1" {
			t.Fatalf("%s's inbox: %+v", p, items)
		}
	}
	if items := e.planItems("gem-a", broker.RoleCoordinator); len(items) != 0 {
		t.Fatalf("the coordinator's partner told of its own change: %+v", items)
	}

	// A participant reads the plan and updates its own agreement, not
	// another's; a partner without an agreement reads nothing.
	kb := func() *broker.Caller { return e.professional("kredietbank", invPurpose) }
	if got, err := e.svc.Plan(e.ctx, kb(), "hh-1", 0); err != nil || got.Version != 1 {
		t.Fatalf("the kredietbank reads: %+v, %v", got, err)
	}
	e.setLevel("uwv", 4)
	var denied *broker.DeniedError
	if _, err := e.svc.Plan(e.ctx, e.caller("uwv", broker.RoleConnector, invPurpose), "hh-1", 0); !errors.As(err, &denied) ||
		!slices.Contains(denied.Reasons, broker.ReasonNotParticipant) {
		t.Fatalf("uwv reads: %v", err)
	}
	if _, err := e.svc.SetAgreementStatus(e.ctx, kb(), "hh-1", "w-cjg", 1, broker.AgreementDone); !errors.Is(err, broker.ErrForbidden) {
		t.Fatalf("another partner's agreement: %v", err)
	}
	if _, err := e.svc.SetAgreementStatus(e.ctx, kb(), "hh-1", "w-kb", 1, "klaar"); invalidField(err) != "status" {
		t.Fatalf("a bad status: %v", err)
	}
	v2, err := e.svc.SetAgreementStatus(e.ctx, kb(), "hh-1", "w-kb", 1, broker.AgreementInProgress)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.Agreements[0].Status != broker.AgreementInProgress || v2.ChangedBy.Partner != "kredietbank" {
		t.Fatalf("version 2: %+v", v2)
	}
	if items := e.planItems("gem-a", broker.RoleCoordinator); len(items) != 1 || items[0].Plan.Version != 2 {
		t.Fatalf("the coordinator's inbox: %+v", items)
	}
	// A write on version 1 is now stale.
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 1, firstPlan); !errors.Is(err, broker.ErrPreconditionFailed) {
		t.Fatalf("a stale write: %v", err)
	}
	// The coordinator adds a goal on version 2.
	next := firstPlan
	next.Goals = append(slices.Clone(firstPlan.Goals), broker.Goal{Title: "Werk vinden", Status: broker.GoalOpen})
	next.Agreements = slices.Clone(v2Agreements(v2))
	next.Note = ""
	v3, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 2, next)
	if err != nil {
		t.Fatal(err)
	}
	if v3.Version != 3 || len(v3.Goals) != 3 || v3.Goals[2].ID == "" || v3.Change != "goals 1 added" {
		t.Fatalf("version 3: %+v", v3)
	}

	// The history, and an old version.
	h, err := e.svc.PlanHistory(e.ctx, kb(), "hh-1")
	if err != nil || len(h.Versions) != 3 || h.Versions[1].ChangedBy.Partner != "kredietbank" {
		t.Fatalf("history: %+v, %v", h, err)
	}
	old, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 1)
	if err != nil || old.Version != 1 || old.Latest != 3 || old.Agreements[0].Status != broker.AgreementPlanned {
		t.Fatalf("version 1 again: %+v, %v", old, err)
	}

	// Closing ends the participants' access; the coordinator still reads.
	// (A verified participant, so that the policy's own refusal shows.)
	participant := kb()
	participant.Person = broker.Person{ID: participant.Sub, Verified: true, Via: "key:test"}
	if _, err := e.svc.ClosePlan(e.ctx, participant, "hh-1", 3); !deniedWith(err, broker.ReasonNotCoordinator) {
		t.Fatalf("a participant closes: %v", err)
	}
	closed, err := e.svc.ClosePlan(e.ctx, e.coord(), "hh-1", 3)
	if err != nil || closed.Status != broker.PlanClosed || closed.Version != 4 {
		t.Fatalf("close: %+v, %v", closed, err)
	}
	if _, err := e.svc.Plan(e.ctx, kb(), "hh-1", 0); !deniedWith(err, broker.ReasonNotParticipant) {
		t.Fatalf("a participant after the close: %v", err)
	}
	if got, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 0); err != nil || got.Status != broker.PlanClosed {
		t.Fatalf("the coordinator after the close: %+v, %v", got, err)
	}
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 4, firstPlan); !errors.Is(err, broker.ErrConflict) {
		t.Fatalf("a write after the close: %v", err)
	}

	// Audit: every change and read about every member; the mother's
	// access report shows to whom the plan went.
	var actions []string
	for _, en := range e.entriesSince(before) {
		if strings.HasPrefix(en.Action, "plan.") && en.Decision == broker.DecisionAllow {
			actions = append(actions, en.Action)
			if len(en.Subjects) != 4 || en.Object == "" {
				t.Errorf("entry %+v", en)
			}
		}
	}
	want := []string{"plan.write", "plan.read", "plan.status", "plan.write", "plan.read", "plan.read", "plan.close", "plan.read"}
	if !slices.Equal(actions, want) {
		t.Errorf("audited %v\nwant    %v", actions, want)
	}
	rep, err := e.svc.SubjectAccess(e.ctx, e.caller("fg", broker.RolePrivacyOfficer, ""), f.bsns["moeder"], "AVG-test-1")
	if err != nil {
		t.Fatal(err)
	}
	to := map[string]bool{}
	for _, row := range rep.Events {
		if row.Action == broker.ActionPlanWrite {
			for _, d := range row.Shown {
				to[d.To] = true
			}
		}
	}
	if !to["kredietbank"] || !to["cjg"] {
		t.Errorf("the access report does not show the plan went to the participants: %v", to)
	}
}

func v2Agreements(v broker.PlanView) []broker.Agreement {
	out := make([]broker.Agreement, len(v.Agreements))
	for i, a := range v.Agreements {
		out[i] = a.Agreement
	}
	return out
}

// Two partners change the same version at once: one succeeds, the other
// gets a stale precondition; nothing is overwritten.
func TestPlanConcurrentEdits(t *testing.T) {
	e, _ := planFamily(t)
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		version := uint64(1 + round)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			in := firstPlan
			in.Note = "ronde"
			_, errs[0] = e.svc.PutPlan(e.ctx, e.coord(), "hh-1", version, in)
		}()
		go func() {
			defer wg.Done()
			<-start
			status := broker.AgreementInProgress
			if round%2 == 1 {
				status = broker.AgreementPlanned
			}
			_, errs[1] = e.svc.SetAgreementStatus(e.ctx, e.professional("kredietbank", invPurpose), "hh-1", "w-kb", version, status)
		}()
		close(start)
		wg.Wait()
		ok, stale := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, broker.ErrPreconditionFailed):
				stale++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 || stale != 1 {
			t.Fatalf("round %d: %d succeeded, %d stale: %v", round, ok, stale, errs)
		}
	}
	h, err := e.svc.PlanHistory(e.ctx, e.coord(), "hh-1")
	if err != nil || len(h.Versions) != 6 {
		t.Fatalf("history after five rounds: %d versions, %v", len(h.Versions), err)
	}
}

func TestPlanInputIsValidated(t *testing.T) {
	e, _ := planFamily(t)
	cases := map[string]broker.PlanInput{
		"goals[0].title":        {Goals: []broker.Goal{{Title: ""}}},
		"goals[1].id":           {Goals: []broker.Goal{{ID: "g", Title: "a"}, {ID: "g", Title: "b"}}},
		"goals[0].status":       {Goals: []broker.Goal{{Title: "a", Status: "klaar"}}},
		"goals[0].target":       {Goals: []broker.Goal{{Title: "a", Target: "morgen"}}},
		"agreements[0].goal":    {Goals: []broker.Goal{{ID: "g", Title: "a"}}, Agreements: []broker.Agreement{{Goal: "x", Partner: "cjg", Action: "a"}}},
		"agreements[0].partner": {Goals: []broker.Goal{{ID: "g", Title: "a"}}, Agreements: []broker.Agreement{{Goal: "g", Partner: "cjg-b", Action: "a"}}},
		"agreements[0].action":  {Goals: []broker.Goal{{ID: "g", Title: "a"}}, Agreements: []broker.Agreement{{Goal: "g", Partner: "cjg", Action: ""}}},
		"goals[0].title ":       {Goals: []broker.Goal{{Title: "BSN " + e.bsn()}}},
	}
	for field, in := range cases {
		_, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, in)
		if got := invalidField(err); got != strings.TrimSpace(field) {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestRenderPlanEscapes(t *testing.T) {
	v := &broker.PlanView{Household: "hh-1", Version: 2, Latest: 2, Status: broker.PlanOpen, Purpose: invPurpose,
		Coordinator: broker.Actor{Partner: "gem-a", Sub: "c.regisseur"}, Members: []string{"moeder", "kind <1>"},
		Goals: []broker.Goal{{ID: "g1", Title: `<script>alert("x")</script> | *vet*`, Status: broker.GoalOpen}},
		Agreements: []broker.AgreementView{{Agreement: broker.Agreement{ID: "w1", Goal: "g1", Partner: "cjg",
			Action: "Bel <b>morgen</b>\nen | meer", Status: broker.AgreementPlanned}, PartnerName: "CJG"}}}
	html, ct, err := broker.RenderPlan(v, broker.PlanFormatHTML)
	if err != nil || !strings.HasPrefix(ct, "text/html") {
		t.Fatal(ct, err)
	}
	if strings.Contains(string(html), "<script>") || strings.Contains(string(html), "<b>") ||
		!strings.Contains(string(html), "&lt;script&gt;") || !strings.Contains(string(html), "CJG (cjg)") {
		t.Errorf("HTML not escaped:\n%s", html)
	}
	md, ct, err := broker.RenderPlan(v, broker.PlanFormatMarkdown)
	if err != nil || !strings.HasPrefix(ct, "text/markdown") {
		t.Fatal(ct, err)
	}
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(line, "| w1 ") && strings.Count(line, "|")-strings.Count(line, `\|`) != 6 {
			t.Errorf("a table row split by a text: %q", line)
		}
	}
	if !strings.Contains(string(md), `\<script\>`) || !strings.Contains(string(md), `\*vet\*`) {
		t.Errorf("Markdown not escaped:\n%s", md)
	}
	if _, _, err := broker.RenderPlan(v, "pdf"); !errors.Is(err, broker.ErrInvalid) {
		t.Errorf("pdf: %v", err)
	}
}

// TestPlanRefusalsAreAudited: the refusals the domain makes about a plan
// (another partner's agreement, an unknown agreement, a stale edit) leave
// a denial in the audit trail about every member, like the policy's own.
func TestPlanRefusalsAreAudited(t *testing.T) {
	e, _ := planFamily(t)
	v1, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan)
	if err != nil {
		t.Fatal(err)
	}
	kb := e.professional("kredietbank", invPurpose)
	for _, tc := range []struct {
		name, agreement string
		version         uint64
		want            error
		code            string
	}{
		{"another partner's agreement", "w-cjg", v1.Version, broker.ErrForbidden, broker.RefusalForbidden},
		{"an unknown agreement", "w-none", v1.Version, broker.ErrNotFound, broker.RefusalNotFound},
		{"a stale version", "w-kb", v1.Version + 7, broker.ErrPreconditionFailed, broker.RefusalPrecondition},
	} {
		mark := e.head()
		_, err := e.svc.SetAgreementStatus(e.ctx, kb, "hh-1", tc.agreement, tc.version, broker.AgreementDone)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			continue
		}
		es := e.entriesSince(mark)
		if len(es) != 1 || es[0].Event != broker.EventDenial || es[0].Action != broker.ActionPlanStatus ||
			!slices.Equal(es[0].Reasons, []string{tc.code}) || len(es[0].Subjects) != 4 || es[0].Partner != "kredietbank" {
			t.Errorf("%s audited as %+v", tc.name, es)
		}
	}
	// A stale edit of the plan itself, by the coordinator.
	mark := e.head()
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan); !errors.Is(err, broker.ErrPreconditionFailed) {
		t.Fatalf("a stale create: %v", err)
	}
	if es := e.entriesSince(mark); len(es) != 1 || es[0].Event != broker.EventDenial || es[0].Reasons[0] != broker.RefusalPrecondition {
		t.Errorf("a stale plan edit audited as %+v", es)
	}
}

// TestPlanCloseNeedsAVerifiedPerson: closing a plan ends every participant's
// access, so a regisseur named only by an organisation key may not; the
// refusal is audited and the plan stays open.
func TestPlanCloseNeedsAVerifiedPerson(t *testing.T) {
	e, _ := planFamily(t)
	v1, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan)
	if err != nil {
		t.Fatal(err)
	}
	asserted := e.coord()
	asserted.Person = broker.Person{}
	mark := e.head()
	if _, err := e.svc.ClosePlan(e.ctx, asserted, "hh-1", v1.Version); !errors.Is(err, broker.ErrPersonNotVerified) {
		t.Fatalf("closing on an organisation key: %v", err)
	}
	if es := e.entriesSince(mark); len(es) != 1 || es[0].Event != broker.EventDenial || es[0].Action != broker.ActionPlanClose {
		t.Errorf("the refusal audited as %+v", es)
	}
	if p, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 0); err != nil || p.Status != broker.PlanOpen {
		t.Fatalf("the plan after the refusal: %+v, %v", p, err)
	}
}

// A consent for the household ends with the household's plan under its
// purpose (consent.ends_with_plan): past the plan's end the consented
// involvements are no longer shown; a consent recorded after that day is a
// new one, and the coordinator can set a new end.
func TestConsentEndsWithThePlan(t *testing.T) {
	clock := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	e, f := planFamilyWith(t, func(c *broker.Config) { c.Now = func() time.Time { return clock } })
	day := func(n int) string { return clock.AddDate(0, 0, n).Format(time.DateOnly) }
	shown := func() []string { return shownByLabel(e.overview("hh-1", invPurpose))["moeder"] }
	n := len(shown())
	if n == 0 {
		t.Fatal("with consent and no plan nothing is shown")
	}
	plan := firstPlan
	plan.Ends = day(10)
	v1, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, plan)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Ends != plan.Ends || !strings.Contains(v1.Change, "end "+plan.Ends) {
		t.Fatalf("the plan's end: %+v", v1)
	}
	if got := shown(); len(got) != n {
		t.Fatalf("before the plan's end: %v", got)
	}
	clock = clock.AddDate(0, 0, 11)
	if got := shown(); len(got) != 0 {
		t.Fatalf("past the plan's end the consent still shows %v", got)
	}
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", v1.Version, plan); !deniedWith(err, "no_consent") {
		t.Fatalf("a plan change past the plan's end without new consent: %v", err)
	}
	e.consentFamily(f)
	if got := shown(); len(got) != n {
		t.Fatalf("with a consent recorded after the plan's end: %v", got)
	}
	plan.Ends = day(40)
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", v1.Version, plan); err != nil {
		t.Fatal(err)
	}
	plan.Ends = "31-12-2027"
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", v1.Version+1, plan); !errors.Is(err, broker.ErrInvalid) {
		t.Fatalf("an end that is no date: %v", err)
	}
}
