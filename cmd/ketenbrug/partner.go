package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

func newIdentityCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "identity", Short: "Make and inspect identity files (a partner's signing key)"}
	var partner, sub, person, role, out, alg, jwksOut string
	newCmd := &cobra.Command{
		Use:   "new",
		Short: "Make a key pair and write an identity file; print the public JWKS to register",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out FILE is required")
			}
			var id *connectors.Identity
			var pub []byte
			var err error
			switch {
			case person != "" && sub != "" && sub != person:
				return errors.New("--sub and --person differ: a person key's sub is its person")
			case person != "":
				id, pub, err = connectors.NewPersonIdentity(partner, person, role, alg)
			default:
				id, pub, err = connectors.NewIdentity(partner, sub, role, alg)
			}
			if err != nil {
				return err
			}
			if err := id.WriteFile(out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote identity %s (partner %s, sub %s, role %s, mode 0600)\n", out, partner, id.Sub, role)
			if person != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "the operator binds its key to %s: ketenbrug partner keys add --partner %s --person %s --roles %s --jwks <the public JWKS>\n",
					person, partner, person, role)
			}
			if jwksOut != "" {
				if err := os.WriteFile(jwksOut, append(pub, '\n'), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote public JWKS %s: give it to the operator to register\n", jwksOut)
				return nil
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(pub))
			return err
		},
	}
	newCmd.Flags().StringVar(&partner, "partner", "", "partner id")
	newCmd.Flags().StringVar(&sub, "sub", "", "acting person or service")
	newCmd.Flags().StringVar(&person, "person", "", "make a person key: the person it will be bound to (its sub); the operator binds it with partner keys add --person")
	newCmd.Flags().StringVar(&role, "role", "connector", "role: connector, professional, coordinator, privacy-officer, operator")
	newCmd.Flags().StringVar(&out, "out", "", "identity file to write (mode 0600)")
	newCmd.Flags().StringVar(&alg, "alg", "EdDSA", "key algorithm: EdDSA, ES256 or PS256")
	newCmd.Flags().StringVar(&jwksOut, "jwks-out", "", "write the public JWKS here instead of printing it")
	cmd.AddCommand(newCmd)
	var in string
	pubCmd := &cobra.Command{
		Use:   "public",
		Short: "Print the public JWKS of an identity file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := connectors.LoadIdentity(in)
			if err != nil {
				return err
			}
			pub, err := id.PublicJWKS()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(pub))
			return err
		},
	}
	// --as, like every other command that takes an identity; --in is the
	// old name, kept working.
	pubCmd.Flags().StringVar(&in, "as", "", "identity file")
	pubCmd.Flags().StringVar(&in, "in", "", "identity file (the old name of --as)")
	_ = pubCmd.Flags().MarkHidden("in")
	cmd.AddCommand(pubCmd)
	return cmd
}

func newWhoamiCommand() *cobra.Command {
	return readCommand("whoami", "Ask the broker who it takes this identity to be", cobra.NoArgs, nil,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) (wire.Whoami, error) {
			return c.Whoami(cmd.Context())
		},
		func(w io.Writer, me wire.Whoami) error {
			person := me.Sub
			if me.SubKnown != "" {
				person += " (" + me.SubKnown
				if me.SubVia != "" {
					person += ", " + me.SubVia
				}
				person += ")"
			}
			return fieldTable(w, [2]string{"partner", me.Partner + " — " + me.Name}, [2]string{"person", person},
				[2]string{"role", string(me.Role)}, [2]string{"sector", string(me.Sector)}, [2]string{"level", strconv.Itoa(me.Level)})
		})
}

func newPartnerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "partner", Short: "Register and manage partners and municipalities (operator)"}
	var p struct {
		id, name, sector, roles, covenant, jwks, webhook string
		level                                            int
		municipalities, clientCerts                      []string
		privacyOffice                                    bool
		controllerRole, privacyContact                   string
	}
	add := clientCommand("add", "Register a partner or municipality with its public JWKS", cobra.NoArgs,
		func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&p.id, "id", "", "partner id (lower-case, e.g. kredietbank-eemland)")
			f.StringVar(&p.name, "name", "", "display name")
			f.StringVar(&p.sector, "sector", "", "municipality, education, work-income, debt, youth, social-services, wmo, health, other")
			f.StringVar(&p.roles, "roles", "connector", "comma-separated roles the partner may use")
			f.IntVar(&p.level, "level", 2, "ambition level the partner joins at (1-4); for a municipality its chosen level")
			f.StringSliceVar(&p.municipalities, "municipality", nil, "municipality served (repeatable)")
			f.StringVar(&p.covenant, "covenant", "", "covenant version the partner signed")
			f.StringVar(&p.jwks, "jwks", "", "file with the partner's public JWKS")
			f.StringVar(&p.webhook, "webhook", "", "URL that receives inbox items (level 3)")
			f.StringSliceVar(&p.clientCerts, "client-cert-id", nil, "with mutual TLS: the subject serial number (PKIoverheid: OIN) or organisation name the partner's client certificates carry (repeatable)")
			f.StringVar(&p.controllerRole, "controller-role", "", "the partner's role for this processing: controller, joint-controller (AVG art. 26, where arranged) or processor (art. 28)")
			f.StringVar(&p.privacyContact, "privacy-contact", "", "the partner's contact point for privacy questions (address, phone or URL of its FG)")
			f.BoolVar(&p.privacyOffice, "privacy-office", false, "the region's privacy office: its privacy officers see the whole audit trail, every consent and access report (others see the persons their own partner serves)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			jwks, err := readJWKS(p.jwks)
			if err != nil {
				return err
			}
			req := map[string]any{"id": p.id, "name": p.name, "sector": p.sector, "roles": splitList(p.roles),
				"level": p.level, "municipalities": p.municipalities, "covenant": p.covenant, "jwks": jwks}
			if p.webhook != "" {
				req["webhook"] = p.webhook
			}
			if len(p.clientCerts) > 0 {
				req["client_certs"] = p.clientCerts
			}
			if p.privacyOffice {
				req["privacy_office"] = true
			}
			if p.controllerRole != "" {
				req["controller_role"] = p.controllerRole
			}
			if p.privacyContact != "" {
				req["privacy_contact"] = p.privacyContact
			}
			out, err := c.RegisterPartner(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "registered %s (%s, sector %s, level %d, roles %s)\n", out.ID, out.Name, out.Sector, out.Level, joinRoles(out.Roles))
			warnUnknownMunicipalities(cmd.Context(), cmd.ErrOrStderr(), c, &out)
			return nil
		})
	list := readCommand("list", "List the registered partners", cobra.NoArgs, nil,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) ([]wire.Partner, error) {
			return c.ListPartners(cmd.Context())
		},
		func(w io.Writer, partners []wire.Partner) error {
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSECTOR\tLEVEL\tROLES\tCOVENANT\tSTATUS")
			for _, p := range partners {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", p.ID, p.Name, p.Sector, p.Level, joinRoles(p.Roles), p.Covenant, p.Status)
			}
			return tw.Flush()
		})
	show := readCommand("show ID", "Show one partner", cobra.ExactArgs(1), nil,
		func(cmd *cobra.Command, c *connectors.Client, args []string) (wire.Partner, error) {
			return c.GetPartner(cmd.Context(), args[0])
		}, printPartner)
	statusCmd := func(use string, set func(*connectors.Client, context.Context, string) (wire.Partner, error), short string) *cobra.Command {
		return clientCommand(use+" ID", short, cobra.ExactArgs(1), nil,
			func(cmd *cobra.Command, c *connectors.Client, args []string) error {
				out, err := set(c, cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s is now %s\n", out.ID, out.Status)
				return nil
			})
	}
	var keysFile string
	keys := clientCommand("keys ID", "Replace a partner's public JWKS (rotate: include the old key until its last tokens expire)", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&keysFile, "jwks", "", "file with the new public JWKS")
		},
		func(cmd *cobra.Command, c *connectors.Client, args []string) error {
			jwks, err := readJWKS(keysFile)
			if err != nil {
				return err
			}
			out, err := c.SetPartnerKeys(cmd.Context(), args[0], jwks)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "keys of %s replaced (revision %d)\n", out.ID, out.Revision)
			return nil
		})
	keys.AddCommand(personKeyCommands()...)
	cmd.AddCommand(add, newPartnerUpdateCommand(), list, show, keys, loginCommand(),
		statusCmd("suspend", (*connectors.Client).SuspendPartner, "Suspend a partner: its tokens are refused from the next request on"),
		statusCmd("activate", (*connectors.Client).ActivatePartner, "Reactivate a suspended partner"))
	return cmd
}

