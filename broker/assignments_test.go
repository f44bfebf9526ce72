package broker_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// debtPurpose is a statute purpose (Wgs): no consent needed, the sectors
// municipality, social services and debt.
const debtPurpose = "vroegsignalering-schulden"

// give has the coordinator of gem-a give the kredietbank a debt overview
// of household id, under the debt purpose.
func (e *invEnv) give(id string) (broker.AssignmentView, error) {
	e.t.Helper()
	return e.svc.GiveAssignment(e.ctx, e.coordinator("gem-a", debtPurpose), broker.AssignmentInput{
		Household: id, Recipient: "kredietbank", Type: "schuldenoverzicht", Due: e.day(14)})
}

// day returns the date n days from now.
func (e *invEnv) day(n int) string {
	return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly)
}

// assignmentItems returns partner's unacknowledged assignment items about
// assignment id.
func (e *invEnv) assignmentItems(partner string, role broker.Role, id string) []broker.InboxView {
	e.t.Helper()
	var out []broker.InboxView
	for _, it := range e.inbox(partner, role) {
		if it.Kind == broker.InboxAssignment && it.Assignment != nil && it.Assignment.ID == id {
			out = append(out, it)
		}
	}
	return out
}

func isConflict(err error) bool { return errors.Is(err, broker.ErrConflict) }

func TestAssignmentNeedsLevel3(t *testing.T) {
	e := newInvEnv(t)
	e.newFamily("hh-1")
	before := e.head()
	_, err := e.give("hh-1")
	if !deniedWith(err, broker.ReasonLevelTooLow) {
		t.Fatalf("at level 2: %v, want level_too_low", err)
	}
	// The denial is audited, about the members.
	var denial *broker.AuditEntry
	for _, a := range e.entriesSince(before) {
		if a.Action == broker.ActionAssignmentGive && a.Decision == broker.DecisionDeny {
			denial = &a
		}
	}
	if denial == nil || len(denial.Subjects) != 4 || !slices.Equal(denial.Reasons, []string{broker.ReasonLevelTooLow}) {
		t.Fatalf("denial entry %+v", denial)
	}
	// The municipality at 3 is not enough while the recipient joined at 2.
	e.setLevel("gem-a", 3)
	if _, err := e.give("hh-1"); !deniedWith(err, broker.ReasonLevelTooLow) {
		t.Fatalf("recipient at level 2: %v", err)
	}
	e.setLevel("kredietbank", 3)
	if _, err := e.give("hh-1"); err != nil {
		t.Fatalf("at level 3: %v", err)
	}
}

