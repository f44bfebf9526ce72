package httpapi

// Need to know, tried from outside over real HTTP (issue 12, items 1-4, 6,
// 7, 9): what a caller may not know is answered exactly as what does not
// exist, statute purposes need a relation, and every refusal about a
// person is audited. Identifiers start with "ntk" or "iv" (the shared
// environment of involvements_test.go).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// ntkAnswer is what a caller sees of an answer: the status and the body,
// without what differs per request (request id, signature).
type ntkAnswer struct {
	Status int
	Body   string
}

func (e *ivEnv) answer(c *connectors.Client, method, path, purpose string, in any) ntkAnswer {
	e.t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	resp, pe := e.do(c, method, path, purpose, body, "")
	if pe != nil {
		q := *pe
		q.RequestID, q.RetryAfter = "", 0
		raw, _ := json.Marshal(q)
		return ntkAnswer{pe.Status, string(raw)}
	}
	return ntkAnswer{resp.Status, string(resp.Body)}
}

// ntkSame fails unless the answers about what the caller may not know and
// about what does not exist are the same.
func ntkSame(t *testing.T, what string, hidden, missing ntkAnswer) {
	t.Helper()
	if hidden != missing {
		t.Errorf("%s: the hidden answer differs from the missing one:\nhidden  %d %s\nmissing %d %s",
			what, hidden.Status, hidden.Body, missing.Status, missing.Body)
	}
}

// ntkDenials returns the denials in the audit trail of action.
func ntkDenials(es []broker.AuditEntry, action string) []broker.AuditEntry {
	var out []broker.AuditEntry
	for _, a := range es {
		if a.Event == broker.EventDenial && a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

func TestConsentsOfAnotherMunicipalitysResidentAreUnknown(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	var consent broker.ConsentView
	e.json(e.client("cjg", broker.RoleProfessional), http.MethodPost, "/v1/consents", ivPurpose,
		map[string]any{"bsn": bsns["moeder"], "purpose": ivPurpose, "sectors": []string{"debt"}, "given_by": "self", "evidence": "form 2026-1", "explicit": true, "not_conditional": true}, &consent)
	stranger := e.bsn()

	for _, caller := range []*connectors.Client{e.client("cjg-b", broker.RoleProfessional), e.client("gem-b", broker.RoleCoordinator)} {
		hidden := e.answer(caller, http.MethodPost, "/v1/consents/search", ivPurpose, map[string]string{"bsn": bsns["moeder"]})
		missing := e.answer(caller, http.MethodPost, "/v1/consents/search", ivPurpose, map[string]string{"bsn": stranger})
		if hidden.Status != http.StatusForbidden || !strings.Contains(hidden.Body, broker.ReasonNoRelation) {
			t.Errorf("consents of another municipality's resident: %d %s", hidden.Status, hidden.Body)
		}
		ntkSame(t, "consent search", hidden, missing)

		hidden = e.answer(caller, http.MethodPost, "/v1/consents/"+consent.ID+"/withdraw", "", map[string]string{"reason": "x"})
		missing = e.answer(caller, http.MethodPost, "/v1/consents/c-"+strings.Repeat("a", 26)+"/withdraw", "", map[string]string{"reason": "x"})
		if hidden.Status != http.StatusNotFound {
			t.Errorf("withdrawing another municipality's consent: %d %s", hidden.Status, hidden.Body)
		}
		ntkSame(t, "consent withdraw", hidden, missing)
	}
	// The consent is still in force, and its own partners still see it.
	var list broker.ConsentList
	e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodPost, "/v1/consents/search", ivPurpose,
		map[string]string{"bsn": bsns["moeder"]}, &list)
	if len(list.Consents) != 1 || list.Consents[0].State != broker.ConsentActive {
		t.Fatalf("the resident's own coordinator sees %+v", list)
	}
	// Every refusal about the resident was audited.
	es := e.auditEntries()
	if n := len(ntkDenials(es, broker.ActionConsentRead)); n != 4 {
		t.Errorf("%d consent.read denials audited, want 4", n)
	}
	if n := len(ntkDenials(es, broker.ActionConsentWithdraw)); n != 2 {
		t.Errorf("%d consent.withdraw denials audited, want 2", n)
	}
}

func TestPersonOverviewOfAnotherMunicipalitysResidentIsUnknown(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	// The mother is shielded in gem-a.
	var members []map[string]any
	for _, m := range []struct {
		label, role string
		year        int
	}{{"moeder", "parent", 1988}, {"vader", "parent", 1985}, {"kind 1", "child", 2014}, {"kind 2", "child", 2019}} {
		members = append(members, map[string]any{"label": m.label, "bsn": bsns[m.label], "role": m.role, "birth_year": m.year,
			"shielded": m.label == "moeder"})
	}
	e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodPut, "/v1/households/hh-1", ivPurpose,
		map[string]any{"municipality": "gem-a", "members": members}, nil)
	stranger := e.bsn()
	for _, caller := range []*connectors.Client{e.client("gem-b", broker.RoleCoordinator), e.client("cjg-b", broker.RoleProfessional)} {
		for _, purpose := range []string{ivPurpose, "jeugdbescherming"} {
			for _, who := range []string{"moeder", "vader", "kind 2"} {
				hidden := e.answer(caller, http.MethodPost, "/v1/persons/involvements", purpose, map[string]string{"bsn": bsns[who]})
				missing := e.answer(caller, http.MethodPost, "/v1/persons/involvements", purpose, map[string]string{"bsn": stranger})
				ntkSame(t, fmt.Sprintf("person overview of %s under %s", who, purpose), hidden, missing)
			}
		}
	}
}

