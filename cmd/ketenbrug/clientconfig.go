package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// The client configuration file keeps named contexts — a broker, the
// identity to sign with and the TLS files to reach it — so that a person
// who works for two partners, or against a test and a production broker,
// does not retype --server and --as (as kubectl's and the step CLI's
// contexts do). It holds paths, never keys: the identity file stays where
// identity new wrote it, with its own 0600 mode.
//
// What a command uses, field by field: its flag when given, else the
// environment variable, else the context (--context, else
// KETENBRUG_CONTEXT, else the file's current context), else the default.

// clientConfigEnv names the file instead of the default location.
const clientConfigEnv = "KETENBRUG_CONFIG"

// clientContext is one named context.
type clientContext struct {
	Server     string `json:"server,omitempty"`
	As         string `json:"as,omitempty"`
	CAFile     string `json:"ca_file,omitempty"`
	ClientCert string `json:"client_cert,omitempty"`
	ClientKey  string `json:"client_key,omitempty"`
}

// clientConfig is the file's content.
type clientConfig struct {
	CurrentContext string                   `json:"current_context,omitempty"`
	Contexts       map[string]clientContext `json:"contexts"`
}

// clientConfigPath is where the file is: $KETENBRUG_CONFIG, else
// ketenbrug/config.json in the user's configuration directory
// (~/.config on Linux).
func clientConfigPath() (string, error) {
	if p := os.Getenv(clientConfigEnv); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory (%w): set %s to a file path", err, clientConfigEnv)
	}
	return filepath.Join(dir, "ketenbrug", "config.json"), nil
}

// loadClientConfig reads the file; a file that does not exist is an empty
// configuration.
func loadClientConfig() (clientConfig, string, error) {
	cfg := clientConfig{Contexts: map[string]clientContext{}}
	path, err := clientConfigPath()
	if err != nil {
		return cfg, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, path, nil
	}
	if err != nil {
		return cfg, path, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, path, fmt.Errorf("the client configuration %s is not valid JSON (%v): fix it, or move it aside and set the contexts again with ketenbrug config set-context", path, err)
	}
	if cfg.Contexts == nil {
		cfg.Contexts = map[string]clientContext{}
	}
	return cfg, path, nil
}

// save writes the file (0600, in a 0700 directory), through a temporary
// file and a rename so that a crash leaves the old file or the new one.
func (c clientConfig) save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// names returns the context names, sorted.
func (c clientConfig) names() []string {
	out := make([]string, 0, len(c.Contexts))
	for n := range c.Contexts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// context returns the context name names, or — for name "" — the current
// one (ok false when there is none).
func (c clientConfig) context(name string) (clientContext, bool, error) {
	if name == "" {
		name = c.CurrentContext
		if name == "" {
			return clientContext{}, false, nil
		}
	}
	ctx, ok := c.Contexts[name]
	if !ok {
		return clientContext{}, false, usageError{fmt.Errorf("there is no context %q: see ketenbrug config get-contexts, or make it with ketenbrug config set-context %s --server URL --as IDENTITY", name, name)}
	}
	return ctx, true, nil
}
