package console

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/brokertest"
	"github.com/ketenbrug/ketenbrug/policy"
)

// officerSetup adds the region's privacy office (fg-regio, where Anna and
// Ben are privacy officers) and the operator's login (Olga) to r, and
// records the built-in policy as the active version, as serve does.
func officerSetup(t *testing.T, r *region) {
	t.Helper()
	ctx := context.Background()
	if _, err := r.svc.RegisterPartner(ctx, r.operator, broker.Partner{ID: "fg-regio", Name: "Privacybureau regio Eemland",
		Sector: broker.SectorMunicipality, Roles: []broker.Role{broker.RolePrivacyOfficer}, Level: 4,
		Municipalities: []string{"gem-amersfoort"}, PrivacyOffice: true, JWKS: testJWKS(t)}); err != nil {
		t.Fatal(err)
	}
	r.setLogin("fg-regio", "broker-fg", "privacy-officer=a-privacy", "privacy-officer=b-medewerkers")
	r.setLogin("operator", "broker-operator", "operator=beheer")
	eng, err := testEngine()
	if err != nil {
		t.Fatal(err)
	}
	_, bundle, report := eng.Builtin()
	if err := r.svc.RecordBuiltinPolicy(ctx, bundle, report); err != nil {
		t.Fatal(err)
	}
}

