package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// run runs the ketenbrug command line with args and returns its output.
func run(ctx context.Context, args ...string) (string, error) {
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

// quietStderr sends what the commands log to standard error (their
// logger's fixed destination) to a file for the rest of t.
func quietStderr(t *testing.T) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = f
	t.Cleanup(func() {
		os.Stderr = old
		f.Close()
	})
}

// TestInitCommand runs `ketenbrug init` and checks the data directory.
func TestInitCommand(t *testing.T) {
	quietStderr(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	out, err := run(ctx, "init", "--data", dir, "--id", "kb-init")
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	for _, f := range []string{storeFile, brokerKeyFile, secretFile, operatorFile} {
		if !strings.Contains(out, f) {
			t.Errorf("init does not mention %s:\n%s", f, out)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v, want 0700", fi.Mode().Perm())
	}
	for _, f := range []string{storeFile, brokerKeyFile, secretFile, operatorFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	id, err := connectors.LoadIdentity(filepath.Join(dir, operatorFile))
	if err != nil {
		t.Fatalf("operator identity: %v", err)
	}
	if id.Partner != operatorID || id.Role != string(broker.RoleOperator) {
		t.Errorf("operator identity %+v", id)
	}

	// Again: nothing changes, not even the audit trail (a second init
	// used to append a policy activation that did not happen and a
	// checkpoint over it).
	key, _ := os.ReadFile(filepath.Join(dir, brokerKeyFile))
	head := auditHead(t, dir)
	out, err = run(ctx, "init", "--data", dir, "--id", "kb-init")
	if err != nil {
		t.Fatalf("second init: %v", err)
	}
	if !strings.Contains(out, "already initialised") {
		t.Errorf("second init: %s", out)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, brokerKeyFile)); !bytes.Equal(key, again) {
		t.Error("the second init replaced the broker key")
	}
	if again := auditHead(t, dir); again != head {
		t.Errorf("the second init appended audit entries: head %d, was %d", again, head)
	}

	// (The operator init registered answers with this identity: see
	// TestServeCommand.)

	// A secret others can read is refused.
	if err := os.Chmod(filepath.Join(dir, secretFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(ctx, "init", "--data", dir, "--id", "kb-init"); err == nil || !strings.Contains(err.Error(), "too open") {
		t.Errorf("init with a world-readable secret: %v", err)
	}
}

// TestServeCommand runs `ketenbrug serve` on an empty directory: it
// initialises it, serves, answers the operator, and stops when its context
// ends.
func TestServeCommand(t *testing.T) {
	quietStderr(t)
	dir := filepath.Join(t.TempDir(), "data")
	// serve reports its address only in its log (on standard error), so
	// the test picks a free port first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := run(ctx, "serve", "--data", dir, "--id", "kb-serve", "--listen", addr)
		done <- err
	}()
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the broker did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !isInitialised(dir) {
		t.Error("serve did not initialise the data directory")
	}
	id, err := connectors.LoadIdentity(filepath.Join(dir, operatorFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := connectors.New(connectors.Config{Server: url, Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	var me broker.Whoami
	if err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, &me); err != nil {
		t.Fatal(err)
	}
	if me.Partner != operatorID || c.BrokerID() != "kb-serve" {
		t.Errorf("whoami %+v at broker %s", me, c.BrokerID())
	}
	out, err := run(ctx, "whoami", "--server", url, "--as", filepath.Join(dir, operatorFile), "-o", "json")
	if err != nil || !strings.Contains(out, `"partner": "operator"`) {
		t.Errorf("whoami command: %v\n%s", err, out)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	case <-time.After(35 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestDemo plays the demo, with the broker's log on, and checks that no
// BSN of the story reaches the log or the output.
func TestDemo(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "stderr.log")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = f // --verbose logs there
	var out bytes.Buffer
	err = runDemo(context.Background(), &out, false, true)
	os.Stderr = old
	f.Close()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	logs, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logs, []byte(`"request_id"`)) {
		t.Fatal("the demo's broker logged nothing")
	}
	for i := 0; i < 12; i++ {
		if bsn := demoBSN(i); bytes.Contains(logs, []byte(bsn)) || strings.Contains(out.String(), bsn) {
			t.Errorf("the demo's BSN %d appears in the log or the output", i)
		}
	}
	for _, want := range []string{
		"registered two municipalities and their partners",
		"its signed answer verified",
		"replay 401 token_replayed",
		"consent",
		"reasons level_too_low — Leusden works at level 2 (consulting many partners)",
		"assignments belong to level 3 (giving each other assignments)",
		"Amersfoort works at level 4 (joint agreements on joint goals: one plan)",
		"The match is a promise: a follow-up for the coordinator",
		"404 not_found, as for a follow-up that does not exist",
		`closes it: closed, outcome "afgestemd"`,
		"Level 3 — she gives the Kredietbank an assignment",
		"Level 4 — the coordinator opens the joint plan",
		"more than the listing above: reading the trail and answering the access request are audited too",
		"receives it at once",
		"refused (409 conflict)",
		"accepted → completed",
		"is refused (412 precondition_failed)",
		"Version 3, with 3 versions in its history",
		"refused (403 forbidden) — four eyes",
		"is now active",
		"The audit chain is verified: intact",
		"Leusden's policy adviser (role analyst) reads the pilot's figures",
		"Asked for Amersfoort's: 404 not_found, as for a municipality that does not exist; asked for an overview: 403 forbidden",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo does not say %q:\n%s", want, out.String())
		}
	}
}

// auditHead returns the sequence number of the newest audit entry in the
// store of a stopped broker's data directory.
func auditHead(t *testing.T, dir string) uint64 {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(dir, storeFile), boltstore.Config{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var seq uint64
	if err := st.View(func(tx broker.ReadTx) error {
		var err error
		seq, _, err = tx.AuditHead()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return seq
}

// TestInitHelpListsItsOwnFlags: init --help lists what init uses, not
// serve's listener, webhook and limit flags (which it still accepts).
func TestInitHelpListsItsOwnFlags(t *testing.T) {
	out, err := run(context.Background(), "init", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--data", "--id", "--log-level"} {
		if !strings.Contains(out, want) {
			t.Errorf("init --help does not list %s:\n%s", want, out)
		}
	}
	for _, serveOnly := range []string{"--webhook-attempts", "--partner-rate", "--read-timeout", "--unusual-volume", "--policy-four-eyes", "--login-secrets"} {
		if strings.Contains(out, serveOnly) {
			t.Errorf("init --help lists serve's %s:\n%s", serveOnly, out)
		}
	}
	serveHelp, err := run(context.Background(), "serve", "--help")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(serveHelp, "--webhook-attempts") {
		t.Errorf("serve --help lost its flags:\n%s", serveHelp)
	}
	dir := filepath.Join(t.TempDir(), "d")
	if _, err := run(context.Background(), "init", "--data", dir, "--partner-rate", "5", "--log-level", "warn"); err != nil {
		t.Errorf("init no longer accepts a serve flag a script passes: %v", err)
	}
}
