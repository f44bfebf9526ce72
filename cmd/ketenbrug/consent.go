package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

func newConsentCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "consent", Short: "Record, list and withdraw a resident's consents (toestemming)"}
	var r struct {
		bsnFile, purpose, sectors, partners, givenBy, evidence, from, until string
		all, explicit, notConditional                                       bool
	}
	record := clientCommand("record", "Record a consent; the BSN is read from --bsn-file, standard input or a prompt", cobra.NoArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&r.bsnFile, "bsn-file", "", "file holding the BSN ('-' for standard input)")
			f.StringVar(&r.purpose, "purpose", "integrale-ondersteuning", "purpose the consent is for")
			f.BoolVar(&r.all, "all", false, "consent covers all partners")
			f.StringVar(&r.sectors, "sectors", "", "comma-separated sectors the consent covers")
			f.StringVar(&r.partners, "partners", "", "comma-separated partner ids the consent covers")
			f.StringVar(&r.givenBy, "given-by", "self", "self, parent, guardian or legal-representative")
			f.StringVar(&r.evidence, "evidence", "", "reference to the signed form or note in your own system (without it the default policy counts no consent)")
			f.BoolVar(&r.explicit, "explicit", false, "an explicit consent (AVG art. 9): needed for health, youth care, Wmo support and youth probation; requires --evidence")
			f.BoolVar(&r.notConditional, "not-conditional", false, "record that the support was not made conditional on this consent (AVG art. 7 lid 4; without it the default policy counts no consent)")
			f.StringVar(&r.from, "valid-from", "", "first day (YYYY-MM-DD; default today)")
			f.StringVar(&r.until, "valid-until", "", "last day (YYYY-MM-DD; default until withdrawn)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			bsn, err := readBSN(cmd, r.bsnFile)
			if err != nil {
				return err
			}
			req := map[string]any{"bsn": bsn, "purpose": r.purpose, "all": r.all, "sectors": splitList(r.sectors),
				"partners": splitList(r.partners), "given_by": r.givenBy, "evidence": r.evidence,
				"explicit": r.explicit, "not_conditional": r.notConditional,
				"valid_from": r.from, "valid_until": r.until}
			var out broker.ConsentView
			if err := c.RecordConsent(cmd.Context(), r.purpose, req, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recorded consent %s for %s (%s), valid from %s\n", out.ID, out.Purpose, out.State, out.ValidFrom)
			return nil
		})
	var listBSN, listPurpose, listRef string
	list := withOutput(clientCommand("list", "List a resident's consents, withdrawn and expired ones included", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&listBSN, "bsn-file", "", "file holding the BSN ('-' for standard input)")
			cmd.Flags().StringVar(&listPurpose, "purpose", "integrale-ondersteuning", "purpose of this look-up")
			cmd.Flags().StringVar(&listRef, referenceFlag, "", referenceHelp)
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			bsn, err := readBSN(cmd, listBSN)
			if err != nil {
				return err
			}
			var out broker.ConsentList
			if err := c.SearchConsents(cmd.Context(), listPurpose, bsn, listRef, &out); err != nil {
				return err
			}
			return emit(cmd, out, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tPURPOSE\tSCOPE\tGIVEN BY\tFROM\tUNTIL\tSTATE")
				for _, cv := range out.Consents {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cv.ID, cv.Purpose, scope(cv.Consent), cv.GivenBy, cv.ValidFrom, orDash(cv.ValidUntil), cv.State)
				}
				return tw.Flush()
			})
		}))
	var reason string
	withdraw := clientCommand("withdraw ID", "Withdraw a consent; it stays on record, marked", cobra.ExactArgs(1),
		func(cmd *cobra.Command) { cmd.Flags().StringVar(&reason, "reason", "", "why (no personal details)") },
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			var out broker.ConsentView
			if err := c.WithdrawConsent(cmd.Context(), args[0], reason, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "consent %s is now %s\n", out.ID, out.State)
			return nil
		})
	cmd.AddCommand(record, list, withdraw)
	return cmd
}

// scope says whom a consent covers: all partners, or its sectors and
// partners.
func scope(c broker.Consent) string {
	if c.AllSectors {
		return "all partners"
	}
	var parts []string
	for _, s := range c.Sectors {
		parts = append(parts, string(s))
	}
	parts = append(parts, c.Partners...)
	return strings.Join(parts, ",")
}
