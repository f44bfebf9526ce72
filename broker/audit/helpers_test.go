package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
)

var quiet = slog.New(slog.DiscardHandler)

// testSigner returns a signer with a fixed key, derived from name.
func testSigner(t testing.TB, name string) *Ed25519Signer {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, name)
	s, err := NewEd25519Signer(name, ed25519.NewKeyFromSeed(seed), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testStore opens a bbolt store in a temporary directory.
func testStore(t testing.TB) (*boltstore.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ketenbrug.db")
	s, err := boltstore.Open(path, boltstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil && !errors.Is(err, boltstore.ErrClosed) {
			t.Errorf("store check: %v", err)
		}
		_ = s.Close()
	})
	return s, path
}

// testLog starts a log over store; it is closed when the test ends.
func testLog(t testing.TB, cfg Config) *Log {
	t.Helper()
	if cfg.Signer == nil {
		cfg.Signer = testSigner(t, "broker-2026")
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func entry(i int) broker.AuditEntry {
	subj := broker.Pseudonym(fmt.Sprintf("p:subject-%02d", i%7))
	return broker.AuditEntry{
		Time: time.Date(2026, 11, 22, 19, 0, 0, i, time.UTC), Event: broker.EventDisclosure,
		RequestID: fmt.Sprintf("req-%d", i), Partner: "gem-leusden", Sub: "c.devries", Role: broker.RoleCoordinator,
		Action: broker.ActionHouseholdOverview, Purpose: "integrale-ondersteuning", Object: "household:hh-1042",
		Subjects: []broker.Pseudonym{subj}, Decision: broker.DecisionAllow, Bases: []string{"AVG art. 6 lid 1 sub a"},
		PolicyVersion: "sha256:abc",
		Disclosed: []broker.Disclosure{{Subject: subj, Involvement: "inv-1", Partner: "kredietbank",
			Fields: []string{"partner", "contact"}}},
	}
}

func mustRecord(t testing.TB, l *Log, e broker.AuditEntry, apply func(broker.Tx) error) broker.AuditEntry {
	t.Helper()
	got, err := l.Record(context.Background(), e, apply)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func mustVerify(t testing.TB, l *Log) Report {
	t.Helper()
	r, err := l.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantOK(t testing.TB, r Report) {
	t.Helper()
	if !r.OK || len(r.Problems) != 0 {
		t.Fatalf("chain does not verify: %+v", r.Problems)
	}
}

// countingStore counts transactions, and can fail them or hold them.
type countingStore struct {
	*boltstore.Store
	updates atomic.Int64
	// fail makes Update run the work and then roll it back with an error,
	// as a failed commit does.
	fail atomic.Bool
}

var errInjected = errors.New("injected commit failure")

func (s *countingStore) Update(fn func(broker.Tx) error) error {
	s.updates.Add(1)
	if !s.fail.Load() {
		return s.Store.Update(fn)
	}
	err := s.Store.Update(func(tx broker.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errInjected
	})
	if err == errInjected {
		return fmt.Errorf("commit: %w", err)
	}
	return err
}

// gate holds the writer inside a transaction until released, so the
// records queued meanwhile form the next batch.
type gate struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{entered: make(chan struct{}), release: make(chan struct{})} }

// apply is an apply function that blocks the first time it runs.
func (g *gate) apply(broker.Tx) error {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.release
	}
	return nil
}

// waitQueued waits until n records wait in l's queue.
func waitQueued(t testing.TB, l *Log, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Queued < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d records queued, want %d", l.Stats().Queued, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// tamper closes nothing: call it on a closed store file. fn edits the audit
// bucket (and meta) with bbolt directly, as an attacker with the file would.
func tamper(t testing.TB, path string, fn func(audit, meta *bbolt.Bucket) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error {
		return fn(tx.Bucket([]byte("audit")), tx.Bucket([]byte("meta")))
	}); err != nil {
		t.Fatal(err)
	}
}

func key(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func ed25519KeyFromSeed(seed []byte) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(seed) }
