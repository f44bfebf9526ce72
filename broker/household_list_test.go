package broker_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A coordinator lists the households its partner coordinates, a page at a
// time; nobody else lists them, and a municipality the caller does not
// serve looks exactly like one without households.
func TestHouseholdList(t *testing.T) {
	e := newInvEnv(t)
	e.newFamily("hh-1")
	e.newFamily("hh-2")
	e.newFamily("hh-3")
	coord := e.coordinator("gem-a", invPurpose)

	all, err := e.svc.Households(e.ctx, coord, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := summaryIDs(all); got != "gem-a:hh-1 gem-a:hh-2 gem-a:hh-3" || all.Next != "" {
		t.Fatalf("the list: %s, next %q", got, all.Next)
	}
	if all.Households[0].Members != 4 || all.Households[0].Coordinator.Partner != "gem-a" {
		t.Errorf("a line: %+v", all.Households[0])
	}
	raw, _ := json.Marshal(all)
	if strings.Contains(string(raw), "moeder") || strings.Contains(string(raw), "birth") {
		t.Errorf("the list names members: %s", raw)
	}
	e.noBSN("a household list", all)

	// Pages.
	p1, err := e.svc.Households(e.ctx, coord, "", "", 2)
	if err != nil || summaryIDs(p1) != "gem-a:hh-1 gem-a:hh-2" || p1.Next != "gem-a:hh-2" {
		t.Fatalf("page 1: %s next %q, %v", summaryIDs(p1), p1.Next, err)
	}
	p2, err := e.svc.Households(e.ctx, coord, "", p1.Next, 2)
	if err != nil || summaryIDs(p2) != "gem-a:hh-3" || p2.Next != "" {
		t.Fatalf("page 2: %s next %q, %v", summaryIDs(p2), p2.Next, err)
	}
	if _, err := e.svc.Households(e.ctx, coord, "", "hh-2", 2); err == nil {
		t.Error("an unqualified after was accepted")
	}

	// Another municipality's coordinator lists none of them; naming a
	// municipality one does not serve answers as one without households.
	other, err := e.svc.Households(e.ctx, e.coordinator("gem-b", invPurpose), "", "", 0)
	if err != nil || len(other.Households) != 0 {
		t.Fatalf("gem-b lists %+v, %v", other, err)
	}
	notServed, err := e.svc.Households(e.ctx, e.coordinator("gem-b", invPurpose), "gem-a", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, other), mustJSON(t, notServed); a != b {
		t.Errorf("a municipality not served differs from one without households: %s / %s", b, a)
	}

	// A professional, a connector, an organisation without a purpose: refused
	// by the policy and audited.
	mark := e.head()
	for _, c := range []*broker.Caller{e.professional("cjg", invPurpose), e.connector("kredietbank"), e.coordinator("gem-a", "")} {
		if _, err := e.svc.Households(e.ctx, c, "", "", 0); !deniedWith(err, broker.ReasonRoleNotAllowed) && !deniedWith(err, "purpose_missing") {
			t.Errorf("%s/%s: %v", c.Partner.ID, c.Role, err)
		}
	}
	if es := e.entriesSince(mark); len(es) != 3 {
		t.Errorf("%d refusals audited, want 3", len(es))
	}
}

func summaryIDs(l broker.HouseholdList) string {
	var ids []string
	for _, h := range l.Households {
		ids = append(ids, h.Municipality+":"+h.ID)
	}
	return strings.Join(ids, " ")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
