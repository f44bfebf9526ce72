package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// newPlanCommand is `ketenbrug plan show|edit|history`: the joint household
// plan, ambition level 4.
func newPlanCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "plan", Short: "Show, edit and trace the joint household plan (level 4)",
		Long: `The joint plan of one household: goals, work agreements per partner, one coordinator.

Every change makes a new version and names the version it was made on, so two
professionals never overwrite each other:

  ketenbrug plan show HOUSEHOLD --purpose P --format json --out plan.json
  (edit plan.json: goals, agreements; keep "version")
  ketenbrug plan edit HOUSEHOLD --purpose P --file plan.json

A partner updates the status of its own agreement, and the coordinator closes
the plan, the same way:

  ketenbrug plan edit HOUSEHOLD --agreement ID --status done --version N
  ketenbrug plan edit HOUSEHOLD --close --version N

When the plan changed in between, the broker refuses (412): show it again and
redo the change on the new version.`}

	var s struct {
		purpose, format, out, output string
		version                      uint64
	}
	show := clientCommand("show HOUSEHOLD", "Show the plan: as text, JSON, or a printable HTML or Markdown document", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&s.purpose, "purpose", "", "purpose (doelbinding) the plan is kept for (required)")
			f.StringVar(&s.format, "format", "text", "text, json, html or markdown (-o json is --format json)")
			f.StringVarP(&s.output, "output", "o", "", "table or json, as every read command takes it (json is --format json)")
			f.StringVar(&s.out, "out", "", "write to this file (default standard output)")
			f.Uint64Var(&s.version, "version", 0, "an earlier version (default the current one)")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			id, err := householdArg(args[0])
			if err != nil {
				return err
			}
			if err := planPurpose(s.purpose); err != nil {
				return err
			}
			switch s.output {
			case "", outputTable:
			case outputJSON:
				s.format = broker.PlanFormatJSON
			default:
				return usageError{fmt.Errorf("-o %s: use -o table or -o json (or --format html|markdown for a printable document)", s.output)}
			}
			format := s.format
			if format == "text" {
				format = broker.PlanFormatJSON
			}
			resp, err := c.GetPlan(cmd.Context(), id, s.purpose, connectors.PlanQuery{Version: s.version, Format: format})
			var pe *connectors.ProblemError
			if errors.As(err, &pe) && pe.Status == http.StatusNotFound {
				return fmt.Errorf("household %s has no plan yet (or none you may see): make one with "+
					"ketenbrug plan edit %s --create --purpose %s --file plan.json: %w", id, id, s.purpose, err)
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if s.out != "" {
				f, err := os.OpenFile(s.out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if s.format != "text" {
				if _, err := w.Write(resp.Body); err != nil {
					return err
				}
				if s.out != "" {
					fmt.Fprintf(cmd.OutOrStdout(), "wrote version %s of the plan of %s to %s\n", strings.Trim(resp.Header.Get("ETag"), `"`), id, s.out)
				}
				return nil
			}
			var v broker.PlanView
			if err := json.Unmarshal(resp.Body, &v); err != nil {
				return err
			}
			return printPlan(w, &v)
		})

	var e struct {
		purpose, file, agreement, status string
		version                          uint64
		create, close                    bool
	}
	edit := clientCommand("edit HOUSEHOLD", "Change the plan: its goals and agreements from a file (coordinator), your agreement's status, or close it", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&e.purpose, "purpose", "", "purpose (doelbinding) the plan is kept for; a new plan is kept for it (required, except with --close)")
			f.StringVar(&e.file, "file", "", "JSON file with goals and agreements (as plan show --format json writes it)")
			f.Uint64Var(&e.version, "version", 0, "the version the change is made on (default: the file's \"version\")")
			f.BoolVar(&e.create, "create", false, "create the plan (there must be none yet)")
			f.StringVar(&e.agreement, "agreement", "", "the work agreement whose status you update (your own)")
			f.StringVar(&e.status, "status", "", "with --agreement: planned, in-progress, done or cancelled")
			f.BoolVar(&e.close, "close", false, "close the plan (coordinator): participants lose access")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			id, err := householdArg(args[0])
			if err != nil {
				return err
			}
			modes := 0
			for _, on := range []bool{e.file != "", e.agreement != "", e.close} {
				if on {
					modes++
				}
			}
			if modes != 1 {
				return errors.New("give one of --file, --agreement (with --status) or --close")
			}
			if !e.close {
				if err := planPurpose(e.purpose); err != nil {
					return err
				}
			}
			var send func() (*connectors.Response, error)
			switch {
			case e.file != "":
				in, version, err := readPlanFile(e.file)
				if err != nil {
					return err
				}
				if e.version != 0 {
					version = e.version
				}
				var pre connectors.Precondition
				switch {
				case e.create:
					pre.IfNoneMatch = "*"
				case version == 0:
					return errors.New("name the version the change is made on (--version, or \"version\" in the file), or --create")
				default:
					pre.IfMatch = broker.PlanETag(version)
				}
				send = func() (*connectors.Response, error) { return c.PutPlan(cmd.Context(), id, e.purpose, in, pre) }
			case e.agreement != "":
				if e.status == "" {
					return errors.New("--agreement needs --status")
				}
				send = func() (*connectors.Response, error) {
					return c.SetAgreementStatus(cmd.Context(), id, e.agreement, e.status, e.purpose, broker.PlanETag(e.version))
				}
			default:
				send = func() (*connectors.Response, error) {
					return c.ClosePlan(cmd.Context(), id, e.purpose, broker.PlanETag(e.version))
				}
			}
			if e.file == "" && e.version == 0 {
				// An agreement's status and a close are POSTs on the
				// version they were made on.
				return errors.New("--version is required: the version the change is made on (see plan show)")
			}
			resp, err := send()
			var pe *connectors.ProblemError
			if errors.As(err, &pe) && pe.Status == http.StatusPreconditionFailed {
				return fmt.Errorf("the plan changed since the version you edited (%s): show it again and redo your change", pe.Detail)
			}
			if err != nil {
				return err
			}
			var v broker.PlanView
			if err := json.Unmarshal(resp.Body, &v); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "plan of %s is now version %d (%s): %s\n", v.Household, v.Version, v.Status, v.Change)
			return nil
		})

	var hPurpose string
	history := withOutput(clientCommand("history HOUSEHOLD", "List the plan's versions: who changed what, when", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&hPurpose, "purpose", "", "purpose (doelbinding) the plan is kept for (required)")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			id, err := householdArg(args[0])
			if err != nil {
				return err
			}
			if err := planPurpose(hPurpose); err != nil {
				return err
			}
			h, err := c.PlanHistory(cmd.Context(), id, hPurpose)
			if err != nil {
				return err
			}
			return emit(cmd, h, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tWHEN\tBY\tSTATUS\tGOALS\tAGREEMENTS\tCHANGE")
				for _, v := range h.Versions {
					fmt.Fprintf(tw, "%d\t%s\t%s/%s\t%s\t%d\t%d\t%s\n", v.Version, v.ChangedAt.Local().Format(time.DateTime),
						v.ChangedBy.Partner, v.ChangedBy.Sub, v.Status, v.Goals, v.Agreements, v.Change)
				}
				return tw.Flush()
			})
		}))
	cmd.AddCommand(show, edit, history)
	return cmd
}

