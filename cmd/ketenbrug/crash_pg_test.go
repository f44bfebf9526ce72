package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
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
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() { writeInvolvements(ctx, parties.conn, ledger, round, w) })
		}
		for w := range 2 {
			wg.Go(func() { writeConsents(ctx, parties.pro, parties, ledger, round, w) })
		}
		for w, c := range parties.collab.syncers {
			wg.Go(func() { writeSyncs(ctx, c, ledger, w) })
		}
		wg.Go(func() { writeAssignments(ctx, parties.collab, ledger, round) })
		wg.Go(func() { writePersonKeys(ctx, parties.op, ledger, round) })
		for w := range crashPlanWorkers {
			wg.Go(func() { writePlans(ctx, parties.collab.coord, ledger, round, w) })
		}
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
