package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// bundleFrom packs the default bundle after edit changed its directory.
func bundleFrom(t testing.TB, edit func(dir string)) []byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "policy")
	if err := copyEmbeddedBundle(dir); err != nil {
		t.Fatal(err)
	}
	edit(dir)
	b, err := packBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConsentsPoliciesAudit drives consents, the four-eyes policy workflow
// and the audit trail over HTTP, and checks that no BSN reaches the log.
func TestConsentsPoliciesAudit(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	const purpose = "integrale-ondersteuning"

	cjgKey := newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "cjg-test", broker.SectorYouth, []broker.Role{broker.RoleProfessional}, cjgKey)
	cjg := tb.client(t, cjgKey.identity(t, "cjg-test", "m.jansen", broker.RoleProfessional))
	annaKey, benKey := newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgES256)
	tb.register(t, "fg-regio", broker.SectorMunicipality, []broker.Role{broker.RolePrivacyOfficer}, newTestKey(t, protocol.AlgEdDSA))
	anna := tb.bindPerson(t, "fg-regio", "anna.bakker", annaKey, broker.RolePrivacyOfficer)
	ben := tb.bindPerson(t, "fg-regio", "ben.visser", benKey, broker.RolePrivacyOfficer)

	mother, child, invalidBSN := newBSN(t), newBSN(t), "123456789" // the last fails the elfproef
	t.Cleanup(func() { tb.assertNoBSNInLogs(t, mother, child, invalidBSN) })

	// The CJG serves the mother and the child: the relation that lets it
	// record, read and withdraw their consents (no_relation otherwise).
	for i, bsn := range []string{mother, child} {
		if err := cjg.JSON(ctx, http.MethodPut, fmt.Sprintf("/v1/involvements/cjg-%d", i), DefaultRegistrationPurpose, map[string]any{
			"bsn": bsn, "service": "opvoedondersteuning", "status": "active", "start": "2026-09-01"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var consent broker.ConsentView
	t.Run("record consent", func(t *testing.T) {
		resp, err := cjg.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/consents", Purpose: purpose,
			Body: mustJSON(t, map[string]any{"bsn": mother, "purpose": purpose, "sectors": []string{"debt", "youth"},
				"given_by": "self", "evidence": "CJG dossier 2026-117"})})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusCreated {
			t.Errorf("status %d", resp.Status)
		}
		if bytes.Contains(resp.Body, []byte(mother)) {
			t.Errorf("the answer shows the BSN: %s", resp.Body)
		}
		t.Run("the answer hides the pseudonym", func(t *testing.T) {
			if bytes.Contains(resp.Body, []byte(`"subject"`)) {
				t.Errorf("the answer shows the pseudonym: %s", resp.Body)
			}
		})
		if err := json.Unmarshal(resp.Body, &consent); err != nil {
			t.Fatal(err)
		}
		if consent.ID == "" || consent.State != broker.ConsentActive || consent.RecordedBy.Partner != "cjg-test" {
			t.Errorf("consent %+v", consent)
		}
		if err := cjg.JSON(ctx, http.MethodPost, "/v1/consents", purpose, map[string]any{"bsn": child, "purpose": purpose,
			"all": true, "given_by": "parent"}, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("invalid BSN", func(t *testing.T) {
		err := cjg.JSON(ctx, http.MethodPost, "/v1/consents", purpose, map[string]any{"bsn": invalidBSN, "purpose": purpose,
			"sectors": []string{"debt"}, "given_by": "self"}, nil)
		pe := problemOf(t, err)
		if pe.Status != http.StatusUnprocessableEntity || pe.Code != "invalid_input" || pe.Field != "bsn" {
			t.Errorf("%v (field %q)", pe, pe.Field)
		}
		if strings.Contains(pe.Detail, invalidBSN) {
			t.Errorf("the problem repeats the BSN: %s", pe.Detail)
		}
	})
	list := func(t *testing.T, bsn string) broker.ConsentList {
		t.Helper()
		var l broker.ConsentList
		if err := ben.JSON(ctx, http.MethodPost, "/v1/consents/search", purpose, map[string]string{"bsn": bsn, "reference": "AVG-2026-7"}, &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	t.Run("list consents", func(t *testing.T) {
		l := list(t, mother)
		if len(l.Consents) != 1 || l.Consents[0].ID != consent.ID || l.Consents[0].State != broker.ConsentActive {
			t.Errorf("consents %+v", l)
		}
	})
	t.Run("withdraw consent", func(t *testing.T) {
		var cv broker.ConsentView
		if err := cjg.JSON(ctx, http.MethodPost, "/v1/consents/"+consent.ID+"/withdraw", purpose, map[string]string{"reason": "asked by the resident"}, &cv); err != nil {
			t.Fatal(err)
		}
		if cv.State != broker.ConsentWithdrawn || cv.Withdrawn == nil || cv.Withdrawn.By.Sub != "m.jansen" {
			t.Errorf("withdrawn %+v", cv)
		}
		l := list(t, mother)
		if len(l.Consents) != 1 || l.Consents[0].State != broker.ConsentWithdrawn {
			t.Errorf("a withdrawn consent must stay, marked: %+v", l)
		}
		err := cjg.JSON(ctx, http.MethodPost, "/v1/consents/"+consent.ID+"/withdraw", purpose, nil, nil)
		if pe := problemOf(t, err); pe.Status != http.StatusConflict {
			t.Errorf("second withdrawal: %v", pe)
		}
		err = cjg.JSON(ctx, http.MethodPost, "/v1/consents/c-nosuchconsent/withdraw", purpose, nil, nil)
		if pe := problemOf(t, err); pe.Status != http.StatusNotFound {
			t.Errorf("unknown consent: %v", pe)
		}
	})

	var builtin, pushed broker.PolicyVersion
	versions := func(t *testing.T) []broker.PolicyVersion {
		t.Helper()
		var out struct {
			Versions []broker.PolicyVersion `json:"versions"`
		}
		if err := ben.JSON(ctx, http.MethodGet, "/v1/policies", "", nil, &out); err != nil {
			t.Fatal(err)
		}
		return out.Versions
	}
	push := func(bundle []byte, note string) (*connectors.Response, error) {
		return anna.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/policies?note=" + note,
			Body: bundle, ContentType: "application/gzip"})
	}
	t.Run("the built-in policy is active", func(t *testing.T) {
		vs := versions(t)
		if len(vs) != 1 || vs[0].Status != broker.PolicyActive || len(vs[0].Bundle) != 0 {
			t.Fatalf("versions %+v", vs)
		}
		builtin = vs[0]
	})
	t.Run("push a bundle whose test fails", func(t *testing.T) {
		bundle := bundleFrom(t, func(dir string) {
			test := "package ketenbrug_test\n\ntest_always_fails if {\n\t1 == 2\n}\n"
			if err := os.WriteFile(filepath.Join(dir, "ketenbrug", "zz_fails_test.rego"), []byte(test), 0o644); err != nil {
				t.Fatal(err)
			}
		})
		_, err := push(bundle, "failing")
		pe := problemOf(t, err)
		if pe.Status != http.StatusUnprocessableEntity || pe.Code != "policy_rejected" {
			t.Fatalf("%v", pe)
		}
		var rep broker.PolicyReport
		if err := json.Unmarshal(pe.Report, &rep); err != nil {
			t.Fatalf("report: %v", err)
		}
		failed := slices.IndexFunc(rep.Tests, func(tt broker.PolicyTest) bool { return tt.Name == "test_always_fails" && !tt.Pass })
		if rep.Failed != 1 || failed < 0 || rep.Passed == 0 {
			t.Errorf("report: passed %d failed %d, failing test listed: %v", rep.Passed, rep.Failed, failed >= 0)
		}
		if len(versions(t)) != 1 {
			t.Error("a refused bundle was stored")
		}
	})
	t.Run("push a good bundle", func(t *testing.T) {
		bundle := bundleFrom(t, func(dir string) {
			if err := editPolicyData(filepath.Join(dir, "data.json"), func(m map[string]any) {
				m["ketenbrug_config"].(map[string]any)["audit_retention_days"] = 2000
			}); err != nil {
				t.Fatal(err)
			}
		})
		resp, err := push(bundle, "retention")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusCreated {
			t.Errorf("status %d", resp.Status)
		}
		if err := json.Unmarshal(resp.Body, &pushed); err != nil {
			t.Fatal(err)
		}
		if pushed.Status != broker.PolicyPending || pushed.ID != broker.PolicyID(bundle) || pushed.Note != "retention" ||
			pushed.UploadedBy.Sub != "anna.bakker" || pushed.Report.Passed == 0 {
			t.Errorf("pushed %+v", pushed)
		}
		got, err := ben.Do(ctx, connectors.Request{Method: http.MethodGet, Path: "/v1/policies/" + pushed.ID[:12] + "/bundle"})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body, bundle) {
			t.Error("the downloaded bundle is not the pushed one")
		}
		var v broker.PolicyVersion
		if err := ben.JSON(ctx, http.MethodGet, "/v1/policies/"+pushed.ID, "", nil, &v); err != nil {
			t.Fatal(err)
		}
		if v.ID != pushed.ID || len(v.Bundle) != 0 {
			t.Errorf("version %+v", v.ID)
		}
	})
	t.Run("a connector cannot push", func(t *testing.T) {
		_, err := cjg.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/policies", Body: []byte{0x1f, 0x8b}, ContentType: "application/gzip"})
		if pe := problemOf(t, err); pe.Status != http.StatusForbidden {
			t.Errorf("%v", pe)
		}
	})
	t.Run("self-approval is refused", func(t *testing.T) {
		err := anna.JSON(ctx, http.MethodPost, "/v1/policies/"+pushed.ID+"/approve", "", nil, nil)
		if pe := problemOf(t, err); pe.Status != http.StatusForbidden || pe.Code != "forbidden" {
			t.Errorf("%v", pe)
		}
	})
	t.Run("dry-run", func(t *testing.T) {
		var rep broker.DryRunReport
		if err := ben.JSON(ctx, http.MethodPost, "/v1/policies/"+pushed.ID+"/dry-run?n=100", "", nil, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Version != pushed.ID || rep.Active != builtin.ID || rep.Compared == 0 || rep.Errors != 0 {
			t.Errorf("dry-run %+v", rep)
		}
	})
	t.Run("a second officer approves", func(t *testing.T) {
		var v broker.PolicyVersion
		if err := ben.JSON(ctx, http.MethodPost, "/v1/policies/"+pushed.ID+"/approve", "", nil, &v); err != nil {
			t.Fatal(err)
		}
		if v.Status != broker.PolicyActive || v.ApprovedBy == nil || v.ApprovedBy.Sub != "ben.visser" {
			t.Errorf("approved %+v", v)
		}
		for _, v := range versions(t) {
			want := map[string]string{builtin.ID: broker.PolicyRetired, pushed.ID: broker.PolicyActive}[v.ID]
			if v.Status != want {
				t.Errorf("version %s is %s, want %s", v.ID[:12], v.Status, want)
			}
		}
	})
	t.Run("explain", func(t *testing.T) {
		in := broker.DecisionInput{Action: broker.ActionConsentRead, Purpose: purpose,
			Caller: broker.CallerFacts{Partner: "fg-regio", Sector: broker.SectorMunicipality, Role: broker.RolePrivacyOfficer,
				Sub: "ben.visser", Level: 2, Covenant: "2026-1", Municipalities: []string{"gem-test"}},
			Relations: []string{broker.RelationPrivacyOffice}}
		var x broker.Explanation
		if err := ben.JSON(ctx, http.MethodPost, "/v1/policies/explain", "", in, &x); err != nil {
			t.Fatal(err)
		}
		if d := x.Decision; !d.Allow || d.Version != pushed.ID || len(d.Bases) == 0 {
			t.Errorf("decision %+v", d)
		}
		if x.Text == "" {
			t.Error("the explanation says nothing")
		}
	})
	t.Run("rollback", func(t *testing.T) {
		var v broker.PolicyVersion
		if err := ben.JSON(ctx, http.MethodPost, "/v1/policies/"+builtin.ID+"/rollback", "", nil, &v); err != nil {
			t.Fatal(err)
		}
		if v.ID != builtin.ID || v.Status != broker.PolicyActive {
			t.Errorf("rolled back to %+v", v)
		}
		err := ben.JSON(ctx, http.MethodPost, "/v1/policies/"+builtin.ID+"/rollback", "", nil, nil)
		if pe := problemOf(t, err); pe.Status != http.StatusConflict {
			t.Errorf("rolling back to the active version: %v", pe)
		}
	})

	t.Run("audit entries", func(t *testing.T) {
		resp, err := ben.Do(ctx, connectors.Request{Method: http.MethodGet, Path: "/v1/audit?from=1&limit=1000&reference=AVG-2026-7"})
		if err != nil {
			t.Fatal(err)
		}
		for _, bsn := range []string{mother, child} {
			if bytes.Contains(resp.Body, []byte(bsn)) {
				t.Error("a BSN appears in the audit trail")
			}
		}
		var out struct {
			Entries []broker.AuditEntry `json:"entries"`
		}
		if err := json.Unmarshal(resp.Body, &out); err != nil {
			t.Fatal(err)
		}
		var actions []string
		for i, e := range out.Entries {
			if e.Seq != uint64(i+1) {
				t.Errorf("entry %d has seq %d", i, e.Seq)
			}
			actions = append(actions, e.Action)
		}
		for _, want := range []string{"partner.register", "consent.record", "consent.read", "consent.withdraw",
			"policy.push", "policy.approve", "policy.rollback"} {
			if !slices.Contains(actions, want) {
				t.Errorf("no %s entry in %v", want, actions)
			}
		}
		if pe := problemOf(t, cjg.JSON(ctx, http.MethodGet, "/v1/audit", "", nil, nil)); pe.Status != http.StatusForbidden {
			t.Errorf("a professional read the audit trail: %v", pe)
		}
	})
	t.Run("audit verifies", func(t *testing.T) {
		var v broker.AuditVerification
		if err := ben.JSON(ctx, http.MethodGet, "/v1/audit/verify", "", nil, &v); err != nil {
			t.Fatal(err)
		}
		if !v.OK || v.Entries == 0 || len(v.Problems) != 0 {
			t.Errorf("verification %+v", v)
		}
	})
	t.Run("subject access", func(t *testing.T) {
		access := func(bsn string) []string {
			var rep broker.SubjectAccessReport
			if err := ben.JSON(ctx, http.MethodPost, "/v1/audit/subject-access", "", map[string]string{"bsn": bsn, "reference": "AVG-2026-7"}, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Broker != testBrokerID {
				t.Errorf("report of broker %q", rep.Broker)
			}
			var got []string
			for _, e := range rep.Events {
				got = append(got, e.Partner+" "+e.Action+" "+e.Decision)
			}
			return got
		}
		// Served, recorded, listed, withdrawn, listed again, and the refused
		// second withdrawal (audited as a denial); the access reports
		// themselves are left out.
		want := []string{"cjg-test involvement.write allow", "cjg-test consent.record allow", "fg-regio consent.read allow",
			"cjg-test consent.withdraw allow", "fg-regio consent.read allow", "cjg-test consent.withdraw deny"}
		if got := access(mother); !slices.Equal(got, want) {
			t.Errorf("the mother's report:\n got %q\nwant %q", got, want)
		}
		if got := access(child); !slices.Equal(got, want[:2]) {
			t.Errorf("the child's report: %q", got)
		}
		if got := access(newBSN(t)); len(got) != 0 {
			t.Errorf("a stranger's report: %q", got)
		}
		if pe := problemOf(t, cjg.JSON(ctx, http.MethodPost, "/v1/audit/subject-access", "", map[string]string{"bsn": mother}, nil)); pe.Status != http.StatusForbidden {
			t.Errorf("a professional asked for a subject access report: %v", pe)
		}
		if pe := problemOf(t, ben.JSON(ctx, http.MethodPost, "/v1/audit/subject-access", "", map[string]string{"bsn": invalidBSN, "reference": "AVG-2026-7"}, nil)); pe.Field != "bsn" {
			t.Errorf("invalid BSN: %v", pe)
		}
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
