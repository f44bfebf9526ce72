// Command ketenbrug is the Ketenbrug broker and its command-line client in
// one binary: `serve` runs the broker, `init` prepares a data directory,
// `demo` plays the whole mission on a temporary broker, and the other
// subcommands talk to a running broker as a partner, a privacy officer or
// the operator, signing every request with an identity file.
//
// This is the one place that builds concrete types and wires them together
// (see CreateSystem).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/connectors"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := withoutBSN(newRootCommand().ExecuteContext(ctx))
	stop()
	if err != nil {
		var pe *connectors.ProblemError
		if errors.As(err, &pe) {
			fmt.Fprintln(os.Stderr, "ketenbrug: the broker refused:", pe.Error())
		} else {
			fmt.Fprintln(os.Stderr, "ketenbrug:", err)
		}
		os.Exit(exitCode(err))
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "ketenbrug",
		Short: "Privacy-aware data-exchange broker for the social domain",
		Long: `Ketenbrug builds digital bridges between the chain partners around one household
(school, UWV, debt counselling, youth centre, social services, WMO desk), so that
professionals know of each other and work to one plan — without the broker becoming
a central case file. Every disclosure passes the Rego policy and is audited.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newDemoCommand(),
		newInitCommand(),
		newServeCommand(),
		newIdentityCommand(),
		newWhoamiCommand(),
		newPartnerCommand(),
		newConsentCommand(),
		newRestrictionCommand(),
		newPolicyCommand(),
		newAuditCommand(),
		newStatisticsCommand(),
		newBackupCommand(),
		newConnectorCommand(),
		newInvolvementCommand(), newHouseholdCommand(), newInboxCommand(),
		newAssignmentCommand(), newFollowupCommand(), newPlanCommand(), newWebhookCommand(),
		newVersionCommand(),
		newRestoreCommand(),
		newMigrateCommand(),
		newPurposeCommand(),
		newConfigCommand(),
	)
	registerCompletions(root)
	// --version prints the same line as `ketenbrug version`.
	root.Version = versionLine(buildInfo())
	root.SetVersionTemplate("{{.Version}}\n")
	return root
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
