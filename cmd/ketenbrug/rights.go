package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// newRestrictionCommand is `ketenbrug restriction record|list|lift`: a
// resident's restriction (AVG art. 18) or objection (art. 21) for one
// purpose. The BSN is read from --bsn-file, standard input or a prompt,
// never from an argument.
func newRestrictionCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "restriction", Short: "Record, list and lift a resident's restriction (AVG art. 18) or objection (art. 21) for a purpose"}
	var r struct{ bsnFile, kind, purpose, ground, reference string }
	record := clientCommand("record", "Record a restriction or objection; the BSN is read from --bsn-file, standard input or a prompt", noBSNArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&r.bsnFile, "bsn-file", "", "file holding the BSN ('-' for standard input)")
			f.StringVar(&r.kind, "kind", broker.KindObjection, "restriction (AVG art. 18) or objection (AVG art. 21)")
			f.StringVar(&r.purpose, "purpose", "", "the purpose it concerns (required)")
			f.StringVar(&r.ground, "ground", "", "a restriction's ground (art. 18 lid 1): accuracy-contested, unlawful, legal-claims or objection-pending")
			f.StringVar(&r.reference, referenceFlag, "", "the number of the person's request (required of privacy officers; recorded in the audit trail)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if r.purpose == "" {
				return fmt.Errorf("name the purpose the %s concerns with --purpose", r.kind)
			}
			bsn, err := readBSN(cmd, r.bsnFile)
			if err != nil {
				return err
			}
			req := map[string]any{"bsn": bsn, "kind": r.kind, "purpose": r.purpose}
			if r.ground != "" {
				req["ground"] = r.ground
			}
			if r.reference != "" {
				req["reference"] = r.reference
			}
			out, err := c.RecordRestriction(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recorded %s %s for %s (%s)\n", out.Kind, out.ID, out.Purpose, out.State)
			return nil
		})
	var listBSN, listRef string
	list := withOutput(clientCommand("list", "List a resident's restrictions and objections, lifted ones included", noBSNArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&listBSN, "bsn-file", "", "file holding the BSN ('-' for standard input)")
			cmd.Flags().StringVar(&listRef, referenceFlag, "", referenceHelp)
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			bsn, err := readBSN(cmd, listBSN)
			if err != nil {
				return err
			}
			out, err := c.SearchRestrictions(cmd.Context(), bsn, listRef)
			if err != nil {
				return err
			}
			return emit(cmd, out, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tPURPOSE\tGROUND\tRECORDED BY\tSTATE")
				for _, v := range out {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Kind, v.Purpose, orDash(v.Ground), v.RecordedBy.Partner, v.State)
				}
				return tw.Flush()
			})
		}))
	var reason, liftRef string
	lift := clientCommand("lift ID", "Lift a restriction or objection; it stays on record, marked (tell the person first, AVG art. 18 lid 3)", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&reason, "reason", "", "why (no personal details)")
			cmd.Flags().StringVar(&liftRef, referenceFlag, "", referenceHelp)
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			out, err := c.LiftRestriction(cmd.Context(), args[0], reason, liftRef)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s is now %s\n", out.Kind, out.ID, out.State)
			return nil
		})
	cmd.AddCommand(record, list, lift)
	return cmd
}

// noBSNArgs refuses arguments without echoing them: the one a resident's
// command gets by mistake is likely a BSN, which shell history keeps.
func noBSNArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return errors.New("this command takes no arguments: give the BSN with --bsn-file or on standard input, never as an argument")
	}
	return nil
}
