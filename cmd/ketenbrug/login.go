package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// loginCommand is `partner login set|show|remove`: a partner's console
// login through the organisation's own OpenID Connect provider.
func loginCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "login", Short: "Register how a partner's persons log in to the console (OpenID Connect; operator)"}
	var partner string
	var req connectors.LoginConfigRequest
	var roles []string
	partnerFlag := func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&partner, "partner", "", "partner id")
	}
	set := clientCommand("set", "Register (or replace) the partner's OpenID Connect provider and claim mapping", cobra.NoArgs,
		func(cmd *cobra.Command) {
			partnerFlag(cmd)
			f := cmd.Flags()
			f.StringVar(&req.Issuer, "issuer", "", "the provider's issuer URL (https)")
			f.StringVar(&req.ClientID, "client-id", "", "the broker's client id at the provider")
			f.StringVar(&req.ClientSecretFile, "client-secret-file", "", "absolute path, on the broker's machine, of the file holding the client secret (in its login-secrets directory, mode 0600); the secret never goes on a command line")
			f.StringVar(&req.PersonClaim, "person-claim", "sub", "the claim that is the person's id (e.g. preferred_username)")
			f.StringVar(&req.NameClaim, "name-claim", "name", "the claim shown as the person's name")
			f.StringVar(&req.RolesClaim, "roles-claim", "groups", "the claim whose values --role maps")
			f.StringArrayVar(&roles, "role", nil, "ROLE=CLAIM-VALUE: a person whose roles claim holds CLAIM-VALUE acts as ROLE (coordinator, professional, privacy-officer, operator; repeatable)")
			f.StringSliceVar(&req.Scopes, "scope", nil, "a scope to ask beside openid and profile, where the provider needs one for the roles claim (repeatable)")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if partner == "" || req.Issuer == "" || req.ClientID == "" || req.ClientSecretFile == "" {
				return errors.New("--partner, --issuer, --client-id and --client-secret-file are required")
			}
			if len(roles) == 0 {
				return errors.New("give at least one --role ROLE=CLAIM-VALUE, e.g. --role coordinator=regisseurs")
			}
			req.RoleMap = nil
			for _, r := range roles {
				m, err := broker.ParseRoleMapping(r)
				if err != nil {
					return fmt.Errorf("--role %w", err)
				}
				req.RoleMap = append(req.RoleMap, wire.RoleMapping{Role: m.Role, Value: m.Value})
			}
			lc, err := c.SetLoginConfig(cmd.Context(), partner, req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s logs in at %s as client %s (person claim %s, roles from %s); redirect URI: <the broker's --public-url>/console/callback\n",
				partner, lc.Issuer, lc.ClientID, lc.PersonClaim, lc.RolesClaim)
			return nil
		})
	show := readCommand("show", "Show the partner's login configuration", cobra.NoArgs, partnerFlag,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) (wire.LoginConfig, error) {
			if partner == "" {
				return wire.LoginConfig{}, usageError{errors.New("--partner is required")}
			}
			return c.LoginConfig(cmd.Context(), partner)
		},
		func(w io.Writer, lc wire.LoginConfig) error {
			var roles []string
			for _, m := range lc.RoleMap {
				roles = append(roles, m.Value+" → "+string(m.Role))
			}
			return fieldTable(w, [2]string{"issuer", lc.Issuer}, [2]string{"client id", lc.ClientID},
				[2]string{"client secret file", lc.ClientSecretFile}, [2]string{"person claim", lc.PersonClaim},
				[2]string{"name claim", lc.NameClaim}, [2]string{"roles claim", lc.RolesClaim},
				[2]string{"roles", strings.Join(roles, "; ")})
		})
	remove := clientCommand("remove", "Remove the partner's login configuration (its console sessions end)", cobra.NoArgs, partnerFlag,
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if partner == "" {
				return errors.New("--partner is required")
			}
			if err := c.RemoveLoginConfig(cmd.Context(), partner); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed the login of %s\n", partner)
			return nil
		})
	cmd.AddCommand(set, show, remove)
	return cmd
}
