package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// newPurposeCommand lists the purposes the caller may state: the answer to
// purpose_not_allowed.
func newPurposeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "purpose", Short: "The purposes (doelbinding) you may state, with their legal basis"}
	list := withOutput(clientCommand("list", "List the purposes your role and sector may state under the active policy", cobra.NoArgs, nil,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			purposes, err := c.ListPurposes(cmd.Context())
			if err != nil {
				return err
			}
			out := struct {
				Purposes []broker.PurposeChoice `json:"purposes"`
			}{purposes}
			return emit(cmd, out, func(w io.Writer) error {
				if len(out.Purposes) == 0 {
					fmt.Fprintln(w, "no purpose is open to your role and sector under the active policy; ask your privacy officer")
					return nil
				}
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PURPOSE\tGROUNDS\tLEGAL BASIS\tNAME")
				for _, p := range out.Purposes {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Code, p.Grounds, p.Basis, p.Name)
				}
				return tw.Flush()
			})
		}))
	cmd.AddCommand(list)
	return cmd
}
