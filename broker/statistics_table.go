package broker

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// table turns the raw figures into the answer: medians, and the
// suppression of every small cell, month by month (statistics_suppress.go).
func (c *statCounts) table(minCell int) Statistics {
	measures := statisticsMeasures()
	var countKeys []string
	for _, ms := range measures {
		if ms.Kind == "count" {
			countKeys = append(countKeys, ms.Key)
		}
	}
	out := Statistics{Measures: measures, NotAvailable: slices.Clone(statisticsGaps), Suppression: suppressionMethod(minCell)}
	for _, m := range c.months {
		counts := c.count[m]
		counts[measureOverviewsAsked] = counts[measureOverviewsAllowed] + counts[measureOverviewsDenied]
		g := newCellGrid(1, countKeys)
		for j, k := range countKeys {
			g.val[j] = counts[k]
		}
		hidden := g.suppress(minCell)
		row := StatisticsRow{Month: m, Cells: map[string]StatisticsCell{}}
		for j, k := range countKeys {
			row.Cells[k] = countCell(g.val[j], hidden[j], minCell)
		}
		for med, of := range medianOf {
			xs := c.days[m][med]
			if len(xs) < minCell || row.Cells[of].Suppressed {
				row.Cells[med] = suppressedCell(minCell)
				continue
			}
			v := math.Round(median(xs)*10) / 10
			row.Cells[med] = StatisticsCell{Value: &v, Text: strconv.FormatFloat(v, 'f', 1, 64)}
		}
		// The level in force at the end of the month: the municipality's
		// own choice, not a count, never suppressed.
		row.Cells[measureLevel] = c.levelAt(m)
		out.Rows = append(out.Rows, row)
	}
	out.HouseholdsMultiPartner = householdsCell(c.multiPartner, minCell)
	return out
}

// householdsCell is the count of households now, hidden below minCell and
// rounded down to a multiple of 5 above it: the figure changes from day
// to day, and two exact answers a day apart would tell that one household
// got (or lost) a second partner in between.
func householdsCell(n, minCell int) StatisticsCell {
	if n < minCell {
		return suppressedCell(minCell)
	}
	return countCell(max(minCell, n-n%5), false, minCell)
}

// levelAt is the level recorded last before month (YYYY-MM) ended; "-"
// when none was recorded by then.
func (c *statCounts) levelAt(month string) StatisticsCell {
	start, err := time.ParseInLocation("2006-01", month, statisticsZone)
	if err != nil {
		return StatisticsCell{Text: "-"}
	}
	end := start.AddDate(0, 1, 0)
	level := 0
	for _, l := range c.levels {
		if l.at.Before(end) {
			level = l.level
		}
	}
	if level == 0 {
		return StatisticsCell{Text: "-"}
	}
	v := float64(level)
	return StatisticsCell{Value: &v, Text: strconv.Itoa(level)}
}

func countCell(n int, hidden bool, minCell int) StatisticsCell {
	if hidden {
		return suppressedCell(minCell)
	}
	v := float64(n)
	return StatisticsCell{Value: &v, Text: strconv.Itoa(n)}
}

func suppressedCell(minCell int) StatisticsCell {
	return StatisticsCell{Suppressed: true, Text: "<" + strconv.Itoa(minCell)}
}

// median of xs (not empty).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
