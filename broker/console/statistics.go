package console

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The pilot's figures (/console/cijfers): the same Service.Statistics as
// GET /v1/statistics, drawn as bar charts in server-rendered SVG (no
// script, nothing inline but presentation attributes, so the strict CSP
// holds), each beside a table of exactly its figures, so that a screen
// reader, a keyboard and a printout get all of it. A suppressed figure
// is no bar, its table cell "<10".

var statisticsRoles = []broker.Role{broker.RoleAnalyst, broker.RolePrivacyOfficer, broker.RoleOperator}

func (h *Handler) statisticsPages() {
	h.Nav("Cijfers", "/console/cijfers", statisticsRoles...)
	h.Action("GET /console/cijfers", false, h.statistics)
}

// analystPages are the only pages the analyst role opens: the start page
// and the figures. Any other page is refused before its handler runs, and
// the refusal is audited, as in the API; the domain would refuse most of
// them anyway, this keeps even empty forms away.
var analystPages = map[string]bool{"GET /console/{$}": true, "GET /console/cijfers": true}

func (h *Handler) analystGate(r *http.Request, c *broker.Caller, pattern string) error {
	if c.Role != broker.RoleAnalyst || analystPages[pattern] {
		return nil
	}
	return h.b.RefuseAnalyst(r.Context(), c, pattern)
}

// chartGroups are the charts, each over the measures of one group (the
// denials by reason and the medians are tables only: eleven bars a
// month, or days beside counts, would not read as a chart).
var chartGroups = []struct{ group, title string }{
	{"overviews", "Overzichten"},
	{"signals", "Matchsignalen"},
	{"followups", "Opvolging van matches"},
	{"assignments", "Opdrachten"},
	{"plans", "Gezamenlijke plannen"},
	{"consents", "Toestemmingen"},
}

var tableGroups = []struct{ group, title string }{
	{"denials", "Geweigerde overzichten naar reden"},
	{"assignment_days", "Doorlooptijd van opdrachten (mediaan, dagen)"},
	{"followup_days", "Tijd tot contact na een match (mediaan, dagen)"},
	{"level", "Ambitieniveau"},
}

// statistics shows the question's form and, once a municipality is
// known, its figures.
func (h *Handler) statistics(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	q := r.URL.Query()
	sq := broker.StatisticsQuery{Municipality: strings.TrimSpace(q.Get("gemeente")), From: q.Get("van"), To: q.Get("tot"), By: broker.StatisticsByMonth}
	if sq.Municipality == "" && len(c.Partner.Municipalities) == 1 {
		sq.Municipality = c.Partner.Municipalities[0]
	}
	d := view{"Q": sq}
	if sq.Municipality == "" {
		return h.show(w, r, c, s, "statistics", "Cijfers", d)
	}
	st, err := h.b.Statistics(r.Context(), c, sq)
	if err != nil {
		return back(err, "/console/cijfers", "Terug naar de cijfers")
	}
	d["Q"] = broker.StatisticsQuery{Municipality: st.Municipality, From: st.From, To: st.To}
	d["S"] = st
	var charts []statChart
	for _, g := range chartGroups {
		charts = append(charts, newStatChart(&st, g.group, g.title))
	}
	var tables []statTable
	for _, g := range tableGroups {
		tables = append(tables, newStatTable(&st, g.group, g.title))
	}
	d["Charts"], d["Tables"] = charts, tables
	d["Period"] = monthName(st.From) + " tot en met " + monthName(st.To)
	return h.show(w, r, c, s, "statistics", "Cijfers van "+st.Municipality, d)
}

// statTable is a group's figures as a table: a row per month and the
// total, a column per measure.
type statTable struct {
	ID, Title string
	Head      []string
	Rows      []statTableRow
}

type statTableRow struct {
	Month string
	Cells []string
}

func groupMeasures(st *broker.Statistics, group string) []broker.StatisticsMeasure {
	var out []broker.StatisticsMeasure
	for _, m := range st.Measures {
		if m.Group == group {
			out = append(out, m)
		}
	}
	return out
}

func newStatTable(st *broker.Statistics, group, title string) statTable {
	t := statTable{ID: "tabel-" + group, Title: title}
	ms := groupMeasures(st, group)
	for _, m := range ms {
		t.Head = append(t.Head, m.Label)
	}
	add := func(label string, row broker.StatisticsRow) {
		tr := statTableRow{Month: label}
		for _, m := range ms {
			tr.Cells = append(tr.Cells, dutchNumber(row.Cells[m.Key].Text))
		}
		t.Rows = append(t.Rows, tr)
	}
	for _, row := range st.Rows {
		add(monthName(row.Month), row)
	}
	return t
}

