package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every read command takes -o table|json (issue 17 item 3): a command that
// lists, shows, verifies or reports has the flag, so that scripts get the
// API's fields everywhere.
func TestEveryReadCommandTakesOutput(t *testing.T) {
	reads := map[string]bool{"list": true, "show": true, "history": true, "verify": true, "dead-letters": true,
		"inbox": true, "whoami": true, "get-contexts": true, "version": true, "statistics": true}
	var walk func(*cobra.Command)
	n := 0
	walk = func(cmd *cobra.Command) {
		if reads[cmd.Name()] && cmd.Runnable() {
			n++
			if cmd.Flags().Lookup("output") == nil {
				t.Errorf("%s has no -o/--output", cmd.CommandPath())
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand())
	if n < 20 {
		t.Errorf("only %d read commands found", n)
	}
}

// -o json prints one JSON document with the API's field names; -o with
// an unknown format is a usage error.
func TestOutputJSON(t *testing.T) {
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"version", "-o", "json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Client struct {
			Version string `json:"version"`
		} `json:"client"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Client.Version == "" {
		t.Fatalf("version -o json: %s (%v)", out.String(), err)
	}
	root = newRootCommand()
	root.SetOut(&out)
	root.SetArgs([]string{"version", "-o", "yaml"})
	err := root.Execute()
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "-o table") {
		t.Fatalf("version -o yaml: %v", err)
	}
}
