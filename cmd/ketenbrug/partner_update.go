package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// newPartnerUpdateCommand changes a registered partner: only the fields
// named on the command line, the others as they are (it reads the partner
// first). Keys, person keys and the login have their own commands.
func newPartnerUpdateCommand() *cobra.Command {
	var u struct {
		name, covenant, roles, webhook, controllerRole, privacyContact, teamLead string
		level                                                                    int
		municipalities, clientCerts                                              []string
		privacyOffice                                                            bool
	}
	return clientCommand("update ID", "Change a partner: covenant, level, municipalities, roles, name, webhook, client certificates, privacy office, role and contact, team lead", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&u.name, "name", "", "display name")
			f.StringVar(&u.covenant, "covenant", "", "covenant version the partner signed")
			f.IntVar(&u.level, "level", 0, "ambition level (1-4)")
			f.StringSliceVar(&u.municipalities, "municipality", nil, "municipalities served (repeatable; replaces the list)")
			f.StringVar(&u.roles, "roles", "", "comma-separated roles (replaces the list)")
			f.StringVar(&u.webhook, "webhook", "", "URL that receives inbox items (\"\" to remove)")
			f.StringSliceVar(&u.clientCerts, "client-cert-id", nil, "client certificate ids (repeatable; replaces the list)")
			f.BoolVar(&u.privacyOffice, "privacy-office", false, "the region's privacy office")
			f.StringVar(&u.controllerRole, "controller-role", "", "controller, joint-controller or processor")
			f.StringVar(&u.privacyContact, "privacy-contact", "", "contact point for privacy questions")
			f.StringVar(&u.teamLead, "team-lead", "", "a municipality's team lead, PARTNER/SUB: overdue match follow-ups escalate to this person (\"\" to remove)")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			id := args[0]
			if !broker.ValidID(id) {
				return usageError{fmt.Errorf("%q is not a partner id: %s", id, broker.IDRule)}
			}
			f := cmd.Flags()
			changed := func(name string) bool { return f.Changed(name) }
			var teamLead *wire.Actor // --team-lead "" removes it
			if changed("team-lead") && u.teamLead != "" {
				a, err := parseActor("--team-lead", u.teamLead)
				if err != nil {
					return err
				}
				teamLead = &a
			}
			p, err := c.GetPartner(cmd.Context(), id)
			if err != nil {
				return err
			}
			req := map[string]any{"name": p.Name, "sector": p.Sector, "municipalities": p.Municipalities, "roles": p.Roles,
				"level": p.Level, "covenant": p.Covenant, "webhook": p.Webhook, "client_certs": p.ClientCerts,
				"privacy_office": p.PrivacyOffice, "controller_role": p.ControllerRole, "privacy_contact": p.PrivacyContact,
				// The request replaces the registration: what the operator
				// does not change is sent as it is, the team lead too.
				"team_lead": p.TeamLead}
			fields := map[string]func(){
				"name": func() { req["name"] = u.name }, "covenant": func() { req["covenant"] = u.covenant },
				"level": func() { req["level"] = u.level }, "municipality": func() { req["municipalities"] = u.municipalities },
				"roles": func() { req["roles"] = splitList(u.roles) }, "webhook": func() { req["webhook"] = u.webhook },
				"client-cert-id": func() { req["client_certs"] = u.clientCerts }, "privacy-office": func() { req["privacy_office"] = u.privacyOffice },
				"controller-role": func() { req["controller_role"] = u.controllerRole }, "privacy-contact": func() { req["privacy_contact"] = u.privacyContact },
				"team-lead": func() { req["team_lead"] = teamLead },
			}
			n := 0
			for flag, set := range fields {
				if changed(flag) {
					set()
					n++
				}
			}
			if n == 0 {
				return usageError{fmt.Errorf("name what to change, for example --covenant 2026-1 (see ketenbrug partner update --help)")}
			}
			out, err := c.UpdatePartner(cmd.Context(), id, req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "updated %s (%s, sector %s, level %d, roles %s, covenant %s)\n", out.ID, out.Name, out.Sector,
				out.Level, joinRoles(out.Roles), orDash(out.Covenant))
			if out.TeamLead != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "team lead %s/%s: overdue match follow-ups escalate to this person\n", out.TeamLead.Partner, out.TeamLead.Sub)
			}
			warnUnknownMunicipalities(cmd.Context(), cmd.ErrOrStderr(), c, &out)
			return nil
		})
}

// warnUnknownMunicipalities warns when a partner serves a municipality
// that is not registered (a typo, or one to register next): such a partner
// is refused every household of it until the municipality exists.
func warnUnknownMunicipalities(ctx context.Context, w io.Writer, c *connectors.Client, p *wire.Partner) {
	partners, err := c.ListPartners(ctx)
	if err != nil {
		return
	}
	for _, m := range p.Municipalities {
		if m == p.ID && p.Sector == broker.SectorMunicipality {
			continue
		}
		if !slices.ContainsFunc(partners, func(q wire.Partner) bool { return q.ID == m && q.Sector == broker.SectorMunicipality }) {
			fmt.Fprintf(w, "warning: %s is not a registered municipality; register it with ketenbrug partner add --id %s --sector municipality …, or correct --municipality\n", m, m)
		}
	}
}