// statChart is a grouped bar chart of one group's counts per month, with
// its table.
type statChart struct {
	statTable
	Desc          string
	Width, Height int
	Left, Base    int // the plot's left edge and baseline
	Series        []statSeries
	Bars          []statBar
	Hidden        []statBar // suppressed figures: a mark, no bar
	Ticks         []statTick
	Months        []statTick
}

type statSeries struct{ Label, Class string }

type statBar struct {
	X, Y, W, H int
	Class      string
}

type statTick struct {
	X, Y  int
	Label string
}

// Geometry of a chart, in SVG user units.
const (
	chartWidth, chartHeight = 640, 260
	chartLeft, chartRight   = 48, 8
	chartTop, chartBottom   = 12, 40
)

func newStatChart(st *broker.Statistics, group, title string) statChart {
	ms := groupMeasures(st, group)
	c := statChart{statTable: newStatTable(st, group, title), Width: chartWidth, Height: chartHeight,
		Left: chartLeft, Base: chartHeight - chartBottom}
	c.ID = "grafiek-" + group
	maxV := 0.0
	for _, row := range st.Rows {
		for _, m := range ms {
			if v := row.Cells[m.Key].Value; v != nil {
				maxV = math.Max(maxV, *v)
			}
		}
	}
	top := niceCeil(maxV)
	plotW, plotH := chartWidth-chartLeft-chartRight, chartHeight-chartTop-chartBottom
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.Ticks = append(c.Ticks, statTick{X: chartLeft - 6, Y: c.Base - int(math.Round(float64(plotH)*float64(i)/4)),
			Label: dutchNumber(strconv.FormatFloat(v, 'f', -1, 64))})
	}
	for i, m := range ms {
		c.Series = append(c.Series, statSeries{Label: m.Label, Class: fmt.Sprintf("kb-bar-%d", i)})
	}
	n := len(st.Rows)
	groupW := float64(plotW) / float64(max(n, 1))
	barW := max(1, int(groupW*0.8/float64(max(len(ms), 1))))
	hidden := 0
	for r, row := range st.Rows {
		x0 := float64(chartLeft) + groupW*float64(r) + groupW*0.1
		c.Months = append(c.Months, statTick{X: int(float64(chartLeft) + groupW*(float64(r)+0.5)), Y: c.Base + 16, Label: shortMonth(row.Month)})
		for i, m := range ms {
			x := int(x0) + i*barW
			cell := row.Cells[m.Key]
			if cell.Value == nil {
				hidden++
				c.Hidden = append(c.Hidden, statBar{X: x, Y: c.Base - 3, W: max(barW-1, 1), H: 3, Class: "kb-bar-hidden"})
				continue
			}
			hgt := int(math.Round(*cell.Value / top * float64(plotH)))
			c.Bars = append(c.Bars, statBar{X: x, Y: c.Base - hgt, W: max(barW-1, 1), H: hgt, Class: c.Series[i].Class})
		}
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Label
	}
	c.Desc = fmt.Sprintf("Staafdiagram per maand, %s tot en met %s: %s. %d van de %d cijfers zijn kleiner dan %d of worden afgeschermd; zij staan als streepje op de basislijn. De tabel ernaast geeft alle cijfers.",
		monthName(st.From), monthName(st.To), strings.Join(names, ", "), hidden, n*len(ms), st.MinCell)
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 10),
// so that the axis reads in round numbers.
func niceCeil(v float64) float64 {
	if v <= 10 {
		return 10
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 2, 5, 10} {
		if f*p >= v {
			return f * p
		}
	}
	return 10 * p
}

var monthNames = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}

// monthName writes YYYY-MM as "januari 2026".
func monthName(ym string) string {
	y, m, ok := strings.Cut(ym, "-")
	n, err := strconv.Atoi(m)
	if !ok || err != nil || n < 1 || n > 12 {
		return ym
	}
	return monthNames[n-1] + " " + y
}

// shortMonth writes YYYY-MM as "jan" (with the year in January).
func shortMonth(ym string) string {
	y, m, _ := strings.Cut(ym, "-")
	n, err := strconv.Atoi(m)
	if err != nil || n < 1 || n > 12 {
		return ym
	}
	if n == 1 {
		return "jan " + y[len(y)-2:]
	}
	return monthNames[n-1][:3]
}

// dutchNumber writes a figure the Dutch way: a decimal comma.
func dutchNumber(s string) string { return strings.Replace(s, ".", ",", 1) }
