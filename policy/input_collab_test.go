package policy

import (
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestCollaborationInputMatchesJSON holds the assignment and plan facts of
// the hand-written converter to encoding/json.
func TestCollaborationInputMatchesJSON(t *testing.T) {
	cases := map[string]*broker.DecisionInput{
		"assignment": {Action: broker.ActionAssignmentGive, Assignment: &broker.AssignmentFacts{Type: "intake", InstructionLength: 12}},
		"step": {Action: broker.ActionAssignmentComplete, Assignment: &broker.AssignmentFacts{Type: "intake", TextLength: 3,
			Status: "accepted"}},
		"plan": {Action: broker.ActionPlanWrite, Plan: &broker.PlanFacts{Status: "open", Version: 7, Participants: []broker.PartnerFacts{
			{ID: "kredietbank", Sector: broker.SectorDebt, Level: 4, Covenant: "2026-1"}, {ID: "school"}}}},
		"no plan":         {Action: broker.ActionPlanRead, Plan: &broker.PlanFacts{}},
		"no participants": {Action: broker.ActionPlanRead, Plan: &broker.PlanFacts{Status: "closed", Participants: []broker.PartnerFacts{}}},
		"followup": {Action: broker.ActionFollowupReassign, Followup: &broker.FollowupFacts{ID: "f-1", State: "open",
			LeadPartner: "gem", LeadSub: "c", CoordinatorPartner: "gem", CoordinatorSub: "c", NewLeadSub: "j", NewLeadServes: true}},
		"followups":    {Action: broker.ActionFollowupList, Followups: []broker.FollowupFacts{{ID: "f-1"}, {ID: "f-2", Outcome: "x"}}},
		"no followups": {Action: broker.ActionFollowupList, Followups: []broker.FollowupFacts{}},
	}
	for name, in := range cases {
		got, want := inputValue(in), viaJSON(t, in)
		if got.Compare(want) != 0 {
			t.Errorf("%s:\n got  %v\n want %v", name, got, want)
		}
	}
}