func TestAssignmentLifecycle(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	e.setLevel("gem-a", 3)
	e.setLevel("kredietbank", 3)
	before := e.head()

	a, err := e.give("hh-1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != broker.AssignmentProposed || a.Side != broker.SideGiver || a.Recipient != "kredietbank" ||
		a.Giver.Partner != "gem-a" || a.Purpose != debtPurpose || len(a.YourRefs) != 0 {
		t.Fatalf("given %+v", a)
	}
	e.noBSN("an assignment", a)

	// It reaches the recipient's inbox, with the recipient's own reference.
	items := e.assignmentItems("kredietbank", broker.RoleConnector, a.ID)
	if len(items) != 1 {
		t.Fatalf("recipient's inbox: %d items", len(items))
	}
	got := items[0].Assignment
	if got.Side != broker.SideRecipient || items[0].Household != "hh-1" || !slices.Equal(got.YourRefs, []string{"hh-1-kb"}) {
		t.Fatalf("inbox item %+v", got)
	}

	// Every step states the assignment's purpose (purpose_missing
	// otherwise, TestEveryActionFollowsItsPurposeRule).
	rc := func() *broker.Caller { return e.caller("kredietbank", broker.RoleConnector, debtPurpose) }
	gc := func() *broker.Caller { return e.coordinator("gem-a", debtPurpose) }
	step := func(c *broker.Caller, step, text string) (broker.AssignmentView, error) {
		return e.svc.StepAssignment(e.ctx, c, a.ID, step, text)
	}
	// Every illegal step is a conflict: the wrong side, or the wrong status.
	for _, tc := range []struct {
		c    *broker.Caller
		step string
		text string
	}{
		{gc(), broker.StepAccept, ""},
		{gc(), broker.StepDecline, "geen tijd"},
		{gc(), broker.StepComplete, "klaar"},
		{rc(), broker.StepComplete, "klaar"},
		{rc(), broker.StepCancel, ""},
	} {
		if _, err := step(tc.c, tc.step, tc.text); !isConflict(err) {
			t.Errorf("%s by %s while proposed: %v, want a conflict", tc.step, tc.c.Partner.ID, err)
		}
	}
	// A partner that is neither side does not see it.
	if _, err := e.svc.StepAssignment(e.ctx, e.caller("uwv", broker.RoleConnector, debtPurpose), a.ID, broker.StepAccept, ""); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("a third partner: %v, want not found", err)
	}
	if _, err := e.svc.Assignment(e.ctx, e.connector("uwv"), a.ID); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("a third partner reads it: %v", err)
	}
	// A decline needs a reason.
	if _, err := step(rc(), broker.StepDecline, " "); invalidField(err) != "reason" {
		t.Errorf("decline without a reason: %v", err)
	}

	acc, err := step(rc(), broker.StepAccept, "")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Status != broker.AssignmentAccepted || acc.Side != broker.SideRecipient || len(acc.Steps) != 2 {
		t.Fatalf("accepted %+v", acc)
	}
	if items := e.assignmentItems("gem-a", broker.RoleCoordinator, a.ID); len(items) != 1 ||
		items[0].Assignment.Status != broker.AssignmentAccepted || items[0].Assignment.Side != broker.SideGiver {
		t.Fatalf("the giver's inbox after the accept: %+v", items)
	}
	if _, err := step(rc(), broker.StepAccept, ""); !isConflict(err) {
		t.Errorf("accepting twice: %v", err)
	}
	if _, err := step(rc(), broker.StepDecline, "toch niet"); !isConflict(err) {
		t.Errorf("declining an accepted assignment: %v", err)
	}
	// The outcome is short: the policy's max_text_length.
	if _, err := step(rc(), broker.StepComplete, strings.Repeat("x", 501)); !deniedWith(err, broker.ReasonTextNotAllowed) {
		t.Errorf("a long outcome: %v", err)
	}
	done, err := step(rc(), broker.StepComplete, "Overzicht gemaakt, 3 schuldeisers.")
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != broker.AssignmentCompleted || done.Outcome == "" {
		t.Fatalf("completed %+v", done)
	}
	if _, err := step(gc(), broker.StepCancel, ""); !isConflict(err) {
		t.Errorf("cancelling a completed assignment: %v", err)
	}
	if _, err := step(rc(), broker.StepComplete, "nog eens"); !isConflict(err) {
		t.Errorf("completing twice: %v", err)
	}

	// Every step is audited, about every member, and names what went where.
	var actions []string
	for _, en := range e.entriesSince(before) {
		if strings.HasPrefix(en.Action, "assignment.") && en.Decision == broker.DecisionAllow {
			actions = append(actions, en.Action)
			if en.Object != "assignment:"+a.ID || len(en.Subjects) != 4 || len(en.Disclosed) != 4 || en.PolicyVersion == "" {
				t.Errorf("entry %s: %+v", en.Action, en)
			}
		}
	}
	want := []string{broker.ActionAssignmentGive, broker.ActionAssignmentAccept, broker.ActionAssignmentComplete}
	if !slices.Equal(actions, want) {
		t.Errorf("audited %v, want %v", actions, want)
	}
	// The mother's access report lists them.
	rep, err := e.svc.SubjectAccess(e.ctx, e.caller("fg", broker.RolePrivacyOfficer, ""), f.bsns["moeder"], "AVG-test-1")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, row := range rep.Events {
		if strings.HasPrefix(row.Action, "assignment.") && row.Decision == broker.DecisionAllow {
			seen = append(seen, row.Action)
			if row.Action == broker.ActionAssignmentGive && (len(row.Shown) != 1 || row.Shown[0].To != "kredietbank") {
				t.Errorf("access report row %+v", row)
			}
		}
	}
	if !slices.Equal(seen, want) {
		t.Errorf("access report %v, want %v", seen, want)
	}
}

