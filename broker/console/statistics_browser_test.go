package console

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestBrowserStatistics: the analyst's one page in chromium — the figures
// drawn as SVG charts, each beside its table, small counts as <10, every
// page passing axe-core — and nothing else for that role.
func TestBrowserStatistics(t *testing.T) {
	r := newRegion(t)
	ctx := context.Background()
	p, err := r.svc.LookupPartner("gem-amersfoort")
	if err != nil {
		t.Fatal(err)
	}
	q := *p
	q.Roles = append(slices.Clone(q.Roles), broker.RoleAnalyst)
	if _, err := r.svc.UpdatePartner(ctx, r.operator, q); err != nil {
		t.Fatal(err)
	}
	r.setLogin("gem-amersfoort", "broker-amf", "coordinator=amf-regisseurs", "analyst=amf-analisten")

	gem, _ := r.svc.LookupPartner("gem-amersfoort")
	coord := &broker.Caller{Partner: *gem, Sub: "s.bos", Role: broker.RoleCoordinator, Purpose: "integrale-ondersteuning",
		RequestID: "r-seed-stat", Person: broker.Person{ID: "s.bos", Verified: true, Via: "key:test"}}
	// This month: a household asked about twelve times (a figure that
	// shows when asked for this month alone; over twelve months it hides,
	// or the period's total would tell that the other months are 0).
	if _, err := r.svc.PutHousehold(ctx, coord, "hh-9", broker.HouseholdInput{Municipality: "gem-amersfoort",
		Members: []broker.MemberInput{{Label: "Moeder", Role: broker.MemberParent, BirthYear: 1985, BSN: r.bsnA}}}); err != nil {
		t.Fatal(err)
	}
	for range 12 {
		if _, err := r.svc.HouseholdOverview(ctx, coord, "hh-9"); err != nil {
			t.Fatal(err)
		}
	}

	aisha := r.tab(t)
	aisha.login("gem-amersfoort", "aisha")
	aisha.see("Ketenbrug", "in de rol analist")
	if nav := aisha.text("nav"); strings.TrimSpace(nav) != "Cijfers" {
		t.Fatalf("the analyst's navigation: %q", nav)
	}
	aisha.open("/console/cijfers")
	aisha.see("Cijfers van gem-amersfoort", "Overzichten per maand", "Toestemmingen per maand", "<10",
		"Nog niet beschikbaar", "Matchsignalen opgevolgd binnen de termijn", "Hoe kleine aantallen worden afgeschermd")
	if n := aisha.count(`svg[role="img"]`); n != len(chartGroups) {
		t.Errorf("%d charts, want %d", n, len(chartGroups))
	}
	if n := aisha.count(`section.kb-chart-pair table`); n != len(chartGroups)+len(tableGroups) {
		t.Errorf("%d tables, want one beside every chart and %d more", n, len(tableGroups))
	}
	// This month alone, by the form: its twelve overviews are a bar.
	month := time.Now().In(amsterdam).Format("2006-01")
	aisha.set("#van", month)
	aisha.set("#tot", month)
	aisha.submit(`main form button[type="submit"]`)
	aisha.see("Cijfers van gem-amersfoort", "Overzichten per maand")
	if u := aisha.url(); !strings.Contains(u, "van="+month) || !strings.Contains(u, "tot="+month) {
		t.Errorf("the period is not in the address: %s", u)
	}
	if n := aisha.count(`svg[role="img"] rect.kb-bar-0`); n < 1 {
		t.Errorf("no bar of the twelve overviews: %.2000s", aisha.text("main"))
	}
	// Another municipality: as one that does not exist.
	aisha.open("/console/cijfers?gemeente=gem-leusden")
	aisha.see("Niet gevonden")
	// Nothing else: the audit trail and the inbox are refused.
	for _, path := range []string{"/console/audit", "/console/huishoudens"} {
		aisha.open(path)
		aisha.see("Niet toegestaan", "U mag dit in uw rol niet doen")
	}
}
