package console

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A chart draws a bar for each shown figure, at its height, and a mark on
// the baseline for each hidden one; its table holds the same figures.
func TestStatChartDrawsShownFigures(t *testing.T) {
	v12, v40 := 12.0, 40.0
	cell := func(v *float64) broker.StatisticsCell {
		if v == nil {
			return broker.StatisticsCell{Suppressed: true, Text: "<10"}
		}
		return broker.StatisticsCell{Value: v, Text: strconv.Itoa(int(*v))}
	}
	st := broker.Statistics{From: "2026-01", To: "2026-02", MinCell: 10,
		Measures: []broker.StatisticsMeasure{
			{Key: "a", Label: "A", Kind: "count", Group: "g"},
			{Key: "b", Label: "B", Kind: "count", Group: "g"},
			{Key: "c", Label: "C", Kind: "count", Group: "other"},
		},
		Rows: []broker.StatisticsRow{
			{Month: "2026-01", Cells: map[string]broker.StatisticsCell{"a": cell(&v12), "b": cell(nil), "c": cell(nil)}},
			{Month: "2026-02", Cells: map[string]broker.StatisticsCell{"a": cell(&v40), "b": cell(&v12), "c": cell(nil)}},
		}}
	c := newStatChart(&st, "g", "G")
	if len(c.Bars) != 3 || len(c.Hidden) != 1 || len(c.Series) != 2 || len(c.Months) != 2 {
		t.Fatalf("bars %d, hidden %d, series %d, months %d", len(c.Bars), len(c.Hidden), len(c.Series), len(c.Months))
	}
	// The axis runs to 50; 40 is four fifths of the plot's height.
	plotH := chartHeight - chartTop - chartBottom
	if c.Ticks[len(c.Ticks)-1].Label != "50" || c.Bars[1].H != plotH*4/5 || c.Bars[1].Y+c.Bars[1].H != c.Base {
		t.Errorf("scale: top tick %q, bar %+v, base %d", c.Ticks[len(c.Ticks)-1].Label, c.Bars[1], c.Base)
	}
	if !strings.Contains(c.Desc, "1 van de 4 cijfers") {
		t.Errorf("description: %s", c.Desc)
	}
	if len(c.Rows) != 2 || c.Rows[0].Month != "januari 2026" || c.Rows[0].Cells[0] != "12" || c.Rows[0].Cells[1] != "<10" {
		t.Errorf("table %+v", c.Rows)
	}
}
