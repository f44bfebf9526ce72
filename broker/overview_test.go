package broker_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// overview asks the household overview as gem-a's coordinator.
func (e *invEnv) overview(id, purpose string) broker.Overview {
	e.t.Helper()
	o, err := e.svc.HouseholdOverview(e.ctx, e.coordinator("gem-a", purpose), id)
	if err != nil {
		e.t.Fatalf("overview of %s: %v", id, err)
	}
	e.noBSN("an overview", o)
	return o
}

func TestOverviewFollowsConsentLevelAndPolicy(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")

	// Before consent: integrated support rests on consent, so the
	// voluntary involvements stay hidden; every member is listed, empty.
	o := e.overview("hh-1", invPurpose)
	if got := fmt.Sprint(shownByLabel(o)); got != "map[kind 1:[] kind 2:[] moeder:[] vader:[]]" {
		t.Fatalf("before consent: %s", got)
	}
	if o.Household != "hh-1" || o.Purpose != invPurpose || o.Level != 2 || o.PolicyVersion == "" {
		t.Errorf("overview header %+v", o)
	}

	// Consent is recorded; the very next request shows what it covers.
	mother := e.consentAll(f)
	o = e.overview("hh-1", invPurpose)
	want := "map[kind 1:[school] kind 2:[cjg] moeder:[kredietbank] vader:[]]"
	if got := fmt.Sprint(shownByLabel(o)); got != want {
		t.Fatalf("after consent at level 2: %s, want %s", got, want)
	}
	// Level 2: partner, service, status, period and contact.
	for _, m := range o.Members {
		for _, v := range m.Involvements {
			if v.PartnerName == "" || v.Sector == "" || v.Service == "" || v.ServiceLabel == "" || v.Status != "active" ||
				v.Start != "2026-01-05" || v.Contact == nil || v.Contact.Phone == "" {
				t.Errorf("level 2 shows %s's involvement as %+v", m.Label, v)
			}
		}
	}

	// Level 1: only core partners (the youth centre is one; debt, school and
	// UWV are not), and of them partner and contact only.
	e.setLevel("gem-a", 1)
	o = e.overview("hh-1", invPurpose)
	if got := fmt.Sprint(shownByLabel(o)); got != "map[kind 1:[] kind 2:[cjg] moeder:[] vader:[]]" {
		t.Fatalf("at level 1: %s", got)
	}
	if o.Level != 1 {
		t.Errorf("level %d at level 1", o.Level)
	}
	v := o.Members[3].Involvements[0]
	if v.Partner != "cjg" || v.PartnerName != "CJG" || v.Contact == nil || v.Contact.Name != "Contact cjg" ||
		v.Service != "" || v.ServiceLabel != "" || v.Status != "" || v.Start != "" || v.End != "" {
		t.Fatalf("level 1 shows %+v", v)
	}
	raw, _ := json.Marshal(v)
	var keys map[string]any
	_ = json.Unmarshal(raw, &keys)
	for k := range keys {
		if !slices.Contains([]string{"partner", "partner_name", "sector", "contact"}, k) {
			t.Errorf("level 1 shows field %q", k)
		}
	}
	e.setLevel("gem-a", 2)

	// Withdrawn: hidden again in the next request.
	if _, err := e.svc.WithdrawConsent(e.ctx, e.professional("cjg", invPurpose), mother.ID, "changed her mind"); err != nil {
		t.Fatal(err)
	}
	o = e.overview("hh-1", invPurpose)
	if got := fmt.Sprint(shownByLabel(o)); got != "map[kind 1:[school] kind 2:[cjg] moeder:[] vader:[]]" {
		t.Fatalf("after the mother withdrew: %s", got)
	}

	// Under a statute (child protection) no consent is needed beyond the
	// one the registration rested on; the purpose shows youth care only
	// (not education, debt, or work and income).
	o = e.overview("hh-1", "jeugdbescherming")
	if got := fmt.Sprint(shownByLabel(o)); got != "map[kind 1:[] kind 2:[cjg] moeder:[] vader:[]]" {
		t.Fatalf("under jeugdbescherming: %s", got)
	}
}

