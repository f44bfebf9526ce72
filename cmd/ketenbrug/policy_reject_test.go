package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// TestPolicyReject: a verified privacy officer rejects a pending version
// with a comment; an organisation key may not; a rejected version is never
// approved; the rejection is audited.
func TestPolicyReject(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	orgKey, annaKey, benKey := newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgEdDSA), newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "fg-regio", broker.SectorMunicipality, []broker.Role{broker.RolePrivacyOfficer}, orgKey)
	anna := tb.bindPerson(t, "fg-regio", "anna.bakker", annaKey, broker.RolePrivacyOfficer)
	ben := tb.bindPerson(t, "fg-regio", "ben.visser", benKey, broker.RolePrivacyOfficer)
	office := tb.client(t, orgKey.identity(t, "fg-regio", "ben.visser", broker.RolePrivacyOfficer))
	bundle := bundleFrom(t, func(dir string) {
		if err := editPolicyData(dir+"/data.json", func(m map[string]any) {
			m["ketenbrug_config"].(map[string]any)["audit_retention_days"] = 2002
		}); err != nil {
			t.Fatal(err)
		}
	})
	resp, err := anna.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/policies", Body: bundle, ContentType: "application/gzip"})
	if err != nil {
		t.Fatal(err)
	}
	var pushed broker.PolicyVersion
	if err := json.Unmarshal(resp.Body, &pushed); err != nil {
		t.Fatal(err)
	}
	reject := "/v1/policies/" + pushed.ID + "/reject"
	why := map[string]string{"comment": "De bewaartermijn wijkt af van de selectielijst."}
	if pe := problemOf(t, office.JSON(ctx, http.MethodPost, reject, "", why, nil)); pe.Status != http.StatusForbidden || pe.Code != "person_not_verified" {
		t.Fatalf("an organisation key rejects: %v", pe)
	}
	if pe := problemOf(t, ben.JSON(ctx, http.MethodPost, reject, "", map[string]string{"comment": " "}, nil)); pe.Status != http.StatusUnprocessableEntity || pe.Field != "comment" {
		t.Fatalf("a rejection without a reason: %v", pe)
	}
	var v broker.PolicyVersion
	if err := ben.JSON(ctx, http.MethodPost, reject, "", why, &v); err != nil {
		t.Fatal(err)
	}
	if v.Status != broker.PolicyRejected || v.RejectedBy == nil || v.RejectedBy.Sub != "ben.visser" || v.RejectComment != why["comment"] {
		t.Fatalf("rejected %+v", v)
	}
	if pe := problemOf(t, ben.JSON(ctx, http.MethodPost, "/v1/policies/"+pushed.ID+"/approve", "", nil, nil)); pe.Status != http.StatusConflict {
		t.Fatalf("approving a rejected version: %v", pe)
	}
	if pe := problemOf(t, ben.JSON(ctx, http.MethodPost, reject, "", why, nil)); pe.Status != http.StatusConflict {
		t.Fatalf("rejecting twice: %v", pe)
	}
	found := false
	for _, e := range tb.auditEntries(t) {
		if e.Action == "policy.reject" && e.Decision == broker.DecisionAllow && e.Sub == "ben.visser" && e.SubKnown == broker.SubVerified {
			found = true
		}
	}
	if !found {
		t.Error("the rejection is not in the audit trail")
	}
}
