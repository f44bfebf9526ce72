package broker_test

import (
	"encoding/json"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestSubjectAccessReach: the region's privacy office answers an access
// request about anyone; a partner's own privacy officer about the persons
// its partner serves, and for anyone else gets the report of a person the
// broker never saw. Every look names its reference in the audit trail.
func TestSubjectAccessReach(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1") // the kredietbank serves the mother
	kbFG := e.caller("kredietbank", broker.RolePrivacyOfficer, "")
	kbFG.Partner.Roles = append(kbFG.Partner.Roles, broker.RolePrivacyOfficer)

	if _, err := e.svc.SubjectAccess(e.ctx, kbFG, f.bsns["moeder"], ""); invalidField(err) != "reference" {
		t.Fatalf("without a reference: %v", err)
	}
	own, err := e.svc.SubjectAccess(e.ctx, kbFG, f.bsns["moeder"], "AVG-1")
	if err != nil || len(own.Events) == 0 {
		t.Fatalf("its own client: %+v, %v", own, err)
	}
	other, err := e.svc.SubjectAccess(e.ctx, kbFG, f.bsns["vader"], "AVG-2")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := e.svc.SubjectAccess(e.ctx, kbFG, e.bsn(), "AVG-3")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(other.Events)
	b, _ := json.Marshal(stranger.Events)
	if len(other.Events) != 0 || string(a) != string(b) {
		t.Fatalf("another partner's client: %s; a stranger: %s", a, b)
	}
	if all, err := e.svc.SubjectAccess(e.ctx, e.caller("fg", broker.RolePrivacyOfficer, ""), f.bsns["vader"], "AVG-4"); err != nil || len(all.Events) == 0 {
		t.Fatalf("the region's privacy office: %+v, %v", all, err)
	}
	refs := map[string]bool{}
	for _, a := range e.entries() {
		if a.Action == "audit.subject-access" {
			refs[a.Detail["reference"]] = true
		}
	}
	for _, r := range []string{"AVG-1", "AVG-2", "AVG-3", "AVG-4"} {
		if !refs[r] {
			t.Errorf("no audited look names %s", r)
		}
	}
}