// changedBundle is the built-in policy with one comment reworded: a new
// version whose diff shows one changed line and whose tests pass.
func changedBundle(t *testing.T, note string, strict bool) []byte {
	t.Helper()
	m := brokertest.BundleFS(t)
	f := m["ketenbrug/decision.rego"]
	old := []byte("# A request is allowed when no rule denies it.")
	if !bytes.Contains(f.Data, old) {
		t.Fatal("decision.rego changed: pick another line")
	}
	f.Data = bytes.Replace(f.Data, old, []byte("# A request is allowed only when no rule denies it ("+note+")."), 1)
	if strict {
		// A stricter rule: the debt counsellor's professional Piet no
		// longer reads the joint plan (a change the dry-run shows; named
		// by person, since the policy's own tests use the partner).
		m["ketenbrug/access.rego"].Data = append(m["ketenbrug/access.rego"].Data, []byte(`
# METADATA
# title: A trial rule on reading the joint plan
# description: Piet de Boer works from his own assignments, not the joint plan.
# custom:
#   basis: AVG art. 5 lid 1 sub c
deny contains {"reason": "role_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	input.action == "plan.read"
	input.caller.partner == "kredietbank"
	input.caller.sub == "p.deboer"
}
`)...)
	}
	b, err := policy.Pack(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// officerJourney is the privacy officers' and the operator's work: Anna
// pushes a version (through the domain, as the CLI does); she sees it,
// its diff, tests and dry-run, and her own approval is refused; Ben
// approves it after a fresh login; the refusal is found in the audit
// trail by its request id; a resident's access report prints; Olga, the
// operator, suspends a partner.
func officerJourney(t *testing.T, r *region, shot shooter) {
	if shot == nil {
		shot = func(*tab, string) {}
	}
	ctx := context.Background()
	officerSetup(t, r)
	fg, _ := r.svc.LookupPartner("fg-regio")
	annaC := &broker.Caller{Partner: *fg, Sub: "anna.bakker", Role: broker.RolePrivacyOfficer, RequestID: "r-push",
		Person: broker.Person{ID: "anna.bakker", Verified: true, Via: "oidc:" + r.op}}
	v, err := r.svc.PushPolicy(ctx, annaC, changedBundle(t, "herzien 2026", false), "Toelichting bij de beslisregel verduidelijkt")
	if err != nil {
		t.Fatal(err)
	}
	key := versionKey(v.ID)

	// Something for the resident's report: Sanne looks at the parent.
	sanne := r.tab(t)
	sanne.login("gem-amersfoort", "sanne")
	sanne.open("/console/persoon")
	sanne.set("#p-bsn", r.bsnA)
	sanne.submit(`main form button[type="submit"]`)

	anna := r.tab(t)
	anna.login("fg-regio", "anna")
	anna.see("Ketenbrug", "in de rol privacyfunctionaris", "Uw werk")
	if n := anna.count(`main ul a[href="/console/inzage"]`); n != 1 {
		t.Fatal("the officer's start page does not link the access report")
	}
	anna.open("/console/beleid")
	anna.see("Beleid", "wacht op goedkeuring", "anna.bakker (fg-regio)", "geverifieerd via het inlogsysteem", "geldig", "ingebouwd in Ketenbrug")
	shot(anna, "beleid")
	anna.submit(`main table a[href="/console/beleid/` + key + `"]`)
	anna.see("Beleidsversie "+short(v.ID), "Toelichting bij de beslisregel verduidelijkt", "Testrapport",
		"ketenbrug/decision.rego (gewijzigd: 1 regels erbij, 1 eraf)", "herzien 2026", "A request is allowed when no rule denies it.",
		"ongewijzigde regels", "ketenbrug/access.rego (gelijk)")
	if n := anna.count("table.kb-diff tr.kb-diff-change"); n != 1 {
		t.Fatalf("%d changed lines in the diff", n)
	}
	shot(anna, "beleid-versie")
	anna.open("/console/beleid/" + key + "/proefdraai")
	anna.see("Proefdraai van versie "+short(v.ID), "besluiten zijn opnieuw genomen", "Geen enkel recent besluit zou veranderen")

	// Her own approval is refused (four eyes), and audited.
	anna.open("/console/beleid/" + key + "/goedkeuren")
	anna.see("Versie " + short(v.ID) + " goedkeuren")
	anna.submit(`main form button[type="submit"]`)
	anna.see("Goedkeuren door een tweede privacyfunctionaris", "Vier ogen", "Verzoeknummer")
	refusedID := anna.text(".kb-request-id")
	if got, _ := r.svc.PolicyBundle(ctx, annaC, v.ID); got.Status != broker.PolicyPending {
		t.Fatalf("after a self-approval the version is %s", got.Status)
	}

	// The audit search by that request id finds the refusal.
	anna.open("/console/audit")
	anna.see("Auditlogboek", "De keten van het auditlogboek is gecontroleerd en klopt")
	anna.set("#au-kenmerk", "FG-2026-007")
	anna.set("#au-verzoek", refusedID)
	anna.submit(`main form button[type="submit"]`)
	anna.see("Auditlogboek", "Gevonden", refusedID, "De keten opnieuw controleren", "policy.approve", "geweigerd: niet toegestaan", "anna.bakker (geverifieerd")
	if n := anna.count("main table tbody tr"); n != 1 {
		t.Fatalf("the search by request id found %d entries", n)
	}
	// By person: the BSN is a posted field, and the answer never shows it.
	anna.open("/console/audit")
	anna.set("#au-kenmerk", "AVG-2026-0142")
	anna.set("#au-bsn", r.bsnA)
	anna.submit(`main form button[type="submit"]`)
	anna.see("Auditlogboek", "Gevonden", "Gezocht op een persoon", "involvement.write", "kredietbank: connector")
	if u := anna.url(); u != r.srv.URL+"/console/audit" || strings.Contains(get(anna, chromedp.OuterHTML(chromedp.CSS("html"))), r.bsnA) {
		t.Fatalf("the search by person is at %s or shows the BSN", u)
	}
	shot(anna, "audit")

	// The resident's access report: BSN posted, printed.
	anna.open("/console/inzage")
	anna.see("Inzage voor een inwoner")
	anna.set("#in-bsn", r.bsnA)
	anna.set("#in-kenmerk", "AVG-2026-0142")
	anna.submit(`main form button[type="submit"]`)
	anna.see("Overzicht voor de inwoner", "AVG-2026-0142", "Gemeente Amersfoort (wijkteam)", "s.bos (geverifieerd)", "Kredietbank Eemland")
	if u := anna.url(); u != r.srv.URL+"/console/inzage" || strings.Contains(anna.text("body"), r.bsnA) {
		t.Fatalf("the access report is at %s or shows the BSN", u)
	}
	if n := anna.count("header, nav"); n != 0 {
		t.Fatalf("the access report has %d header/nav elements", n)
	}
	shot(anna, "inzage")
	// A BSN that fails the elfproef: refused, not echoed, back to the form.
	bad := r.bsnA[:8] + string('0'+('1'+r.bsnA[8]-'0')%10)
	anna.open("/console/inzage")
	anna.set("#in-bsn", bad)
	anna.set("#in-kenmerk", "AVG-2026-0143")
	anna.submit(`main form button[type="submit"]`)
	anna.see("Niet goed ingevuld", "geen geldig BSN", "Terug naar het inzageformulier")
	if strings.Contains(anna.text("body"), bad) {
		t.Fatal("the refusal echoes the number")
	}

	// Ben approves, after logging in again: his login is older than the
	// console's fresh-login window.
	ben := r.tab(t)
	ben.login("fg-regio", "ben")
	ben.open("/console/beleid/" + key)
	ben.see("Beleidsversie " + short(v.ID))
	r.offset.Store(int64(DefaultFreshLogin + time.Minute))
	ben.submit(`a[href="/console/beleid/` + key + `/goedkeuren"]`)
	if strings.HasPrefix(ben.url(), r.srv.URL+"/console/") {
		t.Fatalf("an approval with a stale login was not sent to log in again: %s", ben.url())
	}
	// He logs in again at the provider (the provider's clock is the real
	// one, so the console's is set back first).
	r.offset.Store(0)
	ben.open(loginLink("fg-regio", true, "/console/beleid/"+key+"/goedkeuren"))
	if strings.HasPrefix(ben.url(), r.srv.URL+"/console/") {
		t.Fatalf("the fresh login did not ask Ben to log in: %s", ben.url())
	}
	ben.set(`input[name="username"]`, "ben")
	ben.submit(`button`)
	ben.see("Versie "+short(v.ID)+" goedkeuren", "U heeft zich zojuist opnieuw aangemeld")
	shot(ben, "beleid-goedkeuren")
	ben.submit(`main form button[type="submit"]`)
	ben.see("Beleid", "De versie is goedgekeurd en is nu het geldende beleid", "goedgekeurd door ben.smit (fg-regio)")
	got, err := r.svc.PolicyBundle(ctx, annaC, v.ID)
	if err != nil || got.Status != broker.PolicyActive || got.ApprovedBy == nil || got.ApprovedBy.Sub != "ben.smit" || got.ApprovedVia != "oidc:"+r.op {
		t.Fatalf("after Ben's approval: %+v %v", got.ApprovedBy, err)
	}

	// He rolls back to the built-in version (his login is fresh), and
	// rejects a further version of Anna's with a comment.
	_, bundle, _ := must(testEngine()).Builtin()
	builtinID := broker.PolicyID(bundle)
	ben.open("/console/beleid")
	ben.submit(`main table tbody tr:last-child a`)
	ben.submit(`a[href$="/terugzetten"]`)
	ben.see("Terugzetten naar versie "+short(builtinID), "weer, meteen")
	ben.submit(`main form button[type="submit"]`)
	ben.see("Beleid", "Het beleid is teruggezet")
	v2, err := r.svc.PushPolicy(ctx, annaC, changedBundle(t, "tweede ronde", true), "Tweede ronde")
	if err != nil {
		t.Fatal(err)
	}
	ben.open("/console/beleid/" + versionKey(v2.ID) + "/proefdraai")
	ben.see("Proefdraai van versie " + short(v2.ID))
	if r.changedPlanReads() && !strings.Contains(ben.text("main"), "Nu geweigerd: Uw rol mag dit niet") {
		t.Fatalf("the dry-run does not show the refused plan reads: %s", ben.text("main"))
	}
	shot(ben, "beleid-proefdraai")
	ben.open("/console/beleid/" + versionKey(v2.ID))
	ben.set("#afw-toelichting", "De toelichting verwijst naar een artikel dat niet bestaat.")
	ben.submit(`form[action$="/afwijzen"] button`)
	ben.see("Beleid", "De versie is afgewezen", "afgewezen door ben.smit (fg-regio)")

	// Olga, the operator, suspends the debt counsellor.
	olga := r.tab(t)
	olga.login("operator", "olga")
	olga.open("/console/organisaties")
	olga.see("Organisaties", "Kredietbank Eemland", "Privacybureau regio Eemland")
	shot(olga, "organisaties")
	olga.submit(`button[aria-label="Kredietbank Eemland schorsen"]`)
	olga.see("Organisaties", "Kredietbank Eemland is geschorst")
	if p, _ := r.svc.LookupPartner("kredietbank"); p.Status != broker.PartnerSuspended {
		t.Fatalf("kredietbank is %s", p.Status)
	}
	olga.submit(`button[aria-label="Kredietbank Eemland activeren"]`)
	olga.see("Organisaties", "Kredietbank Eemland is weer actief")
	// She changes its level and covenant.
	olga.open("/console/organisatie?id=kredietbank")
	olga.see("Organisatie Kredietbank Eemland wijzigen")
	olga.run(chromedp.SetValue(chromedp.CSS("#pa-niveau"), "3"))
	olga.set("#pa-convenant", "2026-2")
	olga.set("#pa-certificaten", "00000001234567890000\nKredietbank Eemland")
	olga.submit(`main form button[type="submit"]`)
	olga.see("Organisaties", "Kredietbank Eemland is gewijzigd", "2026-2")
	if p, _ := r.svc.LookupPartner("kredietbank"); p.Level != 3 || p.Covenant != "2026-2" || len(p.JWKS) == 0 ||
		strings.Join(p.ClientCerts, "|") != "00000001234567890000|Kredietbank Eemland" {
		t.Fatalf("kredietbank after the change: level %d covenant %q client certificates %q", p.Level, p.Covenant, p.ClientCerts)
	}
	// The certificates stay as they are when the form is saved unchanged,
	// and go when emptied.
	olga.open("/console/organisatie?id=kredietbank")
	olga.submit(`main form button[type="submit"]`)
	olga.see("Organisaties", "Kredietbank Eemland is gewijzigd")
	if p, _ := r.svc.LookupPartner("kredietbank"); len(p.ClientCerts) != 2 {
		t.Fatalf("an unchanged form changed the client certificates: %q", p.ClientCerts)
	}
	olga.open("/console/organisatie?id=kredietbank")
	olga.set("#pa-certificaten", " ") // SetValue cannot set ""; a space is no certificate
	olga.submit(`main form button[type="submit"]`)
	if p, _ := r.svc.LookupPartner("kredietbank"); len(p.ClientCerts) != 0 {
		t.Fatalf("emptied, the client certificates are %q", p.ClientCerts)
	}
	// And registers a new partner.
	olga.open("/console/organisatie")
	olga.see("Organisatie registreren")
	olga.set("#pa-id", "ggd-eemland")
	olga.set("#pa-naam", "GGD regio Eemland")
	olga.run(chromedp.SetValue(chromedp.CSS("#pa-sector"), string(broker.SectorHealth)), chromedp.SetValue(chromedp.CSS("#pa-niveau"), "2"),
		chromedp.Click(chromedp.CSS("#pa-rol-professional")))
	olga.set("#pa-gemeenten", "gem-amersfoort, gem-leusden")
	olga.set("#pa-convenant", "2026-1")
	olga.set("#pa-sleutels", string(testJWKS(t)))
	olga.submit(`main form button[type="submit"]`)
	olga.see("Organisaties", "GGD regio Eemland is geregistreerd", "gem-amersfoort, gem-leusden")
	// Operators search the audit trail too, without a reference.
	olga.open("/console/audit")
	olga.see("Auditlogboek", "De keten van het auditlogboek is gecontroleerd en klopt")
	olga.set("#au-organisatie", "kredietbank")
	olga.run(chromedp.SetValue(chromedp.CSS("#au-besluit"), broker.DecisionAllow))
	olga.submit(`main form button[type="submit"]`)
	olga.see("Auditlogboek", "Gevonden", "involvement.write", "kredietbank: connector")
	olga.open("/console/onbestelbaar")
	olga.see("Onbestelbare berichten", "Er zijn geen onbestelbare berichten.")
	olga.open("/console/gezondheid")
	olga.see("Gezondheid", "Ketenbrug is gereed", "De keten van het auditlogboek klopt", "sinds de vorige controle")
	olga.submit(`main form button[type="submit"]`)
	olga.see("Gezondheid", "De keten van het auditlogboek klopt", "Zojuist volledig gecontroleerd")
}

// TestBrowserOfficer: two privacy officers, a self-approval refused, an
// approval after a fresh login, the audit search by request id, the
// resident's access report, and the operator's pages, in chromium; every
// page passes axe-core.
func TestBrowserOfficer(t *testing.T) {
	start := time.Now()
	r := newRegion(t)
	officerJourney(t, r, nil)
	t.Logf("officer journey in chromium: %s", time.Since(start).Round(100*time.Millisecond))
}

// TestDiffLines: the side-by-side diff pairs changed lines, marks added and
// removed ones, and folds unchanged runs.
func TestDiffLines(t *testing.T) {
	var a, b []string
	for i := 1; i <= 20; i++ {
		a = append(a, fmt.Sprint(i))
	}
	b = append(append(b, a...), "21")
	b[3] = "X"
	rows := diffLines(a, b, true)
	var kinds []string
	for _, r := range rows {
		kinds = append(kinds, r.Kind)
	}
	if got := strings.Join(kinds, ","); got != "same,same,same,change,same,same,same,skip,same,same,same,add" {
		t.Fatalf("rows %s", got)
	}
	if rows[3].Old != "4" || rows[3].New != "X" || rows[3].OldN != 4 || rows[3].NewN != 4 || rows[7].Skipped != 10 || rows[11].NewN != 21 {
		t.Fatalf("the change: %+v %+v %+v", rows[3], rows[7], rows[11])
	}
	fs := compareFiles(map[string]string{"x.rego": "a\nb\n", "gone.rego": "z\n"}, map[string]string{"x.rego": "a\nb\n", "new.rego": "n\n"}, true)
	if len(fs) != 3 || fs[0].State != "vervallen" || fs[1].State != "nieuw" || fs[2].State != "gelijk" {
		t.Fatalf("files %+v", fs)
	}
}

// TestDryRunGroups: changes are grouped by the reason of the change.
func TestDryRunGroups(t *testing.T) {
	gs := dryRunGroups([]broker.DryRunChange{
		{Seq: 1, Before: broker.Decision{Allow: true}, After: broker.Decision{Reasons: []string{broker.ReasonNoConsent}}},
		{Seq: 2, Before: broker.Decision{Reasons: []string{broker.ReasonLevelTooLow}}, After: broker.Decision{Allow: true}},
		{Seq: 3, Before: broker.Decision{Allow: true}, After: broker.Decision{Reasons: []string{broker.ReasonNoConsent}}},
	})
	if len(gs) != 2 || len(gs[0].Changes) != 2 || !strings.HasPrefix(gs[0].Reason, "Nu geweigerd: Er is geen geldige toestemming") ||
		!strings.HasPrefix(gs[1].Reason, "Nu toegestaan (was: Het ambitieniveau") {
		t.Fatalf("groups %+v", gs)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// changedPlanReads reports whether the debt counsellor read a plan in r
// (the coordinator's journey ran first).
func (r *region) changedPlanReads() bool {
	for _, e := range r.audit(broker.ActionPlanRead) {
		if e.Partner == "kredietbank" && e.Decision == broker.DecisionAllow {
			return true
		}
	}
	return false
}
