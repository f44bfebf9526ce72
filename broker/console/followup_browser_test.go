package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ketenbrug/ketenbrug/broker"
)

// followupJourney is the coordinator's follow-up of matches in a real
// browser: the overdue follow-up first in her inbox, its page, a contact
// recorded, closed with an outcome. Every page passes axe-core; shot (if
// not nil) takes the screenshots.
func followupJourney(t *testing.T, r *region, shot shooter) {
	if shot == nil {
		shot = func(*tab, string) {}
	}
	// A household of its own (hh-9, members not in the main journey's
	// household): the Kredietbank registers first, then the UWV and the
	// school make matches that open follow-ups. The school's is overdue.
	ids := seedFollowups(t, r.env, testBSN(11), testBSN(12), true)
	late := time.Now().In(amsterdam).AddDate(0, 0, -3)
	r.makeOverdue(t, ids["eemland-college"], late.Format(time.DateOnly))
	if _, err := r.svc.SweepFollowups(context.Background()); err != nil { // escalates it
		t.Fatal(err)
	}

	sanne := r.tab(t)
	sanne.login("gem-amersfoort", "sanne")
	sanne.see("Inbox", "Opvolging van matches", "Te laat, uiterlijk "+late.Format("02-01-2006"), "Eemland College", "UWV Amersfoort")
	if first := sanne.text("#kb-opvolging tbody tr"); !strings.Contains(first, "Te laat") || !strings.Contains(first, "Eemland College") {
		t.Fatalf("the first follow-up in the inbox is not the overdue one: %q", first)
	}
	shot(sanne, "inbox-opvolging")
	sanne.submit(`#kb-opvolging tbody tr a`)
	sanne.see("Opvolging huishouden hh-9", "Eemland College", "Open", "Te laat:", "Eén keer gemeld", "s.bos (Gemeente Amersfoort (wijkteam))",
		"Geopend met het matchsignaal", "Afgestemd: de professionals werken samen verder")
	if u := sanne.url(); u != r.srv.URL+"/console/opvolging/"+ids["eemland-college"] {
		t.Fatalf("the follow-up is at %s", u)
	}
	shot(sanne, "opvolging")

	// She phoned the school today: the form's defaults say so.
	if got := get(sanne, chromedp.Value(chromedp.CSS("#fu-met"))); got != "eemland-college" {
		t.Fatalf("the contact form's partner is %q", got)
	}
	sanne.submit(`form[action$="/contact"] button`)
	sanne.see("Opvolging huishouden hh-9", "Contact gelegd", "Met Eemland College op "+time.Now().In(amsterdam).Format("02-01-2006"))

	// And closes it: they agreed how to go on.
	sanne.run(chromedp.Click(chromedp.CSS("#afloop-afgestemd")))
	sanne.submit(`form[action$="/afronden"] button`)
	sanne.see("Opvolging huishouden hh-9", "Afgerond", "Afgestemd: de professionals werken samen verder")
	if n := sanne.count(`form[action^="/console/opvolging/"]`); n != 0 {
		t.Fatalf("a closed follow-up offers %d forms", n)
	}
	if len(r.audit(broker.ActionFollowupContact)) != 1 || len(r.audit(broker.ActionFollowupClose)) != 1 {
		t.Fatal("the steps are not audited")
	}

	// The inbox now lists the UWV's follow-up only.
	sanne.open("/console/")
	sanne.see("Inbox", "Opvolging van matches", "UWV Amersfoort")
	if n := sanne.count("#kb-opvolging tbody tr"); n != 1 {
		t.Fatalf("%d follow-ups listed after closing one, want 1", n)
	}

	// An error names the next step, and passes axe too.
	sanne.open("/console/opvolging/" + ids["uwv"])
	// (The browser asks for an outcome first; without that check the
	// console does.)
	sanne.eval(`document.querySelectorAll('input[name="afloop"]').forEach(e => e.removeAttribute("required"))`)
	sanne.submit(`form[action$="/afronden"] button[type="submit"]`)
	sanne.see("Kies een afloop", "Wat nu?", "Terug naar de opvolging")
}

// TestBrowserFollowup: the coordinator sees the overdue follow-up first,
// records a contact and closes it with an outcome, in chromium; every
// page passes axe-core.
func TestBrowserFollowup(t *testing.T) {
	r := newRegion(t)
	followupJourney(t, r, nil)
}
