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
	"github.com/ketenbrug/ketenbrug/connectors"
)

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
			v, err := c.PushPolicy(cmd.Context(), bundle, note)
			if err != nil {
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
	list := withOutput(clientCommand("list", "List the policy versions", cobra.NoArgs, nil,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			versions, err := c.ListPolicies(cmd.Context())
			if err != nil {
				return err
			}
			return emit(cmd, versions, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tSTATUS\tUPLOADED\tBY\tAPPROVED BY\tTESTS\tNOTE")
				for _, v := range versions {
					approver := "-"
					if v.ApprovedBy != nil {
						approver = v.ApprovedBy.Partner + "/" + v.ApprovedBy.Sub
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s/%s\t%s\t%d\t%s\n", shortID(v.ID), v.Status, v.UploadedAt.Format(time.DateTime),
						v.UploadedBy.Partner, v.UploadedBy.Sub, approver, v.Report.Passed, v.Note)
				}
				return tw.Flush()
			})
		}))
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
	step := func(use string, take func(*connectors.Client, context.Context, string) (broker.PolicyVersion, error), short string) *cobra.Command {
		return clientCommand(use+" VERSION", short, cobra.ExactArgs(1), nil,
			func(cmd *cobra.Command, c *connectors.Client, args []string) error {
				v, err := take(c, cmd.Context(), args[0])
				if err != nil {
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
			v, err := c.RejectPolicy(cmd.Context(), args[0], comment)
			if err != nil {
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
