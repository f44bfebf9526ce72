package broker_test

import (
	"fmt"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// An explicit consent needs its evidence: the flag says the person agreed
// expressly, the evidence says where that is written down.
func TestExplicitConsentNeedsEvidence(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	in := broker.Consent{Purpose: invPurpose, Sectors: []broker.Sector{broker.SectorYouth}, GivenBy: broker.GivenBySelf,
		Explicit: true, NotConditional: true}
	_, err := e.svc.RecordConsent(e.ctx, e.professional("cjg", invPurpose), f.bsns["moeder"], in)
	if invalidField(err) != "evidence" {
		t.Fatalf("an explicit consent without evidence: %v", err)
	}
	in.Evidence = "form 2026-9"
	c, err := e.svc.RecordConsent(e.ctx, e.professional("cjg", invPurpose), f.bsns["moeder"], in)
	if err != nil || !c.Explicit || !c.NotConditional || c.Evidence != "form 2026-9" {
		t.Fatalf("an explicit consent with evidence: %+v, %v", c, err)
	}
}

// Members carry an exact date of birth; a birth year that contradicts it,
// a date in the future or a child without either is refused.
func TestMemberBirthDate(t *testing.T) {
	e := newInvEnv(t)
	put := func(m broker.MemberInput) (broker.HouseholdView, error) {
		m.Label, m.BSN = "kind", e.bsn()
		return e.svc.PutHousehold(e.ctx, e.coordinator("gem-a", invPurpose), "hh-bd",
			broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{m}})
	}
	h, err := put(broker.MemberInput{Role: broker.MemberChild, BirthDate: "2014-02-03"})
	if err != nil || h.Members[0].BirthDate != "2014-02-03" || h.Members[0].BirthYear != 2014 {
		t.Fatalf("a child with a date of birth: %+v, %v", h, err)
	}
	for _, tc := range []struct {
		m     broker.MemberInput
		field string
	}{
		{broker.MemberInput{Role: broker.MemberChild, BirthDate: "2014-02-03", BirthYear: 2013}, "members[0].birth_year"},
		{broker.MemberInput{Role: broker.MemberChild, BirthDate: "2999-01-01"}, "members[0].birth_date"},
		{broker.MemberInput{Role: broker.MemberChild, BirthDate: "3-2-2014"}, "members[0].birth_date"},
		{broker.MemberInput{Role: broker.MemberChild}, "members[0].birth_year"},
	} {
		if _, err := put(tc.m); invalidField(err) != tc.field {
			t.Errorf("%+v: %v, want invalid %s", tc.m, err, tc.field)
		}
	}
}

// One shielded member shields the household's other members in a person
// overview too: asked about the mother of a shielded child, the
// coordinator sees what it sees of a stranger.
func TestPersonOverviewOfAShieldedHouseholdsMember(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1", "kind 2")
	e.consentAll(f)
	o, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-a", invPurpose), f.bsns["moeder"], "gem-a")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(shownByLabel(o)); got != "map[person:[]]" {
		t.Fatalf("the mother of a shielded child: %s", got)
	}
}
