package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestPurposesOverHTTP: a caller learns which purposes its role and sector
// may state, each with the legal basis its rule cites.
func TestPurposesOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	var coord, uwv PurposeList
	e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/purposes", "", nil, &coord)
	e.json(e.client("uwv", broker.RoleConnector), http.MethodGet, "/v1/purposes", "", nil, &uwv)
	codes := func(l PurposeList) []string {
		var out []string
		for _, p := range l.Purposes {
			if p.Basis == "" || p.Name == "" {
				t.Errorf("purpose %+v lacks its basis or name", p)
			}
			out = append(out, p.Code)
		}
		return out
	}
	if !slices.Contains(codes(coord), "integrale-ondersteuning") {
		t.Errorf("the coordinator's purposes: %v", codes(coord))
	}
	if slices.Contains(codes(uwv), "jeugdbescherming") {
		t.Errorf("a work-and-income connector may state jeugdbescherming: %v", codes(uwv))
	}
}

// TestAuditFiltersOverHTTP: the audit list filters by request id, action
// and decision, so a privacy officer finds what an error's request id
// names.
func TestAuditFiltersOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	e.family()
	_, pe := e.do(e.client("gem-b", broker.RoleCoordinator), http.MethodGet, "/v1/households/hh-1/plan", "", nil, "")
	if pe == nil || pe.RequestID == "" {
		t.Fatalf("a refused request: %v", pe)
	}
	fg := e.client("fg", broker.RolePrivacyOfficer)
	var page broker.AuditPage
	e.json(fg, http.MethodGet, "/v1/audit?limit=1000&reference=t-1&action=household.write", "", nil, &page)
	if len(page.Entries) == 0 {
		t.Fatal("no household.write entries")
	}
	for _, a := range page.Entries {
		if a.Action != broker.ActionHouseholdWrite {
			t.Errorf("the action filter let %s through", a.Action)
		}
	}
	e.json(fg, http.MethodGet, "/v1/audit?limit=1000&reference=t-1&decision=allow&partner=uwv", "", nil, &page)
	for _, a := range page.Entries {
		if a.Partner != "uwv" || a.Decision != broker.DecisionAllow {
			t.Errorf("the partner/decision filter let %+v through", a)
		}
	}
	for _, bad := range []string{"decision=maybe", "since=gisteren"} {
		_, pe := e.do(fg, http.MethodGet, "/v1/audit?limit=10&reference=t-1&"+bad, "", nil, "")
		ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", map[string]string{"decision=maybe": "decision", "since=gisteren": "since"}[bad])
	}
}
