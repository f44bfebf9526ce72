package httpapi

// The data subject's rights over real HTTP (issue 13): restriction and
// objection (AVG art. 18, 21) recorded, listed and lifted under the
// relation rules of consent.record, and honoured by the overview.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// restrictionDo posts body to path as c and returns the response or problem.
func (e *ivEnv) restrictionDo(c *connectors.Client, path string, body map[string]any) (*connectors.Response, *connectors.ProblemError) {
	e.t.Helper()
	raw, _ := json.Marshal(body)
	return e.do(c, http.MethodPost, path, "", raw, "")
}

func TestRestrictionOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	prof := e.client("cjg", broker.RoleProfessional)
	// The debt counsellor also serves the mother for early detection of
	// debts (a statute purpose): shown to the coordinator without consent.
	e.json(e.client("kredietbank", broker.RoleConnector), http.MethodPut, "/v1/involvements/kb-vs", rsPurpose,
		ivInvolvement(bsns["moeder"], "vroegsignalering"), nil)
	before := e.rsOverview()
	if !strings.Contains(before["moeder"], "kredietbank") {
		t.Fatalf("before the objection the mother shows %q", before["moeder"])
	}
	objection := func(bsn string) map[string]any {
		return map[string]any{"bsn": bsn, "kind": "objection", "purpose": rsPurpose}
	}
	stranger := e.bsn()

	// Refusals first, each changing nothing.
	t.Run("refusals", func(t *testing.T) {
		before := uint64(0)
		for _, en := range e.auditEntries() {
			before = max(before, en.Seq)
		}
		cases := []struct {
			name   string
			c      *connectors.Client
			body   map[string]any
			status int
			code   string
			field  string
			reason string
		}{
			{"a connector may not", e.client("kredietbank", broker.RoleConnector), objection(bsns["moeder"]), http.StatusForbidden, "denied", "", "role_not_allowed"},
			{"another municipality's professional has no relation", e.client("cjg-b", broker.RoleProfessional), objection(bsns["moeder"]), http.StatusForbidden, "denied", "", "no_relation"},
			{"a person the broker never saw: the same answer", e.client("cjg-b", broker.RoleProfessional), objection(stranger), http.StatusForbidden, "denied", "", "no_relation"},
			{"a professional of gem-a without a relation to a stranger", prof, objection(stranger), http.StatusForbidden, "denied", "", "no_relation"},
			{"unknown kind", prof, map[string]any{"bsn": bsns["moeder"], "kind": "bezwaar", "purpose": rsPurpose}, http.StatusUnprocessableEntity, "invalid_input", "kind", ""},
			{"a restriction names its ground", prof, map[string]any{"bsn": bsns["moeder"], "kind": "restriction", "purpose": rsPurpose}, http.StatusUnprocessableEntity, "invalid_input", "ground", ""},
			{"an objection has no ground of art. 18", prof, map[string]any{"bsn": bsns["moeder"], "kind": "objection", "purpose": rsPurpose, "ground": "unlawful"}, http.StatusUnprocessableEntity, "invalid_input", "ground", ""},
			{"no BSN in the reference", prof, map[string]any{"bsn": bsns["moeder"], "kind": "objection", "purpose": rsPurpose, "reference": "AVG-" + bsns["vader"]}, http.StatusUnprocessableEntity, "invalid_input", "reference", ""},
			{"an invalid BSN", prof, objection("123456789"), http.StatusUnprocessableEntity, "invalid_input", "bsn", ""},
			{"a privacy officer names the request", e.client("kredietbank", broker.RolePrivacyOfficer), objection(bsns["moeder"]), http.StatusUnprocessableEntity, "invalid_input", "reference", ""},
			{"an unknown purpose", prof, map[string]any{"bsn": bsns["moeder"], "kind": "objection", "purpose": "handel"}, http.StatusForbidden, "denied", "", "purpose_not_allowed"},
		}
		denials := 0
		for _, tc := range cases {
			_, pe := e.restrictionDo(tc.c, "/v1/restrictions", tc.body)
			if pe == nil {
				t.Fatalf("%s: recorded", tc.name)
			}
			if pe.Status != tc.status || pe.Code != tc.code || pe.Field != tc.field {
				t.Errorf("%s: %d %s %q (%s), want %d %s %q", tc.name, pe.Status, pe.Code, pe.Field, pe.Detail, tc.status, tc.code, tc.field)
			}
			if tc.reason != "" {
				denials++
				if strings.Join(pe.Reasons, ",") != tc.reason {
					t.Errorf("%s: reasons %v, want %s", tc.name, pe.Reasons, tc.reason)
				}
			}
		}
		// Every policy refusal about a person is audited; nothing else
		// was written.
		got := 0
		for _, en := range e.auditEntries() {
			if en.Seq <= before || en.Action != broker.ActionRestrictionRecord {
				continue
			}
			if en.Event != broker.EventDenial || en.Decision != broker.DecisionDeny {
				t.Errorf("after a refusal: %+v", en)
			}
			got++
		}
		if got != denials {
			t.Errorf("%d refusals audited, want %d", got, denials)
		}
	})

	// The CJG, serving the household, records the mother's objection.
	var r broker.RestrictionView
	resp := e.json(prof, http.MethodPost, "/v1/restrictions", "", objection(bsns["moeder"]), &r)
	if resp.Status != http.StatusCreated || r.State != broker.RestrictionActive || r.Kind != broker.KindObjection || r.ID == "" {
		t.Fatalf("recorded %d %+v", resp.Status, r)
	}
	if strings.Contains(string(resp.Body), `"subject"`) {
		t.Errorf("the answer carries the pseudonym: %s", resp.Body)
	}
	_, pe := e.restrictionDo(prof, "/v1/restrictions", objection(bsns["moeder"]))
	ivExpect(t, pe, http.StatusConflict, "conflict", "")

	// The policy honours it: the mother's involvement is withheld under
	// the purpose; the others are shown.
	if got := e.rsOverview(); got["moeder"] != "" || got["vader"] != before["vader"] {
		t.Fatalf("after the objection: %v, before %v", got, before)
	}

	// Under the objection no new involvement of the mother is registered
	// under the purpose (AVG art. 21 lid 1), audited as a refusal about
	// her; ending one stays possible, and another purpose is untouched.
	kb := e.client("kredietbank", broker.RoleConnector)
	inv := ivInvolvement(bsns["moeder"], "vroegsignalering")
	raw, _ := json.Marshal(inv)
	_, pe = e.do(kb, http.MethodPut, "/v1/involvements/kb-vs-2", rsPurpose, raw, "")
	ivExpect(t, pe, http.StatusForbidden, "denied", "")
	if joined(pe.Reasons) != "objected" {
		t.Fatalf("registration under the objection: reasons %v", pe.Reasons)
	}
	refused := 0
	for _, en := range e.auditEntries() {
		if en.Action == broker.ActionInvolvementWrite && en.Event == broker.EventDenial && joined(en.Reasons) == "objected" && len(en.Subjects) == 1 {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d audited refusals of the registration, want 1", refused)
	}
	e.json(kb, http.MethodPut, "/v1/involvements/kb-vs-3", "integrale-ondersteuning", ivInvolvement(bsns["moeder"], "schuldhulp"), nil)

	// The same in a full-caseload sync: the new line about the mother is
	// refused with its line number and audited; the unchanged line and
	// the line about the father go through.
	caseload := strings.Join([]string{ivLine("kb-vs", bsns["moeder"], "vroegsignalering"),
		ivLine("kb-vs-2", bsns["moeder"], "vroegsignalering"), ivLine("kb-vs-v", bsns["vader"], "vroegsignalering")}, "\n") + "\n"
	resp0, pe := e.do(kb, http.MethodPost, "/v1/involvements/sync", rsPurpose, []byte(caseload), "application/x-ndjson")
	if pe != nil {
		t.Fatalf("sync: %v", pe)
	}
	var res broker.SyncResult
	if err := json.Unmarshal(resp0.Body, &res); err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 1 || len(res.Problems) != 1 || res.Problems[0].Line != 2 || res.Problems[0].Ref != "kb-vs-2" ||
		!strings.Contains(res.Problems[0].Reason, "objected") || res.Added != 1 || res.Unchanged != 1 {
		t.Fatalf("sync under the objection: %+v", res)
	}
	if strings.Contains(string(resp0.Body), bsns["moeder"]) {
		t.Fatalf("the sync report echoes the BSN: %s", resp0.Body)
	}
	refused = 0
	for _, en := range e.auditEntries() {
		if en.Action == broker.ActionInvolvementWrite && en.Event == broker.EventDenial && joined(en.Reasons) == "objected" && len(en.Subjects) == 1 {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d audited refusals of a registration, want 2", refused)
	}

	// Listed for the related; to others as about a stranger.
	var list broker.RestrictionList
	e.json(prof, http.MethodPost, "/v1/restrictions/search", "", map[string]any{"bsn": bsns["moeder"]}, &list)
	if len(list.Restrictions) != 1 || list.Restrictions[0].ID != r.ID {
		t.Fatalf("listed %+v", list)
	}
	_, pe1 := e.restrictionDo(e.client("cjg-b", broker.RoleProfessional), "/v1/restrictions/search", map[string]any{"bsn": bsns["moeder"]})
	_, pe2 := e.restrictionDo(e.client("cjg-b", broker.RoleProfessional), "/v1/restrictions/search", map[string]any{"bsn": stranger})
	if pe1 == nil || pe2 == nil || pe1.Status != pe2.Status || pe1.Code != pe2.Code || strings.Join(pe1.Reasons, ",") != strings.Join(pe2.Reasons, ",") {
		t.Fatalf("another municipality tells the mother from a stranger: %v / %v", pe1, pe2)
	}

	// Lifting: to the unrelated the restriction does not exist.
	_, pe1 = e.restrictionDo(e.client("cjg-b", broker.RoleProfessional), "/v1/restrictions/"+r.ID+"/lift", map[string]any{})
	_, pe2 = e.restrictionDo(e.client("cjg-b", broker.RoleProfessional), "/v1/restrictions/r-unknown/lift", map[string]any{})
	ivExpect(t, pe1, http.StatusNotFound, "not_found", "")
	ivExpect(t, pe2, http.StatusNotFound, "not_found", "")
	_, pe = e.restrictionDo(e.client("fg", broker.RolePrivacyOfficer), "/v1/restrictions/"+r.ID+"/lift", map[string]any{})
	ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "reference")

	// The region's privacy office lifts it, naming the request.
	var lifted broker.RestrictionView
	e.json(e.client("fg", broker.RolePrivacyOfficer), http.MethodPost, "/v1/restrictions/"+r.ID+"/lift", "",
		map[string]any{"reason": "bezwaar afgewogen", "reference": "AVG-2026-7"}, &lifted)
	if lifted.State != broker.RestrictionLifted || lifted.Lifted == nil || lifted.Lifted.By.Partner != "fg" {
		t.Fatalf("lifted %+v", lifted)
	}
	_, pe = e.restrictionDo(e.client("fg", broker.RolePrivacyOfficer), "/v1/restrictions/"+r.ID+"/lift", map[string]any{"reference": "AVG-2026-7"})
	ivExpect(t, pe, http.StatusConflict, "conflict", "")
	if got := e.rsOverview(); got["moeder"] != before["moeder"] {
		t.Fatalf("after lifting: %v, before %v", got, before)
	}
	e.json(kb, http.MethodPut, "/v1/involvements/kb-vs-2", rsPurpose, inv, nil)

	// The trail: the record, the lift with its reference, the refusals.
	var record, lift, refusedLift, conflicts int
	for _, en := range e.auditEntries() {
		switch {
		case en.Action == broker.ActionRestrictionRecord && en.Event == broker.EventChange:
			record++
		case en.Action == broker.ActionRestrictionLift && en.Event == broker.EventChange:
			lift++
			if en.Detail["reference"] != "AVG-2026-7" || en.Object != "restriction:"+r.ID {
				t.Errorf("lift entry %+v", en)
			}
		case en.Action == broker.ActionRestrictionLift && en.Event == broker.EventDenial && joined(en.Reasons) == "no_relation":
			refusedLift++
		}
		if en.Event == broker.EventDenial && joined(en.Reasons) == "conflict" && strings.HasPrefix(en.Object, "restriction:") {
			conflicts++
		}
	}
	if record != 1 || lift != 1 || refusedLift != 1 || conflicts != 2 {
		t.Errorf("audited: %d records, %d lifts, %d refused lifts, %d conflicts", record, lift, refusedLift, conflicts)
	}
}

// rsPurpose is the statute purpose of the objection tests: an objection
// (AVG art. 21) is to processing under a public task.
const rsPurpose = "vroegsignalering-schulden"

// rsOverview asks hh-1's overview under rsPurpose as gem-a's coordinator:
// per member label, the partners shown.
func (e *ivEnv) rsOverview() map[string]string {
	e.t.Helper()
	var o broker.Overview
	e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/households/hh-1/involvements", rsPurpose, nil, &o)
	out := map[string]string{}
	for _, m := range o.Members {
		var ps []string
		for _, v := range m.Involvements {
			ps = append(ps, v.Partner)
		}
		out[m.Label] = strings.Join(ps, ",")
	}
	return out
}

func joined(ss []string) string { return strings.Join(ss, ",") }
