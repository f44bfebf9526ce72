package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// Completion of values, not only of commands (cobra's `ketenbrug
// completion bash|zsh|fish|powershell` script calls these): the purposes
// the caller may state, the households it coordinates, partner ids and
// the export adapters. The broker is asked as the command would ask it —
// the same --server, --as and context — so a completion shows only what
// the caller may see; when it cannot ask (no identity yet, no broker) it
// offers nothing rather than failing the shell.

// completionTimeout keeps a slow broker from hanging the shell.
const completionTimeout = 3 * time.Second

// completionClient builds the client the command itself would use.
func completionClient(cmd *cobra.Command) (*connectors.Client, context.Context, context.CancelFunc, bool) {
	get := func(name string) string {
		if f := cmd.Flags().Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	f := clientFlags{server: get("server"), as: get("as"), context: get("context"),
		tls: connectors.TLSFiles{CA: get("ca-file"), ClientCert: get("client-cert"), ClientKey: get("client-key")}}
	c, err := f.client(cmd)
	if err != nil {
		return nil, nil, nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	return c, ctx, cancel, true
}

// completions keeps the candidates that start with toComplete.
func completions(candidates []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	out := slices.DeleteFunc(candidates, func(s string) bool { return !strings.HasPrefix(s, toComplete) })
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeFrom offers the values list gets from the broker, asked as the
// command would ask it; nothing when it cannot ask.
func completeFrom(cmd *cobra.Command, toComplete string, list func(ctx context.Context, c *connectors.Client) ([]string, error)) ([]string, cobra.ShellCompDirective) {
	c, ctx, cancel, ok := completionClient(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	out, err := list(ctx, c)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completions(out, toComplete)
}

func completePurposes(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return completeFrom(cmd, toComplete, func(ctx context.Context, c *connectors.Client) ([]string, error) {
		ps, err := c.ListPurposes(ctx)
		var out []string
		for _, p := range ps {
			out = append(out, p.Code+"\t"+p.Name)
		}
		return out, err
	})
}

func completeHouseholds(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	purpose := "integrale-ondersteuning"
	if f := cmd.Flags().Lookup("purpose"); f != nil && f.Value.String() != "" {
		purpose = f.Value.String()
	}
	return completeFrom(cmd, toComplete, func(ctx context.Context, c *connectors.Client) ([]string, error) {
		var l broker.HouseholdList
		err := c.ListHouseholds(ctx, purpose, "", "", broker.MaxHouseholdPage, &l)
		var out []string
		for _, h := range l.Households {
			out = append(out, h.ID+"\t"+h.Municipality)
		}
		return out, err
	})
}

func completePartners(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 && cmd.Flags().Lookup("partner") == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeFrom(cmd, toComplete, func(ctx context.Context, c *connectors.Client) ([]string, error) {
		ps, err := c.ListPartners(ctx)
		var out []string
		for _, p := range ps {
			out = append(out, p.ID+"\t"+p.Name)
		}
		return out, err
	})
}

func completeAdapters(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return completions(adapters.Names(), toComplete)
}

// registerCompletions gives every command's value flags and arguments
// their completion: --purpose, --adapter and --partner wherever they are,
// a household id as the argument of the household and plan commands, a
// partner id as the argument of the partner commands that take one.
func registerCompletions(root *cobra.Command) {
	households := map[string]bool{"household show": true, "plan show": true, "plan edit": true, "plan history": true}
	partners := map[string]bool{"partner show": true, "partner keys": true, "partner suspend": true, "partner activate": true, "partner update": true}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for flag, fn := range map[string]cobra.CompletionFunc{"purpose": completePurposes, "adapter": completeAdapters, "partner": completePartners} {
			if cmd.Flags().Lookup(flag) != nil {
				_ = cmd.RegisterFlagCompletionFunc(flag, fn)
			}
		}
		path := strings.TrimPrefix(cmd.CommandPath(), root.Name()+" ")
		switch {
		case households[path]:
			cmd.ValidArgsFunction = completeHouseholds
		case partners[path]:
			cmd.ValidArgsFunction = completePartners
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
