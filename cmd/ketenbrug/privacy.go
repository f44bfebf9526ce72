package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/inzage"
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
	list := clientCommand("list", "List a resident's consents, withdrawn and expired ones included", cobra.NoArgs,
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
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPURPOSE\tSCOPE\tGIVEN BY\tFROM\tUNTIL\tSTATE")
			for _, cv := range out.Consents {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cv.ID, cv.Purpose, scope(cv.Consent), cv.GivenBy, cv.ValidFrom, orDash(cv.ValidUntil), cv.State)
			}
			return tw.Flush()
		})
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

// The request reference a privacy officer's look names.
const (
	referenceFlag = "reference"
	referenceHelp = "the request this look serves, such as the access request's number (required of privacy officers; recorded in the audit trail)"
)

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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func newPolicyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Test, push, dry-run, approve and roll back Rego policy bundles (privacy officer)"}
	cmd.AddCommand(newPolicyTestCommand(), newPolicyRegisterCommand())
	var note string
	push := clientCommand("push DIR", "Pack DIR as an OPA bundle and upload it; the broker compiles it and runs its tests", cobra.ExactArgs(1),
		func(cmd *cobra.Command) { cmd.Flags().StringVar(&note, "note", "", "what changed and why") },
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			bundle, err := packBundle(args[0])
			if err != nil {
				return err
			}
			var v broker.PolicyVersion
			if err := c.PushPolicy(cmd.Context(), bundle, note, &v); err != nil {
				var pe *connectors.ProblemError
				if errors.As(err, &pe) && len(pe.Report) > 0 {
					var rep broker.PolicyReport
					if json.Unmarshal(pe.Report, &rep) == nil {
						printReport(cmd.ErrOrStderr(), rep)
					}
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "stored policy version %s (%s): %d tests passed\n", shortID(v.ID), v.Status, v.Report.Passed)
			if v.Status == broker.PolicyPending {
				fmt.Fprintf(cmd.OutOrStdout(), "next: `ketenbrug policy dry-run %s`, then a second privacy officer runs `ketenbrug policy approve %s`\n", shortID(v.ID), shortID(v.ID))
			}
			return nil
		})
	list := clientCommand("list", "List the policy versions", cobra.NoArgs, nil,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			var out struct {
				Versions []broker.PolicyVersion `json:"versions"`
			}
			if err := c.ListPolicies(cmd.Context(), &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tSTATUS\tUPLOADED\tBY\tAPPROVED BY\tTESTS\tNOTE")
			for _, v := range out.Versions {
				approver := "-"
				if v.ApprovedBy != nil {
					approver = v.ApprovedBy.Partner + "/" + v.ApprovedBy.Sub
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s/%s\t%s\t%d\t%s\n", shortID(v.ID), v.Status, v.UploadedAt.Format(time.DateTime),
					v.UploadedBy.Partner, v.UploadedBy.Sub, approver, v.Report.Passed, v.Note)
			}
			return tw.Flush()
		})
	var n int
	dry := clientCommand("dry-run VERSION", "Replay recent decisions against VERSION and show what would change", cobra.ExactArgs(1),
		func(cmd *cobra.Command) { cmd.Flags().IntVar(&n, "n", 1000, "number of recent decisions") },
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			var rep broker.DryRunReport
			if err := c.DryRunPolicy(cmd.Context(), args[0], n, &rep); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "version %s against the active %s: %d decisions replayed, %d would change, %d errors\n",
				shortID(rep.Version), shortID(rep.Active), rep.Compared, rep.Changed, rep.Errors)
			for _, ex := range rep.Examples {
				fmt.Fprintf(cmd.OutOrStdout(), "  #%d %s: allow %v %v -> allow %v %v\n", ex.Seq, ex.Action,
					ex.Before.Allow, ex.Before.Reasons, ex.After.Allow, ex.After.Reasons)
			}
			return nil
		})
	step := func(use string, take func(*connectors.Client, context.Context, string, any) error, short string) *cobra.Command {
		return clientCommand(use+" VERSION", short, cobra.ExactArgs(1), nil,
			func(cmd *cobra.Command, c *connectors.Client, args []string) error {
				var v broker.PolicyVersion
				if err := take(c, cmd.Context(), args[0], &v); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "policy version %s is now %s\n", shortID(v.ID), v.Status)
				return nil
			})
	}
	var inFile, version, request, explainRef string
	explain := clientCommand("explain", "Ask the policy a hypothetical question (what-if) from an input document, or replay a recorded request (--request)", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&inFile, "input", "", "input document (JSON, the policy's input schema; '-' for standard input)")
			cmd.Flags().StringVar(&version, "version", "", "policy version (default: the active one)")
			cmd.Flags().StringVar(&request, "request", "", "replay the recorded decisions of this request id (r-…, as audit entries and error pages show it) instead of --input")
			cmd.Flags().StringVar(&explainRef, referenceFlag, "", referenceHelp+" (with --request)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if request != "" {
				if inFile != "" {
					return usageError{errors.New("give --input (a what-if question) or --request (a recorded request), not both")}
				}
				return replayRequest(cmd, c, request, version, explainRef)
			}
			var raw []byte
			var err error
			if inFile == "-" {
				raw, err = io.ReadAll(cmd.InOrStdin())
			} else if inFile != "" {
				raw, err = os.ReadFile(inFile)
			} else {
				err = usageError{errors.New("--input FILE (a what-if question) or --request REQUEST-ID (replay a recorded request) is required")}
			}
			if err != nil {
				return err
			}
			var x broker.Explanation
			if err := c.ExplainPolicy(cmd.Context(), version, raw, &x); err != nil {
				return err
			}
			if err := printJSON(cmd.OutOrStdout(), x.Decision); err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), x.Text)
			return err
		})
	cmd.AddCommand(push, list, dry,
		step("approve", (*connectors.Client).ApprovePolicy, "Approve VERSION and make it active (a second privacy officer)"),
		step("rollback", (*connectors.Client).RollbackPolicy, "Make an earlier, once-active VERSION active again"),
		newPolicyRejectCommand(),
		explain)
	return cmd
}

