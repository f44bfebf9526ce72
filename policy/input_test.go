package policy

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/ketenbrug/ketenbrug/broker"
)

// viaJSON is what OPA would see if the input went through JSON.
func viaJSON(t *testing.T, in *broker.DecisionInput) ast.Value {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := util.NewJSONDecoder(bytes.NewReader(b)).Decode(&x); err != nil {
		t.Fatal(err)
	}
	v, err := ast.InterfaceToValue(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestInputMatchesJSON holds the hand-written converter to encoding/json:
// every field, omitempty and null.
func TestInputMatchesJSON(t *testing.T) {
	full := overviewInput()
	full.Target = &broker.PartnerFacts{ID: "uwv", Sector: broker.SectorWorkIncome, Level: 3, Covenant: "2026-1"}
	full.Relations = []string{broker.RelationCoordinator, broker.RelationInvolvement, "designation:x"}
	full.Household.PlanPurpose, full.Household.PlanEnds = "integrale-ondersteuning", "2027-03-31"
	full.Subjects["p:nil"] = nil
	full.Subjects["p:empty"] = &broker.SubjectFacts{Shielded: true}
	full.Subjects["p:objected"] = &broker.SubjectFacts{Consents: []broker.ConsentFacts{}, Restrictions: []broker.RestrictionFacts{
		{ID: "r-1", Kind: broker.KindObjection, Purpose: "re-integratie"}, {ID: "r-2", Kind: broker.KindRestriction, Purpose: "re-integratie"}}}
	full.Subjects["p:none"] = &broker.SubjectFacts{Restrictions: []broker.RestrictionFacts{}}
	full.Subjects["p:3f9a"].Consents = append(full.Subjects["p:3f9a"].Consents,
		broker.ConsentFacts{ID: "c-9", Purpose: "x", Partners: []string{"a", "b"}, Sectors: []broker.Sector{},
			GivenBy: "guardian", Withdrawn: true})

	cases := map[string]*broker.DecisionInput{
		"empty":    {},
		"overview": overviewInput(),
		"full":     full,
		"simple": {Action: broker.ActionConsentRecord, Purpose: "integrale-ondersteuning", Now: "2026-11-22T19:00:00Z",
			Caller: broker.CallerFacts{Partner: "p", Role: broker.RoleProfessional, Municipalities: []string{}}},
		"signals": {Action: broker.ActionMatchSignal, Purpose: "integrale-ondersteuning", Now: "2026-11-22T19:00:00Z",
			Subjects: overviewInput().Subjects, SignalQuestion: &broker.SignalQuestion{
				Recipients: map[string]*broker.CallerFacts{"uwv": {Partner: "uwv", Sector: broker.SectorWorkIncome,
					Role: broker.RoleConnector, Level: 3, Covenant: "2026-1", Municipalities: []string{"gem-leusden"},
					RegisteredAt: "2025-06-01T08:00:00Z"}, "nil": nil},
				Signals: []broker.SignalGroup{
					{Household: *overviewInput().Household, Municipality: overviewInput().Municipality, Shielded: true,
						Recipients: []string{"uwv"}, Candidates: overviewInput().Candidates},
					{Household: broker.HouseholdFacts{ID: "hh-2", PlanPurpose: "x", PlanEnds: "2027-01-01"}},
				}}},
		"empty signals": {Action: broker.ActionMatchSignal, SignalQuestion: &broker.SignalQuestion{}},
		"empty maps": {Action: "a", Subjects: map[broker.Pseudonym]*broker.SubjectFacts{}, Candidates: []broker.Candidate{},
			Household: &broker.HouseholdFacts{}, Relations: []string{}},
	}
	for name, in := range cases {
		got, want := inputValue(in), viaJSON(t, in)
		if got.Compare(want) != 0 {
			t.Errorf("%s:\n got  %v\n want %v", name, got, want)
		}
	}
}
