package broker_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestPutHouseholdValidates(t *testing.T) {
	e := newInvEnv(t)
	m := func(label, role string, year int) broker.MemberInput {
		return broker.MemberInput{Label: label, BSN: e.bsn(), Role: role, BirthYear: year}
	}
	same := e.bsn()
	tests := []struct {
		name  string
		id    string
		in    broker.HouseholdInput
		field string
	}{
		{"no members", "hh-1", broker.HouseholdInput{Municipality: "gem-a"}, "members"},
		{"bad id", "HH 1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{m("moeder", "parent", 1988)}}, "id"},
		{"bad municipality id", "hh-1", broker.HouseholdInput{Municipality: "Gem A", Members: []broker.MemberInput{m("moeder", "parent", 1988)}}, "municipality"},
		{"unknown municipality", "hh-1", broker.HouseholdInput{Municipality: "gem-z", Members: []broker.MemberInput{m("moeder", "parent", 1988)}}, "municipality"},
		{"a partner that is no municipality", "hh-1", broker.HouseholdInput{Municipality: "kredietbank", Members: []broker.MemberInput{m("moeder", "parent", 1988)}}, "municipality"},
		{"bad area", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Area: "Centrum Noord", Members: []broker.MemberInput{m("moeder", "parent", 1988)}}, "area"},
		{"invalid BSN of the second member", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{
			m("moeder", "parent", 1988), {Label: "vader", BSN: "123456789", Role: "parent"}}}, "members[1].bsn"},
		{"same person twice", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{
			{Label: "moeder", BSN: same, Role: "parent"}, {Label: "vader", BSN: same, Role: "parent"}}}, "members[1].bsn"},
		{"label twice", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{
			m("ouder", "parent", 1988), m("ouder", "parent", 1985)}}, "members[1].label"},
		{"empty label", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{m("", "parent", 1988)}}, "members[0].label"},
		{"label too long", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{m(strings.Repeat("x", 41), "parent", 1988)}}, "members[0].label"},
		{"unknown role", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{m("oma", "grandparent", 1950)}}, "members[0].role"},
		{"child without birth year", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{m("kind", "child", 0)}}, "members[0].birth_year"},
		{"birth year in the future", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{m("kind", "child", 2999)}}, "members[0].birth_year"},
		{"unknown coordinator partner", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Coordinator: &broker.Actor{Partner: "nobody", Sub: "x"},
			Members: []broker.MemberInput{m("moeder", "parent", 1988)}}, "coordinator.partner"},
		{"coordinator without person", "hh-1", broker.HouseholdInput{Municipality: "gem-a", Coordinator: &broker.Actor{Partner: "gem-a"},
			Members: []broker.MemberInput{m("moeder", "parent", 1988)}}, "coordinator"},
	}
	tooMany := broker.HouseholdInput{Municipality: "gem-a"}
	for i := range broker.MaxMembers + 1 {
		tooMany.Members = append(tooMany.Members, m("lid "+string(rune('a'+i)), "other", 1990))
	}
	tests = append(tests, struct {
		name  string
		id    string
		in    broker.HouseholdInput
		field string
	}{"too many members", "hh-1", tooMany, "members"})

	before := e.head()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.PutHousehold(e.ctx, e.coordinator("gem-a", invPurpose), tt.id, tt.in)
			if !errors.Is(err, broker.ErrInvalid) || invalidField(err) != tt.field {
				t.Fatalf("got %v (field %q), want invalid %s", err, invalidField(err), tt.field)
			}
		})
	}
	if es := e.entriesSince(before); len(es) != 0 {
		t.Fatalf("refused households left audit entries: %+v", es)
	}
	if _, err := e.svc.Household(e.ctx, e.coordinator("gem-a", invPurpose), "hh-1"); !errors.Is(err, broker.ErrNotFound) {
		t.Fatalf("a refused household was stored: %v", err)
	}
}

func TestHouseholdMembershipChangesAreAudited(t *testing.T) {
	e := newInvEnv(t)
	moeder, vader, kind := e.bsn(), e.bsn(), e.bsn()
	c := e.coordinator("gem-a", invPurpose)
	in := broker.HouseholdInput{Municipality: "gem-a", Area: "centrum", Members: []broker.MemberInput{
		{Label: "moeder", BSN: moeder, Role: broker.MemberParent, BirthYear: 1988},
		{Label: "vader", BSN: vader, Role: broker.MemberParent, BirthYear: 1985},
	}}
	h, err := e.svc.PutHousehold(e.ctx, c, "hh-7", in)
	if err != nil {
		t.Fatal(err)
	}
	if h.Revision != 1 || h.Coordinator != (broker.Actor{Partner: "gem-a", Sub: c.Sub}) || len(h.Members) != 2 {
		t.Fatalf("registered %+v", h)
	}
	e.noBSN("the household view", h, moeder, vader)
	mark := e.head()

	// The father moves out, a child is born into the household.
	in.Members = []broker.MemberInput{in.Members[0], {Label: "kind", BSN: kind, Role: broker.MemberChild, BirthYear: 2025}}
	h, err = e.svc.PutHousehold(e.ctx, c, "hh-7", in)
	if err != nil || h.Revision != 2 {
		t.Fatalf("changing the members: %+v, %v", h, err)
	}
	es := e.entriesSince(mark)
	if len(es) != 1 {
		t.Fatalf("%d audit entries for one change", len(es))
	}
	a := es[0]
	if a.Action != broker.ActionHouseholdWrite || a.Object != "household:gem-a:hh-7" || a.Detail["added"] != "1" || a.Detail["removed"] != "1" {
		t.Fatalf("audit entry %+v", a)
	}
	if len(a.Subjects) != 3 {
		t.Fatalf("the entry names %d persons, want the two members and the one removed", len(a.Subjects))
	}
	// Each of the three finds the change in their own access report.
	for _, b := range []string{moeder, vader, kind} {
		rep, err := e.svc.SubjectAccess(e.ctx, e.caller("fg", broker.RolePrivacyOfficer, ""), b, "AVG-test-1")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, row := range rep.Events {
			if row.Action == broker.ActionHouseholdWrite {
				n++
			}
		}
		want := 2
		if b == kind {
			want = 1
		}
		if n != want {
			t.Errorf("an access report shows %d household changes, want %d", n, want)
		}
		e.noBSN("an access report", rep, b)
	}
	// The father is no member any more: his household index is empty.
	got, err := e.svc.Household(e.ctx, c, "hh-7")
	if err != nil || len(got.Members) != 2 || got.Members[1].Label != "kind" {
		t.Fatalf("read back %+v, %v", got, err)
	}
}

