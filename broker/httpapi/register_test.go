package httpapi

import (
	"net/http"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestProcessingRegister: the register of processing is generated from the
// active policy — every purpose with the basis its rule cites — and the
// registry, with each partner's role and contact; privacy officers and
// operators only.
func TestProcessingRegister(t *testing.T) {
	e := ivNewEnv(t)
	p, _ := e.svc.LookupPartner("kredietbank")
	q := *p
	q.ControllerRole, q.PrivacyContact = broker.ControllerRole, "fg@kredietbank.example"
	if _, err := e.svc.UpdatePartner(e.ctx, e.operator, q); err != nil {
		t.Fatal(err)
	}
	var reg broker.ProcessingRegister
	e.json(e.client("fg", broker.RolePrivacyOfficer), http.MethodGet, "/v1/policies/register", "", nil, &reg)
	if reg.PolicyVersion == "" || len(reg.Activities) < 4 || reg.AuditRetentionDays == 0 {
		t.Fatalf("register %+v", reg)
	}
	for _, a := range reg.Activities {
		if a.Basis == "" || a.Name == "" || len(a.RecipientSectors) == 0 || len(a.Categories) == 0 {
			t.Errorf("activity %+v", a)
		}
	}
	var kb *broker.RegisterParty
	for i := range reg.Parties {
		if reg.Parties[i].ID == "kredietbank" {
			kb = &reg.Parties[i]
		}
		if reg.Parties[i].ID == "operator" {
			t.Errorf("the operator's own identity is listed as a party")
		}
	}
	if kb == nil || kb.Role != broker.ControllerRole || kb.Contact != "fg@kredietbank.example" {
		t.Fatalf("the kredietbank in the register: %+v", kb)
	}
	for _, c := range []string{"kredietbank/connector", "gem-a/coordinator"} {
		_, pe := e.do(e.clients[c], http.MethodGet, "/v1/policies/register", "", nil, "")
		ivExpect(t, pe, http.StatusForbidden, "forbidden", "")
	}
	q.ControllerRole = "eigenaar"
	if _, err := e.svc.UpdatePartner(e.ctx, e.operator, q); invalidFieldOf(err) != "controller_role" {
		t.Errorf("an unknown controller role: %v", err)
	}
}

func invalidFieldOf(err error) string {
	if v, ok := err.(*broker.ValidationError); ok {
		return v.Field
	}
	return ""
}
