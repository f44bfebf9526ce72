package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/policy"
	"github.com/ketenbrug/ketenbrug/rego"
)

// newPolicyTestCommand runs a bundle directory through the broker's own
// checks, locally, with no server.
func newPolicyTestCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "test DIR",
		Short: "Compile DIR strictly and run its Rego tests, as the broker does on push (no server needed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := policy.Test(cmd.Context(), args[0])
			printReport(cmd.OutOrStdout(), rep)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s would be accepted by the broker\n", args[0])
			return nil
		},
	}
}

// packBundle packs a policy directory as the OPA bundle the broker takes.
func packBundle(dir string) ([]byte, error) { return policy.PackDir(dir) }

// copyEmbeddedBundle writes the default bundle to dir, as a starting point
// for a privacy officer's edits.
func copyEmbeddedBundle(dir string) error { return os.CopyFS(dir, rego.Bundle) }

// editPolicyData rewrites a bundle's data.json through edit.
func editPolicyData(path string, edit func(map[string]any)) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	edit(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}
