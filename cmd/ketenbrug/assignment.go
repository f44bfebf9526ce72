package main

import (
	"context"
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
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// newAssignmentCommand is `ketenbrug assignment give|accept|decline|
// complete|cancel|list|show`: assignments (opdrachten) between partners,
// ambition level 3.
func newAssignmentCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "assignment", Short: "Give, accept, decline, complete, cancel and list assignments (opdrachten, level 3)"}

	var g struct {
		household, to, typ, instruction, instructionFile, due, purpose string
	}
	give := clientCommand("give", "Give another partner an assignment about a household", cobra.NoArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&g.household, "household", "", "the household (required)")
			f.StringVar(&g.to, "to", "", "the partner that receives it (required)")
			f.StringVar(&g.typ, "type", "", "assignment type from the policy, e.g. intake, huisbezoek, schuldenoverzicht, schoolgesprek (required)")
			f.StringVar(&g.instruction, "instruction", "", "short instruction (no personal details beyond what is needed; never a BSN)")
			f.StringVar(&g.instructionFile, "instruction-file", "", "read the instruction from this file ('-' for standard input)")
			f.StringVar(&g.due, "due", "", "due date YYYY-MM-DD (default: in 14 days)")
			f.StringVar(&g.purpose, "purpose", "", "purpose (doelbinding), e.g. integrale-ondersteuning (required)")
			for _, r := range []string{"household", "to", "type", "purpose"} {
				_ = cmd.MarkFlagRequired(r)
			}
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			instruction := g.instruction
			if g.instructionFile != "" {
				if instruction != "" {
					return fmt.Errorf("use --instruction or --instruction-file, not both")
				}
				text, err := readText(cmd, g.instructionFile)
				if err != nil {
					return err
				}
				instruction = text
			}
			due := g.due
			if due == "" {
				due = time.Now().AddDate(0, 0, 14).Format(time.DateOnly)
			}
			in := broker.AssignmentInput{Household: g.household, Recipient: g.to, Type: g.typ, Instruction: instruction, Due: due}
			v, err := c.GiveAssignment(cmd.Context(), g.purpose, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "gave assignment %s (%s) to %s about household %s, due %s: %s\n",
				v.ID, v.Type, v.Recipient, v.Household, v.Due, v.Status)
			return nil
		})

	step := func(name, short, textFlag, textHelp string, required bool,
		take func(c *connectors.Client, ctx context.Context, id, purpose, text string) (broker.AssignmentView, error)) *cobra.Command {
		var text, purpose string
		return clientCommand(name+" ID", short, cobra.ExactArgs(1),
			func(cmd *cobra.Command) {
				if textFlag != "" {
					cmd.Flags().StringVar(&text, textFlag, "", textHelp)
					if required {
						_ = cmd.MarkFlagRequired(textFlag)
					}
				}
				cmd.Flags().StringVar(&purpose, "purpose", "", "purpose (default: the assignment's)")
			},
			func(cmd *cobra.Command, c *connectors.Client, args []string) error {
				if !broker.ValidID(args[0]) {
					return fmt.Errorf("%q is not an assignment id", args[0])
				}
				if purpose == "" {
					// Every step states its purpose (doelbinding), which
					// must be the assignment's: read it from the
					// assignment, which its two sides may always read.
					a, err := c.GetAssignment(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					purpose = a.Purpose
				}
				v, err := take(c, cmd.Context(), args[0], purpose, text)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "assignment %s is %s\n", v.ID, v.Status)
				return nil
			})
	}
	accept := step(broker.StepAccept, "Accept an assignment you received", "", "", false,
		func(c *connectors.Client, ctx context.Context, id, purpose, _ string) (broker.AssignmentView, error) {
			return c.AcceptAssignment(ctx, id, purpose)
		})
	decline := step(broker.StepDecline, "Decline an assignment you received, with a reason", "reason", "why (short; no personal details)", true,
		(*connectors.Client).DeclineAssignment)
	complete := step(broker.StepComplete, "Complete an assignment you accepted, with a short outcome", "outcome", "what came of it (short)", true,
		(*connectors.Client).CompleteAssignment)
	cancel := step(broker.StepCancel, "Cancel an assignment you gave", "reason", "why (optional, short)", false,
		(*connectors.Client).CancelAssignment)

	var l struct{ side, status, household string }
	list := withOutput(clientCommand("list", "List the assignments your organisation gave or received", cobra.NoArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&l.side, "side", "", "giver or recipient (default both)")
			f.StringVar(&l.status, "status", "", "open, proposed, accepted, declined, completed or cancelled")
			f.StringVar(&l.household, "household", "", "only this household's")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"side": l.side, "status": l.status, "household": l.household} {
				if v != "" {
					q.Set(k, v)
				}
			}
			list, err := c.ListAssignments(cmd.Context(), q)
			if err != nil {
				return err
			}
			return emit(cmd, list, func(w io.Writer) error { return printAssignments(w, list) })
		}))

	show := withOutput(clientCommand("show ID", "Show one assignment with its steps", cobra.ExactArgs(1), nil,
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			if !broker.ValidID(args[0]) {
				return fmt.Errorf("%q is not an assignment id", args[0])
			}
			v, err := c.GetAssignment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return emit(cmd, v, func(w io.Writer) error { printAssignment(w, &v); return nil })
		}))
	cmd.AddCommand(give, accept, decline, complete, cancel, list, show)
	return cmd
}

