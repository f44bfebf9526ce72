package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/inzage"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// The request reference a privacy officer's look names.
const (
	referenceFlag = "reference"
	referenceHelp = "the request this look serves, such as the access request's number (required of privacy officers; recorded in the audit trail)"
)

func newAuditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read and verify the audit trail; answer a resident's access request"}
	var from uint64
	var limit int
	var listRef, fRequest, fPartner, fAction, fDecision, fSince, fUntil string
	list := withOutput(clientCommand("list", "List audit entries (a partner's privacy officer: those of its own reach)", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&fRequest, "request", "", "only the entries of this request id (r-…, as every error names it)")
			cmd.Flags().StringVar(&fPartner, "partner", "", "only entries of this partner")
			cmd.Flags().StringVar(&fAction, "action", "", "only entries of this action, such as household.overview")
			cmd.Flags().StringVar(&fDecision, "decision", "", "allow or deny")
			cmd.Flags().StringVar(&fSince, "since", "", "from this time (RFC 3339)")
			cmd.Flags().StringVar(&fUntil, "until", "", "before this time (RFC 3339)")
			cmd.Flags().Uint64Var(&from, "from", 1, "first sequence number")
			cmd.Flags().IntVar(&limit, "limit", 50, "number of entries to read (at most 1000)")
			cmd.Flags().StringVar(&listRef, referenceFlag, "", referenceHelp)
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			q := url.Values{"from": {fmt.Sprint(from)}, "limit": {fmt.Sprint(limit)}}
			for k, v := range map[string]string{"reference": listRef, "request_id": fRequest, "partner": fPartner,
				"action": fAction, "decision": fDecision, "since": fSince, "until": fUntil} {
				if v != "" {
					q.Set(k, v)
				}
			}
			out, err := c.AuditEntries(cmd.Context(), q)
			if err != nil {
				return err
			}
			return emit(cmd, out, func(w io.Writer) error {
				printAudit(w, out.Entries)
				if out.Next != 0 {
					fmt.Fprintf(w, "more: --from %d\n", out.Next)
				}
				return nil
			})
		}))
	verify := withOutput(clientCommand("verify", "Walk the whole hash chain and report any edited, removed, inserted or reordered entry", cobra.NoArgs, nil,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			rep, err := c.VerifyAudit(cmd.Context())
			if err != nil {
				return err
			}
			if err := emit(cmd, rep, func(w io.Writer) error {
				if rep.OK {
					fmt.Fprintf(w, "audit chain intact: %s (#%d to #%d), %s\n", plural(rep.Entries, "entry", "entries"), rep.FirstSeq, rep.LastSeq,
						plural(rep.Checkpoints, "signed checkpoint", "signed checkpoints"))
				}
				for _, p := range rep.Problems {
					fmt.Fprintf(w, "PROBLEM at #%d: %s: %s\n", p.Seq, p.Kind, p.Detail)
				}
				return nil
			}); err != nil || rep.OK {
				return err
			}
			// A broken chain fails the command in either format (exit 6).
			return fmt.Errorf("%w: audit chain broken: %s", errVerificationFailed, plural(len(rep.Problems), "problem", "problems"))
		}))
	var bsnFile, format, sarRef string
	sar := clientCommand("subject-access", "Report every disclosure and denial about one resident (inzage); BSN from --bsn-file, standard input or a prompt", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&bsnFile, "bsn-file", "", "file holding the BSN ('-' for standard input)")
			cmd.Flags().StringVar(&sarRef, referenceFlag, "", referenceHelp)
			cmd.Flags().StringVar(&format, "format", "text", "text (a report for the resident) or json")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			bsn, err := readBSN(cmd, bsnFile)
			if err != nil {
				return err
			}
			rep, err := c.SubjectAccess(cmd.Context(), bsn, sarRef)
			if err != nil {
				return err
			}
			if format == "json" {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			// The purposes' names, as far as this officer's list has them.
			purposes := map[string]string{}
			if list, err := c.ListPurposes(cmd.Context()); err == nil {
				for _, p := range list {
					purposes[p.Code] = p.Name
				}
			}
			return inzage.WriteText(cmd.OutOrStdout(), rep, sarRef, purposes)
		})
	cmd.AddCommand(list, verify, sar, newAuditExportCommand(), newAuditVerifyFileCommand(), newAuditDisclosuresCommand())
	return cmd
}

func printAudit(w io.Writer, es []broker.AuditEntry) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tREQUEST\tEVENT\tPARTNER\tROLE\tACTION\tPURPOSE\tDECISION\tREASONS\tSUBJECTS")
	for _, e := range es {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", e.Seq, e.Time.Format(time.DateTime), orDash(e.RequestID), e.Event,
			orDash(e.Partner), orDash(string(e.Role)), e.Action, orDash(e.Purpose), e.Decision, orDash(strings.Join(e.Reasons, ",")), len(e.Subjects))
	}
	tw.Flush()
}
