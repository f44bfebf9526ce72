package broker_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// auditedWrites counts the change entries about involvement id.
func auditedWrites(es []broker.AuditEntry, id string) int {
	n := 0
	for _, a := range es {
		if a.Event == broker.EventChange && a.Action == broker.ActionInvolvementWrite && a.Object == "involvement:"+id {
			n++
		}
	}
	return n
}

func TestPutInvolvementIsIdempotent(t *testing.T) {
	e := newInvEnv(t)
	bsn := e.bsn()
	in := broker.InvolvementInput{BSN: bsn, Service: "schuldregeling", ServiceLabel: "Schuldregeling",
		Start: "2026-09-01", Contact: broker.Contact{Name: "P. de Boer", Phone: "033-4567890", Email: "p.deboer@example.nl"}}
	c := e.connector("kredietbank")

	first, changed, err := e.svc.PutInvolvement(e.ctx, c, "dossier-1", in)
	if err != nil || !changed {
		t.Fatalf("first PUT: changed %v, %v", changed, err)
	}
	if first.Revision != 1 || first.Status != broker.InvolvementActive || first.Ref != "dossier-1" || first.ID == "" {
		t.Fatalf("first PUT: %+v", first)
	}
	second, changed, err := e.svc.PutInvolvement(e.ctx, e.connector("kredietbank"), "dossier-1", in)
	if err != nil || changed {
		t.Fatalf("the same PUT again: changed %v, %v", changed, err)
	}
	if second.ID != first.ID || second.Revision != 1 {
		t.Fatalf("the same PUT again made %+v of %+v", second, first)
	}
	if n := auditedWrites(e.entries(), first.ID); n != 1 {
		t.Fatalf("two identical PUTs left %d audit entries, want 1", n)
	}
	page, err := e.svc.Involvements(e.ctx, c, "", "", 0)
	if err != nil || len(page.Involvements) != 1 {
		t.Fatalf("list after two identical PUTs: %+v, %v", page, err)
	}

	// A real change is a change: a new revision and a second entry.
	in.Contact.Phone = "033-4567891"
	third, changed, err := e.svc.PutInvolvement(e.ctx, c, "dossier-1", in)
	if err != nil || !changed || third.Revision != 2 || third.ID != first.ID || third.Contact.Phone != "033-4567891" {
		t.Fatalf("changed PUT: %+v, changed %v, %v", third, changed, err)
	}
	es := e.entries()
	if n := auditedWrites(es, first.ID); n != 2 {
		t.Fatalf("after a real change %d audit entries, want 2", n)
	}
	// The entries name the person by pseudonym only.
	for _, a := range es {
		if a.Object == "involvement:"+first.ID {
			if len(a.Subjects) != 1 || !strings.HasPrefix(string(a.Subjects[0]), "p:") {
				t.Errorf("audit entry subjects %v, want one pseudonym", a.Subjects)
			}
		}
	}
	e.noBSN("the involvement view", third, bsn)
}

