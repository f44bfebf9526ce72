package policy_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/policy"
	"github.com/ketenbrug/ketenbrug/rego"
)

// A coordinator asks which partners serve a household, for integrated
// support (a purpose that rests on consent), in a municipality at ambition
// level 2. The mother consented for her debt counsellor (recorded with its
// evidence and the note that support was not made conditional on it); the
// father did not consent for his work coach. Both partners registered their
// involvements for this purpose.
func ExampleEngine_Decide() {
	engine, err := policy.New(policy.Config{Default: rego.Bundle})
	if err != nil {
		log.Fatal(err)
	}
	in := &broker.DecisionInput{
		Action:  broker.ActionHouseholdOverview,
		Purpose: "integrale-ondersteuning",
		Now:     "2026-11-22T19:00:00Z",
		Caller: broker.CallerFacts{Partner: "gem-leusden", Sector: broker.SectorMunicipality,
			Role: broker.RoleCoordinator, Sub: "c.devries", Level: 4, Covenant: "2026-1",
			Municipalities: []string{"gem-leusden"}},
		Municipality: &broker.MunicipalityFacts{ID: "gem-leusden", Level: 2},
		Household:    &broker.HouseholdFacts{ID: "hh-1042", Municipality: "gem-leusden"},
		// The caller's partner coordinates the household: purpose binding
		// needs such a relation.
		Relations: []string{broker.RelationCoordinator},
		Subjects: map[broker.Pseudonym]*broker.SubjectFacts{
			"p:3f9a": {Role: "parent", BirthYear: 1988, Consents: []broker.ConsentFacts{{
				ID: "c-1", Purpose: "integrale-ondersteuning", Sectors: []broker.Sector{broker.SectorDebt},
				GivenBy: broker.GivenBySelf, ValidFrom: "2026-03-01", ValidUntil: "2027-03-01",
				Evidence: true, NotConditional: true, RecordedAt: "2026-03-01T10:00:00Z"}}},
			"p:81be": {Role: "parent", BirthYear: 1985, Consents: []broker.ConsentFacts{}},
		},
		Candidates: []broker.Candidate{
			{ID: "inv-1", Subject: "p:3f9a", Service: "schuldregeling", Status: "active", Purpose: "integrale-ondersteuning",
				Partner: broker.PartnerFacts{ID: "kredietbank", Sector: broker.SectorDebt, Level: 4, Covenant: "2026-1"}},
			{ID: "inv-2", Subject: "p:81be", Service: "re-integratie", Status: "active", Purpose: "integrale-ondersteuning",
				Partner: broker.PartnerFacts{ID: "uwv", Sector: broker.SectorWorkIncome, Level: 4, Covenant: "2026-1"}},
		},
	}
	d, err := engine.Decide(context.Background(), in)
	if err != nil {
		log.Fatal(err) // d is a denial with reason policy_error
	}
	fmt.Println("allow:", d.Allow)
	fmt.Println("bases:", d.Bases)
	fmt.Println("show:", d.Show)
	fmt.Println("version is the active one:", d.Version == engine.Active())
	// Output:
	// allow: true
	// bases: [AVG art. 6 lid 1 sub a]
	// show: map[inv-1:[partner contact service status period]]
	// version is the active one: true
}