func TestHouseholdOfAnotherMunicipalityIsMissing(t *testing.T) {
	e := ivNewEnv(t)
	e.family()
	gemB := e.client("gem-b", broker.RoleCoordinator)
	for _, tt := range []struct{ method, path, suffix string }{
		{http.MethodGet, "/v1/households/", ""},
		{http.MethodGet, "/v1/households/", "/involvements"},
		{http.MethodGet, "/v1/households/", "/plan"},
		{http.MethodGet, "/v1/households/", "/plan/history"},
	} {
		hidden := e.answer(gemB, tt.method, tt.path+"hh-1"+tt.suffix, ivPurpose, nil)
		missing := e.answer(gemB, tt.method, tt.path+"hh-none"+tt.suffix, ivPurpose, nil)
		if hidden.Status != http.StatusNotFound {
			t.Errorf("%s %shh-1%s: %d %s", tt.method, tt.path, tt.suffix, hidden.Status, hidden.Body)
		}
		ntkSame(t, tt.path+"{id}"+tt.suffix, hidden, missing)
		// Qualified with the other municipality: the same.
		ntkSame(t, tt.path+"gem-a:{id}"+tt.suffix, e.answer(gemB, tt.method, tt.path+"gem-a:hh-1"+tt.suffix, ivPurpose, nil), missing)
	}
	assign := func(id string) ntkAnswer {
		return e.answer(gemB, http.MethodPost, "/v1/assignments", ivPurpose, map[string]any{
			"household": id, "recipient": "kredietbank", "type": "intake", "due": time.Now().AddDate(0, 0, 14).Format(time.DateOnly)})
	}
	ntkSame(t, "assignment about it", assign("hh-1"), assign("hh-none"))

	// Its own household hh-1 is another household: created, and gem-a's
	// is unchanged.
	var own broker.HouseholdView
	resp := e.json(gemB, http.MethodPut, "/v1/households/hh-1", ivPurpose, map[string]any{"municipality": "gem-b",
		"members": []map[string]any{{"label": "bewoner", "bsn": e.bsn(), "role": "other"}}}, &own)
	if resp.Status != http.StatusOK || own.Municipality != "gem-b" || len(own.Members) != 1 {
		t.Fatalf("gem-b's own hh-1: %d %s", resp.Status, resp.Body)
	}
	var theirs broker.HouseholdView
	e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/households/hh-1", ivPurpose, nil, &theirs)
	if theirs.Municipality != "gem-a" || len(theirs.Members) != 4 {
		t.Fatalf("gem-a's hh-1 after gem-b made its own: %+v", theirs)
	}
	// Naming another municipality in the body is the policy's refusal,
	// whether or not the id is used there.
	put := func(id string) ntkAnswer {
		return e.answer(gemB, http.MethodPut, "/v1/households/"+id, ivPurpose, map[string]any{"municipality": "gem-a",
			"members": []map[string]any{{"label": "x", "bsn": e.bsn(), "role": "other"}}})
	}
	ntkSame(t, "PUT into another municipality", put("hh-1"), put("hh-none"))
}

