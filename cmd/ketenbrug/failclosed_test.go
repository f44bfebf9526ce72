package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
	"github.com/ketenbrug/ketenbrug/policy"
)

// faultyPolicy allows everything, except that for the coordinator of gem-c
// its decision goes wrong in the way fault says. The samples the broker
// smoke-tests a push with never come from gem-c, and the bundle's own test
// passes: the fault can only show at run time.
func faultyPolicy(fault string) string {
	return `package ketenbrug

decision := {"allow": true, "reasons": [], "bases": ["test"], "show": {}} if input.caller.partner != "gem-c"

` + fault + `
`
}

var runtimeFaults = map[string]string{
	"errs at run time": `decision := {"allow": to_number(input.caller.partner), "reasons": [], "bases": ["test"]} if input.caller.partner == "gem-c"`,
	"loops past its deadline": `decision := {"allow": slow, "reasons": [], "bases": ["test"]} if input.caller.partner == "gem-c"

slow if {
	every i in numbers.range(1, 100000) {
		every j in numbers.range(1, 100000) {
			i + j > 0
		}
	}
}`,
	"answers nothing":              `# no decision for gem-c: undefined`,
	"answers a malformed document": `decision := {"allow": "yes", "reasons": 3} if input.caller.partner == "gem-c"`,
}

const faultyTest = `package ketenbrug_test

import data.ketenbrug

test_allows if ketenbrug.decision.allow with input as {"caller": {"partner": "kredietbank"}}
`

func TestPolicyFailuresDenyOverHTTP(t *testing.T) {
	tb := newTestBrokerWith(t, func(c *SystemConfig) { c.PolicyTimeout = 150 * time.Millisecond })
	r := newRegion(t, tb, 2, nil)
	ctx := context.Background()
	// Two privacy officers, for four eyes.
	k1, k2 := newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgEdDSA)
	if err := tb.operator.JSON(ctx, http.MethodPost, "/v1/partners", "", map[string]any{"id": "fg-x", "name": "FG",
		"sector": broker.SectorMunicipality, "roles": []broker.Role{broker.RolePrivacyOfficer}, "level": 2,
		"municipalities": []string{"gem-c"}, "covenant": "2026-1", "jwks": jwksOf(t, newTestKey(t, protocol.AlgEdDSA))}, nil); err != nil {
		t.Fatal(err)
	}
	anna := tb.bindPerson(t, "fg-x", "anna", k1, broker.RolePrivacyOfficer)
	ben := tb.bindPerson(t, "fg-x", "ben", k2, broker.RolePrivacyOfficer)
	builtin := tb.sys.Policy.Active()

	for name, fault := range runtimeFaults {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, src := range map[string]string{"p.rego": faultyPolicy(fault), "p_test.rego": faultyTest} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(src), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			bundle, err := policy.PackDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			// Pushed (its test passes, the samples decide), approved by a
			// second officer, active.
			resp, err := anna.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/policies", Body: bundle, ContentType: "application/gzip"})
			if err != nil {
				t.Fatalf("push: %v", err)
			}
			var v broker.PolicyVersion
			if err := json.Unmarshal(resp.Body, &v); err != nil {
				t.Fatal(err)
			}
			if err := ben.JSON(ctx, http.MethodPost, "/v1/policies/"+v.ID+"/approve", "", nil, nil); err != nil {
				t.Fatalf("approve: %v", err)
			}
			before := len(auditTrail(t, tb))

			// The coordinator's overview: denied with policy_error.
			err = r.coord.JSON(ctx, http.MethodGet, "/v1/households/hh-c/involvements", debtPurpose, nil, nil)
			var pe *connectors.ProblemError
			if !errors.As(err, &pe) || pe.Status != http.StatusForbidden || !slices.Equal(pe.Reasons, []string{broker.ReasonPolicyError}) {
				t.Fatalf("overview under a failing policy: %v, want 403 [policy_error]", err)
			}
			// Audited as a denial with that reason, under that version.
			var denial *broker.AuditEntry
			for _, e := range auditTrail(t, tb)[before:] {
				if e.Decision == broker.DecisionDeny && slices.Contains(e.Reasons, broker.ReasonPolicyError) {
					denial = &e
				}
			}
			if denial == nil || denial.PolicyVersion != v.ID {
				t.Fatalf("no policy_error denial under %s in the audit trail (%+v)", v.ID, denial)
			}
			// Logged with its cause, by request id.
			if !strings.Contains(tb.logs.String(), `"policy failed; denying"`) || !strings.Contains(tb.logs.String(), pe.RequestID) {
				t.Error("the failure is not in the log with the request id")
			}
			// The broker keeps serving: another partner's write is decided.
			if err := r.kb.JSON(ctx, http.MethodPut, "/v1/involvements/kb-fc", debtPurpose, map[string]any{"bsn": r.bsns["vader"],
				"service": "schuldhulp", "status": "active"}, nil); err != nil {
				t.Fatalf("another request under the same policy: %v", err)
			}
			// Back to the built-in policy: the overview works again.
			if err := anna.JSON(ctx, http.MethodPost, "/v1/policies/"+builtin+"/rollback", "", nil, nil); err != nil {
				t.Fatalf("rollback: %v", err)
			}
			if err := r.coord.JSON(ctx, http.MethodGet, "/v1/households/hh-c/involvements", debtPurpose, nil, nil); err != nil {
				t.Fatalf("the overview after the rollback: %v", err)
			}
		})
	}
}

// A push of a bundle that fails on the broker's sample questions is
// refused before it is stored, with the sample named.
func TestPolicyPushRefusesWhatFailsOnSamples(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	k := newTestKey(t, protocol.AlgEdDSA)
	if err := tb.operator.JSON(ctx, http.MethodPost, "/v1/partners", "", map[string]any{"id": "fg-y", "name": "FG",
		"sector": broker.SectorMunicipality, "roles": []broker.Role{broker.RolePrivacyOfficer}, "level": 2,
		"municipalities": []string{"gem-c"}, "covenant": "2026-1", "jwks": jwksOf(t, newTestKey(t, protocol.AlgEdDSA))}, nil); err != nil {
		t.Fatal(err)
	}
	fg := tb.bindPerson(t, "fg-y", "fg", k, broker.RolePrivacyOfficer)
	dir := t.TempDir()
	src := faultyPolicy(`decision := {"allow": to_number("x"), "reasons": []} if input.caller.partner == "gem-c"`)
	src = strings.ReplaceAll(src, `"gem-c"`, `"gem-leusden"`) // the samples' coordinator
	for f, s := range map[string]string{"p.rego": src, "p_test.rego": faultyTest} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bundle, err := policy.PackDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fg.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/policies", Body: bundle, ContentType: "application/gzip"})
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusUnprocessableEntity || pe.Code != "policy_rejected" {
		t.Fatalf("push: %v, want 422 policy_rejected", err)
	}
	var list struct {
		Versions []broker.PolicyVersion `json:"versions"`
	}
	if err := fg.JSON(ctx, http.MethodGet, "/v1/policies", "", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Versions) != 1 {
		t.Fatalf("%d policy versions stored, want only the built-in one", len(list.Versions))
	}
}