func TestPutInvolvementRefusesBadInput(t *testing.T) {
	e := newInvEnv(t)
	good := func() broker.InvolvementInput {
		return broker.InvolvementInput{BSN: e.bsn(), Service: "schuldregeling", Start: "2026-01-01",
			Contact: broker.Contact{Name: "P. de Boer", Phone: "033-4567890", Email: "p@example.nl"}}
	}
	valid := good().BSN
	elfproefFails := valid[:8] + string('0'+(valid[8]-'0'+1)%10)
	tests := []struct {
		name  string
		ref   string
		edit  func(*broker.InvolvementInput)
		field string
	}{
		{"BSN missing", "r-1", func(in *broker.InvolvementInput) { in.BSN = "" }, "bsn"},
		{"BSN of 8 digits", "r-1", func(in *broker.InvolvementInput) { in.BSN = valid[:8] }, "bsn"},
		{"BSN of 10 digits", "r-1", func(in *broker.InvolvementInput) { in.BSN = valid + "0" }, "bsn"},
		{"BSN failing the elfproef", "r-1", func(in *broker.InvolvementInput) { in.BSN = elfproefFails }, "bsn"},
		{"BSN all zeros", "r-1", func(in *broker.InvolvementInput) { in.BSN = "000000000" }, "bsn"},
		{"BSN with letters", "r-1", func(in *broker.InvolvementInput) { in.BSN = "12345678a" }, "bsn"},
		{"BSN with spaces", "r-1", func(in *broker.InvolvementInput) { in.BSN = " " + valid[:8] }, "bsn"},
		{"BSN with non-ASCII digits", "r-1", func(in *broker.InvolvementInput) { in.BSN = "١٢٣٤٥٦٧٨٢" }, "bsn"},
		{"ref that is a BSN", valid, nil, "ref"},
		{"ref with a slash", "a/b", nil, "ref"},
		{"ref too long", strings.Repeat("r", 129), nil, "ref"},
		{"empty ref", "", nil, "ref"},
		{"service missing", "r-1", func(in *broker.InvolvementInput) { in.Service = "" }, "service"},
		{"service upper case", "r-1", func(in *broker.InvolvementInput) { in.Service = "Schuld" }, "service"},
		{"label too long", "r-1", func(in *broker.InvolvementInput) { in.ServiceLabel = strings.Repeat("x", 101) }, "service_label"},
		{"unknown status", "r-1", func(in *broker.InvolvementInput) { in.Status = "paused" }, "status"},
		{"start not a date", "r-1", func(in *broker.InvolvementInput) { in.Start = "1-1-2026" }, "start"},
		{"end not a date", "r-1", func(in *broker.InvolvementInput) { in.End = "2026-13-01" }, "end"},
		{"end before start", "r-1", func(in *broker.InvolvementInput) { in.End = "2025-12-31" }, "end"},
		{"start out of range", "r-1", func(in *broker.InvolvementInput) { in.Start = "1850-01-01" }, "start"},
		{"bad phone", "r-1", func(in *broker.InvolvementInput) { in.Contact.Phone = "call me" }, "contact.phone"},
		{"bad e-mail", "r-1", func(in *broker.InvolvementInput) { in.Contact.Email = "P. <p@example.nl>" }, "contact.email"},
		{"contact name too long", "r-1", func(in *broker.InvolvementInput) { in.Contact.Name = strings.Repeat("n", 101) }, "contact.name"},
	}
	before := e.head()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good()
			if tt.edit != nil {
				tt.edit(&in)
			}
			_, _, err := e.svc.PutInvolvement(e.ctx, e.connector("kredietbank"), tt.ref, in)
			if !errors.Is(err, broker.ErrInvalid) || invalidField(err) != tt.field {
				t.Fatalf("got %v (field %q), want invalid %s", err, invalidField(err), tt.field)
			}
			if in.BSN != "" && strings.Contains(err.Error(), in.BSN) {
				t.Errorf("the error names the BSN")
			}
		})
	}
	page, err := e.svc.Involvements(e.ctx, e.connector("kredietbank"), "", "", 0)
	if err != nil || len(page.Involvements) != 0 {
		t.Fatalf("refused PUTs stored something: %+v, %v", page, err)
	}
	if es := e.entriesSince(before); len(es) != 0 {
		t.Fatalf("refused PUTs left %d audit entries: %+v", len(es), es)
	}
}

