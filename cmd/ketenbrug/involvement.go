package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// newInvolvementCommand is `ketenbrug involvement put|end|list`: a partner
// registers, ends and lists its own involvements (betrokkenheden), by its
// own references. A BSN is read from a file, standard input or a prompt,
// never taken as an argument.
func newInvolvementCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "involvement", Short: "Register, end and list your organisation's involvements (betrokkenheden)"}

	var p struct {
		service, label, status, start, end, name, phone, email, bsnFile, purpose string
	}
	put := clientCommand("put REF", "Register or change involvement REF; the BSN is read from --bsn-file, standard input or a prompt", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&p.service, "service", "", "service code, e.g. schuldregeling (required)")
			f.StringVar(&p.label, "label", "", "service label as people read it")
			f.StringVar(&p.status, "status", "", "registered, active (default) or ended")
			f.StringVar(&p.start, "start", "", "first day (YYYY-MM-DD)")
			f.StringVar(&p.end, "end", "", "last day (YYYY-MM-DD)")
			f.StringVar(&p.name, "contact-name", "", "whom to call")
			f.StringVar(&p.phone, "contact-phone", "", "their phone number")
			f.StringVar(&p.email, "contact-email", "", "their e-mail address")
			f.StringVar(&p.bsnFile, "bsn-file", "", "file holding the BSN ('-' for standard input)")
			f.StringVar(&p.purpose, "purpose", DefaultRegistrationPurpose, registrationPurposeHelp)
			_ = cmd.MarkFlagRequired("service")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			ref, err := checkRef(args[0])
			if err != nil {
				return err
			}
			bsn, err := readBSN(cmd, p.bsnFile)
			if err != nil {
				return err
			}
			in := broker.InvolvementInput{BSN: bsn, Service: p.service, ServiceLabel: p.label, Status: p.status,
				Start: p.start, End: p.end, Contact: broker.Contact{Name: p.name, Phone: p.phone, Email: p.email}}
			v, created, err := c.PutInvolvement(cmd.Context(), ref, p.purpose, in)
			if err != nil {
				return err
			}
			verb := "updated"
			if created {
				verb = "registered"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s involvement %s (%s, %s, revision %d)\n", verb, v.Ref, v.Service, v.Status, v.Revision)
			return nil
		})

	var endDate, endPurpose string
	end := clientCommand("end REF", "End involvement REF (on --end, or today)", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&endDate, "end", "", "last day (YYYY-MM-DD; default today)")
			cmd.Flags().StringVar(&endPurpose, "purpose", DefaultRegistrationPurpose, "the purpose the involvement was registered under")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			ref, err := checkRef(args[0])
			if err != nil {
				return err
			}
			v, err := c.EndInvolvement(cmd.Context(), ref, endPurpose, endDate)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "involvement %s is %s since %s (revision %d)\n", v.Ref, v.Status, orDash(v.End), v.Revision)
			return nil
		})

	var status string
	var all bool
	list := withOutput(clientCommand("list", "List your organisation's involvements (-o json: one JSON object per line)", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&status, "status", "", "only registered, active or ended")
			cmd.Flags().BoolVar(&all, "all", false, "follow every page (default: the first 100)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			// JSON goes out as JSON lines, a page at a time: a partner's
			// whole caseload need not fit in memory.
			asJSON := cmd.Flags().Lookup("output").Value.String() == outputJSON
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			if !asJSON {
				fmt.Fprintln(tw, "REF\tSTATUS\tSERVICE\tLABEL\tSTART\tEND\tCONTACT")
			}
			after, n := "", 0
			for {
				q := url.Values{"limit": {"100"}}
				if status != "" {
					q.Set("status", status)
				}
				if after != "" {
					q.Set("after", after)
				}
				page, err := c.ListInvolvements(cmd.Context(), q)
				if err != nil {
					return err
				}
				for _, v := range page.Involvements {
					if asJSON {
						if err := enc.Encode(v); err != nil {
							return err
						}
					} else {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Ref, v.Status, v.Service, orDash(v.ServiceLabel),
							orDash(v.Start), orDash(v.End), contactString(&v.Contact))
					}
					n++
				}
				if page.Next == "" {
					break
				}
				if !all {
					if err := tw.Flush(); err != nil {
						return err
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "(more after %s: use --all)\n", page.Next)
					return nil
				}
				after = page.Next
			}
			if asJSON {
				return nil
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "%d involvement(s)\n", n)
			return nil
		}))
	cmd.AddCommand(put, end, list)
	return cmd
}

