package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/brokertest"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// Tests of the match follow-up routes over real HTTP (the ivEnv of
// involvements_test.go): only the follow-up's lead and the household's
// coordinator, as persons, learn that it exists.

// fuAs returns a client signing with partner's key (that of its identity
// in role keyRole) as sub in role: a colleague with the same organisation
// key, or an organisation key asserting a person.
func (e *ivEnv) fuAs(partner string, keyRole broker.Role, sub string, role broker.Role) *connectors.Client {
	e.t.Helper()
	base := e.ids[partner+"/"+string(keyRole)]
	raw, _ := json.Marshal(map[string]any{"partner": partner, "sub": sub, "role": role, "key": base.Key})
	id, err := connectors.ParseIdentity(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := connectors.New(connectors.Config{Server: e.srv.URL, Identity: id, Backoff: 10 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// fuFollowup opens a follow-up the way a coordinator gets one: with every
// member's consent, the CJG registers a second service with the mother and
// the match signal to gem-a's coordinator opens it. It returns its id.
func (e *ivEnv) fuFollowup() string {
	e.t.Helper()
	id, _ := e.fuOpen()
	return id
}

// fuOpen is fuFollowup that also returns the family's BSNs by label.
func (e *ivEnv) fuOpen() (string, map[string]string) {
	e.t.Helper()
	bsns := e.family()
	prof := e.client("cjg", broker.RoleProfessional)
	sectors := []string{"debt", "youth", "education", "work-income", "municipality"}
	// A child of twelve or older consents beside its parents.
	for _, c := range []struct{ label, by string }{{"moeder", "self"}, {"vader", "self"}, {"kind 1", "parent"},
		{"kind 1", "self"}, {"kind 2", "parent"}} {
		e.json(prof, http.MethodPost, "/v1/consents", ivPurpose, map[string]any{"bsn": bsns[c.label], "purpose": ivPurpose,
			"sectors": sectors, "given_by": c.by, "evidence": "form 2026-1", "explicit": true, "not_conditional": true}, nil)
	}
	e.json(e.client("cjg", broker.RoleConnector), http.MethodPut, "/v1/involvements/coaching-1", "",
		ivInvolvement(bsns["moeder"], "gezinscoaching"), nil)
	var list broker.FollowupList
	e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/followups?state=live", ivPurpose, nil, &list)
	i := slices.IndexFunc(list.Followups, func(f broker.FollowupView) bool { return f.Partner == "cjg" })
	if i < 0 {
		e.t.Fatalf("no follow-up about the CJG: %+v", list)
	}
	f := list.Followups[i]
	if f.State != broker.FollowupOpen || f.Household != "hh-1" || f.Lead != (broker.Actor{Partner: "gem-a", Sub: "gem-a-coordinator"}) {
		e.t.Fatalf("follow-up %+v", f)
	}
	return f.ID, bsns
}

// fuAnswer is a response with what belongs to the request taken out: the
// request id (its header and the signature are per request too).
type fuAnswer struct {
	status int
	body   string
}

// fuAsk sends a request. A problem document is compared as the SDK read
// it, which is every member the broker's Problem has, with its request id
// cleared.
func (e *ivEnv) fuAsk(c *connectors.Client, method, path, purpose string, body any) fuAnswer {
	e.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	resp, pe := e.do(c, method, path, purpose, raw, "")
	if pe == nil {
		return fuAnswer{resp.Status, string(resp.Body)}
	}
	if pe.RequestID == "" {
		e.t.Errorf("%s %s: a problem without a request id", method, path)
	}
	p := *pe
	p.RequestID = ""
	out, _ := json.Marshal(p)
	return fuAnswer{p.Status, string(out)}
}

// fuRefusals counts the audited refusals about follow-up id.
func fuRefusals(es []broker.AuditEntry, id string) int {
	n := 0
	for _, a := range es {
		if a.Object == "followup:"+id && a.Decision == broker.DecisionDeny && len(a.Subjects) > 0 {
			n++
		}
	}
	return n
}

// TestFollowupIsHiddenOverHTTP: to anyone but its lead and the
// household's coordinator, acting as persons, a follow-up answers exactly
// as an id never used, on every route, and the refusal is audited.
func TestFollowupIsHiddenOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	id := e.fuFollowup()
	// gem-a gets an organisation key and an analyst, so that they can
	// assert its coordinator.
	p, _ := e.svc.LookupPartner("gem-a")
	q := *p
	q.Roles = []broker.Role{broker.RoleCoordinator, broker.RoleConnector, broker.RoleAnalyst}
	if _, err := e.svc.UpdatePartner(e.ctx, e.operator, q); err != nil {
		t.Fatal(err)
	}
	coordSub := "gem-a-coordinator"
	callers := []struct {
		name string
		c    *connectors.Client
		// purpose: the one the caller states (noPurpose: none).
		purpose string
	}{
		{"another municipality's coordinator", e.client("gem-b", broker.RoleCoordinator), ivPurpose},
		{"another partner's professional", e.client("cjg-a2", broker.RoleProfessional), ivPurpose},
		{"the professional of the partner the match was about", e.client("cjg", broker.RoleProfessional), ivPurpose},
		{"a colleague of the coordinator", e.fuAs("gem-a", broker.RoleCoordinator, "a.collega", broker.RoleCoordinator), ivPurpose},
		{"an organisation key asserting the coordinator", e.fuAs("gem-a", broker.RoleCoordinator, coordSub, broker.RoleConnector), ivPurpose},
		{"an analyst", e.fuAs("gem-a", broker.RoleCoordinator, "a.analist", broker.RoleAnalyst), ivPurpose},
		{"another partner's professional without a purpose", e.client("cjg-a2", broker.RoleProfessional), noPurpose},
	}
	for _, tc := range callers {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.auditEntries())
			lead := map[string]any{"lead": map[string]string{"partner": "cjg-a2", "sub": "cjg-a2-professional"}}
			for _, r := range []struct {
				method, path string
				body         any
			}{
				{http.MethodGet, "", nil},
				{http.MethodPost, "/contact", map[string]string{}},
				{http.MethodPost, "/contact", map[string]string{"with": "cjg"}},
				{http.MethodPost, "/close", map[string]string{"outcome": "afgestemd"}},
				{http.MethodPost, "/reassign", lead},
			} {
				got := e.fuAsk(tc.c, r.method, "/v1/followups/"+id+r.path, tc.purpose, r.body)
				never := e.fuAsk(tc.c, r.method, "/v1/followups/f-never"+r.path, tc.purpose, r.body)
				if got != never || !strings.Contains(got.body, `"code"`) {
					t.Errorf("%s %s: %+v\nfor an id never used: %+v", r.method, r.path, got, never)
				}
				if tc.name != "an analyst" && got.status != http.StatusNotFound {
					t.Errorf("%s %s: %d %s, want 404", r.method, r.path, got.status, got.body)
				}
			}
			es := e.auditEntries()[before:]
			if tc.name == "an analyst" {
				// Refused at the door, before any follow-up is looked up.
				n := 0
				for _, a := range es {
					if a.Action == broker.ActionAnalystRefused && a.Decision == broker.DecisionDeny {
						n++
					}
				}
				if n != 10 {
					t.Errorf("%d audited analyst refusals, want 10", n)
				}
				return
			}
			if n := fuRefusals(es, id); n != 5 {
				t.Errorf("%d audited refusals about the members, want 5", n)
			}
			// Nor does a list show it.
			got := e.fuAsk(tc.c, http.MethodGet, "/v1/followups", tc.purpose, nil)
			if got.status == http.StatusOK && got.body != "{\"followups\":[]}\n" {
				t.Errorf("the list shows it: %s", got.body)
			}
		})
	}
	// Nothing changed.
	var v broker.FollowupView
	e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/followups/"+id, ivPurpose, nil, &v)
	if v.State != broker.FollowupOpen || v.Revision != 1 || len(v.Steps) != 1 {
		t.Fatalf("after the refusals: %+v", v)
	}
}

