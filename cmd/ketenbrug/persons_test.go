package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// bindPerson binds k to person of partner with roles, as the operator,
// and returns an SDK client that signs with it (sub = person, role =
// roles[0]).
func (tb *testBroker) bindPerson(t testing.TB, partner, person string, k *testKey, roles ...broker.Role) *connectors.Client {
	t.Helper()
	rs := make([]string, len(roles))
	for i, r := range roles {
		rs[i] = string(r)
	}
	if _, err := tb.operator.PutPersonKey(context.Background(), partner, person, rs, jwksOf(t, k)); err != nil {
		t.Fatalf("binding %s to %s: %v", person, partner, err)
	}
	return tb.client(t, k.identity(t, partner, person, roles[0]))
}

// personToken crafts a token signed by k with this sub and role.
func personToken(t testing.TB, k *testKey, partner, sub string, role broker.Role, method, uri string, body []byte) string {
	t.Helper()
	c := claimsFor(partner, string(role), method, uri, body)
	c["sub"] = sub
	return k.craft(t, k.header(), c)
}

// auditEntries returns the audit trail, read by the operator.
func (tb *testBroker) auditEntries(t testing.TB) []broker.AuditEntry {
	t.Helper()
	var out struct {
		Entries []broker.AuditEntry `json:"entries"`
	}
	if err := tb.operator.JSON(context.Background(), http.MethodGet, "/v1/audit?limit=1000", "", nil, &out); err != nil {
		t.Fatal(err)
	}
	return out.Entries
}

