package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
	"github.com/ketenbrug/ketenbrug/policy"
	"github.com/ketenbrug/ketenbrug/rego"
)

// buildInfo says what this binary is: its module version, the commit it
// was built from, the Go version, and the revision of the policy bundle it
// carries (the content hash of the built-in bundle, the id a broker shows
// it under in `policy list`).
func buildInfo() protocol.BuildInfo {
	b := protocol.BuildInfo{Version: "(devel)", Commit: "unknown", GoVersion: runtime.Version(), PolicyRevision: "unknown"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					b.Modified = true
				}
			}
		}
	}
	if bundle, err := policy.Pack(rego.Bundle); err == nil {
		b.PolicyRevision = broker.PolicyID(bundle)
	}
	return b
}

// registerBuildInfo adds the ketenbrug_build_info gauge (always 1, the
// build in its labels), as Prometheus exporters conventionally do.
func registerBuildInfo(reg prometheus.Registerer, b protocol.BuildInfo) error {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "ketenbrug", Name: "build_info",
		Help: "The running build: module version, commit, Go version and the built-in policy bundle's revision."},
		[]string{"version", "commit", "go_version", "policy_revision"})
	g.WithLabelValues(b.Version, b.Commit, b.GoVersion, b.PolicyRevision).Set(1)
	return reg.Register(g)
}

func versionLine(b protocol.BuildInfo) string {
	commit := b.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if b.Modified {
		commit += "+modified"
	}
	return fmt.Sprintf("ketenbrug %s (commit %s, %s, policy bundle %s)", b.Version, commit, b.GoVersion, shortID(b.PolicyRevision))
}

func newVersionCommand() *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print this binary's version (and, with --server, the broker's)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// -o json: {"client": …, "broker": {"id": …, "build": …}}.
			type brokerBuild struct {
				ID    string             `json:"id"`
				Build protocol.BuildInfo `json:"build"`
			}
			var doc struct {
				Client protocol.BuildInfo `json:"client"`
				Broker *brokerBuild       `json:"broker,omitempty"`
			}
			doc.Client = buildInfo()
			if server != "" {
				conf, err := connectors.Configuration(cmd.Context(), server, nil)
				if err != nil {
					return fmt.Errorf("asking %s for its version: %w", server, err)
				}
				doc.Broker = &brokerBuild{ID: conf.ID, Build: conf.Build}
			}
			return emit(cmd, doc, func(w io.Writer) error {
				fmt.Fprintln(w, versionLine(doc.Client))
				if doc.Broker != nil {
					fmt.Fprintf(w, "broker %s at %s: %s\n", doc.Broker.ID, server, versionLine(doc.Broker.Build))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&server, "server", envOr("KETENBRUG_SERVER", ""), "also ask this broker for its version (env KETENBRUG_SERVER)")
	return withOutput(cmd)
}