// TestPartnerFollowupIsHiddenUntilNamedOverHTTP: where the policy data
// has the youth partners' match signals followed up too, a second youth
// partner's registration opens a follow-up for the CJG without a person.
// Until the coordinator names one, the CJG's professional gets exactly
// what an id never used gets; once named, she sees it.
func TestPartnerFollowupIsHiddenUntilNamedOverHTTP(t *testing.T) {
	e := ivNewEnvWith(t, brokertest.EngineWithConfig(t, func(config map[string]any) {
		config["followups"].(map[string]any)["partner_sectors"] = []string{"youth"}
	}))
	_, bsns := e.fuOpen()
	coord := e.client("gem-a", broker.RoleCoordinator)
	// The CJG's own match opened nothing for another partner (none of
	// the others is in a named sector); the second youth partner's does.
	e.json(e.client("cjg-a2", broker.RoleConnector), http.MethodPut, "/v1/involvements/a2-1", "",
		ivInvolvement(bsns["moeder"], "gezinscoaching"), nil)
	var list broker.FollowupList
	e.json(coord, http.MethodGet, "/v1/followups?state=live", ivPurpose, nil, &list)
	i := slices.IndexFunc(list.Followups, func(f broker.FollowupView) bool { return f.For != "" })
	if i < 0 {
		t.Fatalf("no follow-up for another partner: %+v", list)
	}
	f := list.Followups[i]
	if f.Lead.Sub != "" || f.For != "cjg" || f.Lead.Partner != "cjg" || f.Partner != "cjg-a2" {
		t.Fatalf("follow-up %+v", f)
	}
	pro := e.client(f.For, broker.RoleProfessional)
	got := e.fuAsk(pro, http.MethodGet, "/v1/followups/"+f.ID, ivPurpose, nil)
	never := e.fuAsk(pro, http.MethodGet, "/v1/followups/f-never", ivPurpose, nil)
	if got != never || got.status != http.StatusNotFound {
		t.Fatalf("before a person is named: %+v\nfor an id never used: %+v", got, never)
	}
	if got := e.fuAsk(pro, http.MethodGet, "/v1/followups", ivPurpose, nil); got.body != "{\"followups\":[]}\n" {
		t.Errorf("the list shows it: %s", got.body)
	}
	var v broker.FollowupView
	e.json(coord, http.MethodPost, "/v1/followups/"+f.ID+"/reassign", ivPurpose,
		map[string]any{"lead": map[string]string{"partner": f.For, "sub": f.For + "-professional"}}, &v)
	if v.Lead != (broker.Actor{Partner: "cjg", Sub: "cjg-professional"}) {
		t.Fatalf("after naming the lead: %+v", v)
	}
	if got := e.fuAsk(pro, http.MethodGet, "/v1/followups/"+f.ID, ivPurpose, nil); got.status != http.StatusOK {
		t.Errorf("once named: %+v", got)
	}
}