func TestStatutePurposeNeedsARelation(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	// A second debt counsellor of gem-a serves nobody in hh-1: under a
	// statute purpose that gives it no consent-free look at the household.
	overview := func(c *connectors.Client, purpose string) ntkAnswer {
		return e.answer(c, http.MethodGet, "/v1/households/hh-1/involvements", purpose, nil)
	}
	got := overview(e.client("schuldhulp-a2", broker.RoleProfessional), "vroegsignalering-schulden")
	if got.Status != http.StatusForbidden || !strings.Contains(got.Body, `"reasons":["no_relation"]`) {
		t.Fatalf("a debt counsellor without a relation under vroegsignalering: %d %s", got.Status, got.Body)
	}
	// With an involvement of its own with a member it may.
	e.json(e.client("schuldhulp-a2", broker.RoleConnector), http.MethodPut, "/v1/involvements/vs-1", "vroegsignalering-schulden",
		ivInvolvement(bsns["moeder"], "schuldregeling"), nil)
	if got := overview(e.client("schuldhulp-a2", broker.RoleProfessional), "vroegsignalering-schulden"); got.Status != http.StatusOK {
		t.Fatalf("with its own involvement: %d %s", got.Status, got.Body)
	}
	// jeugdbescherming is the college's (and the certified organisations'):
	// a youth partner, related or not, may not use it.
	e.json(e.client("cjg-a2", broker.RoleConnector), http.MethodPut, "/v1/involvements/jb-1", "", ivInvolvement(bsns["kind 1"], "gezinscoaching"), nil)
	if got := overview(e.client("cjg-a2", broker.RoleProfessional), "jeugdbescherming"); got.Status != http.StatusForbidden ||
		!strings.Contains(got.Body, `"reasons":["sector_not_allowed"]`) {
		t.Fatalf("a youth partner under jeugdbescherming: %d %s", got.Status, got.Body)
	}
	if n := len(ntkDenials(e.auditEntries(), broker.ActionHouseholdOverview)); n != 2 {
		t.Errorf("%d overview denials audited, want 2", n)
	}
}

func TestBSNsInIdentifiersAreRefused(t *testing.T) {
	e := ivNewEnv(t)
	// A valid BSN the test never registers (the environment's own leak
	// checks would rightly flag it in a URL otherwise).
	const b = "111222333"
	if _, err := broker.ParseBSN(b); err != nil {
		t.Fatal(err)
	}
	kb := e.client("kredietbank", broker.RoleConnector)
	for _, ref := range []string{"ref-" + b, b + ".1", "x" + b} {
		_, pe := e.do(kb, http.MethodPut, "/v1/involvements/"+ref, "", mustJSON(ivInvolvement(e.bsn(), "schuldregeling")), "")
		ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "ref")
	}
	coord := e.client("gem-a", broker.RoleCoordinator)
	_, pe := e.do(coord, http.MethodPut, "/v1/households/hh-"+b, ivPurpose, mustJSON(map[string]any{"municipality": "gem-a",
		"members": []map[string]any{{"label": "x", "bsn": e.bsn(), "role": "other"}}}), "")
	ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "id")
	// A long numeric reference (ten digits) is no BSN.
	if _, pe := e.do(kb, http.MethodPut, "/v1/involvements/dossier-1234567890", "", mustJSON(ivInvolvement(e.bsn(), "schuldregeling")), ""); pe != nil {
		t.Fatalf("a ten-digit reference: %v", pe)
	}
	if got := e.list("kredietbank"); len(got) != 1 {
		t.Fatalf("stored: %v", got)
	}
}

