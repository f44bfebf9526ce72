package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// newConfigCommand manages the client configuration's named contexts
// (clientconfig.go).
func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Named contexts (broker, identity, TLS files) for the client commands, as kubectl's"}

	var set clientContext
	setContext := &cobra.Command{
		Use:   "set-context NAME",
		Short: "Make or change a context; only the flags given change (paths are kept absolute)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !validContextName(name) {
				return usageError{fmt.Errorf("a context name is 1-64 letters, digits, '.', '_' or '-': %q is not one", name)}
			}
			cfg, path, err := loadClientConfig()
			if err != nil {
				return err
			}
			cur, existed := cfg.Contexts[name]
			for _, v := range []struct {
				flag string
				from string
				to   *string
				file bool
			}{
				{"server", set.Server, &cur.Server, false},
				{"as", set.As, &cur.As, true},
				{"ca-file", set.CAFile, &cur.CAFile, true},
				{"client-cert", set.ClientCert, &cur.ClientCert, true},
				{"client-key", set.ClientKey, &cur.ClientKey, true},
			} {
				if !cmd.Flags().Changed(v.flag) {
					continue
				}
				*v.to = v.from
				if v.file && v.from != "" {
					// A context is used from any directory.
					if *v.to, err = filepath.Abs(v.from); err != nil {
						return err
					}
				}
			}
			cfg.Contexts[name] = cur
			if cfg.CurrentContext == "" {
				cfg.CurrentContext = name
			}
			if err := cfg.saveTo(path); err != nil {
				return err
			}
			verb := "made"
			if existed {
				verb = "changed"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "context %s %s in %s", name, verb, path)
			if cfg.CurrentContext == name {
				fmt.Fprint(cmd.OutOrStdout(), " (current)")
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	setContext.Flags().StringVar(&set.Server, "server", "", "broker URL")
	setContext.Flags().StringVar(&set.As, "as", "", "identity file to sign requests with")
	setContext.Flags().StringVar(&set.CAFile, "ca-file", "", "PEM CA bundle the broker's HTTPS certificate is checked against")
	setContext.Flags().StringVar(&set.ClientCert, "client-cert", "", "PEM client certificate, where the broker requires mutual TLS")
	setContext.Flags().StringVar(&set.ClientKey, "client-key", "", "PEM key of --client-cert")

	useContext := &cobra.Command{
		Use:   "use-context NAME",
		Short: "Make NAME the context client commands use without --context",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := editContext(args[0], func(cfg *clientConfig) { cfg.CurrentContext = args[0] }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "now using context %s\n", args[0])
			return nil
		},
	}

	getContexts := &cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts; * marks the current one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, path, err := loadClientConfig()
			if err != nil {
				return err
			}
			// -o json: the configuration as the file holds it (paths, no keys).
			return emit(cmd, cfg, func(w io.Writer) error {
				if len(cfg.Contexts) == 0 {
					fmt.Fprintf(w, "no contexts in %s: make one with ketenbrug config set-context NAME --server URL --as IDENTITY\n", path)
					return nil
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CURRENT\tNAME\tSERVER\tIDENTITY")
				for _, n := range cfg.names() {
					c := cfg.Contexts[n]
					mark := ""
					if n == cfg.CurrentContext {
						mark = "*"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", mark, n, c.Server, c.As)
				}
				return tw.Flush()
			})
		},
	}
	withOutput(getContexts)

	deleteContext := &cobra.Command{
		Use:   "delete-context NAME",
		Short: "Remove a context (the identity file it names stays)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := editContext(args[0], func(cfg *clientConfig) {
				delete(cfg.Contexts, args[0])
				if cfg.CurrentContext == args[0] {
					cfg.CurrentContext = ""
				}
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "context %s removed\n", args[0])
			return nil
		},
	}

	currentContext := &cobra.Command{
		Use:   "current-context",
		Short: "Print the current context's name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadClientConfig()
			if err != nil {
				return err
			}
			if cfg.CurrentContext == "" {
				return usageError{errors.New("no current context: ketenbrug config use-context NAME (see ketenbrug config get-contexts)")}
			}
			fmt.Fprintln(cmd.OutOrStdout(), cfg.CurrentContext)
			return nil
		},
	}

	cmd.AddCommand(setContext, useContext, getContexts, deleteContext, currentContext)
	return cmd
}

// editContext changes the client configuration with edit, when it has a
// context name, and saves it.
func editContext(name string, edit func(*clientConfig)) error {
	cfg, path, err := loadClientConfig()
	if err != nil {
		return err
	}
	if _, _, err := cfg.context(name); err != nil {
		return err
	}
	edit(&cfg)
	return cfg.saveTo(path)
}

// saveTo saves the configuration to path, naming the file in an error.
func (c clientConfig) saveTo(path string) error {
	if err := c.save(path); err != nil {
		return fmt.Errorf("writing the client configuration %s: %w", path, err)
	}
	return nil
}

// validContextName keeps names simple to type and to read in a listing.
func validContextName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