func householdArg(s string) (string, error) {
	if !broker.ValidHouseholdRef(s) {
		return "", fmt.Errorf("%q is not a household id: use the id (or municipality:id) the household was registered under", s)
	}
	return s, nil
}

// planPurpose refuses a plan command without a purpose: the broker asks
// every plan action under the purpose the caller states (doelbinding), and
// it must be the one the plan is kept for.
func planPurpose(purpose string) error {
	if purpose == "" {
		return errors.New("name the purpose the plan is kept for with --purpose, for example --purpose integrale-ondersteuning " +
			"(the purpose it was created for; the broker refuses another)")
	}
	return nil
}

// readPlanFile reads goals and agreements (and the version they were read
// at) from a file as `plan show --format json` writes it, or a bare
// {goals, agreements, ends, note}.
func readPlanFile(path string) (broker.PlanInput, uint64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return broker.PlanInput{}, 0, err
	}
	var f struct {
		Version    uint64             `json:"version"`
		Goals      []broker.Goal      `json:"goals"`
		Agreements []broker.Agreement `json:"agreements"`
		Ends       string             `json:"ends"`
		Note       string             `json:"note"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return broker.PlanInput{}, 0, fmt.Errorf("plan file %s: not valid JSON at byte %d", path, se.Offset)
		}
		return broker.PlanInput{}, 0, fmt.Errorf("plan file %s: expected {\"goals\": [...], \"agreements\": [...]}", path)
	}
	if f.Goals == nil {
		f.Goals = []broker.Goal{}
	}
	if f.Agreements == nil {
		f.Agreements = []broker.Agreement{}
	}
	return broker.PlanInput{Goals: f.Goals, Agreements: f.Agreements, Ends: f.Ends, Note: f.Note}, f.Version, nil
}

// printPlan prints the plan readably: goals, each with its agreements.
func printPlan(w io.Writer, v *broker.PlanView) error {
	fmt.Fprintf(w, "Plan of household %s — version %d", v.Household, v.Version)
	if v.Version != v.Latest {
		fmt.Fprintf(w, " (the current version is %d)", v.Latest)
	}
	fmt.Fprintf(w, ", %s\n", v.Status)
	fmt.Fprintf(w, "Coordinator %s/%s · purpose %s · members %s\n", v.Coordinator.Partner, v.Coordinator.Sub, v.Purpose,
		strings.Join(v.Members, ", "))
	fmt.Fprintf(w, "Last change: %s (%s/%s, %s)\n", v.Change, v.ChangedBy.Partner, v.ChangedBy.Sub,
		v.ChangedAt.Local().Format(time.DateTime))
	if v.Ends != "" {
		fmt.Fprintf(w, "Runs until %s: a consent for the household ends with the plan\n", v.Ends)
	}
	if len(v.Goals) == 0 {
		fmt.Fprintln(w, "\n(no goals yet)")
	}
	for _, g := range v.Goals {
		fmt.Fprintf(w, "\nGoal %s: %s [%s, target %s]\n", g.ID, g.Title, g.Status, orDash(g.Target))
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		n := 0
		for _, a := range v.Agreements {
			if a.Goal != g.ID {
				continue
			}
			if n == 0 {
				fmt.Fprintln(tw, "  AGREEMENT\tPARTNER\tACTION\tDUE\tSTATUS")
			}
			partner := a.Partner
			if a.PartnerName != "" {
				partner = a.PartnerName + " (" + a.Partner + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", a.ID, partner, a.Action, orDash(a.Due), a.Status)
			n++
		}
		if n == 0 {
			fmt.Fprintln(tw, "  (no agreements yet)")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
