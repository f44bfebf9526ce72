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
// page passing axe-core — and nothing else for that role. (The region's
// data is of today, a month that has not ended: every figure is <10 here;
// TestStatChartDrawsShownFigures draws bars.)
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

	aisha := r.tab(t)
	aisha.login("gem-amersfoort", "aisha")
	aisha.see("Ketenbrug", "in de rol analist")
	if nav := aisha.text("nav"); strings.TrimSpace(nav) != "Cijfers" {
		t.Fatalf("the analyst's navigation: %q", nav)
	}
	aisha.open("/console/cijfers")
	aisha.see("Cijfers van gem-amersfoort", "Overzichten per maand", "Toestemmingen per maand", "<10",
		"Opvolging van matches per maand", "Opgevolgd binnen de termijn", "Mediaan dagen tot contact",
		"Hoe kleine aantallen worden afgeschermd")
	if n := aisha.count(`svg[role="img"]`); n != len(chartGroups) {
		t.Errorf("%d charts, want %d", n, len(chartGroups))
	}
	if n := aisha.count(`section.kb-chart-pair table`); n != len(chartGroups)+len(tableGroups) {
		t.Errorf("%d tables, want one beside every chart and %d more", n, len(tableGroups))
	}
	// Another period, by the form; the month still running is not
	// counted yet, and the page says so.
	aisha.set("#van", "2026-01")
	aisha.set("#tot", "2026-03")
	aisha.submit(`main form button[type="submit"]`)
	aisha.see("Cijfers van gem-amersfoort", "januari 2026 tot en met maart 2026")
	if u := aisha.url(); !strings.Contains(u, "van=2026-01") || !strings.Contains(u, "tot=2026-03") {
		t.Errorf("the period is not in the address: %s", u)
	}
	month := time.Now().In(amsterdam).Format("2006-01")
	aisha.open("/console/cijfers?van=" + month)
	aisha.see("Niet goed ingevuld", "has not ended yet")
	// Another municipality: as one that does not exist.
	aisha.open("/console/cijfers?gemeente=gem-leusden")
	aisha.see("Niet gevonden")
	// Nothing else: the audit trail and the inbox are refused.
	for _, path := range []string{"/console/audit", "/console/huishoudens"} {
		aisha.open(path)
		aisha.see("Niet toegestaan", "U mag dit in uw rol niet doen")
	}
}
