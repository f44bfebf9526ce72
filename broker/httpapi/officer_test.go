package httpapi

// The reach of privacy officers over real HTTP (issue 13, item 8): the
// region's privacy office sees the whole trail; a partner's own privacy
// officer sees its partner's entries and those about the persons its
// partner serves; every look names a request reference and is audited.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// auditPage reads one page of the trail as c.
func (e *ivEnv) auditPage(c *connectors.Client, query string) (broker.AuditPage, *connectors.ProblemError) {
	e.t.Helper()
	resp, pe := e.do(c, http.MethodGet, "/v1/audit?"+query, "", nil, "")
	var page broker.AuditPage
	if pe == nil {
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			e.t.Fatal(err)
		}
	}
	return page, pe
}

func TestPrivacyOfficerReach(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family() // the kredietbank serves the mother; the others are served by uwv, school and cjg
	kbFG := e.client("kredietbank", broker.RolePrivacyOfficer)
	region := e.client("fg", broker.RolePrivacyOfficer)

	// A look without a reference is refused, naming the next step.
	_, pe := e.auditPage(kbFG, "from=1&limit=1000")
	ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "reference")
	if !strings.Contains(pe.Detail, "access request") {
		t.Errorf("the refusal does not say what to name: %s", pe.Detail)
	}
	for _, bad := range []string{"AVG%202026", "AVG-" + "111222333"} {
		_, pe = e.auditPage(kbFG, "from=1&limit=1000&reference="+bad)
		ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "reference")
	}

	all, pe := e.auditPage(region, "from=1&limit=1000&reference=AVG-2026-1")
	if pe != nil {
		t.Fatal(pe)
	}
	mine, pe := e.auditPage(kbFG, "from=1&limit=1000&reference=AVG-2026-2")
	if pe != nil {
		t.Fatal(pe)
	}
	if len(mine.Entries) == 0 || len(mine.Entries) >= len(all.Entries) {
		t.Fatalf("the kredietbank's officer sees %d of %d entries", len(mine.Entries), len(all.Entries))
	}
	seen := map[string]bool{}
	for _, a := range mine.Entries {
		seen[fmt.Sprint(a.Seq)] = true
		// Each entry is the kredietbank's own, or about a person it serves.
		if a.Partner != "kredietbank" && a.Action != broker.ActionHouseholdWrite {
			t.Errorf("the kredietbank's officer sees %s's %s (#%d)", a.Partner, a.Action, a.Seq)
		}
	}
	for _, a := range all.Entries {
		// The other partners' registrations of the other members are out of reach.
		if a.Action == broker.ActionInvolvementWrite && a.Partner != "kredietbank" && seen[fmt.Sprint(a.Seq)] {
			t.Errorf("the kredietbank's officer sees %s's involvement (#%d)", a.Partner, a.Seq)
		}
	}

	// Consents: of the person the kredietbank serves, yes; of another, the
	// same refusal as for a person the broker never saw.
	lookup := func(c *connectors.Client, bsn string) ntkAnswer {
		return e.answer(c, http.MethodPost, "/v1/consents/search", "", map[string]string{"bsn": bsn, "reference": "AVG-2026-3"})
	}
	if got := lookup(kbFG, bsns["moeder"]); got.Status != http.StatusOK {
		t.Errorf("the kredietbank's officer on its own client: %d %s", got.Status, got.Body)
	}
	ntkSame(t, "a partner's officer on another partner's client", lookup(kbFG, bsns["vader"]), lookup(kbFG, e.bsn()))
	if got := lookup(region, bsns["vader"]); got.Status != http.StatusOK {
		t.Errorf("the region's office: %d %s", got.Status, got.Body)
	}
	if got := e.answer(kbFG, http.MethodPost, "/v1/consents/search", "", map[string]string{"bsn": bsns["moeder"]}); got.Status != http.StatusUnprocessableEntity {
		t.Errorf("a consent look without a reference: %d %s", got.Status, got.Body)
	}

	// The whole chain is for the region's office.
	_, pe = e.do(kbFG, http.MethodGet, "/v1/audit/export", "", nil, "")
	if pe == nil || pe.Status != http.StatusForbidden {
		t.Errorf("a partner's officer exports the chain: %v", pe)
	}

	// Every look is audited with its reference.
	refs := map[string]bool{}
	for _, a := range e.auditEntriesWithLooks() {
		if a.Action == "audit.read" || a.Action == broker.ActionConsentRead {
			refs[a.Detail["reference"]] = true
		}
	}
	for _, r := range []string{"AVG-2026-1", "AVG-2026-2", "AVG-2026-3"} {
		if !refs[r] {
			t.Errorf("no audited look names %s: %v", r, refs)
		}
	}
}

// auditEntriesWithLooks reads the whole trail, the looks included.
func (e *ivEnv) auditEntriesWithLooks() []broker.AuditEntry {
	e.t.Helper()
	var all []broker.AuditEntry
	for from := uint64(1); ; {
		page, pe := e.auditPage(e.client("fg", broker.RolePrivacyOfficer), fmt.Sprintf("from=%d&limit=1000&reference=test-1", from))
		if pe != nil {
			e.t.Fatal(pe)
		}
		all = append(all, page.Entries...)
		if page.Next == 0 {
			return all
		}
		from = page.Next
	}
}