func printReport(w io.Writer, rep broker.PolicyReport) {
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d errored\n", rep.Passed, rep.Failed, rep.Errored)
	for _, t := range rep.Tests {
		if !t.Pass {
			fmt.Fprintf(w, "  FAIL %s.%s %s\n", t.Package, t.Name, t.Error)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "  "+n)
	}
}

func newAuditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read and verify the audit trail; answer a resident's access request"}
	var from uint64
	var limit int
	var listRef, fRequest, fPartner, fAction, fDecision, fSince, fUntil string
	list := clientCommand("list", "List audit entries (a partner's privacy officer: those of its own reach)", cobra.NoArgs,
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
			var out broker.AuditPage
			if err := c.AuditEntries(cmd.Context(), q, &out); err != nil {
				return err
			}
			printAudit(cmd.OutOrStdout(), out.Entries)
			if out.Next != 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "more: --from %d\n", out.Next)
			}
			return nil
		})
	verify := clientCommand("verify", "Walk the whole hash chain and report any edited, removed, inserted or reordered entry", cobra.NoArgs, nil,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			var rep broker.AuditVerification
			if err := c.VerifyAudit(cmd.Context(), &rep); err != nil {
				return err
			}
			if rep.OK {
				fmt.Fprintf(cmd.OutOrStdout(), "audit chain intact: %s (#%d to #%d), %s\n", plural(rep.Entries, "entry", "entries"), rep.FirstSeq, rep.LastSeq,
					plural(rep.Checkpoints, "signed checkpoint", "signed checkpoints"))
				return nil
			}
			for _, p := range rep.Problems {
				fmt.Fprintf(cmd.OutOrStdout(), "PROBLEM at #%d: %s: %s\n", p.Seq, p.Kind, p.Detail)
			}
			return fmt.Errorf("%w: audit chain broken: %s", errVerificationFailed, plural(len(rep.Problems), "problem", "problems"))
		})
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
			var rep broker.SubjectAccessReport
			if err := c.SubjectAccess(cmd.Context(), bsn, sarRef, &rep); err != nil {
				return err
			}
			if format == "json" {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			// The purposes' names, as far as this officer's list has them.
			purposes := map[string]string{}
			var list PurposeListView
			if c.ListPurposes(cmd.Context(), &list) == nil {
				for _, p := range list.Purposes {
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

// printSubjectAccess renders the report for the resident: plain language,
// one event a paragraph.
func newBackupCommand() *cobra.Command {
	var out string
	return clientCommand("backup", "Download a consistent copy of the broker's store while it serves (operator)", cobra.NoArgs,
		func(cmd *cobra.Command) { cmd.Flags().StringVar(&out, "out", "", "file to write the backup to") },
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if out == "" {
				return errors.New("--out FILE is required")
			}
			backup, err := c.Backup(cmd.Context())
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, backup, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes, signature verified)\n", out, len(backup))
			return nil
		})
}

// newPolicyRejectCommand refuses a pending version with a comment.
func newPolicyRejectCommand() *cobra.Command {
	var comment string
	return clientCommand("reject VERSION", "Reject a pending VERSION, saying why (it is never approved; the uploader pushes a corrected one)", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&comment, "comment", "", "why it is rejected (required; no personal data)")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			if strings.TrimSpace(comment) == "" {
				return usageError{errors.New("say why with --comment, so that the uploader can correct it")}
			}
			var v broker.PolicyVersion
			if err := c.RejectPolicy(cmd.Context(), args[0], comment, &v); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "policy version %s is now %s\n", shortID(v.ID), v.Status)
			return nil
		})
}

// replayRequest prints the recorded decisions of request, decided again.
func replayRequest(cmd *cobra.Command, c *connectors.Client, request, version, ref string) error {
	q := url.Values{}
	for k, v := range map[string]string{"version": version, "reference": ref} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var rep broker.Replay
	if err := c.ReplayRequest(cmd.Context(), request, q, &rep); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "request %s, %s replayed under policy version %s\n", rep.RequestID, plural(len(rep.Decisions), "decision", "decisions"), shortID(rep.Version))
	for _, d := range rep.Decisions {
		change := "the same now"
		if d.Changed {
			change = "DIFFERENT now"
		}
		fmt.Fprintf(w, "\n%s  %s: then %s, now %s — %s\n", d.Time.Format(time.DateTime), d.Action, verdictText(d.Recorded), verdictText(d.Replayed), change)
		fmt.Fprintln(w, strings.TrimSpace(d.Text))
	}
	return nil
}

// verdictText says allow or deny with the reasons of a denial.
func verdictText(d broker.Decision) string {
	if d.Allow {
		return "allow"
	}
	return "deny (" + strings.Join(d.Reasons, ", ") + ")"
}

// PurposeListView is the answer of GET /v1/purposes.
type PurposeListView struct {
	Purposes []broker.PurposeChoice `json:"purposes"`
}