func TestInvolvementsArePartnerScoped(t *testing.T) {
	e := newInvEnv(t)
	a, b := e.bsn(), e.bsn()
	kb := e.put("kredietbank", "ref-1", a, "schuldregeling")
	cjg := e.put("cjg", "ref-1", b, "opvoedondersteuning")
	if kb.ID == cjg.ID {
		t.Fatal("two partners' ref-1 are one involvement")
	}
	e.put("kredietbank", "only-kb", a, "budgetbeheer")

	list := func(partner string) []string {
		page, err := e.svc.Involvements(e.ctx, e.connector(partner), "", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for _, v := range page.Involvements {
			refs = append(refs, v.Ref+"="+v.Service)
		}
		e.noBSN("a list of involvements", page)
		return refs
	}
	if got := fmt.Sprint(list("kredietbank")); got != "[only-kb=budgetbeheer ref-1=schuldregeling]" {
		t.Errorf("kredietbank lists %s", got)
	}
	if got := fmt.Sprint(list("cjg")); got != "[ref-1=opvoedondersteuning]" {
		t.Errorf("cjg lists %s", got)
	}
	if got := fmt.Sprint(list("school")); got != "[]" {
		t.Errorf("school lists %s", got)
	}

	// Ending another partner's reference is ending one's own, which does
	// not exist: not found, and nothing changes.
	before := e.head()
	if _, err := e.svc.EndInvolvement(e.ctx, e.connector("cjg"), "only-kb", ""); !errors.Is(err, broker.ErrNotFound) {
		t.Fatalf("cjg ending kredietbank's reference: %v, want not found", err)
	}
	if es := e.entriesSince(before); len(es) != 0 {
		t.Fatalf("a refused end left audit entries: %+v", es)
	}
	if got := fmt.Sprint(list("kredietbank")); got != "[only-kb=budgetbeheer ref-1=schuldregeling]" {
		t.Errorf("after a foreign end kredietbank lists %s", got)
	}

	// Ending one's own: ended, with the date; again: unchanged, no entry.
	v, err := e.svc.EndInvolvement(e.ctx, e.connector("cjg"), "ref-1", "2026-10-01")
	if err != nil || v.Status != broker.InvolvementEnded || v.End != "2026-10-01" || v.Revision != 2 {
		t.Fatalf("ending cjg's ref-1: %+v, %v", v, err)
	}
	mid := e.head()
	again, err := e.svc.EndInvolvement(e.ctx, e.connector("cjg"), "ref-1", "2026-10-02")
	if err != nil || again.Revision != 2 || again.End != "2026-10-01" {
		t.Fatalf("ending it again: %+v, %v", again, err)
	}
	if es := e.entriesSince(mid); len(es) != 0 {
		t.Fatalf("ending an ended involvement left audit entries: %+v", es)
	}
	kbStill, _, err := e.svc.PutInvolvement(e.ctx, e.connector("kredietbank"), "ref-1", broker.InvolvementInput{BSN: a,
		Service: "schuldregeling", ServiceLabel: "Schuldregeling", Status: broker.InvolvementActive, Start: "2026-01-05",
		Contact: broker.Contact{Name: "Contact kredietbank", Phone: "033-1234567"}})
	if err != nil || kbStill.Status != broker.InvolvementActive || kbStill.Revision != 1 {
		t.Fatalf("kredietbank's ref-1 after cjg ended its own: %+v, %v", kbStill, err)
	}

	for _, tt := range []struct{ name, ref, end, field string }{
		{"bad date", "ref-1", "01-10-2026", "end"},
		{"end before start", "only-kb", "2025-01-01", "end"},
		{"ref that is a BSN", a, "", "ref"},
	} {
		if _, err := e.svc.EndInvolvement(e.ctx, e.connector("kredietbank"), tt.ref, tt.end); invalidField(err) != tt.field {
			t.Errorf("%s: %v, want invalid %s", tt.name, err, tt.field)
		}
	}
}

func TestInvolvementsListPagesAndFilters(t *testing.T) {
	e := newInvEnv(t)
	bsn := e.bsn()
	for i := range 25 {
		e.put("school", fmt.Sprintf("lln-%02d", i), bsn, "extra-ondersteuning")
	}
	for i := 0; i < 25; i += 5 {
		if _, err := e.svc.EndInvolvement(e.ctx, e.connector("school"), fmt.Sprintf("lln-%02d", i), "2026-06-30"); err != nil {
			t.Fatal(err)
		}
	}
	c := e.connector("school")
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		page, err := e.svc.Involvements(e.ctx, c, "", after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		for _, v := range page.Involvements {
			all = append(all, v.Ref)
		}
		if page.Next == "" {
			break
		}
		if len(page.Involvements) != 10 || page.Next != page.Involvements[9].Ref {
			t.Fatalf("page of %d with next %q", len(page.Involvements), page.Next)
		}
		after = page.Next
	}
	if len(all) != 25 || all[0] != "lln-00" || all[24] != "lln-24" {
		t.Fatalf("paged through %v", all)
	}

	for _, tt := range []struct {
		status string
		want   int
	}{{"", 25}, {broker.InvolvementEnded, 5}, {broker.InvolvementActive, 20}, {broker.InvolvementRegistered, 0}} {
		page, err := e.svc.Involvements(e.ctx, c, tt.status, "", 1000)
		if err != nil || len(page.Involvements) != tt.want || page.Next != "" {
			t.Errorf("status %q: %d involvements, next %q, %v; want %d", tt.status, len(page.Involvements), page.Next, err, tt.want)
		}
		for _, v := range page.Involvements {
			if tt.status != "" && v.Status != tt.status {
				t.Errorf("status %q lists a %s involvement", tt.status, v.Status)
			}
		}
	}
	// A filtered page that is full names the next one.
	page, err := e.svc.Involvements(e.ctx, c, broker.InvolvementEnded, "", 2)
	if err != nil || len(page.Involvements) != 2 || page.Next != "lln-05" {
		t.Fatalf("first page of 2 ended: %+v, %v", page, err)
	}
	page, err = e.svc.Involvements(e.ctx, c, broker.InvolvementEnded, page.Next, 2)
	if err != nil || len(page.Involvements) != 2 || page.Involvements[0].Ref != "lln-10" {
		t.Fatalf("second page of 2 ended: %+v, %v", page, err)
	}

	for _, tt := range []struct{ status, after, field string }{
		{"paused", "", "status"}, {"", "a/b", "after"}, {"", bsn, "after"},
	} {
		if _, err := e.svc.Involvements(e.ctx, c, tt.status, tt.after, 10); invalidField(err) != tt.field {
			t.Errorf("status %q after %q: %v, want invalid %s", tt.status, tt.after, err, tt.field)
		}
	}
	// Coordinators have no caseload of their own to list.
	if _, err := e.svc.Involvements(e.ctx, e.coordinator("gem-a", ""), "", "", 10); !errors.Is(err, broker.ErrForbidden) {
		t.Errorf("a coordinator listing involvements: %v, want forbidden", err)
	}
}

func TestInvolvementWriteNeedsAConnectorOrProfessional(t *testing.T) {
	e := newInvEnv(t)
	in := broker.InvolvementInput{BSN: e.bsn(), Service: "wmo-begeleiding"}
	for _, c := range []*broker.Caller{e.coordinator("gem-a", invPurpose), e.coordinator("sociale-dienst", invPurpose)} {
		_, _, err := e.svc.PutInvolvement(e.ctx, c, "r-1", in)
		if !deniedWith(err, broker.ReasonRoleNotAllowed) {
			t.Errorf("%s as %s registering an involvement: %v, want denied role_not_allowed", c.Partner.ID, c.Role, err)
		}
	}
	if _, _, err := e.svc.PutInvolvement(e.ctx, e.professional("cjg", invPurpose), "r-1", in); err != nil {
		t.Errorf("a professional registering an involvement: %v", err)
	}
	// The denials are audited, by pseudonym.
	denials := 0
	for _, a := range e.entries() {
		if a.Event == broker.EventDenial && a.Action == broker.ActionInvolvementWrite {
			denials++
			if len(a.Subjects) != 1 {
				t.Errorf("denial entry names %d subjects", len(a.Subjects))
			}
		}
	}
	if denials != 2 {
		t.Errorf("%d denials audited, want 2", denials)
	}
}