func readJWKS(file string) (json.RawMessage, error) {
	if file == "" {
		return nil, errors.New("--jwks FILE is required")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s is not JSON", file)
	}
	return json.RawMessage(b), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func joinRoles(rs []broker.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// personKeyCommands are `partner keys add|remove|list|suspend|resume`:
// keys bound to one person of a partner and the roles that person holds.
func personKeyCommands() []*cobra.Command {
	var partner, person, roles, jwksFile string
	partnerFlag := func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&partner, "partner", "", "partner id")
	}
	personFlags := func(cmd *cobra.Command) {
		partnerFlag(cmd)
		cmd.Flags().StringVar(&person, "person", "", "person id (the sub their tokens carry)")
	}
	need := func(names ...string) error {
		for i := 0; i+1 < len(names); i += 2 {
			if names[i+1] == "" {
				return fmt.Errorf("--%s is required", names[i])
			}
		}
		return nil
	}
	add := clientCommand("add", "Bind a person's public JWKS and roles to a partner (or replace them: rotation)", cobra.NoArgs,
		func(cmd *cobra.Command) {
			personFlags(cmd)
			cmd.Flags().StringVar(&roles, "roles", "", "comma-separated roles of the person (a subset of the partner's)")
			cmd.Flags().StringVar(&jwksFile, "jwks", "", "file with the person's public JWKS (identity new --person … --jwks-out)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if err := need("partner", partner, "person", person, "roles", roles); err != nil {
				return err
			}
			jwks, err := readJWKS(jwksFile)
			if err != nil {
				return err
			}
			k, err := c.PutPersonKey(cmd.Context(), partner, person, splitList(roles), jwks)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s of %s: keys %s, roles %s, %s\n", k.Person, partner,
				strings.Join(broker.KeyIDs(k.JWKS), ","), joinRoles(k.Roles), k.Status)
			return nil
		})
	remove := clientCommand("remove", "Remove a person's keys from a partner", cobra.NoArgs, personFlags,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if err := need("partner", partner, "person", person); err != nil {
				return err
			}
			if err := c.RemovePersonKey(cmd.Context(), partner, person); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed the keys of %s from %s\n", person, partner)
			return nil
		})
	list := withOutput(clientCommand("list", "List the persons with keys of a partner", cobra.NoArgs, partnerFlag,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if err := need("partner", partner); err != nil {
				return err
			}
			ks, err := c.PersonKeys(cmd.Context(), partner)
			if err != nil {
				return err
			}
			return emit(cmd, ks, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PERSON\tROLES\tSTATUS\tKEYS")
				for _, k := range ks {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Person, joinRoles(k.Roles), k.Status, strings.Join(broker.KeyIDs(k.JWKS), ","))
				}
				return tw.Flush()
			})
		}))
	status := func(use string, suspend bool, short string) *cobra.Command {
		return clientCommand(use, short, cobra.NoArgs, personFlags,
			func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
				if err := need("partner", partner, "person", person); err != nil {
					return err
				}
				k, err := c.SetPersonSuspended(cmd.Context(), partner, person, suspend)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s of %s is now %s\n", k.Person, partner, k.Status)
				return nil
			})
	}
	return []*cobra.Command{add, remove, list,
		status("suspend", true, "Suspend a person's keys (the organisation keeps working)"),
		status("resume", false, "Reactivate a suspended person's keys")}
}

// printPartner writes a partner as fields; -o json gives the whole record.
func printPartner(w io.Writer, p wire.Partner) error {
	var persons []string
	for _, k := range p.Persons {
		persons = append(persons, k.Person)
	}
	login := ""
	if p.Login != nil {
		login = p.Login.Issuer
	}
	teamLead := ""
	if p.TeamLead != nil {
		teamLead = p.TeamLead.Partner + "/" + p.TeamLead.Sub
	}
	return fieldTable(w,
		[2]string{"id", p.ID}, [2]string{"name", p.Name}, [2]string{"sector", string(p.Sector)},
		[2]string{"level", strconv.Itoa(p.Level)}, [2]string{"roles", joinRoles(p.Roles)},
		[2]string{"municipalities", strings.Join(p.Municipalities, ", ")}, [2]string{"covenant", p.Covenant},
		[2]string{"status", string(p.Status)}, [2]string{"webhook", p.Webhook},
		[2]string{"client certificates", strings.Join(p.ClientCerts, ", ")},
		[2]string{"controller role", p.ControllerRole}, [2]string{"privacy contact", p.PrivacyContact},
		[2]string{"person keys", strings.Join(persons, ", ")}, [2]string{"console login", login},
		[2]string{"team lead", teamLead}, [2]string{"registered", p.CreatedAt.Local().Format(time.DateTime)})
}