func TestHouseholdsBelongToTheirMunicipality(t *testing.T) {
	e := newInvEnv(t)
	in := broker.HouseholdInput{Municipality: "gem-a", Members: []broker.MemberInput{
		{Label: "moeder", BSN: e.bsn(), Role: broker.MemberParent, BirthYear: 1988}}}
	if _, err := e.svc.PutHousehold(e.ctx, e.coordinator("gem-a", invPurpose), "hh-1", in); err != nil {
		t.Fatal(err)
	}
	before := e.head()
	// The coordinator of gem-b cannot register into gem-a.
	if _, err := e.svc.PutHousehold(e.ctx, e.coordinator("gem-b", invPurpose), "hh-2", in); !deniedWith(err, broker.ReasonOtherMunicipality) {
		t.Errorf("gem-b registering into gem-a: %v", err)
	}
	// Household ids are a namespace per municipality: to gem-b, gem-a's
	// hh-1 does not exist, exactly as an id nobody uses.
	for _, id := range []string{"hh-1", "gem-a:hh-1", "hh-none"} {
		if _, err := e.svc.Household(e.ctx, e.coordinator("gem-b", invPurpose), id); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("gem-b reading %s: %v, want not found", id, err)
		}
	}
	for _, a := range e.entriesSince(before) {
		if a.Event == broker.EventChange {
			t.Errorf("a refused household write changed something: %+v", a)
		}
	}
	// gem-b's own hh-1 is another household, and leaves gem-a's alone.
	in.Municipality = "gem-b"
	if h, err := e.svc.PutHousehold(e.ctx, e.coordinator("gem-b", invPurpose), "hh-1", in); err != nil || h.Municipality != "gem-b" || h.Revision != 1 {
		t.Errorf("gem-b registering its own hh-1: %+v, %v", h, err)
	}
	// An id qualified with another municipality than the body's is refused.
	if _, err := e.svc.PutHousehold(e.ctx, e.coordinator("gem-b", invPurpose), "gem-a:hh-1", in); invalidField(err) != "municipality" {
		t.Errorf("a qualified id for another municipality than the body's: %v", err)
	}
	before = e.head()
	// Only coordinators write households.
	in.Municipality = "gem-a"
	if _, err := e.svc.PutHousehold(e.ctx, e.professional("cjg", invPurpose), "hh-3", in); !deniedWith(err, broker.ReasonRoleNotAllowed) {
		t.Errorf("a professional registering a household: %v", err)
	}
	for _, a := range e.entriesSince(before) {
		if a.Event == broker.EventChange {
			t.Errorf("a refused household write changed something: %+v", a)
		}
	}
	h, err := e.svc.Household(e.ctx, e.coordinator("gem-a", invPurpose), "hh-1")
	if err != nil || h.Municipality != "gem-a" || h.Revision != 1 {
		t.Fatalf("gem-a's household after the attempts: %+v, %v", h, err)
	}
}

func TestOnlyTheMunicipalityShields(t *testing.T) {
	e := newInvEnv(t)
	kind := e.bsn()
	members := func(shielded bool) []broker.MemberInput {
		return []broker.MemberInput{{Label: "kind", BSN: kind, Role: broker.MemberChild, BirthYear: 2015, Shielded: shielded}}
	}
	// The social services' coordinator registers with shielding: it does
	// not take.
	h, err := e.svc.PutHousehold(e.ctx, e.coordinator("sociale-dienst", invPurpose), "hh-9", broker.HouseholdInput{Municipality: "gem-a", Members: members(true)})
	if err != nil || h.Members[0].Shielded {
		t.Fatalf("a non-municipality shielding: %+v, %v", h, err)
	}
	// The municipality shields.
	h, err = e.svc.PutHousehold(e.ctx, e.coordinator("gem-a", invPurpose), "hh-9", broker.HouseholdInput{Municipality: "gem-a", Members: members(true)})
	if err != nil || !h.Members[0].Shielded {
		t.Fatalf("the municipality shielding: %+v, %v", h, err)
	}
	// The social services cannot lift it by leaving the flag out.
	h, err = e.svc.PutHousehold(e.ctx, e.coordinator("sociale-dienst", invPurpose), "hh-9", broker.HouseholdInput{Municipality: "gem-a", Members: members(false)})
	if err != nil || !h.Members[0].Shielded {
		t.Fatalf("a non-municipality unshielding: %+v, %v", h, err)
	}
	got, err := e.svc.Household(e.ctx, e.coordinator("gem-a", invPurpose), "hh-9")
	if err != nil || !slices.ContainsFunc(got.Members, func(m broker.MemberView) bool { return m.Shielded }) {
		t.Fatalf("stored %+v, %v", got, err)
	}
}