func TestAssignmentDeclineAndCancel(t *testing.T) {
	e := newInvEnv(t)
	e.newFamily("hh-1")
	e.setLevel("gem-a", 3)
	e.setLevel("kredietbank", 3)

	a, err := e.give("hh-1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.StepAssignment(e.ctx, e.caller("kredietbank", broker.RoleConnector, debtPurpose), a.ID, broker.StepDecline, "Geen capaciteit deze maand.")
	if err != nil || d.Status != broker.AssignmentDeclined || d.Reason == "" {
		t.Fatalf("decline: %+v, %v", d, err)
	}
	if _, err := e.svc.StepAssignment(e.ctx, e.coordinator("gem-a", debtPurpose), a.ID, broker.StepCancel, ""); !isConflict(err) {
		t.Errorf("cancelling a declined assignment: %v", err)
	}

	b, err := e.give("hh-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StepAssignment(e.ctx, e.caller("kredietbank", broker.RoleConnector, debtPurpose), b.ID, broker.StepAccept, ""); err != nil {
		t.Fatal(err)
	}
	// Another purpose than the assignment's is refused.
	if _, err := e.svc.StepAssignment(e.ctx, e.coordinator("gem-a", invPurpose), b.ID, broker.StepCancel, ""); invalidField(err) != "purpose" {
		t.Errorf("cancel under another purpose: %v", err)
	}
	// Cancelling is never blocked by the level: the giver can always
	// stop what it asked for.
	e.setLevel("gem-a", 2)
	c, err := e.svc.StepAssignment(e.ctx, e.coordinator("gem-a", ""), b.ID, broker.StepCancel, "Niet meer nodig.")
	if err != nil || c.Status != broker.AssignmentCancelled {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	if items := e.assignmentItems("kredietbank", broker.RoleConnector, b.ID); len(items) != 2 ||
		items[1].Assignment.Status != broker.AssignmentCancelled {
		t.Fatalf("the recipient's inbox after the cancel: %+v", items)
	}
	if _, err := e.svc.StepAssignment(e.ctx, e.caller("kredietbank", broker.RoleConnector, debtPurpose), b.ID, broker.StepComplete, "toch gedaan"); !isConflict(err) {
		t.Errorf("completing a cancelled assignment: %v", err)
	}

	// Lists: the giver's and the recipient's side.
	given, err := e.svc.Assignments(e.ctx, e.coordinator("gem-a", ""), broker.AssignmentQuery{Side: broker.SideGiver})
	if err != nil || len(given.Assignments) != 2 || given.Assignments[0].ID != b.ID {
		t.Fatalf("given: %+v, %v", given, err)
	}
	open, err := e.svc.Assignments(e.ctx, e.connector("kredietbank"), broker.AssignmentQuery{Status: "open"})
	if err != nil || len(open.Assignments) != 0 {
		t.Fatalf("open: %+v, %v", open, err)
	}
	received, err := e.svc.Assignments(e.ctx, e.connector("kredietbank"), broker.AssignmentQuery{Side: broker.SideRecipient, Status: broker.AssignmentDeclined})
	if err != nil || len(received.Assignments) != 1 || received.Assignments[0].ID != a.ID {
		t.Fatalf("received and declined: %+v, %v", received, err)
	}
	if none, err := e.svc.Assignments(e.ctx, e.connector("uwv"), broker.AssignmentQuery{}); err != nil || len(none.Assignments) != 0 {
		t.Fatalf("a third partner's list: %+v, %v", none, err)
	}
}

func TestAssignmentPolicy(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	for _, p := range []string{"gem-a", "kredietbank", "school", "cjg"} {
		e.setLevel(p, 3)
	}
	coord := e.coordinator("gem-a", invPurpose)
	give := func(in broker.AssignmentInput) error {
		in.Household = "hh-1"
		if in.Due == "" {
			in.Due = e.day(7)
		}
		_, err := e.svc.GiveAssignment(e.ctx, coord, in)
		return err
	}
	// Under consent every member must have consented to the recipient:
	// the father has not.
	e.consentAll(f)
	if err := give(broker.AssignmentInput{Recipient: "cjg", Type: "intake", Instruction: "Graag een intake."}); !deniedWith(err, broker.ReasonNoConsent) {
		t.Errorf("without the father's consent: %v", err)
	}
	e.consent(f.bsns["vader"], broker.GivenBySelf, broker.SectorYouth, broker.SectorEducation)
	if err := give(broker.AssignmentInput{Recipient: "cjg", Type: "intake", Instruction: "Graag een intake."}); err != nil {
		t.Errorf("with every member's consent: %v", err)
	}
	// Types and texts are policy data.
	if err := give(broker.AssignmentInput{Recipient: "cjg", Type: "tuinonderhoud"}); !deniedWith(err, broker.ReasonAssignmentTypeNotAllowed) {
		t.Errorf("an unknown type: %v", err)
	}
	if err := give(broker.AssignmentInput{Recipient: "cjg", Type: "schoolgesprek"}); !deniedWith(err, broker.ReasonAssignmentTypeNotAllowed) {
		t.Errorf("a school conversation for the CJG: %v", err)
	}
	if err := give(broker.AssignmentInput{Recipient: "school", Type: "schoolgesprek", Instruction: "Over kind 1."}); err != nil {
		t.Errorf("a school conversation for the school: %v", err)
	}
	if err := give(broker.AssignmentInput{Recipient: "cjg", Type: "intake", Instruction: strings.Repeat("a", 501)}); !deniedWith(err, broker.ReasonTextNotAllowed) {
		t.Errorf("a long instruction: %v", err)
	}
	// The broker's own checks come first: no BSN in a text, a due date
	// ahead, another partner.
	if err := give(broker.AssignmentInput{Recipient: "cjg", Type: "intake", Instruction: "BSN " + f.bsns["moeder"]}); invalidField(err) != "instruction" {
		t.Errorf("a BSN in the instruction: %v", err)
	}
	if err := give(broker.AssignmentInput{Recipient: "cjg", Type: "intake", Instruction: "Bel 06-12345678."}); err != nil {
		t.Errorf("a phone number in the instruction: %v", err)
	}
	if err := give(broker.AssignmentInput{Recipient: "cjg", Type: "intake", Due: "2020-01-01"}); invalidField(err) != "due" {
		t.Errorf("a due date in the past: %v", err)
	}
	if err := give(broker.AssignmentInput{Recipient: "gem-a", Type: "intake"}); invalidField(err) != "recipient" {
		t.Errorf("to itself: %v", err)
	}
	if err := give(broker.AssignmentInput{Recipient: "nobody", Type: "intake"}); invalidField(err) != "recipient" {
		t.Errorf("to an unknown partner: %v", err)
	}
	// The recipient must serve the household's municipality (assignment.receive).
	e.setLevel("cjg-b", 3)
	if err := give(broker.AssignmentInput{Recipient: "cjg-b", Type: "intake"}); !deniedWith(err, broker.ReasonOtherMunicipality) {
		t.Errorf("to a partner of another municipality: %v", err)
	}
	// A connector does not give assignments.
	if _, err := e.svc.GiveAssignment(e.ctx, e.caller("kredietbank", broker.RoleConnector, invPurpose), broker.AssignmentInput{
		Household: "hh-1", Recipient: "cjg", Type: "intake", Due: e.day(3)}); !deniedWith(err, broker.ReasonRoleNotAllowed) {
		t.Errorf("a connector gives: %v", err)
	}

	// A step discloses to the other side: under consent, every member must
	// have consented to the giver too, and a withdrawn consent stops the
	// next step.
	a, err := e.svc.GiveAssignment(e.ctx, coord, broker.AssignmentInput{Household: "hh-1", Recipient: "cjg", Type: "intake", Due: e.day(3)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StepAssignment(e.ctx, e.caller("cjg", broker.RoleConnector, invPurpose), a.ID, broker.StepAccept, ""); !deniedWith(err, broker.ReasonNoConsent) {
		t.Fatalf("accept without consent to the giver: %v", err)
	}
	var father broker.ConsentView
	for _, m := range familyMembers {
		givenBy := broker.GivenBySelf
		if m.Role == broker.MemberChild {
			givenBy = broker.GivenByParent
		}
		c := e.consent(f.bsns[m.Label], givenBy, broker.SectorMunicipality)
		if m.Label == "vader" {
			father = c
		}
	}
	if _, err := e.svc.StepAssignment(e.ctx, e.caller("cjg", broker.RoleConnector, invPurpose), a.ID, broker.StepAccept, ""); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if _, err := e.svc.WithdrawConsent(e.ctx, e.professional("cjg", invPurpose), father.ID, "ingetrokken"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StepAssignment(e.ctx, e.caller("cjg", broker.RoleConnector, invPurpose), a.ID, broker.StepComplete, "Intake gedaan."); !deniedWith(err, broker.ReasonNoConsent) {
		t.Fatalf("complete after the consent was withdrawn: %v", err)
	}
	// The giver can still cancel.
	if _, err := e.svc.StepAssignment(e.ctx, coord, a.ID, broker.StepCancel, "Toestemming ingetrokken."); err != nil {
		t.Fatalf("cancel: %v", err)
	}
}