func TestWrongSideAssignmentStepIsAudited(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	for _, p := range []string{"gem-a", "kredietbank"} {
		e.setLevel(p, 3)
	}
	coord := e.client("gem-a", broker.RoleCoordinator)
	// The household's members consent to the debt counsellor.
	for _, who := range []string{"moeder", "vader"} {
		e.json(coord, http.MethodPost, "/v1/consents", ivPurpose, map[string]any{"bsn": bsns[who], "purpose": ivPurpose,
			"sectors": []string{"debt"}, "given_by": "self", "evidence": "form 2026-1", "explicit": true, "not_conditional": true}, nil)
	}
	for _, who := range []string{"kind 1", "kind 2"} {
		e.json(coord, http.MethodPost, "/v1/consents", ivPurpose, map[string]any{"bsn": bsns[who], "purpose": ivPurpose,
			"sectors": []string{"debt"}, "given_by": "parent", "evidence": "form 2026-1", "explicit": true, "not_conditional": true}, nil)
	}
	var a broker.AssignmentView
	e.json(coord, http.MethodPost, "/v1/assignments", ivPurpose, map[string]any{"household": "hh-1", "recipient": "kredietbank",
		"type": "schuldenoverzicht", "due": time.Now().AddDate(0, 0, 14).Format(time.DateOnly)}, &a)
	// The giver tries to accept its own assignment: 409, audited.
	_, pe := e.do(coord, http.MethodPost, "/v1/assignments/"+a.ID+"/accept", ivPurpose, []byte(`{}`), "")
	ivExpect(t, pe, http.StatusConflict, "conflict", "")
	// A partner that is neither side: as for an assignment that does not
	// exist, and audited.
	other := e.client("cjg", broker.RoleProfessional)
	hidden := e.answer(other, http.MethodPost, "/v1/assignments/"+a.ID+"/accept", ivPurpose, map[string]any{})
	missing := e.answer(other, http.MethodPost, "/v1/assignments/a-"+strings.Repeat("b", 26)+"/accept", ivPurpose, map[string]any{})
	ntkSame(t, "another partner's assignment", hidden, missing)
	// Accepting without a purpose: purpose_missing, as the policy data
	// declares for assignment.accept.
	_, pe = e.do(e.client("kredietbank", broker.RoleConnector), http.MethodPost, "/v1/assignments/"+a.ID+"/accept", "", []byte(`{}`), "")
	ivExpect(t, pe, http.StatusForbidden, "denied", "")
	if !slices.Equal(pe.Reasons, []string{broker.ReasonPurposeMissing}) {
		t.Fatalf("accept without a purpose: %v", pe.Reasons)
	}
	denials := ntkDenials(e.auditEntries(), broker.ActionAssignmentAccept)
	var codes []string
	for _, d := range denials {
		codes = append(codes, strings.Join(d.Reasons, ","))
		if len(d.Subjects) != 4 {
			t.Errorf("denial %v names %d subjects, want the 4 members", d.Reasons, len(d.Subjects))
		}
	}
	if want := []string{broker.RefusalConflict, broker.RefusalNotFound, broker.ReasonPurposeMissing}; !slices.Equal(codes, want) {
		t.Errorf("audited accept denials %v, want %v", codes, want)
	}
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return raw
}

// TestSubCarryingABSNIsRefused: a token whose sub holds a BSN (a client's
// number typed where the professional's name belongs) is refused before
// anything happens, and the number reaches no log, audit entry or answer.
func TestSubCarryingABSNIsRefused(t *testing.T) {
	e := ivNewEnv(t)
	b := e.bsn()
	id := *e.ids["kredietbank/"+string(broker.RoleConnector)]
	raw, _ := json.Marshal(map[string]any{"partner": id.Partner, "sub": "medewerker-" + b, "role": id.Role, "key": id.Key})
	ident, err := connectors.ParseIdentity(raw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := connectors.New(connectors.Config{Server: e.srv.URL, Identity: ident, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, pe := e.do(c, http.MethodGet, "/v1/involvements", "", nil, "")
	if pe == nil || pe.Status != http.StatusUnauthorized || pe.Code != "token_claims_invalid" || strings.Contains(pe.Detail, b) {
		t.Fatalf("a sub with a BSN: %v", pe)
	}
}

// TestBSNsInFreeTextAreRefused: free text is stored and travels to other
// partners; a BSN in it (also written 1234.56.782) is refused, field named.
func TestBSNsInFreeTextAreRefused(t *testing.T) {
	e := ivNewEnv(t)
	const b = "111222333" // never registered by the test: the leak checks would flag it otherwise
	dotted := "1112.22.333"
	kb := e.client("kredietbank", broker.RoleConnector)
	for _, tc := range []struct {
		field string
		body  map[string]any
	}{
		{"service_label", map[string]any{"bsn": e.bsn(), "service": "schuldregeling", "service_label": "Regeling " + b}},
		{"contact.name", map[string]any{"bsn": e.bsn(), "service": "schuldregeling", "contact": map[string]string{"name": "Dossier " + dotted}}},
		{"contact.phone", map[string]any{"bsn": e.bsn(), "service": "schuldregeling", "contact": map[string]string{"phone": b}}},
	} {
		_, pe := e.do(kb, http.MethodPut, "/v1/involvements/ref-1", "", mustJSON(tc.body), "")
		ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", tc.field)
	}
	coord := e.client("gem-a", broker.RoleCoordinator)
	_, pe := e.do(coord, http.MethodPut, "/v1/households/hh-9", ivPurpose, mustJSON(map[string]any{"municipality": "gem-a",
		"members": []map[string]any{{"label": "kind " + b, "bsn": e.bsn(), "role": "other"}}}), "")
	ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "members[0].label")
	if got := e.list("kredietbank"); len(got) != 0 {
		t.Fatalf("stored: %v", got)
	}
}
