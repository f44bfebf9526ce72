package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// newFollowupCommand is `ketenbrug followup list|show|contact|close|
// reassign`: the match follow-ups a coordinator or the lead the
// coordinator names works through.
func newFollowupCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "followup", Short: "List, show, contact, close and reassign match follow-ups (coordinator and lead)"}

	var l struct{ state, household string }
	list := withOutput(clientCommand("list", "List the follow-ups you lead or coordinate: overdue first", cobra.NoArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&l.state, "state", "", "live, overdue, open, contacted, closed or cancelled (default all)")
			f.StringVar(&l.household, "household", "", "only this household's")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			list, err := c.Followups(cmd.Context(), connectors.FollowupQuery{State: l.state, Household: l.household})
			if err != nil {
				return err
			}
			return emit(cmd, list, func(w io.Writer) error { return printFollowups(w, list) })
		}))

	show := withOutput(clientCommand("show ID", "Show one follow-up with its steps", cobra.ExactArgs(1), nil,
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			if !broker.ValidID(args[0]) {
				return usageError{fmt.Errorf("%q is not a follow-up id", args[0])}
			}
			v, err := c.Followup(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return emit(cmd, v, func(w io.Writer) error { printFollowup(w, &v); return nil })
		}))

	// step makes a step command: setup adds its flags, take sends it.
	step := func(use, short string, setup func(cmd *cobra.Command),
		take func(cmd *cobra.Command, c *connectors.Client, id, purpose string) (wire.FollowupView, error)) *cobra.Command {
		var purpose string
		return clientCommand(use, short, cobra.ExactArgs(1),
			func(cmd *cobra.Command) {
				setup(cmd)
				cmd.Flags().StringVar(&purpose, "purpose", "", "purpose (default: the follow-up's)")
			},
			func(cmd *cobra.Command, c *connectors.Client, args []string) error {
				if !broker.ValidID(args[0]) {
					return usageError{fmt.Errorf("%q is not a follow-up id", args[0])}
				}
				if purpose == "" {
					// A step is taken under the follow-up's purpose
					// (doelbinding; a reassign must state it): read it
					// from the follow-up, which its lead and coordinator
					// may always read.
					f, err := c.Followup(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					purpose = f.Purpose
				}
				v, err := take(cmd, c, args[0], purpose)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "follow-up %s is %s, lead %s, due %s\n", v.ID, v.State, leadName(v.Lead), v.Due)
				return nil
			})
	}

	var ct struct{ with, on string }
	contact := step("contact ID", "Record that you got in touch with the other partner", func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&ct.with, "with", "", "the partner contacted (default: the follow-up's other partner)")
		cmd.Flags().StringVar(&ct.on, "on", "", "the day of the contact, YYYY-MM-DD (default: today)")
	}, func(cmd *cobra.Command, c *connectors.Client, id, purpose string) (wire.FollowupView, error) {
		return c.ContactFollowup(cmd.Context(), id, purpose, ct.with, ct.on)
	})

	var outcome string
	closeCmd := step("close ID", "Close a follow-up with an outcome", func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&outcome, "outcome", "", "outcome code from the policy, e.g. afgestemd, geen-actie-nodig, overgedragen, niet-bereikt (required)")
		_ = cmd.MarkFlagRequired("outcome")
	}, func(cmd *cobra.Command, c *connectors.Client, id, purpose string) (wire.FollowupView, error) {
		return c.CloseFollowup(cmd.Context(), id, purpose, outcome)
	})

	var lead string
	reassign := step("reassign ID", "Name another lead: a person of your organisation or of a partner serving the household (coordinator)",
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&lead, "lead", "", "the new lead as PARTNER/SUB, e.g. kredietbank/j.bakker (required)")
			_ = cmd.MarkFlagRequired("lead")
		}, func(cmd *cobra.Command, c *connectors.Client, id, purpose string) (wire.FollowupView, error) {
			a, err := parseActor("--lead", lead)
			if err != nil {
				return wire.FollowupView{}, err
			}
			return c.ReassignFollowup(cmd.Context(), id, purpose, a)
		})

	cmd.AddCommand(list, show, contact, closeCmd, reassign)
	return cmd
}

// parseActor reads PARTNER/SUB: a partner id and the person acting for it.
// A sub may hold a '/' (an e-mail address or URI does); a partner id
// cannot, so the first '/' divides them.
func parseActor(flag, s string) (wire.Actor, error) {
	partner, sub, ok := strings.Cut(s, "/")
	if !ok || !broker.ValidID(partner) || sub == "" {
		return wire.Actor{}, usageError{fmt.Errorf("%s %q: give PARTNER/SUB, a partner id and the person acting for it, e.g. gem-a/t.teamleider", flag, s)}
	}
	return wire.Actor{Partner: partner, Sub: sub}, nil
}

// printFollowups lists the follow-ups in the broker's order: overdue
// first, then live by due date, then the rest.
func printFollowups(w io.Writer, fs []wire.FollowupView) error {
	if len(fs) == 0 {
		fmt.Fprintln(w, "no follow-ups")
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tDUE\tHOUSEHOLD\tWITH\tLEAD\tOUTCOME")
	overdue := 0
	for _, f := range fs {
		state := f.State
		if f.Overdue {
			state, overdue = "OVERDUE ("+f.State+")", overdue+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, state, f.Due, f.Household, f.Partner,
			leadName(f.Lead), orDash(f.Outcome))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d follow-up(s), %d overdue\n", len(fs), overdue)
	return nil
}

// leadName is partner/sub, or, for a follow-up whose lead the coordinator
// has yet to name, the partner and what to do.
func leadName(a wire.Actor) string {
	if a.Sub == "" {
		return a.Partner + "/(to name: followup reassign)"
	}
	return a.Partner + "/" + a.Sub
}

func printFollowup(w io.Writer, f *wire.FollowupView) {
	state := f.State
	if f.Overdue {
		state += ", OVERDUE"
	}
	fmt.Fprintf(w, "Follow-up %s — %s\n", f.ID, state)
	fmt.Fprintf(w, "  household    %s (purpose %s)\n", f.Household, f.Purpose)
	fmt.Fprintf(w, "  get in touch %s (%d registration(s))\n", f.Partner, f.Involvements)
	if f.For != "" {
		fmt.Fprintf(w, "  signalled to %s\n", f.For)
	}
	fmt.Fprintf(w, "  coordinator  %s/%s\n  lead         %s\n  due          %s\n", f.Coordinator.Partner, f.Coordinator.Sub,
		leadName(f.Lead), f.Due)
	if f.Escalations > 0 {
		fmt.Fprintf(w, "  escalated    %d time(s)\n", f.Escalations)
	}
	if f.Contact != nil {
		fmt.Fprintf(w, "  contact      %s on %s\n", f.Contact.With, f.Contact.On)
	}
	if f.Outcome != "" {
		fmt.Fprintf(w, "  outcome      %s\n", f.Outcome)
	}
	for _, s := range f.Steps {
		detail := ""
		if s.Detail != "" {
			detail = " (" + s.Detail + ")"
		}
		fmt.Fprintf(w, "  %s  %-9s %-10s by %s/%s%s\n", s.At.Local().Format(time.DateTime), s.Step, s.State, s.By.Partner, s.By.Sub, detail)
	}
}
