package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// GET /v1/households over real HTTP: the coordinating municipality lists its
// household without a member's label; another municipality's coordinator
// gets an answer byte for byte the same as for a municipality without
// households; a professional is refused.
func TestHouseholdListOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	var list broker.HouseholdList
	resp := e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/households", ivPurpose, nil, &list)
	if len(list.Households) != 1 || list.Households[0].ID != "hh-1" || list.Households[0].Members != len(bsns) {
		t.Fatalf("listed %+v", list)
	}
	for _, leak := range []string{"moeder", `"label"`} {
		if strings.Contains(string(resp.Body), leak) {
			t.Errorf("the list carries %s: %s", leak, resp.Body)
		}
	}
	for _, b := range bsns {
		if strings.Contains(string(resp.Body), b) {
			t.Fatal("the list carries a BSN")
		}
	}
	other, pe := e.do(e.client("gem-b", broker.RoleCoordinator), http.MethodGet, "/v1/households?municipality=gem-a", ivPurpose, nil, "")
	own, pe2 := e.do(e.client("gem-b", broker.RoleCoordinator), http.MethodGet, "/v1/households?municipality=gem-b", ivPurpose, nil, "")
	if pe != nil || pe2 != nil || !bytes.Equal(other.Body, own.Body) {
		t.Fatalf("another municipality's households tell from none: %s / %s (%v, %v)", other.Body, own.Body, pe, pe2)
	}
	_, pe = e.do(e.client("cjg", broker.RoleProfessional), http.MethodGet, "/v1/households", ivPurpose, nil, "")
	ivExpect(t, pe, http.StatusForbidden, "denied", "")
	_, pe = e.do(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/households?limit=5000", ivPurpose, nil, "")
	ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "limit")
}
