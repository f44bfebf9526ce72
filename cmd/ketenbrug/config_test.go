package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// TestMain keeps the tests away from the developer's own client
// configuration (~/.config/ketenbrug/config.json): a current context there
// would fill in --server and --as for commands the tests run without them.
func TestMain(m *testing.M) {
	// A file that does not exist, in a directory that is never made: no
	// test writes through it (those that write set their own), so nothing
	// is left in /tmp even when a test run is killed.
	os.Setenv(clientConfigEnv, filepath.Join(os.TempDir(), fmt.Sprintf("ketenbrug-no-config-%d", os.Getpid()), "config.json"))
	os.Exit(m.Run())
}

// TestClientContexts: named contexts as kubectl's — set-context,
// use-context, --context — with a flag over the environment over the
// context, and refusals that name the next step.
func TestClientContexts(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "cfg", "config.json")
	t.Setenv(clientConfigEnv, cfgFile)
	for _, env := range []string{"KETENBRUG_SERVER", "KETENBRUG_AS", "KETENBRUG_CONTEXT"} {
		t.Setenv(env, "")
	}
	tb := newTestBroker(t)
	dir := t.TempDir()
	k := newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "gem-x", broker.SectorMunicipality, []broker.Role{broker.RoleCoordinator}, k)
	ident := invIdentityFile(t, dir, k, "gem-x", "c.regisseur", broker.RoleCoordinator)
	ctx := context.Background()
	down := "http://127.0.0.1:1" // nothing listens there

	// Without a context, the refusal names how to make one.
	if _, err := run(ctx, "whoami"); err == nil || !strings.Contains(err.Error(), "config set-context") || exitCode(err) != exitUsage {
		t.Fatalf("whoami without --as or a context: %v", err)
	}
	out, err := run(ctx, "config", "get-contexts")
	if err != nil || !strings.Contains(out, "no contexts") {
		t.Fatalf("get-contexts on no file: %v %s", err, out)
	}

	// A relative identity path is kept absolute: the context works from
	// any directory.
	t.Chdir(dir)
	out, err = run(ctx, "config", "set-context", "regio", "--server", tb.url, "--as", filepath.Base(ident))
	if err != nil || !strings.Contains(out, "context regio made") || !strings.Contains(out, "(current)") {
		t.Fatalf("set-context: %v %s", err, out)
	}
	t.Chdir(t.TempDir())
	if out, err = run(ctx, "whoami"); err != nil || !strings.Contains(out, "gem-x") {
		t.Fatalf("whoami on the current context: %v %s", err, out)
	}
	fi, err := os.Stat(cfgFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the configuration file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(cfgFile); !strings.Contains(string(b), ident) {
		t.Errorf("the identity path is not kept absolute:\n%s", b)
	}

	// A second context does not become current; --context picks it.
	if _, err := run(ctx, "config", "set-context", "test", "--server", down, "--as", ident); err != nil {
		t.Fatal(err)
	}
	if out, err = run(ctx, "whoami"); err != nil || !strings.Contains(out, "gem-x") {
		t.Fatalf("the current context changed: %v %s", err, out)
	}
	if _, err = run(ctx, "whoami", "--context", "test"); err == nil {
		t.Fatal("--context test did not use the test context's broker")
	}
	// A flag beats the context, and so does the environment.
	if out, err = run(ctx, "whoami", "--context", "test", "--server", tb.url); err != nil || !strings.Contains(out, "gem-x") {
		t.Errorf("--server did not override the context: %v %s", err, out)
	}
	t.Setenv("KETENBRUG_SERVER", tb.url)
	if out, err = run(ctx, "whoami", "--context", "test"); err != nil || !strings.Contains(out, "gem-x") {
		t.Errorf("KETENBRUG_SERVER did not override the context: %v %s", err, out)
	}
	t.Setenv("KETENBRUG_SERVER", "")
	// set-context changes only the flags given.
	if out, err = run(ctx, "config", "set-context", "test", "--server", tb.url); err != nil || !strings.Contains(out, "context test changed") {
		t.Fatalf("changing a context: %v %s", err, out)
	}
	if out, err = run(ctx, "whoami", "--context", "test"); err != nil || !strings.Contains(out, "gem-x") {
		t.Errorf("the changed context lost its identity: %v %s", err, out)
	}

	if _, err := run(ctx, "config", "use-context", "test"); err != nil {
		t.Fatal(err)
	}
	out, err = run(ctx, "config", "get-contexts")
	current := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "*" {
			current[f[1]] = true
		}
	}
	if err != nil || len(current) != 1 || !current["test"] {
		t.Errorf("get-contexts does not mark test, and only test, current: %v\n%s", err, out)
	}
	if out, _ := run(ctx, "config", "current-context"); strings.TrimSpace(out) != "test" {
		t.Errorf("current-context: %q", out)
	}

	// Unknown names and bad names: refused, naming the next step.
	for _, args := range [][]string{
		{"config", "use-context", "nope"},
		{"whoami", "--context", "nope"},
		{"config", "delete-context", "nope"},
	} {
		_, err := run(ctx, args...)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "config get-contexts") {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := run(ctx, "config", "set-context", "a b/c", "--server", down); err == nil {
		t.Error("a context name with a space and a slash was accepted")
	}

	if _, err := run(ctx, "config", "delete-context", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(ctx, "config", "current-context"); err == nil || !strings.Contains(err.Error(), "use-context") {
		t.Errorf("current-context after deleting the current one: %v", err)
	}

	// A damaged file is named, with what to do.
	if err := os.WriteFile(cfgFile, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(ctx, "whoami"); err == nil || !strings.Contains(err.Error(), cfgFile) || !strings.Contains(err.Error(), "set-context") {
		t.Errorf("a damaged configuration: %v", err)
	}
}