func TestOverviewIsOneAuditedPolicyQuestion(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	e.consentAll(f)
	before, mark := e.policy.asked(broker.ActionHouseholdOverview), e.head()
	o := e.overview("hh-1", invPurpose)
	if n := e.policy.asked(broker.ActionHouseholdOverview) - before; n != 1 {
		t.Fatalf("one overview asked the policy %d times", n)
	}
	es := e.entriesSince(mark)
	if len(es) != 1 {
		t.Fatalf("one overview left %d audit entries", len(es))
	}
	a := es[0]
	if a.Event != broker.EventDisclosure || a.Action != broker.ActionHouseholdOverview || a.Object != "household:gem-a:hh-1" ||
		a.Purpose != invPurpose || a.Role != broker.RoleCoordinator || a.PolicyVersion != o.PolicyVersion || len(a.Bases) == 0 {
		t.Fatalf("audit entry %+v", a)
	}
	if len(a.Subjects) != 4 {
		t.Errorf("the entry names %d persons, want the 4 members", len(a.Subjects))
	}
	// The entry records exactly what was shown: one disclosure per shown
	// involvement, with the fields shown.
	shown := 0
	for _, m := range o.Members {
		shown += len(m.Involvements)
	}
	if len(a.Disclosed) != shown || shown != 3 {
		t.Fatalf("%d disclosures audited, %d involvements shown", len(a.Disclosed), shown)
	}
	for _, d := range a.Disclosed {
		if !slices.Equal(d.Fields, []string{"partner", "contact", "service", "status", "period"}) || d.Partner == "uwv" {
			t.Errorf("disclosure %+v", d)
		}
	}
	// The mother's access report shows the one involvement of hers shown.
	rep, err := e.svc.SubjectAccess(e.ctx, e.caller("fg", broker.RolePrivacyOfficer, ""), f.bsns["moeder"], "AVG-test-1")
	if err != nil {
		t.Fatal(err)
	}
	var last broker.SubjectAccessRow
	for _, r := range rep.Events {
		if r.Action == broker.ActionHouseholdOverview {
			last = r
		}
	}
	if len(last.Shown) != 1 || last.Shown[0].Partner != "kredietbank" {
		t.Errorf("the mother's report shows %+v", last.Shown)
	}
}

func TestOverviewHintsAtNothingWithheld(t *testing.T) {
	e := newInvEnv(t)
	// Two households alike, except that in hh-2 the father has a hidden
	// involvement (no consent): his part of the overview is the same.
	e.newFamily("hh-1")
	f2 := e.newFamily("hh-2")
	e.put("kredietbank", "hidden-1", f2.bsns["vader"], "budgetbeheer")
	e.put("sociale-dienst", "hidden-2", f2.bsns["vader"], "bijstand")
	member := func(o broker.Overview, label string) string {
		for _, m := range o.Members {
			if m.Label == label {
				raw, _ := json.Marshal(m)
				return string(raw)
			}
		}
		return "absent"
	}
	a, b := e.overview("hh-1", invPurpose), e.overview("hh-2", invPurpose)
	if member(a, "vader") != member(b, "vader") || member(b, "vader") != `{"label":"vader","role":"parent","involvements":[]}` {
		t.Fatalf("a withheld involvement shows: %s vs %s", member(a, "vader"), member(b, "vader"))
	}
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	if len(ra) != len(rb) {
		t.Errorf("overviews of the same shape differ in size: %d vs %d", len(ra), len(rb))
	}
}

