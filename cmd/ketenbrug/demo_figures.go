package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// figures: Leusden's policy adviser, in the analyst role, reads the
// pilot's figures — every count of a demo this small shows as <10 — and
// is refused another municipality's (as one that does not exist) and
// everything else.
func (d *demo) figures(ctx context.Context) error {
	pub, err := d.personIdentity("analist", "gem-leusden", "a.jansen", broker.RoleAnalyst)
	if err != nil {
		return err
	}
	if _, err := d.client["operator"].PutPersonKey(ctx, "gem-leusden", "a.jansen", []string{string(broker.RoleAnalyst)}, pub); err != nil {
		return fmt.Errorf("binding the analyst's key: %w", err)
	}
	c := d.client["analist"]
	st, err := c.Statistics(ctx, connectors.StatisticsQuery{})
	if err != nil {
		return err
	}
	shown, hidden := 0, 0
	for _, row := range st.Rows {
		for _, cell := range row.Cells {
			if cell.Suppressed {
				hidden++
			} else {
				shown++
			}
		}
	}
	d.say("Leusden's policy adviser (role analyst) reads the pilot's figures, %s to %s at level %d: %d figures shown, %d as <%d —",
		st.From, st.To, st.Level, shown, hidden, st.MinCell)
	why := "counts below the threshold, and those that totals would give them away by, are hidden"
	if shown == 0 {
		why = fmt.Sprintf("a region this small has no count of %d or more, and no total gives a small one away", st.MinCell)
	}
	d.detail("%s; the follow-ups count too (due, in time, late, median days to contact).", why)
	_, err = c.Statistics(ctx, connectors.StatisticsQuery{Municipality: "gem-amersfoort"})
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) {
		return fmt.Errorf("Amersfoort's figures for Leusden's analyst: %v, want a refusal", err)
	}
	_, err = c.HouseholdOverview(ctx, "hh-1042", "integrale-ondersteuning")
	var po *connectors.ProblemError
	if !errors.As(err, &po) {
		return fmt.Errorf("an overview for the analyst: %v, want a refusal", err)
	}
	d.detail("Asked for Amersfoort's: %d %s, as for a municipality that does not exist; asked for an overview: %d %s — the role reads nothing else.",
		pe.Status, pe.Code, po.Status, po.Code)
	return nil
}