// checkRef refuses a reference the broker would refuse, before it is put
// in a URL: above all a BSN, which never travels in a URL.
func checkRef(ref string) (string, error) {
	if !broker.ValidRef(ref) {
		return "", errors.New("a reference is 1-128 letters, digits, '.', '_', ':' or '-', and never a BSN")
	}
	return ref, nil
}

// contactString shows a contact on one line.
func contactString(c *broker.Contact) string {
	if c == nil {
		return "-"
	}
	var parts []string
	for _, s := range []string{c.Name, c.Phone, c.Email} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// memberFile is one member in a members file: the file holds the BSNs.
type memberFile struct {
	Label     string `json:"label"`
	BSN       string `json:"bsn"`
	Role      string `json:"role"`
	BirthYear int    `json:"birth_year,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
	Shielded  bool   `json:"shielded,omitempty"`
}

// readMembers reads a members file: a JSON array of members, or an object
// with a "members" array.
func readMembers(path string) ([]broker.MemberInput, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	var list []memberFile
	dec := func(b []byte, v any) error {
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	if len(raw) > 0 && raw[0] == '{' {
		var wrapped struct {
			Members []memberFile `json:"members"`
		}
		err = dec(raw, &wrapped)
		list = wrapped.Members
	} else {
		err = dec(raw, &list)
	}
	if err != nil {
		// The decoder's message may quote the file's content: say only
		// where it failed.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("members file %s: not valid JSON at byte %d", path, se.Offset)
		}
		return nil, fmt.Errorf("members file %s: expected a JSON array of {label, bsn, role, birth_date, shielded}", path)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("members file %s: no members", path)
	}
	out := make([]broker.MemberInput, len(list))
	for i, m := range list {
		out[i] = broker.MemberInput{Label: m.Label, BSN: strings.TrimSpace(m.BSN), Role: m.Role, BirthYear: m.BirthYear,
			BirthDate: m.BirthDate, Shielded: m.Shielded}
	}
	return out, nil
}

// newHouseholdCommand is `ketenbrug household put|show` for coordinators.
func newHouseholdCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "household", Short: "Register a household and see which partners serve it (coordinator)"}

	var h struct {
		municipality, area, members, coordPartner, coordSub, purpose string
	}
	put := clientCommand("put ID", "Register or change household ID; the members file holds labels, BSNs, roles and dates of birth", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&h.municipality, "municipality", "", "municipality the household belongs to (required)")
			f.StringVar(&h.area, "area", "", "area (gebied) within the municipality")
			f.StringVar(&h.members, "members", "", "JSON file: [{\"label\",\"bsn\",\"role\",\"birth_date\" (YYYY-MM-DD),\"shielded\"}] (required)")
			f.StringVar(&h.coordPartner, "coordinator-partner", "", "partner of the coordinator (default: you)")
			f.StringVar(&h.coordSub, "coordinator", "", "the coordinator (regisseur) as their partner names them (default: you)")
			f.StringVar(&h.purpose, "purpose", "integrale-ondersteuning", "purpose of this registration (required by the default policy; under integrale-ondersteuning it rests on the household's consent)")
			_ = cmd.MarkFlagRequired("municipality")
			_ = cmd.MarkFlagRequired("members")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			members, err := readMembers(h.members)
			if err != nil {
				return err
			}
			in := broker.HouseholdInput{Municipality: h.municipality, Area: h.area, Members: members}
			if h.coordPartner != "" || h.coordSub != "" {
				id := c.Identity()
				in.Coordinator = &broker.Actor{Partner: h.coordPartner, Sub: h.coordSub}
				if in.Coordinator.Partner == "" {
					in.Coordinator.Partner = id.Partner
				}
				if in.Coordinator.Sub == "" {
					in.Coordinator.Sub = id.Sub
				}
			}
			v, err := c.PutHousehold(cmd.Context(), args[0], h.purpose, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "household %s of %s (revision %d, coordinator %s/%s): %d member(s)\n",
				v.ID, v.Municipality, v.Revision, v.Coordinator.Partner, v.Coordinator.Sub, len(v.Members))
			printRegistration(cmd.OutOrStdout(), v)
			return nil
		})

	var purpose string
	var registration bool
	show := withOutput(clientCommand("show ID", "Show which partners serve household ID, per member, as far as the policy allows", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&purpose, "purpose", "", "purpose of the question (doelbinding), e.g. integrale-ondersteuning (required)")
			cmd.Flags().BoolVar(&registration, "registration", false, "also show the registration (members, coordinator)")
			_ = cmd.MarkFlagRequired("purpose")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			id := args[0]
			// -o json: {"household": …, "overview": …}, the registration
			// only with --registration.
			var doc struct {
				Household *broker.HouseholdView `json:"household,omitempty"`
				Overview  broker.Overview       `json:"overview"`
			}
			if registration {
				v, err := c.GetHousehold(cmd.Context(), id, purpose)
				if err != nil {
					return err
				}
				doc.Household = &v
			}
			o, err := c.HouseholdOverview(cmd.Context(), id, purpose)
			if err != nil {
				return err
			}
			doc.Overview = o
			return emit(cmd, doc, func(out io.Writer) error {
				if v := doc.Household; v != nil {
					fmt.Fprintf(out, "Household %s of %s, area %s, coordinator %s/%s (revision %d)\n",
						v.ID, v.Municipality, orDash(v.Area), v.Coordinator.Partner, v.Coordinator.Sub, v.Revision)
					printRegistration(out, *v)
					fmt.Fprintln(out)
				}
				return printOverview(out, o)
			})
		}))
	var l struct {
		purpose, municipality string
		all                   bool
	}
	list := withOutput(clientCommand("list", "List the households you coordinate: id, municipality, members, last change", cobra.NoArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&l.purpose, "purpose", "integrale-ondersteuning", "purpose of the question (doelbinding)")
			f.StringVar(&l.municipality, "municipality", "", "only this municipality (one you serve)")
			f.BoolVar(&l.all, "all", false, "follow every page (default: the first 100)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			all := broker.HouseholdList{Households: []broker.HouseholdSummary{}}
			after := ""
			for {
				var page broker.HouseholdList
				if err := c.ListHouseholds(cmd.Context(), l.purpose, l.municipality, after, 100, &page); err != nil {
					return err
				}
				all.Households = append(all.Households, page.Households...)
				all.Next = page.Next
				if page.Next == "" || !l.all {
					break
				}
				after = page.Next
			}
			return emit(cmd, all, func(w io.Writer) error {
				if len(all.Households) == 0 {
					fmt.Fprintln(w, "no households you coordinate (register one with ketenbrug household put)")
					return nil
				}
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tMUNICIPALITY\tAREA\tMEMBERS\tCOORDINATOR\tREVISION\tCHANGED")
				for _, h := range all.Households {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s/%s\t%d\t%s\n", h.ID, h.Municipality, orDash(h.Area), h.Members,
						h.Coordinator.Partner, h.Coordinator.Sub, h.Revision, h.UpdatedAt.Local().Format(time.DateTime))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if all.Next != "" {
					fmt.Fprintln(w, "(more: use --all)")
				}
				return nil
			})
		}))
	cmd.AddCommand(put, show, list)
	return cmd
}

// printRegistration lists a household's members (no BSNs: the broker
// returns none).
func printRegistration(w io.Writer, v broker.HouseholdView) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  MEMBER\tROLE\tBORN\tSHIELDED")
	for _, m := range v.Members {
		born := "-"
		if m.BirthYear != 0 {
			born = strconv.Itoa(m.BirthYear)
		}
		shielded := "-"
		if m.Shielded {
			shielded = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", m.Label, m.Role, born, shielded)
	}
	_ = tw.Flush()
}

// printOverview prints an overview as a table per member. A column shows
// only what the policy let through; a member the policy shows nothing of
// reads "nothing shown", whatever the reason.
func printOverview(w io.Writer, o broker.Overview) error {
	title := "Person"
	if o.Household != "" {
		title = "Household " + o.Household
	}
	fmt.Fprintf(w, "%s — purpose %s, level %d, policy %s\n", title, o.Purpose, o.Level, shortID(o.PolicyVersion))
	if len(o.Members) == 0 {
		fmt.Fprintln(w, "\n(no members shown)")
	}
	for _, m := range o.Members {
		fmt.Fprintf(w, "\n%s", m.Label)
		if m.Role != "" {
			fmt.Fprintf(w, " (%s)", m.Role)
		}
		fmt.Fprintln(w)
		if len(m.Involvements) == 0 {
			fmt.Fprintln(w, "  nothing shown")
			continue
		}
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  PARTNER\tSERVICE\tSTATUS\tPERIOD\tCONTACT")
		for _, v := range m.Involvements {
			partner := v.PartnerName
			if partner == "" {
				partner = v.Partner
			}
			service := v.ServiceLabel
			if service == "" {
				service = v.Service
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", orDash(partner), orDash(service), orDash(v.Status), period(v.Start, v.End), contactString(v.Contact))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(o.Bases) > 0 {
		fmt.Fprintf(w, "\nLegal basis: %s\n", strings.Join(o.Bases, "; "))
	}
	return nil
}

// aboutString shows, on one line, what a signal says about an involvement.
func aboutString(v *broker.ShownInvolvement) string {
	var parts []string
	partner := v.PartnerName
	if partner == "" {
		partner = v.Partner
	}
	service := v.ServiceLabel
	if service == "" {
		service = v.Service
	}
	for _, s := range []string{partner, service, v.Status} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if v.Start != "" || v.End != "" {
		parts = append(parts, period(v.Start, v.End))
	}
	if v.Contact != nil {
		parts = append(parts, "contact "+contactString(v.Contact))
	}
	return strings.Join(parts, " · ")
}

func period(start, end string) string {
	switch {
	case start == "" && end == "":
		return "-"
	case end == "":
		return "since " + start
	case start == "":
		return "until " + end
	}
	return start + " – " + end
}

// maxCLIWait is the broker's bound on a long-poll; the SDK gives the
// request its wait on top of its own timeout.
const maxCLIWait = broker.MaxInboxWait

// newInboxCommand is `ketenbrug inbox`: read (and acknowledge) the
// partner's inbox: match signals, assignments, plan changes.
func newInboxCommand() *cobra.Command {
	var wait time.Duration
	var ack bool
	return withOutput(clientCommand("inbox", "Read your organisation's inbox (match signals and more); --ack acknowledges what was shown", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for an item when there is none (e.g. 30s)")
			cmd.Flags().BoolVar(&ack, "ack", false, "acknowledge each item shown, so it is not delivered again")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if wait < 0 || wait > maxCLIWait {
				return fmt.Errorf("--wait must be between 0 and %s", maxCLIWait)
			}
			page, err := c.Inbox(cmd.Context(), connectors.InboxQuery{Wait: wait})
			if err != nil {
				return err
			}
			if err := emit(cmd, page, func(out io.Writer) error {
				if len(page.Items) == 0 {
					fmt.Fprintln(out, "no new items")
					return nil
				}
				tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tTIME\tHOUSEHOLD\tYOUR REF\tABOUT")
				for _, it := range page.Items {
					about := inboxAbout(it)
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Kind, it.Created.Local().Format(time.DateTime),
						orDash(it.Household), orDash(it.Ref), orDash(about))
				}
				return tw.Flush()
			}); err != nil || !ack {
				return err
			}
			for _, it := range page.Items {
				if err := c.AckInbox(cmd.Context(), it.ID); err != nil {
					return fmt.Errorf("acknowledging item %s: %w", it.ID, err)
				}
			}
			// Said on standard error, so that -o json stays one document.
			fmt.Fprintf(cmd.ErrOrStderr(), "acknowledged %d item(s)\n", len(page.Items))
			return nil
		}))
}

// inboxAbout says in one line what an inbox item is about.
func inboxAbout(it broker.InboxView) string {
	switch {
	case it.About != nil:
		return aboutString(it.About)
	case it.Assignment != nil:
		a := it.Assignment
		s := fmt.Sprintf("assignment %s %q %s, due %s, from %s", a.ID, a.Type, a.Status, a.Due, a.Giver.Partner)
		if a.Outcome != "" {
			s += ": " + a.Outcome
		}
		if a.Reason != "" {
			s += ": " + a.Reason
		}
		return s
	case it.Plan != nil:
		return fmt.Sprintf("plan version %d (%s): %s by %s", it.Plan.Version, it.Plan.Status, it.Plan.Change, it.Plan.ChangedBy.Partner)
	case it.Rectification != nil:
		return rectificationString(it.Rectification)
	case it.Inform != nil:
		return informString(it.Inform)
	}
	return "-"
}

// rectificationString says in one line what a rectification signal says.
func rectificationString(r *broker.RectificationSignal) string {
	s := "corrected"
	if r.Ended {
		s = "ended"
	}
	if r.Partner != "" {
		s += " by " + r.Partner
	}
	if len(r.Changed) > 0 {
		s += ": " + strings.Join(r.Changed, ", ")
	}
	s += " (shown to you " + r.ShownAt.Local().Format(time.DateOnly)
	if r.Request != "" {
		s += " in request " + r.Request
	}
	return s + "; ask again for the new values)"
}

// informString says in one line what an inform item asks.
func informString(in *broker.InformSignal) string {
	var members []string
	for _, m := range in.Members {
		members = append(members, fmt.Sprintf("%s (%s)", m.Label, strings.Join(m.Partners, ", ")))
	}
	return fmt.Sprintf("inform the person (AVG art. 14): %s by %s under %s (%s): %s; art. 14 lid 5 is yours to judge",
		in.Event, in.By, orDash(in.Purpose), orDash(in.Grounds), strings.Join(members, "; "))
}
