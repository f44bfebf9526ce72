package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// newAuditDisclosuresCommand is `ketenbrug audit disclosures`: what a
// partner was shown, or what was shown about a person, in a period (breach
// support, AVG art. 33 and 34). The BSN is read from a file or standard
// input, never an argument.
func newAuditDisclosuresCommand() *cobra.Command {
	var q broker.DisclosureQuery
	var bsnFile, format string
	return clientCommand("disclosures", "What partner X was shown, or what was shown about a person, between --from and --to (region's privacy office, operator)", cobra.NoArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&q.Partner, "partner", "", "the partner whose disclosures to list")
			f.StringVar(&bsnFile, "bsn-file", "", "file holding the person's BSN ('-' for standard input), instead of --partner")
			f.StringVar(&q.From, "from", "", "start: an RFC 3339 time or a date (YYYY-MM-DD)")
			f.StringVar(&q.To, "to", "", "end: an RFC 3339 time or a date (that whole day included)")
			f.StringVar(&q.Reference, referenceFlag, "", "the case this query serves, such as the breach's number (required; recorded in the audit trail)")
			f.StringVar(&format, "format", "csv", "csv, ndjson or json")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if (q.Partner == "") == (bsnFile == "") {
				return errors.New("name either --partner ID or --bsn-file FILE")
			}
			switch format {
			case "csv", "ndjson", "json":
			default:
				return errors.New("--format must be csv, ndjson or json")
			}
			if bsnFile != "" {
				bsn, err := readBSN(cmd, bsnFile)
				if err != nil {
					return err
				}
				q.BSN = bsn
			}
			report, err := c.AuditDisclosures(cmd.Context(), format, q)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(report)
			return err
		})
}
