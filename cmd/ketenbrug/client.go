package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// clientFlags are the flags every client command shares.
type clientFlags struct {
	server  string
	as      string
	tls     connectors.TLSFiles
	context string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.server, "server", envOr("KETENBRUG_SERVER", "http://127.0.0.1:8080"), "broker URL (env KETENBRUG_SERVER)")
	cmd.Flags().StringVar(&f.as, "as", envOr("KETENBRUG_AS", ""), "identity file to sign requests with (env KETENBRUG_AS)")
	cmd.Flags().StringVar(&f.tls.CA, "ca-file", envOr("KETENBRUG_CA_FILE", ""), "PEM CA bundle the broker's HTTPS certificate is checked against; default the system's (env KETENBRUG_CA_FILE)")
	cmd.Flags().StringVar(&f.tls.ClientCert, "client-cert", envOr("KETENBRUG_CLIENT_CERT", ""), "PEM client certificate, where the broker requires mutual TLS (env KETENBRUG_CLIENT_CERT)")
	cmd.Flags().StringVar(&f.tls.ClientKey, "client-key", envOr("KETENBRUG_CLIENT_KEY", ""), "PEM key of --client-cert (env KETENBRUG_CLIENT_KEY)")
	cmd.Flags().StringVar(&f.context, "context", envOr("KETENBRUG_CONTEXT", ""), "named context of the client configuration to use instead of its current one (ketenbrug config; env KETENBRUG_CONTEXT)")
}

// applyContext fills in, from the chosen context of the client
// configuration, every value that neither a flag nor its environment
// variable gave.
func (f *clientFlags) applyContext(cmd *cobra.Command) error {
	cfg, _, err := loadClientConfig()
	if err != nil {
		return err
	}
	ctx, ok, err := cfg.context(f.context)
	if err != nil || !ok {
		return err
	}
	for _, v := range []struct {
		flag, env string
		p         *string
		from      string
	}{
		{"server", "KETENBRUG_SERVER", &f.server, ctx.Server},
		{"as", "KETENBRUG_AS", &f.as, ctx.As},
		{"ca-file", "KETENBRUG_CA_FILE", &f.tls.CA, ctx.CAFile},
		{"client-cert", "KETENBRUG_CLIENT_CERT", &f.tls.ClientCert, ctx.ClientCert},
		{"client-key", "KETENBRUG_CLIENT_KEY", &f.tls.ClientKey, ctx.ClientKey},
	} {
		if v.from != "" && !cmd.Flags().Changed(v.flag) && os.Getenv(v.env) == "" {
			*v.p = v.from
		}
	}
	return nil
}

// client builds an SDK client from the flags, the environment and the
// client configuration's context.
func (f *clientFlags) client(cmd *cobra.Command) (*connectors.Client, error) {
	if err := f.applyContext(cmd); err != nil {
		return nil, err
	}
	if f.as == "" {
		return nil, usageError{errors.New("--as IDENTITY is required (or set KETENBRUG_AS, or a context: ketenbrug config set-context NAME --server URL --as IDENTITY)")}
	}
	id, err := connectors.LoadIdentity(f.as)
	if err != nil {
		return nil, err
	}
	cfg := connectors.Config{Server: f.server, Identity: id}
	if !f.tls.Empty() {
		if cfg.HTTPClient, err = f.tls.HTTPClient(); err != nil {
			return nil, err
		}
	}
	return connectors.New(cfg)
}

// clientCommand makes a command whose run function gets a ready client.
func clientCommand(use, short string, args cobra.PositionalArgs, setup func(*cobra.Command), run func(cmd *cobra.Command, c *connectors.Client, args []string) error) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{Use: use, Short: short, Args: args}
	f.register(cmd)
	if setup != nil {
		setup(cmd)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := f.client(cmd)
		if err != nil {
			return err
		}
		return run(cmd, c, args)
	}
	return cmd
}

// printJSON writes v indented.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readBSN reads a BSN from file (when set), else from standard input when
// it is not a terminal, else from a prompt that does not echo. A BSN is never
// taken as an argument: process lists and shell history keep those.
func readBSN(cmd *cobra.Command, file string) (string, error) {
	var raw string
	switch {
	case file == "-":
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" {
			return "", usageError{errors.New("no BSN on standard input: pipe it in (… | ketenbrug …), or give --bsn-file FILE")}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the BSN from standard input: %w", err)
		}
		raw = line
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		raw = string(b)
	default:
		in, ok := cmd.InOrStdin().(*os.File)
		if ok && term.IsTerminal(int(in.Fd())) {
			fmt.Fprint(cmd.ErrOrStderr(), "BSN (not shown): ")
			b, err := term.ReadPassword(int(in.Fd()))
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return "", err
			}
			raw = string(b)
		} else {
			return readBSN(cmd, "-")
		}
	}
	bsn := strings.TrimSpace(raw)
	if bsn == "" {
		return "", usageError{errors.New("no BSN given: put it in --bsn-file FILE, on standard input or at the prompt")}
	}
	// Checked here, so that a typo is caught before anything is sent (the
	// broker would refuse it too). The value is never repeated.
	if _, err := broker.ParseBSN(bsn); err != nil {
		return "", usageError{errors.New("that is not a BSN: a BSN is 9 digits that pass the elfproef; check for a typo (the value is not shown)")}
	}
	return bsn, nil
}