// readText reads a short text from file, or standard input for "-".
func readText(cmd *cobra.Command, file string) (string, error) {
	var r io.Reader
	if file == "-" {
		r = cmd.InOrStdin()
	} else {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, broker.MaxAssignmentText*4+1))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func printAssignments(w io.Writer, as []broker.AssignmentView) error {
	if len(as) == 0 {
		fmt.Fprintln(w, "no assignments")
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSIDE\tSTATUS\tTYPE\tHOUSEHOLD\tFROM\tTO\tDUE")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Side, a.Status, a.Type, a.Household,
			a.Giver.Partner+"/"+a.Giver.Sub, a.Recipient, a.Due)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d assignment(s)\n", len(as))
	return nil
}

func printAssignment(w io.Writer, a *broker.AssignmentView) {
	fmt.Fprintf(w, "Assignment %s — %s, %s\n", a.ID, a.Type, a.Status)
	fmt.Fprintf(w, "  household  %s (purpose %s)\n", a.Household, a.Purpose)
	fmt.Fprintf(w, "  from       %s/%s\n  to         %s\n  due        %s\n", a.Giver.Partner, a.Giver.Sub, a.Recipient, a.Due)
	if a.Instruction != "" {
		fmt.Fprintf(w, "  instruction %s\n", a.Instruction)
	}
	if len(a.YourRefs) > 0 {
		fmt.Fprintf(w, "  your refs  %s\n", strings.Join(a.YourRefs, ", "))
	}
	if a.Reason != "" {
		fmt.Fprintf(w, "  reason     %s\n", a.Reason)
	}
	if a.Outcome != "" {
		fmt.Fprintf(w, "  outcome    %s\n", a.Outcome)
	}
	for _, s := range a.Steps {
		fmt.Fprintf(w, "  %s  %-9s by %s/%s\n", s.At.Local().Format(time.DateTime), s.Status, s.By.Partner, s.By.Sub)
	}
}

// newWebhookCommand is `ketenbrug webhook dead-letters|retry` for the
// operator: webhook deliveries that gave up.
func newWebhookCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "webhook", Short: "Webhook push of inbox items: dead letters (operator)"}
	list := withOutput(clientCommand("dead-letters", "List the webhook deliveries that failed their last attempt", cobra.NoArgs, nil,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			deadLetters, err := c.DeadLetters(cmd.Context())
			if err != nil {
				return err
			}
			return emit(cmd, deadLetters, func(out io.Writer) error { return printDeadLetters(out, deadLetters) })
		}))
	retry := clientCommand("retry ID", "Queue a dead letter again with fresh attempts", cobra.ExactArgs(1), nil,
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			if !broker.ValidID(args[0]) {
				return fmt.Errorf("%q is not a dead letter id", args[0])
			}
			d, err := c.RetryDeadLetter(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "delivery %s to %s queued again\n", d.ID, d.Partner)
			return nil
		})
	cmd.AddCommand(list, retry)
	return cmd
}

// printDeadLetters lists the dead letters, or says there are none.
func printDeadLetters(out io.Writer, deadLetters []wire.DeadLetter) error {
	if len(deadLetters) == 0 {
		fmt.Fprintln(out, "no dead letters")
		return nil
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPARTNER\tITEM\tKIND\tATTEMPTS\tDEAD SINCE\tLAST ERROR")
	for _, d := range deadLetters {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\n", d.ID, d.Partner, d.Seq, d.Kind, d.Attempts,
			d.DeadAt.Local().Format(time.DateTime), orDash(d.LastError))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d dead letter(s); the items are still in the partners' inboxes\n", len(deadLetters))
	return nil
}
