// Package brokertest is the one whole-system test environment of the
// broker: a real broker.Service over a bbolt file in t.TempDir, the real
// hash-chained audit log, and the real OPA engine with the embedded bundle.
// Nothing of the project is mocked, so a test through it exercises what
// production runs.
//
// Each test package keeps only what is its own on top (its region of
// partners, its callers or signed HTTP clients). New also makes every test
// a privacy check: a BSN taken from System.BSN must not appear in the log
// output, in an audit record or anywhere in the store file when the test
// ends.
package brokertest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/audit"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/policy"
	"github.com/ketenbrug/ketenbrug/rego"
)

// Buffer is a bytes.Buffer safe for concurrent use, for log output that
// the service's goroutines write while the test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// engine is shared by every test of a test binary: compiling the bundle
// and running its Rego tests once is enough, and the engine is safe for
// concurrent use.
var engine = sync.OnceValues(func() (*policy.Engine, error) {
	return policy.New(policy.Config{Default: rego.Bundle, Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
})

// Engine returns the policy engine with the embedded bundle, compiled once
// per test binary.
func Engine(t testing.TB) *policy.Engine {
	t.Helper()
	eng, err := engine()
	if err != nil {
		t.Fatalf("policy engine: %v", err)
	}
	return eng
}

// BundleFS is a copy of the embedded policy bundle that a test may
// change: a new version of a policy, or other policy data.
func BundleFS(t testing.TB) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(rego.Bundle, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := fs.ReadFile(rego.Bundle, path)
		fsys[path] = &fstest.MapFile{Data: raw, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// EngineWithConfig returns an engine of its own with the embedded bundle
// whose policy data (ketenbrug_config) patch changed: for a test of a
// judgement the region makes in its policy data, such as which partners'
// match signals open a follow-up. The bundle's Rego tests run against the
// changed data as they do before any version is activated.
func EngineWithConfig(t testing.TB, patch func(config map[string]any)) *policy.Engine {
	t.Helper()
	fsys := BundleFS(t)
	var data map[string]map[string]any
	if err := json.Unmarshal(fsys["data.json"].Data, &data); err != nil {
		t.Fatal(err)
	}
	patch(data["ketenbrug_config"])
	var err error
	if fsys["data.json"].Data, err = json.Marshal(data); err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(policy.Config{Default: fsys, Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("policy engine with changed data: %v", err)
	}
	return eng
}

// Options adjust a System. The zero value is a broker "kb-test" with the
// shared engine, four eyes on, and every JWKS accepted.
type Options struct {
	// ID is the broker's id. Default "kb-test".
	ID string
	// Policy answers the policy questions. Default Engine(t); a test may
	// wrap it (to count the questions, say).
	Policy broker.PolicyEngine
	// CheckJWKS validates partners' key sets. Default: every set passes,
	// for tests that never sign.
	CheckJWKS func(json.RawMessage) error
	// Adjust changes the service's configuration last (a controlled clock,
	// say).
	Adjust func(*broker.Config)
}

// System is one broker for one test.
type System struct {
	T       testing.TB
	Ctx     context.Context
	Service *broker.Service
	Store   *boltstore.Store
	Audit   *audit.Log
	// Logs holds the JSON log output of the service, the store and the
	// audit log (debug level); Logger writes to it.
	Logs   *Buffer
	Logger *slog.Logger
	// DBPath is the store file.
	DBPath string

	mu   sync.Mutex
	bsns []string
}

// New starts a broker with no partners but the store, audit log and
// service, and registers its closing (with the leak checks) with
// t.Cleanup. A test package's own cleanup registered after New runs before
// it, with the broker still open.
func New(t testing.TB, opts Options) *System {
	t.Helper()
	if opts.ID == "" {
		opts.ID = "kb-test"
	}
	if opts.Policy == nil {
		opts.Policy = Engine(t)
	}
	if opts.CheckJWKS == nil {
		opts.CheckJWKS = func(json.RawMessage) error { return nil }
	}
	logs := &Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dbPath := filepath.Join(t.TempDir(), "ketenbrug.db")
	store, err := boltstore.Open(dbPath, boltstore.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, "brokertest "+opts.ID)
	signer, err := audit.NewEd25519Signer(opts.ID+"-1", ed25519.NewKeyFromSeed(seed), nil)
	if err != nil {
		t.Fatal(err)
	}
	alog, err := audit.New(audit.Config{Store: store, Signer: signer, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, broker.MinSecretLen)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	pseudonyms, err := broker.NewPseudonymizer(secret)
	if err != nil {
		t.Fatal(err)
	}
	cfg := broker.Config{ID: opts.ID, Store: store, Audit: alog, AuditReader: alog, Policy: opts.Policy,
		Pseudonyms: pseudonyms, CheckJWKS: opts.CheckJWKS, FourEyes: true, Logger: log}
	if opts.Adjust != nil {
		opts.Adjust(&cfg)
	}
	s := &System{T: t, Ctx: context.Background(), Store: store, Audit: alog, Logs: logs, Logger: log, DBPath: dbPath}
	s.Service, err = broker.New(s.Ctx, cfg)
	if err != nil {
		_ = alog.Close()
		_ = store.Close()
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

// BSN returns a fresh random valid BSN and remembers it for the leak
// checks.
func (s *System) BSN() string {
	b := RandomBSN(s.T)
	s.mu.Lock()
	s.bsns = append(s.bsns, b)
	s.mu.Unlock()
	return b
}

// UsedBSNs returns every BSN the test took so far.
func (s *System) UsedBSNs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bsns)
}

// RandomBSN returns a random nine-digit number that passes the elfproef.
func RandomBSN(t testing.TB) string {
	t.Helper()
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
		if err != nil {
			t.Fatal(err)
		}
		b := fmt.Sprintf("%09d", n.Int64())
		if _, err := broker.ParseBSN(b); err == nil {
			return b
		}
	}
}

// close checks that no BSN the test used is in the logs or an audit
// record, stops the audit log and the store, and then checks the store
// file byte for byte.
func (s *System) close() {
	t := s.T
	bsns := s.UsedBSNs()
	var raw [][]byte
	err := s.Store.View(func(tx broker.ReadTx) error {
		return tx.AuditRaw(1, func(_ uint64, r []byte) error {
			raw = append(raw, bytes.Clone(r))
			return nil
		})
	})
	// A test may have closed the store itself (to reopen the file).
	if err != nil && !errors.Is(err, boltstore.ErrClosed) {
		t.Errorf("reading the audit records: %v", err)
	}
	logs := s.Logs.String()
	for _, b := range bsns {
		if strings.Contains(logs, b) {
			t.Errorf("a BSN the test used is in the log output")
		}
		for _, r := range raw {
			if bytes.Contains(r, []byte(b)) {
				t.Errorf("a BSN the test used is in an audit record")
			}
		}
	}
	if err := s.Audit.Close(); err != nil {
		t.Errorf("closing the audit log: %v", err)
	}
	if err := s.Store.Close(); err != nil {
		t.Errorf("closing the store: %v", err)
	}
	db, err := os.ReadFile(s.DBPath)
	if err != nil {
		t.Errorf("reading the store file: %v", err)
		return
	}
	for _, b := range bsns {
		if bytes.Contains(db, []byte(b)) {
			t.Errorf("a BSN the test used is stored in the bbolt file")
		}
	}
}

// Entries returns the whole audit trail, checkpoints included.
func (s *System) Entries() []broker.AuditEntry {
	s.T.Helper()
	var out []broker.AuditEntry
	for from := uint64(1); ; {
		es, err := s.Audit.Entries(s.Ctx, from, 1000)
		if err != nil {
			s.T.Fatalf("reading the audit trail: %v", err)
		}
		out = append(out, es...)
		if len(es) < 1000 {
			return out
		}
		from = es[len(es)-1].Seq + 1
	}
}