func TestOverviewDeniesOtherMunicipalitiesAndRoles(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	e.consentAll(f)
	tests := []struct {
		name   string
		caller *broker.Caller
		reason string
	}{
		{"a professional without a relation under a statute", e.professional("sociale-dienst", "vroegsignalering-schulden"), broker.ReasonNoRelation},
		{"a connector", e.caller("kredietbank", broker.RoleConnector, invPurpose), broker.ReasonRoleNotAllowed},
		{"a professional under consent, not the regisseur", e.professional("cjg", invPurpose), broker.ReasonRoleNotAllowed},
		{"no purpose", e.coordinator("gem-a", ""), broker.ReasonPurposeMissing},
		{"an unknown purpose", e.coordinator("gem-a", "nieuwsgierigheid"), broker.ReasonPurposeNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := e.head()
			o, err := e.svc.HouseholdOverview(e.ctx, tt.caller, "hh-1")
			if !deniedWith(err, tt.reason) {
				t.Fatalf("got %+v, %v; want denied %s", o, err, tt.reason)
			}
			if len(o.Members) != 0 {
				t.Fatalf("a denial shows members: %+v", o)
			}
			es := e.entriesSince(mark)
			if len(es) != 1 || es[0].Event != broker.EventDenial || len(es[0].Disclosed) != 0 {
				t.Fatalf("the denial was audited as %+v", es)
			}
		})
	}
	// To another municipality's callers the household does not exist, and
	// nothing is audited about its members: their request names gem-b's
	// own hh-1, which nobody registered.
	for _, c := range []*broker.Caller{e.coordinator("gem-b", invPurpose), e.professional("cjg-b", "jeugdbescherming")} {
		mark := e.head()
		if _, err := e.svc.HouseholdOverview(e.ctx, c, "hh-1"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("%s asking gem-a's hh-1: %v, want not found", c.Partner.ID, err)
		}
		if es := e.entriesSince(mark); len(es) != 0 {
			t.Errorf("a missing household was audited: %+v", es)
		}
	}
	// The person overview in gem-a's context is refused to gem-b too.
	if _, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-b", invPurpose), f.bsns["moeder"], "gem-a"); !deniedWith(err, broker.ReasonNoRelation, broker.ReasonOtherMunicipality) {
		t.Errorf("gem-b asking about a person in gem-a: %v", err)
	}
	// A professional who is the household's regisseur may ask under consent.
	in := broker.HouseholdInput{Municipality: "gem-a", Coordinator: &broker.Actor{Partner: "cjg", Sub: "p.professional"}}
	for _, m := range familyMembers {
		m.BSN = f.bsns[m.Label]
		in.Members = append(in.Members, m)
	}
	if _, err := e.svc.PutHousehold(e.ctx, e.coordinator("gem-a", invPurpose), "hh-1", in); err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.HouseholdOverview(e.ctx, e.professional("cjg", invPurpose), "hh-1")
	if err != nil || len(o.Members) != 4 {
		t.Fatalf("the regisseur's overview: %+v, %v", o, err)
	}
	if _, err := e.svc.HouseholdOverview(e.ctx, e.coordinator("gem-a", invPurpose), "hh-404"); err == nil {
		t.Error("the overview of an unknown household answered")
	}
}

