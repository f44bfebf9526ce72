package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/connectors"
)

// printSubjectAccess renders the report for the resident: plain language,
// one event a paragraph.
func newBackupCommand() *cobra.Command {
	var out string
	return clientCommand("backup", "Download a consistent copy of the broker's store while it serves (operator)", cobra.NoArgs,
		func(cmd *cobra.Command) { cmd.Flags().StringVar(&out, "out", "", "file to write the backup to") },
		func(cmd *cobra.Command, c *connectors.Client, _ []string) error {
			if out == "" {
				return errors.New("--out FILE is required")
			}
			backup, err := c.Backup(cmd.Context())
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, backup, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes, signature verified)\n", out, len(backup))
			return nil
		})
}
