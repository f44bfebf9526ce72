package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker/audit"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// An independent copy of the audit chain: a privacy officer exports it
// regularly and keeps it away from the broker's machine, and anyone can
// verify a copy with only the broker's public keys. An operator who
// rewrote the chain in the store (they hold the broker's key, so they
// could re-sign its checkpoints) would then also have to rewrite every
// copy kept elsewhere: a rewritten chain shows against an older copy.

func newAuditExportCommand() *cobra.Command {
	var out string
	var from uint64
	return clientCommand("export", "Download the audit chain as stored (NDJSON), to keep a copy outside the broker (privacy officer, operator)", cobra.NoArgs,
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&out, "out", "", "file to write the chain to (mode 0600)")
			cmd.Flags().Uint64Var(&from, "from", 1, "first sequence number")
		},
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if out == "" {
				return errors.New("--out FILE is required")
			}
			chain, err := c.ExportAudit(cmd.Context(), from)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, chain, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes, response signature verified); check it any time with:\n  ketenbrug audit verify-file %s --jwks BROKER-JWKS\n",
				out, len(chain), out)
			return nil
		})
}

func newAuditVerifyFileCommand() *cobra.Command {
	var jwksFile string
	cmd := &cobra.Command{
		Use:   "verify-file FILE",
		Short: "Verify an exported audit chain offline, with only the broker's public keys",
		Long: `Verify an audit chain exported with 'ketenbrug audit export': every hash link,
every checkpoint signature (with the broker's public JWKS, as served at
/.well-known/jwks.json) and every purge anchor. Needs no server and no identity.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if jwksFile == "" {
				return errors.New("--jwks FILE (the broker's public JWKS) is required")
			}
			keys, err := auditKeys(jwksFile)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rep, err := audit.VerifyChain(cmd.Context(), f, keys)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if rep.OK {
				fmt.Fprintf(out, "intact: %s, %s\n", plural(rep.Entries, "entry", "entries"), plural(rep.Checkpoints, "signed checkpoint", "signed checkpoints"))
				return nil
			}
			fmt.Fprintf(out, "BROKEN: %s read, %s:\n", plural(rep.Entries, "entry", "entries"), plural(len(rep.Problems), "problem", "problems"))
			for _, p := range rep.Problems {
				fmt.Fprintf(out, "  seq %d: %s: %s\n", p.Seq, p.Kind, p.Detail)
			}
			return fmt.Errorf("%w: the audit chain did not verify", errVerificationFailed)
		},
	}
	cmd.Flags().StringVar(&jwksFile, "jwks", "", "the broker's public JWKS (as served at /.well-known/jwks.json)")
	return cmd
}

// auditKeys reads the Ed25519 public keys of a JWKS file by key id.
func auditKeys(path string) (audit.Ed25519Keys, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	set, err := jwk.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("--jwks: %w", err)
	}
	keys := audit.Ed25519Keys{}
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		var pub ed25519.PublicKey
		if err := jwk.Export(k, &pub); err != nil {
			continue // not an Ed25519 key: not the audit's
		}
		kid, _ := k.KeyID()
		keys[kid] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("--jwks %s holds no Ed25519 public key", path)
	}
	return keys, nil
}
