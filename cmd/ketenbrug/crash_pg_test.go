package main

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashRoundsPostgres bounds TestCrashSafetyPostgres: each round starts
// a broker on PostgreSQL, which costs more than reopening a bbolt file.
const crashRoundsPostgres = 4

// TestCrashSafetyPostgres is TestCrashSafety's harness on PostgreSQL
// (issue 20): the real binary, serve --store postgres://…, the same
// concurrent writers, SIGKILL at random moments and a restart on the
// same database. Every acknowledged write must survive, nothing
// unacknowledged may be half there, and the audit chain must verify
// after every kill (verifyLedger reads it all back through the API).
func TestCrashSafetyPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: builds and kills the broker binary")
	}
	store := testPostgresURL(t)
	// init and serve both take it from the environment.
	t.Setenv("KETENBRUG_STORE", store)
	started := time.Now()
	bin := buildBroker(t)
	dir := filepath.Join(t.TempDir(), "data")
	childTmp := t.TempDir()
	b := &childBroker{t: t, bin: bin, dir: dir, id: "kb-crash-pg", env: []string{"TMPDIR=" + childTmp}}
	b.init()
	b.start()
	if _, err := os.Stat(filepath.Join(dir, storeFile)); err == nil {
		t.Fatal("the broker made a bbolt file: it is not running on PostgreSQL")
	}
	parties := b.setupParties()
	ledger := newCrashLedger()
	rounds := min(*crashRounds, crashRoundsPostgres)
	checked := 0
	for round := range rounds {
		ctx, cancel := context.WithCancel(context.Background())
		wg := startWriters(ctx, parties, ledger, round, true)
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		b.kill()
		cancel()
		wg.Wait()
		b.start()
		checkNoSpoolLeft(t, dir, childTmp, round)
		checked = verifyLedger(t, parties, ledger, round)
		if t.Failed() {
			t.FailNow()
		}
	}
	b.stop()
	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	t.Logf("%d kill rounds on PostgreSQL survived in %s, none lost: %d acknowledged writes checked in the last round; "+
		"%d of %d involvement upserts and %d of %d consents acknowledged",
		rounds, time.Since(started).Round(time.Millisecond), checked, countTrue(ledger.invAcked), len(ledger.invSent),
		countTrue(ledger.conAcked), len(ledger.conSent))
	if countTrue(ledger.invAcked) == 0 || countTrue(ledger.conAcked) == 0 {
		t.Error("no write was acknowledged: the harness checked nothing")
	}
}

// TestPostgresRestart: PostgreSQL itself crashes and comes back
// (pg_ctl restart -m immediate) while the broker is under load. Requests
// fail meanwhile (5xx, which clients retry), the broker reconnects on its
// own, every acknowledged write is there afterwards and the audit chain
// verifies. The cluster is the test's own (bash .ci/postgres in a
// directory of its own), not the shared test server.
func TestPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster of its own and the broker binary")
	}
	requirePostgres(t) // PostgreSQL's programs are needed
	pgDir, err := os.MkdirTemp("", "kbpg")
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../../.ci/postgres")
	if err != nil {
		t.Fatal(err)
	}
	pgEnv := append(os.Environ(), "KETENBRUG_PG_DIR="+pgDir)
	t.Cleanup(func() {
		cmd := exec.Command("bash", script, "stop")
		cmd.Env = pgEnv
		_ = cmd.Run()
	})
	start := exec.Command("bash", script)
	start.Env = pgEnv
	dsnRaw, err := start.Output()
	if err != nil {
		t.Fatalf(".ci/postgres in %s: %v", pgDir, err)
	}
	t.Setenv("KETENBRUG_TEST_POSTGRES", strings.TrimSpace(string(dsnRaw)))
	store := testPostgresURL(t)
	t.Setenv("KETENBRUG_STORE", store)

	bin := buildBroker(t)
	dir := filepath.Join(t.TempDir(), "data")
	b := &childBroker{t: t, bin: bin, dir: dir, id: "kb-pg-restart"}
	b.init()
	b.start()
	parties := b.setupParties()
	ledger := newCrashLedger()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { writeInvolvements(ctx, parties.conn, ledger, 0, w) })
	}
	for w := range 2 {
		wg.Go(func() { writeConsents(ctx, parties.pro, parties, ledger, 0, w) })
	}
	time.Sleep(500 * time.Millisecond)
	ledger.mu.Lock()
	before := countTrue(ledger.invAcked)
	ledger.mu.Unlock()
	// -l: the new server's output goes to the log file, not to a pipe of
	// this test, which would stay open as long as the server runs.
	pgCtl := []string{"/usr/lib/postgresql/15/bin/pg_ctl", "-D", filepath.Join(pgDir, "data"), "-l",
		filepath.Join(pgDir, "log"), "-m", "immediate", "-w", "restart"}
	if os.Getuid() == 0 {
		pgCtl = append([]string{"runuser", "-u", "postgres", "--"}, pgCtl...)
	}
	if err := exec.Command(pgCtl[0], pgCtl[1:]...).Run(); err != nil {
		cancel()
		wg.Wait()
		t.Fatalf("restarting PostgreSQL: %v", err)
	}
	// Load goes on until writes are acknowledged again.
	deadline := time.Now().Add(20 * time.Second)
	for {
		time.Sleep(200 * time.Millisecond)
		ledger.mu.Lock()
		after := countTrue(ledger.invAcked)
		ledger.mu.Unlock()
		if after > before+20 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("no writes acknowledged within 20s of PostgreSQL's restart\n%s", b.out.String())
		}
	}
	cancel()
	wg.Wait()
	checked := verifyLedger(t, parties, ledger, 0)
	b.stop()
	t.Logf("PostgreSQL restarted under load: %d acknowledged writes checked, %d before the restart", checked, before)
}
