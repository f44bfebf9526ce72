package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

func newStatisticsCommand() *cobra.Command {
	var q connectors.StatisticsQuery
	var output string
	return clientCommand("statistics",
		"The pilot's figures of a municipality per month, without personal data (small counts show as <10)", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&q.Municipality, "municipality", "", "the municipality's partner id (default: your own, when your organisation serves one)")
			cmd.Flags().StringVar(&q.From, "from", "", "first month, YYYY-MM (default: eleven months before --to)")
			cmd.Flags().StringVar(&q.To, "to", "", "last month, YYYY-MM, included (default, and at most: the last month that has ended)")
			cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			out := cmd.OutOrStdout()
			switch output {
			case "csv":
				body, err := c.StatisticsCSV(cmd.Context(), q)
				if err != nil {
					return err
				}
				_, err = out.Write(body)
				return err
			case "json", "table":
			default:
				return fmt.Errorf("--output %q: use table, json or csv", output)
			}
			st, err := c.Statistics(cmd.Context(), q)
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(out, st)
			}
			return printStatistics(out, &st)
		})
}

// printStatistics writes the figures as a table: one line per measure, one
// column per month (no total: the broker publishes none, see the README).
func printStatistics(w io.Writer, st *wire.Statistics) error {
	fmt.Fprintf(w, "%s, %s to %s, ambition level %d; counts below %d show as <%d\n", st.Municipality, st.From, st.To,
		st.Level, st.MinCell, st.MinCell)
	fmt.Fprintf(w, "households served by two or more partners now: %s\n\n", st.HouseholdsMultiPartner.Text)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "measure\t")
	for _, r := range st.Rows {
		fmt.Fprintf(tw, "%s\t", r.Month)
	}
	fmt.Fprint(tw, "\n")
	for _, m := range st.Measures {
		fmt.Fprintf(tw, "%s\t", m.Key)
		for _, r := range st.Rows {
			fmt.Fprintf(tw, "%s\t", r.Cells[m.Key].Text)
		}
		fmt.Fprint(tw, "\n")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, g := range st.NotAvailable {
		fmt.Fprintf(w, "not yet available: %s (%s)\n", g.Key, g.Reason)
	}
	return nil
}
