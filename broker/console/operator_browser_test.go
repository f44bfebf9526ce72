package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ketenbrug/ketenbrug/broker"
)

// operatorJourney is the operator's work beyond partners: Olga sets a
// municipality's ambition level, binds, suspends, activates and removes a
// person key and replaces an organisation's keys, changes a login
// configuration, gives the debt counsellor a webhook, and retries a
// delivery to it that gave up. It runs after journey (household hh-7
// and its consent) and officerSetup (Olga's login).
func operatorJourney(t *testing.T, r *region, shot shooter) {
	if shot == nil {
		shot = func(*tab, string) {}
	}
	ctx := context.Background()
	olga := r.tab(t)
	olga.login("operator", "olga")

	// Municipalities and their ambition levels.
	olga.open("/console/gemeenten")
	olga.see("Gemeenten en ambitieniveaus", "Gemeente Amersfoort (wijkteam)", "Kredietbank Eemland")
	shot(olga, "gemeenten")
	olga.run(chromedp.SetValue(chromedp.CSS("#gm-gem-amersfoort"), "3"))
	olga.submit(`button[aria-label="Ambitieniveau van Gemeente Amersfoort (wijkteam) vastleggen"]`)
	olga.see("Gemeenten en ambitieniveaus", "Het ambitieniveau van Gemeente Amersfoort (wijkteam) is nu 3 (was 4).")
	if p, _ := r.svc.LookupPartner("gem-amersfoort"); p.Level != 3 {
		t.Fatalf("gem-amersfoort is at level %d", p.Level)
	}
	olga.run(chromedp.SetValue(chromedp.CSS("#gm-gem-amersfoort"), "4"))
	olga.submit(`button[aria-label="Ambitieniveau van Gemeente Amersfoort (wijkteam) vastleggen"]`)
	olga.see("Gemeenten en ambitieniveaus", "is nu 4 (was 3)")

	// Keys: a person key bound, suspended, activated and removed; the
	// organisation's keys replaced.
	olga.open("/console/organisaties")
	olga.submit(`a[aria-label="Sleutels van Kredietbank Eemland"]`)
	olga.see("Sleutels van Kredietbank Eemland", "Sleutels (kid)", "Er zijn geen personen met een persoonlijke sleutel.")
	olga.set("#sl-persoon", "p.deboer")
	olga.run(chromedp.Click(chromedp.CSS("#sl-rol-professional")))
	olga.set("#sl-pjwks", string(testJWKS(t)))
	olga.submit(`form[action="/console/organisatie/persoon"] button`)
	olga.see("Sleutels van Kredietbank Eemland", "De sleutel van p.deboer is vastgelegd.", "actief")
	shot(olga, "sleutels")
	olga.submit(`button[aria-label="p.deboer schorsen"]`)
	olga.see("Sleutels van Kredietbank Eemland", "p.deboer is geschorst")
	if p, _ := r.svc.LookupPartner("kredietbank"); p.PersonKey("p.deboer") == nil || p.PersonKey("p.deboer").Status != broker.PartnerSuspended {
		t.Fatal("p.deboer is not suspended")
	}
	olga.submit(`button[aria-label="p.deboer activeren"]`)
	olga.see("Sleutels van Kredietbank Eemland", "p.deboer is weer actief.")
	olga.submit(`button[aria-label="Sleutel van p.deboer verwijderen"]`)
	olga.see("Sleutels van Kredietbank Eemland", "De sleutel van p.deboer is verwijderd.", "Er zijn geen personen met een persoonlijke sleutel.")
	before, _ := r.svc.LookupPartner("kredietbank")
	olga.set("#sl-org", string(testJWKS(t)))
	olga.submit(`form[action="/console/organisatie/sleutels"] button`)
	olga.see("Sleutels van Kredietbank Eemland", "De sleutels van de organisatie zijn vervangen.")
	if after, _ := r.svc.LookupPartner("kredietbank"); string(after.JWKS) == string(before.JWKS) {
		t.Fatal("the organisation's keys were not replaced")
	}
	// A JWKS that is no JSON: refused, back to the form, nothing changed.
	olga.open("/console/organisatie/sleutels?id=kredietbank")
	olga.set("#sl-org", "geen sleutel")
	olga.submit(`form[action="/console/organisatie/sleutels"] button`)
	olga.see("Niet goed ingevuld", "Terug naar de sleutels")

	// The login configuration: the municipality's professionals may log
	// in too.
	olga.open("/console/organisatie/inloggen?id=gem-amersfoort")
	olga.see("Inlogregeling van Gemeente Amersfoort (wijkteam)", "Groepen en rollen")
	if v := get(olga, chromedp.Value(chromedp.CSS("#li-rollen"))); v != "coordinator=amf-regisseurs" {
		t.Fatalf("the role mapping shows %q", v)
	}
	shot(olga, "inlogregeling")
	olga.set("#li-rollen", "coordinator=amf-regisseurs\nprofessional=amf-medewerkers")
	olga.submit(`form[action="/console/organisatie/inloggen"] button`)
	olga.see("Inlogregeling van Gemeente Amersfoort (wijkteam)", "De inlogregeling is vastgelegd.")
	if p, _ := r.svc.LookupPartner("gem-amersfoort"); p.Login == nil || len(p.Login.RoleMap) != 2 || p.Login.RoleMap[1].Value != "amf-medewerkers" {
		t.Fatalf("the login configuration after the change: %+v", p.Login)
	}
	// Every change above is audited as the operator's, verified.
	for _, a := range []string{"partner.person.status", "partner.login.set"} {
		es := r.audit(a)
		if len(es) == 0 || es[len(es)-1].Sub != "o.visser" || es[len(es)-1].SubKnown != broker.SubVerified {
			t.Fatalf("%s audited as %+v", a, es)
		}
	}

	// A webhook for the debt counsellor; Sanne gives it an assignment,
	// whose delivery gives up after its last attempt.
	olga.open("/console/organisatie?id=kredietbank")
	olga.set("#pa-webhook", "https://kredietbank.example/ketenbrug")
	olga.set("#pa-convenant", "2026-1") // the region's covenant (officerJourney may have changed it)
	olga.submit(`main form button[type="submit"]`)
	olga.see("Organisaties", "Kredietbank Eemland is gewijzigd")
	sanne := r.tab(t)
	sanne.login("gem-amersfoort", "sanne")
	// The mother consents again for the child (journey withdrew it).
	sanne.open("/console/toestemming")
	sanne.set("#t-bsn", r.bsnB)
	sanne.run(chromedp.SetValue(chromedp.CSS("#t-door"), "parent"), chromedp.Click(chromedp.CSS("#doel-integrale-ondersteuning")),
		chromedp.Click(chromedp.CSS("#t-sector-debt")), chromedp.Click(chromedp.CSS("#t-sector-municipality")))
	sanne.set("#t-bewijs", "dossier AMF-2026-0042, opnieuw getekend door de moeder")
	sanne.submit(`form[action="/console/toestemming"] button[type="submit"]`)
	sanne.see("Toestemming", "Toestemming vastgelegd")
	// Piet has his inbox open (the live update: static/inbox.js).
	piet := r.tab(t)
	piet.login("kredietbank", "piet")
	piet.see("Inbox", "Nieuwe berichten verschijnen vanzelf")
	rows := piet.count("#kb-inbox tbody tr")
	piet.eval(`window.__kbSamePage = true`)
	sanne.open("/console/huishouden?id=hh-7")
	sanne.run(chromedp.SetValue(chromedp.CSS("#op-ontvanger"), "kredietbank"), chromedp.SetValue(chromedp.CSS("#op-soort"), "intake"))
	sanne.set("#op-opdracht", "Tweede intake, na de verhuizing.")
	sanne.submit(`form[action="/console/opdracht/geven"] button`)
	sanne.see("Opdracht intake", "voorgesteld")
	// It shows in Piet's inbox without a reload.
	for deadline := time.Now().Add(15 * time.Second); piet.count("#kb-inbox tbody tr") <= rows; {
		if time.Now().After(deadline) {
			t.Fatalf("the inbox did not update itself: %d rows, status %q", piet.count("#kb-inbox tbody tr"), piet.text("#kb-inbox-status"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !get(piet, chromedp.Evaluate[bool](`window.__kbSamePage === true`)) {
		t.Fatal("the inbox was reloaded, not updated")
	}
	piet.see("Inbox", "Er is een nieuw bericht binnengekomen.", "Opdracht “intake” voor huishouden hh-7: voorgesteld")
	due, _, err := r.svc.DueWebhookDeliveries(ctx, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("deliveries due: %+v, %v", due, err)
	}
	due[0].Attempts = 7
	if err := r.svc.WebhookFailed(ctx, due[0], "status 503", time.Time{}); err != nil {
		t.Fatal(err)
	}
	olga.open("/console/onbestelbaar")
	olga.see("Onbestelbare berichten", due[0].ID, "status 503", "https://kredietbank.example/ketenbrug")
	shot(olga, "onbestelbaar")
	olga.submit(`button[aria-label="Bericht ` + due[0].ID + ` opnieuw bezorgen"]`)
	olga.see("Onbestelbare berichten", "Bericht "+due[0].ID+" voor kredietbank wordt opnieuw bezorgd.", "Er zijn geen onbestelbare berichten.")
	again, _, err := r.svc.DueWebhookDeliveries(ctx, 10)
	if err != nil || len(again) != 1 || again[0].ID != due[0].ID || again[0].Attempts != 0 {
		t.Fatalf("after the retry: %+v, %v", again, err)
	}
	if !slices.ContainsFunc(r.audit("webhook.retry"), func(a broker.AuditEntry) bool {
		return a.Sub == "o.visser" && strings.HasSuffix(a.Object, due[0].ID)
	}) {
		t.Fatal("the retry is not audited as Olga's")
	}
}

// TestBrowserOperator: the operator's pages in chromium — ambition
// levels, keys and person keys, the login configuration, and a dead
// letter retried; every page passes axe-core.
func TestBrowserOperator(t *testing.T) {
	start := time.Now()
	r := newRegion(t)
	journey(t, r, nil)
	officerSetup(t, r)
	operatorJourney(t, r, nil)
	t.Logf("operator journey in chromium: %s", time.Since(start).Round(100*time.Millisecond))
}

// TestOperatorPagesRefused: the operator's forms change nothing for a
// person in another role (the domain refuses, the page says so), nor
// without the session's CSRF token.
func TestOperatorPagesRefused(t *testing.T) {
	e := newEnv(t)
	anna := e.browser(t)
	p := anna.login("partner-a", "anna") // coordinator
	csrf := csrfOf(t, p.body)
	for _, f := range []struct {
		path string
		form url.Values
	}{
		{"/console/organisatie/persoon", url.Values{"id": {"partner-a"}, "persoon": {"anna.bakker"}, "rol": {"coordinator"}, "sleutels": {string(testJWKS(t))}}},
		{"/console/organisatie/sleutels", url.Values{"id": {"partner-a"}, "sleutels": {string(testJWKS(t))}}},
		{"/console/organisatie/inloggen/verwijderen", url.Values{"id": {"partner-a"}}},
		{"/console/gemeenten", url.Values{"id": {"partner-a"}, "niveau": {"4"}}},
	} {
		before, _ := e.svc.LookupPartner("partner-a")
		f.form.Set("csrf", csrf)
		if p := anna.do(http.MethodPost, e.srv.URL+f.path, f.form); p.status != http.StatusForbidden {
			t.Errorf("a coordinator's POST %s: %d %.300s", f.path, p.status, p.body)
		}
		f.form.Del("csrf")
		if p := anna.do(http.MethodPost, e.srv.URL+f.path, f.form); p.status != http.StatusForbidden || !strings.Contains(p.body, "Formulier niet geaccepteerd") {
			t.Errorf("POST %s without the CSRF token: %d %.300s", f.path, p.status, p.body)
		}
		after, _ := e.svc.LookupPartner("partner-a")
		if len(after.Persons) != len(before.Persons) || string(after.JWKS) != string(before.JWKS) || after.Login == nil || after.Level != before.Level {
			t.Fatalf("POST %s changed partner-a", f.path)
		}
	}
}
