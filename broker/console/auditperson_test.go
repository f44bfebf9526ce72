package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// auditMain is the page's main element with the per-page values (the CSRF
// token) taken out, to compare two answers.
func auditMain(t *testing.T, body string) string {
	t.Helper()
	i, j := strings.Index(body, "<main"), strings.Index(body, "</main>")
	if i < 0 || j < i {
		t.Fatalf("no main element: %.300s", body)
	}
	return regexp.MustCompile(`name="csrf" value="[^"]*"`).ReplaceAllString(body[i:j], "")
}

// TestAuditSearchByPerson: a privacy officer searches the audit trail by
// BSN, a POSTed field. A partner's officer finds the entries of a person
// its partner serves; another municipality's resident and a person only
// an unrelated partner serves are answered exactly as a person without
// entries; the region's privacy office finds them. The answer never
// shows the number; a caller without the officer role is refused; a BSN
// in the query string is refused before anything is looked up; every
// look is audited with the person's pseudonym and without the number.
func TestAuditSearchByPerson(t *testing.T) {
	e := newEnvWith(t, []opClient{{ClientID: "broker-fg", ClientSecret: "geheim-fg"}})
	ctx := context.Background()
	for _, p := range []broker.Partner{
		{ID: "gem-ander", Name: "Gemeente Elders", Sector: broker.SectorMunicipality, Roles: []broker.Role{broker.RoleConnector},
			Level: 2, Municipalities: []string{"gem-ander"}, Covenant: "2026-1"},
		{ID: "fg-regio", Name: "Privacybureau regio", Sector: broker.SectorMunicipality, Roles: []broker.Role{broker.RolePrivacyOfficer},
			Level: 2, Municipalities: []string{"gem-test"}, PrivacyOffice: true},
	} {
		p.JWKS = testJWKS(t)
		if _, err := e.svc.RegisterPartner(ctx, e.operator, p); err != nil {
			t.Fatal(err)
		}
	}
	e.setLogin("fg-regio", "broker-fg", "privacy-officer=a-privacy")
	for _, id := range []string{"partner-a", "partner-b"} { // a connector writes under a signed covenant
		pt, _ := e.svc.LookupPartner(id)
		q := *pt
		q.Covenant = "2026-1"
		if _, err := e.svc.UpdatePartner(ctx, e.operator, q); err != nil {
			t.Fatal(err)
		}
	}
	served, elsewhere, unrelated, never := testBSN(11), testBSN(12), testBSN(13), testBSN(14)
	for _, s := range []struct{ partner, bsn string }{{"partner-a", served}, {"gem-ander", elsewhere}, {"partner-b", unrelated}} {
		pt, _ := e.svc.LookupPartner(s.partner)
		conn := &broker.Caller{Partner: *pt, Sub: "connector", Role: broker.RoleConnector, RequestID: "r-seed", Purpose: "integrale-ondersteuning"}
		if _, _, err := e.svc.PutInvolvement(ctx, conn, "ref-"+s.bsn[:3], broker.InvolvementInput{BSN: s.bsn, Service: "schuldhulp",
			Status: broker.InvolvementActive, Start: "2026-01-05"}); err != nil {
			t.Fatal(err)
		}
	}

	// Anna, privacy officer of partner-a (she chooses the role).
	anna := e.browser(t)
	p := anna.login("partner-a", "anna")
	p = anna.follow(anna.do(http.MethodPost, e.srv.URL+"/console/role", url.Values{"csrf": {csrfOf(t, p.body)}, "role": {"privacy-officer"}}), nil, nil)
	csrf := csrfOf(t, p.body)
	search := func(b *browser, csrf, bsn string) page {
		t.Helper()
		p := b.do(http.MethodPost, e.srv.URL+"/console/audit", url.Values{"csrf": {csrf}, "kenmerk": {"AVG-2026-0200"}, "bsn": {bsn}})
		if strings.Contains(p.body, bsn) || strings.Contains(p.body, bsn[:4]+"."+bsn[4:6]+"."+bsn[6:]) {
			t.Fatalf("the answer shows the BSN: %.2000s", p.body)
		}
		return p
	}
	p = search(anna, csrf, served)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Gevonden") || !strings.Contains(p.body, "involvement.write") ||
		!strings.Contains(p.body, "Gezocht op een persoon") {
		t.Fatalf("the served person's entries: %d %.2000s", p.status, p.body)
	}
	none := auditMain(t, search(anna, csrf, never).body)
	if !strings.Contains(none, "Geen regels gevonden die u mag zien.") {
		t.Fatalf("a person never seen: %.1500s", none)
	}
	for name, bsn := range map[string]string{"another municipality's resident": elsewhere, "a person an unrelated partner serves": unrelated} {
		if got := auditMain(t, search(anna, csrf, bsn).body); got != none {
			t.Errorf("%s is not answered as a person without entries:\n%s\nwant\n%s", name, got, none)
		}
	}

	// The region's privacy office reaches everyone.
	fg := e.browser(t)
	p = fg.login("fg-regio", "anna")
	if p = search(fg, csrfOf(t, p.body), elsewhere); !strings.Contains(p.body, "gem-ander") || !strings.Contains(p.body, "involvement.write") {
		t.Fatalf("the privacy office does not find the resident elsewhere: %.2000s", p.body)
	}

	// The resident's access report as a PDF, asked on the form (the BSN
	// posted once more, never on the report page), named after the
	// reference and without the number.
	t.Run("the access report as PDF", func(t *testing.T) {
		p := fg.get("/console/inzage")
		p = fg.do(http.MethodPost, e.srv.URL+"/console/inzage", url.Values{"csrf": {csrfOf(t, p.body)}, "bsn": {elsewhere},
			"kenmerk": {"AVG-2026/0300"}, "als": {"pdf"}})
		if p.status != http.StatusOK || p.header.Get("Content-Type") != "application/pdf" ||
			p.header.Get("Content-Disposition") != `attachment; filename="inzage-AVG-2026-0300.pdf"` || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("the PDF: %d %v", p.status, p.header)
		}
		text := strings.Join(checkPDF(t, []byte(p.body)), "\n")
		if !strings.Contains(text, "Overzicht voor de inwoner") || !strings.Contains(text, "Kenmerk van uw verzoek: AVG-2026/0300") ||
			!strings.Contains(text, "Gemeente Elders") || strings.Contains(p.body, elsewhere) {
			t.Fatalf("the PDF's text:\n%s", text)
		}
	})

	// Every look is audited with the person's pseudonym, never the number.
	looks := 0
	for _, a := range e.audit("audit.read") {
		if a.Detail["person"] != "bsn" {
			continue
		}
		looks++
		if len(a.Subjects) != 1 || a.Detail["reference"] != "AVG-2026-0200" {
			t.Fatalf("the look is audited as %+v", a)
		}
		raw, _ := json.Marshal(a)
		for _, b := range []string{served, elsewhere, unrelated, never} {
			if strings.Contains(string(raw), b) {
				t.Fatal("an audit entry holds the BSN")
			}
		}
	}
	if looks != 5 {
		t.Fatalf("%d looks by person audited, want 5", looks)
	}
	b, _ := broker.ParseBSN(elsewhere)
	if last := e.audit("audit.read"); last[len(last)-1].Subjects[0] != e.pseudonyms.Pseudonym(b) || last[len(last)-1].Partner != "fg-regio" {
		t.Fatalf("the last look names %+v", last[len(last)-1])
	}

	t.Run("a caller without the officer role", func(t *testing.T) {
		ben := e.browser(t)
		p := ben.login("partner-b", "ben")
		before := len(e.audit("audit.read"))
		p = ben.do(http.MethodPost, e.srv.URL+"/console/audit", url.Values{"csrf": {csrfOf(t, p.body)}, "kenmerk": {"AVG-1"}, "bsn": {served}})
		if p.status != http.StatusForbidden || strings.Contains(p.body, "involvement.write") || strings.Contains(p.body, served) {
			t.Fatalf("a professional's search by person: %d %.1500s", p.status, p.body)
		}
		if len(e.audit("audit.read")) != before {
			t.Fatal("the refused search read the trail")
		}
	})

	t.Run("a BSN in the query string", func(t *testing.T) {
		before := len(e.audit("audit.read"))
		for _, u := range []string{"/console/audit?bsn=" + served, "/console/audit?q=" + served[:4] + "." + served[4:6] + "." + served[6:]} {
			p := anna.get(u)
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Geen BSN in het adres") || strings.Contains(p.body, served) {
				t.Fatalf("GET %s: %d %.800s", u, p.status, p.body)
			}
		}
		p := anna.do(http.MethodPost, e.srv.URL+"/console/audit?bsn="+served, url.Values{"csrf": {csrf}, "kenmerk": {"AVG-1"}})
		if !strings.Contains(p.body, "Geen BSN in het adres") || strings.Contains(p.body, "involvement.write") {
			t.Fatalf("POST with the BSN in the URL: %d %.800s", p.status, p.body)
		}
		if len(e.audit("audit.read")) != before {
			t.Fatal("a search with the BSN in the URL read the trail")
		}
	})

	t.Run("an invalid BSN", func(t *testing.T) {
		bad := served[:8] + string('0'+('1'+served[8]-'0')%10)
		p := search(anna, csrf, bad)
		if !strings.Contains(p.body, "geen geldig BSN") || strings.Contains(p.body, "Gevonden") {
			t.Fatalf("an invalid BSN: %d %.1500s", p.status, p.body)
		}
	})
}
