package httpapi

// The data subject's rights over real HTTP (issue 13): rectification
// signals (AVG art. 19), inform items (art. 14) and the disclosure query of
// breach support (art. 33, 34).

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// personClient registers a person key for person of partner in role and
// returns a client signing as that verified person.
func (e *ivEnv) personClient(partner, person string, role broker.Role) *connectors.Client {
	e.t.Helper()
	key, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		e.t.Fatal(err)
	}
	set, _ := protocol.PublicSet(key)
	jwks, _ := json.Marshal(set)
	if _, err := e.svc.PutPersonKey(e.ctx, e.operator, partner, broker.PersonKey{Person: person, Roles: []broker.Role{role}, JWKS: jwks}); err != nil {
		e.t.Fatalf("person key of %s/%s: %v", partner, person, err)
	}
	priv, _ := json.Marshal(key)
	raw, _ := json.Marshal(map[string]any{"partner": partner, "sub": person, "role": role, "key": json.RawMessage(priv)})
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

// inboxOf returns partner's unacknowledged items of kind, as role.
func (e *ivEnv) inboxOf(partner string, role broker.Role, kind string) []broker.InboxView {
	e.t.Helper()
	var page broker.InboxPage
	e.json(e.client(partner, role), http.MethodGet, "/v1/inbox", "", nil, &page)
	var out []broker.InboxView
	for _, it := range page.Items {
		if it.Kind == kind {
			out = append(out, it)
		}
	}
	raw, _ := json.Marshal(out)
	if bytes.Contains(raw, []byte(`"subject"`)) || bytes.Contains(raw, []byte(`p:`)) {
		e.t.Fatalf("an inbox item names a person: %s", raw)
	}
	return out
}

func TestRightsNoticesOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	e.json(e.client("cjg", broker.RoleProfessional), http.MethodPost, "/v1/consents", ivPurpose, map[string]any{"bsn": bsns["moeder"],
		"purpose": ivPurpose, "sectors": []string{"debt"}, "given_by": "self", "evidence": "form 2026-1", "not_conditional": true}, nil)
	// The registrations raised inform items for the coordinator, who
	// informs the household; nobody else.
	informs := e.inboxOf("gem-a", broker.RoleCoordinator, broker.InboxInform)
	if len(informs) != 4 || informs[0].Household != "hh-1" || informs[0].Inform.Event != broker.InformRegistration {
		t.Fatalf("inform items %+v", informs)
	}
	for _, p := range []string{"kredietbank", "school", "uwv", "cjg"} {
		if it := e.inboxOf(p, broker.RoleConnector, broker.InboxInform); len(it) != 0 {
			t.Fatalf("%s got inform items %+v", p, it)
		}
	}
	// Nobody was shown the mother's debt involvement yet: a correction
	// signals nobody.
	e.json(e.client("kredietbank", broker.RoleConnector), http.MethodPut, "/v1/involvements/kb-1", "", ivInvolvement(bsns["moeder"], "budgetbeheer"), nil)
	if it := e.inboxOf("gem-a", broker.RoleCoordinator, broker.InboxRectification); len(it) != 0 {
		t.Fatalf("before any overview: %+v", it)
	}
	// The coordinator is shown it; the kredietbank corrects it again.
	if _, s := e.overview(); !strings.Contains(s, "moeder=kredietbank") {
		t.Fatalf("overview %s", s)
	}
	e.json(e.client("kredietbank", broker.RoleConnector), http.MethodPut, "/v1/involvements/kb-1", "", ivInvolvement(bsns["moeder"], "schuldregeling"), nil)
	got := e.inboxOf("gem-a", broker.RoleCoordinator, broker.InboxRectification)
	if len(got) != 1 || got[0].Household != "hh-1" || got[0].Rectification == nil ||
		!slices.Equal(got[0].Rectification.Changed, []string{"service"}) || got[0].Rectification.Partner != "kredietbank" {
		t.Fatalf("rectification %+v", got)
	}
	// Ending it signals again; a partner never shown it gets nothing.
	e.json(e.client("kredietbank", broker.RoleConnector), http.MethodPost, "/v1/involvements/kb-1/end", "", map[string]string{}, nil)
	got = e.inboxOf("gem-a", broker.RoleCoordinator, broker.InboxRectification)
	if len(got) != 2 || !got[1].Rectification.Ended {
		t.Fatalf("after the end %+v", got)
	}
	for _, p := range []string{"school", "uwv", "cjg"} {
		if it := e.inboxOf(p, broker.RoleConnector, broker.InboxRectification); len(it) != 0 {
			t.Fatalf("%s, never shown it, got %+v", p, it)
		}
	}
}

func TestAuditDisclosuresOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	e.overview()
	today := time.Now().UTC().Format(time.DateOnly)
	office := e.personClient("fg", "fg.anna", broker.RolePrivacyOfficer)
	query := func(partner, bsn string) []byte {
		b, _ := json.Marshal(broker.DisclosureQuery{Partner: partner, BSN: bsn, From: today, To: today, Reference: "DL-2026-7"})
		return b
	}
	// Negative cases first. A partner's own privacy officer asking about a
	// person its partner serves gets exactly what it gets about a BSN the
	// broker never saw.
	stranger := e.bsn()
	var bodies []string
	for _, bsn := range []string{bsns["moeder"], stranger} {
		_, pe := e.do(e.client("kredietbank", broker.RolePrivacyOfficer), http.MethodPost, "/v1/audit/disclosures", "", query("", bsn), "application/json")
		ivExpect(t, pe, http.StatusForbidden, "forbidden", "")
		bodies = append(bodies, pe.Code+"|"+pe.Title+"|"+pe.Detail)
	}
	if bodies[0] != bodies[1] {
		t.Fatalf("a known and an unknown person answer differently: %q", bodies)
	}
	for _, tc := range []struct {
		name   string
		c      *connectors.Client
		body   []byte
		query  string
		status int
		code   string
		field  string
	}{
		{"a coordinator", e.client("gem-a", broker.RoleCoordinator), query("gem-a", ""), "", http.StatusForbidden, "forbidden", ""},
		{"the office's organisation key", e.client("fg", broker.RolePrivacyOfficer), query("gem-a", ""), "", http.StatusForbidden, "person_not_verified", ""},
		{"both partner and person", office, query("gem-a", bsns["moeder"]), "", http.StatusUnprocessableEntity, "invalid_input", "partner"},
		{"an unknown format", office, query("gem-a", ""), "?format=xml", http.StatusUnprocessableEntity, "invalid_input", "format"},
		{"an unknown member", office, []byte(`{"partner":"gem-a","from":"` + today + `","to":"` + today + `","reference":"DL-1","x":1}`), "", http.StatusBadRequest, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, pe := e.do(tc.c, http.MethodPost, "/v1/audit/disclosures"+tc.query, "", tc.body, "application/json")
			if tc.code == "" {
				if pe == nil || pe.Status != tc.status {
					t.Fatalf("%v, want %d", pe, tc.status)
				}
				return
			}
			ivExpect(t, pe, tc.status, tc.code, tc.field)
		})
	}
	// JSON by default.
	var rep broker.DisclosureReport
	e.json(office, http.MethodPost, "/v1/audit/disclosures", "", json.RawMessage(query("gem-a", "")), &rep)
	if len(rep.Rows) == 0 || rep.Rows[0].To != "gem-a" || rep.Reference != "DL-2026-7" {
		t.Fatalf("report %+v", rep)
	}
	// NDJSON (?format=ndjson, or Accept: application/x-ndjson): one row a line.
	resp, pe := e.do(office, http.MethodPost, "/v1/audit/disclosures?format=ndjson", "", query("", bsns["moeder"]), "application/json")
	if pe != nil {
		t.Fatal(pe)
	}
	lines := strings.Split(strings.TrimSpace(string(resp.Body)), "\n")
	var row broker.DisclosureRow
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil || row.To == "" || row.Subject == "" {
		t.Fatalf("ndjson %v %s", err, resp.Body)
	}
	resp, pe = e.do(office, http.MethodPost, "/v1/audit/disclosures?format=csv", "", query("gem-a", ""), "application/json")
	if pe != nil {
		t.Fatal(pe)
	}
	if !strings.HasPrefix(string(resp.Body), strings.Join(broker.DisclosureColumns, ",")+"\n") || !strings.Contains(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv %s %s", resp.Header.Get("Content-Type"), resp.Body)
	}
	// Every query and every refusal is in the audit trail.
	allowed, denied := 0, 0
	for _, a := range e.auditEntries() {
		if a.Action == broker.ActionAuditDisclosures {
			if a.Decision == broker.DecisionAllow {
				allowed++
			} else {
				denied++
			}
		}
	}
	if allowed != 3 || denied < 4 {
		t.Fatalf("audited %d queries and %d refusals", allowed, denied)
	}
}