// TestFollowupStepsOverHTTP: the coordinator records a contact and names
// a lead; the lead closes it; bad input is a problem naming its field and
// changes nothing.
func TestFollowupStepsOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	id := e.fuFollowup()
	coord := e.client("gem-a", broker.RoleCoordinator)
	path := "/v1/followups/" + id
	for _, tt := range []struct {
		name, step  string
		body        string
		status      int
		code, field string
		reasons     []string
	}{
		{"a contact in the future", "contact", `{"on":"2099-01-01"}`, 422, "invalid_input", "on", nil},
		{"a contact that is not a date", "contact", `{"on":"morgen"}`, 422, "invalid_input", "on", nil},
		{"a contact with someone not an id", "contact", `{"with":"UWV Amersfoort"}`, 422, "invalid_input", "with", nil},
		{"a contact with an outcome", "contact", `{"outcome":"afgestemd"}`, 400, "malformed_body", "outcome", nil},
		{"an outcome that is not a code", "close", `{"outcome":"Weet niet"}`, 422, "invalid_input", "outcome", nil},
		{"no outcome", "close", ``, 400, "malformed_body", "", nil},
		{"an outcome the policy does not list", "close", `{"outcome":"weet-niet"}`, 403, "denied", "", []string{"outcome_unknown"}},
		{"a lead without a person", "reassign", `{"lead":{"partner":"cjg"}}`, 422, "invalid_input", "lead", nil},
		{"a lead that is not a partner id", "reassign", `{"lead":{"partner":"CJG Zuid","sub":"x"}}`, 422, "invalid_input", "lead", nil},
		{"a lead of no registered partner", "reassign", `{"lead":{"partner":"nobody","sub":"x"}}`, 422, "invalid_input", "lead", nil},
		{"a lead with an unknown member", "reassign", `{"lead":{"partner":"cjg","sub":"x","role":"boss"}}`, 400, "malformed_body", "role", nil},
		{"a lead not serving the household", "reassign", `{"lead":{"partner":"cjg-a2","sub":"x"}}`, 403, "denied", "", []string{"lead_not_allowed"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, pe := e.do(coord, http.MethodPost, path+"/"+tt.step, ivPurpose, []byte(tt.body), "")
			ivExpect(t, pe, tt.status, tt.code, tt.field)
			for _, r := range tt.reasons {
				if !slices.Contains(pe.Reasons, r) {
					t.Errorf("reasons %v lack %s", pe.Reasons, r)
				}
			}
		})
	}
	var v broker.FollowupView
	e.json(coord, http.MethodGet, path, ivPurpose, nil, &v)
	if v.State != broker.FollowupOpen || v.Revision != 1 || v.Contact != nil || v.Lead.Sub != "gem-a-coordinator" {
		t.Fatalf("bad input changed the follow-up: %+v", v)
	}
	for _, action := range []string{broker.ActionFollowupContact, broker.ActionFollowupClose, broker.ActionFollowupReassign} {
		if n := ivChanges(e.auditEntries(), action, "followup:"+id); n != 0 {
			t.Errorf("bad input left %d %s changes", n, action)
		}
	}
	// Without a purpose the coordinator is refused the reassign: the
	// follow-up's steps are taken under its purpose. The coordinator may
	// know it exists, so the refusal says why.
	before := len(e.auditEntries())
	_, pe := e.do(coord, http.MethodPost, path+"/reassign", noPurpose, []byte(`{"lead":{"partner":"cjg","sub":"cjg-professional"}}`), "")
	ivExpect(t, pe, http.StatusForbidden, "denied", "")
	if !slices.Contains(pe.Reasons, broker.ReasonPurposeMissing) {
		t.Errorf("without a purpose: reasons %v", pe.Reasons)
	}
	if n := fuRefusals(e.auditEntries()[before:], id); n != 1 {
		t.Errorf("%d audited refusals of the reassign without a purpose, want 1", n)
	}

	// The coordinator records the contact and names the CJG's
	// professional lead, who closes it.
	e.json(coord, http.MethodPost, path+"/contact", ivPurpose, map[string]string{}, &v)
	if v.State != broker.FollowupContacted || v.Contact == nil || v.Contact.With != "cjg" {
		t.Fatalf("contact: %+v", v)
	}
	e.json(coord, http.MethodPost, path+"/reassign", ivPurpose,
		map[string]any{"lead": map[string]string{"partner": "cjg", "sub": "cjg-professional"}}, &v)
	if v.Lead != (broker.Actor{Partner: "cjg", Sub: "cjg-professional"}) {
		t.Fatalf("reassign: %+v", v)
	}
	lead := e.client("cjg", broker.RoleProfessional)
	var list broker.FollowupList
	e.json(lead, http.MethodGet, "/v1/followups?household=hh-1", ivPurpose, nil, &list)
	if len(list.Followups) != 1 || list.Followups[0].ID != id {
		t.Fatalf("the lead's list: %+v", list)
	}
	// A lead cannot pass it on.
	_, pe = e.do(lead, http.MethodPost, path+"/reassign", ivPurpose, []byte(`{"lead":{"partner":"cjg","sub":"c.collega"}}`), "")
	ivExpect(t, pe, http.StatusForbidden, "denied", "")
	e.json(lead, http.MethodPost, path+"/close", ivPurpose, map[string]string{"outcome": "afgestemd"}, &v)
	if v.State != broker.FollowupClosed || v.Outcome != "afgestemd" || len(v.Steps) != 4 {
		t.Fatalf("close: %+v", v)
	}
	_, pe = e.do(coord, http.MethodPost, path+"/contact", ivPurpose, nil, "")
	ivExpect(t, pe, http.StatusConflict, "conflict", "")
	es := e.auditEntries()
	for _, action := range []string{broker.ActionFollowupContact, broker.ActionFollowupClose, broker.ActionFollowupReassign} {
		if n := ivChanges(es, action, "followup:"+id); n != 1 {
			t.Errorf("%d %s changes audited, want 1", n, action)
		}
	}
	for _, tt := range []struct{ query, field string }{{"state=late", "state"}, {"household=HH_1", "household"}} {
		_, pe := e.do(coord, http.MethodGet, "/v1/followups?"+tt.query, ivPurpose, nil, "")
		ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", tt.field)
	}
	_, pe = e.do(coord, http.MethodGet, "/v1/followups/F_1", ivPurpose, nil, "")
	ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "id")
}