func TestShieldedMembersAreNotShown(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1", "kind 2")
	e.consentAll(f)

	// The coordinator does not see the shielded child at all: not the
	// membership, not the CJG's involvement; and one shielded member
	// shields the household's other members from the same callers.
	o := e.overview("hh-1", invPurpose)
	if got := fmt.Sprint(shownByLabel(o)); got != "map[kind 1:[] moeder:[] vader:[]]" {
		t.Fatalf("the coordinator sees %s", got)
	}
	o = e.overview("hh-1", "jeugdbescherming")
	if got := fmt.Sprint(shownByLabel(o)); got != "map[kind 1:[] moeder:[] vader:[]]" {
		t.Fatalf("under jeugdbescherming the coordinator sees %s", got)
	}
	// By default no sector sees shielded persons (shielded.visible_to_sectors
	// is empty): not even the social services once they serve the father.
	e.put("sociale-dienst", "sd-1", f.bsns["vader"], "bijstand")
	e.consent(f.bsns["vader"], broker.GivenBySelf, broker.SectorSocialServices)
	if o, err := e.svc.HouseholdOverview(e.ctx, e.coordinator("sociale-dienst", invPurpose), "hh-1"); err == nil {
		if got := fmt.Sprint(shownByLabel(o)); got != "map[kind 1:[] moeder:[] vader:[]]" {
			t.Fatalf("the social services see %s", got)
		}
	}
	// The audit of the coordinator's overview discloses nothing of the child.
	for _, a := range e.entries() {
		if a.Partner == "gem-a" && a.Action == broker.ActionHouseholdOverview {
			for _, d := range a.Disclosed {
				if d.Partner == "cjg" {
					t.Errorf("the coordinator's overview disclosed the shielded child's involvement: %+v", d)
				}
			}
		}
	}

	// The person overview of the shielded child looks like that of any
	// member the caller may see nothing of (the mother: her debt
	// counselling is not shown under jeugdbescherming): no hint that the
	// child is shielded.
	shielded, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-a", "jeugdbescherming"), f.bsns["kind 2"], "")
	if err != nil {
		t.Fatal(err)
	}
	nothing, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-a", "jeugdbescherming"), f.bsns["moeder"], "")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(shielded)
	b, _ := json.Marshal(nothing)
	if string(a) != string(b) {
		t.Fatalf("the shielded child's person overview %s differs from the mother's %s", a, b)
	}
	e.noBSN("a person overview", shielded, f.bsns["kind 2"])
	e.noBSN("a person overview", nothing, f.bsns["moeder"])
}

func TestPersonOverview(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	mother := f.bsns["moeder"]
	ask := func(purpose string) broker.Overview {
		t.Helper()
		mark := e.head()
		o, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-a", purpose), mother, "")
		if err != nil {
			t.Fatal(err)
		}
		e.noBSN("a person overview", o, mother)
		es := e.entriesSince(mark)
		if len(es) != 1 || es[0].Action != broker.ActionPersonOverview || es[0].Object != "person" || len(es[0].Subjects) != 1 {
			t.Fatalf("audited as %+v", es)
		}
		return o
	}
	if got := fmt.Sprint(shownByLabel(ask(invPurpose))); got != "map[person:[]]" {
		t.Fatalf("before consent: %s", got)
	}
	e.consent(mother, broker.GivenBySelf, broker.SectorDebt)
	o := ask(invPurpose)
	if got := fmt.Sprint(shownByLabel(o)); got != "map[person:[kredietbank]]" {
		t.Fatalf("after consent: %s", got)
	}
	// A person overview names no household role: the caller named a
	// person, and a role would hint at a household.
	if o.Members[0].Role != broker.MemberOther || o.Household != "" {
		t.Errorf("person overview %+v", o)
	}
	if _, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-a", invPurpose), "123456789", ""); invalidField(err) != "bsn" {
		t.Errorf("an invalid BSN: %v", err)
	}
	if _, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-a", invPurpose), mother, "Gem A"); invalidField(err) != "municipality" {
		t.Errorf("an invalid municipality: %v", err)
	}
}

func TestPersonOverviewOfAnotherMunicipalitysResident(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1", "moeder")
	e.consentAll(f)
	stranger := e.bsn()
	// gem-b's coordinator holds the BSNs of residents of gem-a (the mother
	// shielded). In either municipality's context the answer is the one
	// about a person the broker never saw: the same error, or the same
	// overview, level included.
	for _, muni := range []string{"gem-a", "", "gem-b"} {
		for _, who := range []string{"moeder", "vader", "kind 1"} {
			for _, purpose := range []string{invPurpose, "jeugdbescherming"} {
				c := e.coordinator("gem-b", purpose)
				o1, err1 := e.svc.PersonOverview(e.ctx, c, f.bsns[who], muni)
				o2, err2 := e.svc.PersonOverview(e.ctx, c, stranger, muni)
				a, _ := json.Marshal(o1)
				b, _ := json.Marshal(o2)
				if fmt.Sprint(err1) != fmt.Sprint(err2) || string(a) != string(b) {
					t.Errorf("%s in %q under %s: %s %v; a stranger: %s %v", who, muni, purpose, a, err1, b, err2)
				}
			}
		}
	}
}