// TestPersonKeyTokenChecks: a token signed with a person-bound key acts as
// that person, and only as that person, in that person's roles.
func TestPersonKeyTokenChecks(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	orgKey, annaKey, benKey := newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "fg-regio", broker.SectorMunicipality, []broker.Role{broker.RolePrivacyOfficer, broker.RoleProfessional}, orgKey)
	tb.bindPerson(t, "fg-regio", "anna.bakker", annaKey, broker.RolePrivacyOfficer)
	tb.bindPerson(t, "fg-regio", "ben.visser", benKey, broker.RolePrivacyOfficer, broker.RoleProfessional)

	whoami := func(t *testing.T, tok string) (*http.Response, []byte) {
		t.Helper()
		return tb.send(t, http.MethodGet, "/v1/whoami", tok, nil, nil)
	}
	cases := []struct {
		name   string
		key    *testKey
		sub    string
		role   broker.Role
		status int
		code   string
		known  string
	}{
		{"person key as its person", annaKey, "anna.bakker", broker.RolePrivacyOfficer, 200, "", broker.SubVerified},
		{"person key with another person's sub", annaKey, "ben.visser", broker.RolePrivacyOfficer, 401, "token_person_mismatch", ""},
		{"person key with an unknown sub", annaKey, "connector", broker.RolePrivacyOfficer, 401, "token_person_mismatch", ""},
		{"person key in a role of the partner but not of the person", annaKey, "anna.bakker", broker.RoleProfessional, 401, "token_role_not_allowed", ""},
		{"person key in a role the partner lacks", annaKey, "anna.bakker", broker.RoleOperator, 401, "token_role_not_allowed", ""},
		{"second person in its second role", benKey, "ben.visser", broker.RoleProfessional, 200, "", broker.SubVerified},
		{"organisation key names a person: asserted", orgKey, "anna.bakker", broker.RolePrivacyOfficer, 200, "", broker.SubAsserted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := personToken(t, c.key, "fg-regio", c.sub, c.role, http.MethodGet, "/v1/whoami", nil)
			resp, body := whoami(t, tok)
			tb.verifyResponse(t, resp, body, tok)
			if c.status != 200 {
				expectProblem(t, resp, body, c.status, c.code)
				return
			}
			var me broker.Whoami
			if resp.StatusCode != 200 || json.Unmarshal(body, &me) != nil {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if me.SubKnown != c.known || me.Sub != c.sub {
				t.Errorf("whoami %+v, want sub %s %s", me, c.sub, c.known)
			}
		})
	}
	t.Run("a refused person token is audited", func(t *testing.T) {
		var found bool
		for _, e := range tb.auditEntries(t) {
			if e.Event == broker.EventDenial && slices.Equal(e.Reasons, []string{"person_mismatch"}) && e.Sub == "anna.bakker" &&
				e.Detail["claimed_sub"] == "ben.visser" && e.SubKnown == broker.SubVerified {
				found = true
			}
		}
		if !found {
			t.Error("no audited denial for anna's key claiming ben")
		}
	})
	t.Run("a suspended person is refused while the organisation works", func(t *testing.T) {
		if _, err := tb.operator.SetPersonSuspended(ctx, "fg-regio", "anna.bakker", true); err != nil {
			t.Fatal(err)
		}
		tok := personToken(t, annaKey, "fg-regio", "anna.bakker", broker.RolePrivacyOfficer, http.MethodGet, "/v1/whoami", nil)
		resp, body := whoami(t, tok)
		expectProblem(t, resp, body, http.StatusForbidden, "token_person_suspended")
		for _, k := range []*testKey{orgKey, benKey} {
			sub := "ben.visser"
			tok := personToken(t, k, "fg-regio", sub, broker.RolePrivacyOfficer, http.MethodGet, "/v1/whoami", nil)
			if resp, body := whoami(t, tok); resp.StatusCode != 200 {
				t.Errorf("after suspending anna: %d %s", resp.StatusCode, body)
			}
		}
		if _, err := tb.operator.SetPersonSuspended(ctx, "fg-regio", "anna.bakker", false); err != nil {
			t.Fatal(err)
		}
		tok = personToken(t, annaKey, "fg-regio", "anna.bakker", broker.RolePrivacyOfficer, http.MethodGet, "/v1/whoami", nil)
		if resp, body := whoami(t, tok); resp.StatusCode != 200 {
			t.Errorf("after reactivating anna: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("kids are unique across organisation and person keys", func(t *testing.T) {
		for name, try := range map[string]func() error{
			"person key that is an organisation key": func() error {
				_, err := tb.operator.PutPersonKey(ctx, "fg-regio", "carl", []string{"privacy-officer"}, jwksOf(t, orgKey))
				return err
			},
			"person key of another person": func() error {
				_, err := tb.operator.PutPersonKey(ctx, "fg-regio", "carl", []string{"privacy-officer"}, jwksOf(t, annaKey))
				return err
			},
			"organisation key that is a person key": func() error {
				return tb.operator.JSON(ctx, http.MethodPut, "/v1/partners/fg-regio/keys", "", map[string]any{"jwks": jwksOf(t, orgKey, benKey)}, nil)
			},
		} {
			if pe := problemOf(t, try()); pe.Status != http.StatusConflict {
				t.Errorf("%s: %v", name, pe)
			}
		}
	})
	t.Run("bad bindings are refused", func(t *testing.T) {
		k := newTestKey(t, protocol.AlgEdDSA)
		for name, c := range map[string]struct {
			partner, person string
			roles           []string
			status          int
		}{
			"role the partner lacks": {"fg-regio", "carl", []string{"operator"}, 422},
			"no role":                {"fg-regio", "carl", nil, 422},
			"unknown partner":        {"no-such", "carl", []string{"professional"}, 404},
			"BSN in the person":      {"fg-regio", "p" + newBSN(t), []string{"professional"}, 422},
		} {
			_, err := tb.operator.PutPersonKey(ctx, c.partner, c.person, c.roles, jwksOf(t, k))
			if pe := problemOf(t, err); pe.Status != c.status {
				t.Errorf("%s: %v", name, pe)
			}
		}
	})
	t.Run("only a verified operator administers keys", func(t *testing.T) {
		opKey := newTestKey(t, protocol.AlgEdDSA)
		tb.register(t, "op-org", broker.SectorOther, []broker.Role{broker.RoleOperator}, opKey)
		orgOp := tb.client(t, opKey.identity(t, "op-org", "operator", broker.RoleOperator))
		_, err := orgOp.PutPersonKey(ctx, "fg-regio", "carl", []string{"professional"}, jwksOf(t, newTestKey(t, protocol.AlgEdDSA)))
		if pe := problemOf(t, err); pe.Status != http.StatusForbidden || pe.Code != "person_not_verified" {
			t.Errorf("person key by an organisation key: %v", pe)
		}
		err = orgOp.JSON(ctx, http.MethodPost, "/v1/partners/fg-regio/suspend", "", nil, nil)
		if pe := problemOf(t, err); pe.Status != http.StatusForbidden || pe.Code != "person_not_verified" {
			t.Errorf("suspend by an organisation key: %v", pe)
		}
		anna := tb.client(t, annaKey.identity(t, "fg-regio", "anna.bakker", broker.RolePrivacyOfficer))
		_, err = anna.PersonKeys(ctx, "fg-regio")
		if pe := problemOf(t, err); pe.Status != http.StatusForbidden {
			t.Errorf("list by a privacy officer: %v", pe)
		}
	})
	t.Run("list, remove", func(t *testing.T) {
		ks, err := tb.operator.PersonKeys(ctx, "fg-regio")
		if err != nil || len(ks) != 2 || ks[0].Person != "anna.bakker" || ks[1].Person != "ben.visser" {
			t.Fatalf("%v %+v", err, ks)
		}
		if err := tb.operator.RemovePersonKey(ctx, "fg-regio", "anna.bakker"); err != nil {
			t.Fatal(err)
		}
		tok := personToken(t, annaKey, "fg-regio", "anna.bakker", broker.RolePrivacyOfficer, http.MethodGet, "/v1/whoami", nil)
		resp, body := whoami(t, tok)
		expectProblem(t, resp, body, http.StatusUnauthorized, "token_unknown_key")
		if pe := problemOf(t, tb.operator.RemovePersonKey(ctx, "fg-regio", "anna.bakker")); pe.Status != http.StatusNotFound {
			t.Errorf("removing twice: %v", pe)
		}
	})
}

// TestFourEyesVerifiedPersons is the exploit of issue 12 item 5: one
// officer cannot approve her own policy change by writing a colleague's
// name in sub, neither with her own key nor with the office's organisation
// key; the colleague's own person key approves.
func TestFourEyesVerifiedPersons(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	orgKey, annaKey, benKey := newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "fg-regio", broker.SectorMunicipality, []broker.Role{broker.RolePrivacyOfficer}, orgKey)
	anna := tb.bindPerson(t, "fg-regio", "anna.bakker", annaKey, broker.RolePrivacyOfficer)
	ben := tb.bindPerson(t, "fg-regio", "ben.visser", benKey, broker.RolePrivacyOfficer)
	office := tb.client(t, orgKey.identity(t, "fg-regio", "ben.visser", broker.RolePrivacyOfficer))
	builtin := tb.sys.Policy.Active()

	bundle := bundleFrom(t, func(dir string) {
		if err := editPolicyData(dir+"/data.json", func(m map[string]any) {
			m["ketenbrug_config"].(map[string]any)["audit_retention_days"] = 2001
		}); err != nil {
			t.Fatal(err)
		}
	})
	var pushed broker.PolicyVersion
	t.Run("an organisation key cannot push", func(t *testing.T) {
		_, err := office.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/policies", Body: bundle, ContentType: "application/gzip"})
		if pe := problemOf(t, err); pe.Status != http.StatusForbidden || pe.Code != "person_not_verified" {
			t.Fatalf("%v", pe)
		}
	})
	resp, err := anna.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/policies", Body: bundle, ContentType: "application/gzip"})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(resp.Body, &pushed); err != nil {
		t.Fatal(err)
	}
	if pushed.UploadedBy.Sub != "anna.bakker" || pushed.UploadedVia != "key:"+annaKey.kid {
		t.Fatalf("pushed %+v", pushed)
	}
	approve := "/v1/policies/" + pushed.ID + "/approve"
	t.Run("anna's key signing as ben is refused", func(t *testing.T) {
		tok := personToken(t, annaKey, "fg-regio", "ben.visser", broker.RolePrivacyOfficer, http.MethodPost, approve, nil)
		resp, body := tb.send(t, http.MethodPost, approve, tok, nil, nil)
		expectProblem(t, resp, body, http.StatusUnauthorized, "token_person_mismatch")
	})
	t.Run("the office's organisation key signing as ben is refused", func(t *testing.T) {
		pe := problemOf(t, office.JSON(ctx, http.MethodPost, approve, "", nil, nil))
		if pe.Status != http.StatusForbidden || pe.Code != "person_not_verified" || !containsAll(pe.Detail, "person key", "partner keys add") {
			t.Fatalf("%v", pe)
		}
	})
	t.Run("anna cannot approve her own", func(t *testing.T) {
		if pe := problemOf(t, anna.JSON(ctx, http.MethodPost, approve, "", nil, nil)); pe.Status != http.StatusForbidden || pe.Code != "forbidden" {
			t.Fatalf("%v", pe)
		}
	})
	t.Run("the version is still pending", func(t *testing.T) {
		if tb.sys.Policy.Active() != builtin {
			t.Fatal("a refused approval activated the version")
		}
	})
	t.Run("ben's own person key approves", func(t *testing.T) {
		var v broker.PolicyVersion
		if err := ben.JSON(ctx, http.MethodPost, approve, "", nil, &v); err != nil {
			t.Fatal(err)
		}
		if v.Status != broker.PolicyActive || v.ApprovedBy == nil || v.ApprovedBy.Sub != "ben.visser" || v.ApprovedVia != "key:"+benKey.kid {
			t.Fatalf("approved %+v", v)
		}
	})
	t.Run("verified actions refuse an organisation key", func(t *testing.T) {
		for name, try := range map[string]func() error{
			"rollback": func() error {
				return office.JSON(ctx, http.MethodPost, "/v1/policies/"+builtin+"/rollback", "", nil, nil)
			},
			"subject access": func() error {
				return office.JSON(ctx, http.MethodPost, "/v1/audit/subject-access", "", map[string]string{"bsn": newBSN(t)}, nil)
			},
			"audit export": func() error {
				_, err := office.Do(ctx, connectors.Request{Method: http.MethodGet, Path: "/v1/audit/export"})
				return err
			},
		} {
			if pe := problemOf(t, try()); pe.Status != http.StatusForbidden || pe.Code != "person_not_verified" {
				t.Errorf("%s: %v", name, pe)
			}
		}
	})
	t.Run("the audit says how each person was known", func(t *testing.T) {
		var approvals, denials int
		for _, e := range tb.auditEntries(t) {
			if e.SubKnown == "" && e.Seq > 1 {
				t.Errorf("entry %d (%s) does not say how its person was known", e.Seq, e.Action)
			}
			if e.Action == "policy.approve" && e.Decision == broker.DecisionAllow {
				approvals++
				if e.Sub != "ben.visser" || e.SubKnown != broker.SubVerified || e.SubVia != "key:"+benKey.kid {
					t.Errorf("approval entry %+v", e)
				}
			}
			if e.Action == "policy.approve" && e.Decision == broker.DecisionDeny && slices.Contains(e.Reasons, "person_not_verified") {
				denials++
				if e.SubKnown != broker.SubAsserted {
					t.Errorf("denial entry %+v", e)
				}
			}
		}
		if approvals != 1 || denials != 1 {
			t.Errorf("approvals %d, denials %d", approvals, denials)
		}
		var rep broker.AuditVerification
		if err := ben.JSON(ctx, http.MethodGet, "/v1/audit/verify", "", nil, &rep); err != nil || !rep.OK {
			t.Errorf("verify: %v %+v", err, rep)
		}
	})
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
