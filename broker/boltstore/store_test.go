package boltstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// openTest opens a store in a fresh temporary directory and closes it, and
// checks its page structure, when the test ends.
func openTest(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := Open(filepath.Join(t.TempDir(), "ketenbrug.db"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("check: %v", err)
		}
		_ = s.Close()
	})
	return s
}

func mustUpdate(t testing.TB, s *Store, fn func(broker.Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func mustView(t testing.TB, s *Store, fn func(broker.ReadTx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatal(err)
	}
}

func partner(id string) broker.Partner {
	return broker.Partner{
		ID: id, Name: "Partner " + id, Sector: broker.SectorDebt, Municipalities: []string{"gem-leusden"},
		Roles: []broker.Role{broker.RoleConnector}, Level: 2, Covenant: "2026-1",
		JWKS:   json.RawMessage(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}]}`),
		Status: broker.PartnerActive, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Revision: 1,
	}
}

func consent(id string, subject broker.Pseudonym) broker.Consent {
	return broker.Consent{
		ID: id, Subject: subject, Purpose: "integrale-ondersteuning", Sectors: []broker.Sector{broker.SectorDebt},
		GivenBy: broker.GivenBySelf, ValidFrom: "2026-01-01",
		RecordedBy: broker.Actor{Partner: "gem-leusden", Sub: "c.devries"},
		RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
		want    Config
	}{
		{name: "zero gets defaults", cfg: Config{},
			want: Config{DecisionCapacity: DefaultDecisionCapacity, LockTimeout: DefaultLockTimeout, MmapSize: DefaultMmapSize}},
		{name: "kept", cfg: Config{DecisionCapacity: 5, LockTimeout: time.Second, MmapSize: 4096},
			want: Config{DecisionCapacity: 5, LockTimeout: time.Second, MmapSize: 4096}},
		{name: "negative capacity", cfg: Config{DecisionCapacity: -1}, wantErr: true},
		{name: "negative timeout", cfg: Config{LockTimeout: -1}, wantErr: true},
		{name: "negative mmap", cfg: Config{MmapSize: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if tt.cfg.Logger == nil {
				t.Error("Logger not defaulted")
			}
			tt.cfg.Logger = nil
			if tt.cfg != tt.want {
				t.Errorf("got %+v, want %+v", tt.cfg, tt.want)
			}
		})
	}
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if s.Path() != path {
		t.Errorf("Path() = %q", s.Path())
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"missing directory", func(t *testing.T) string { return filepath.Join(t.TempDir(), "no", "such", "x.db") }},
		{"not a bbolt file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "garbage.db")
			if err := os.WriteFile(p, bytes.Repeat([]byte("not bolt"), 2048), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := Open(tt.path(t), Config{}); err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestPartners(t *testing.T) {
	s := openTest(t, Config{})
	mustUpdate(t, s, func(tx broker.Tx) error {
		for _, id := range []string{"uwv", "gem-leusden", "kredietbank"} {
			if err := tx.PutPartner(partner(id)); err != nil {
				return err
			}
		}
		return nil
	})
	changed := partner("uwv")
	changed.Name, changed.Revision = "UWV Amersfoort", 2
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.PutPartner(changed) })

	mustView(t, s, func(tx broker.ReadTx) error {
		got, err := tx.Partner("uwv")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "UWV Amersfoort" || got.Revision != 2 || !got.CreatedAt.Equal(changed.CreatedAt) ||
			!bytes.Equal(got.JWKS, changed.JWKS) {
			t.Errorf("Partner(uwv) = %+v", got)
		}
		all, err := tx.Partners()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range all {
			ids = append(ids, p.ID)
		}
		if fmt.Sprint(ids) != "[gem-leusden kredietbank uwv]" {
			t.Errorf("Partners() ids = %v", ids)
		}
		if _, err := tx.Partner("nobody"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("Partner(nobody) error = %v, want ErrNotFound", err)
		}
		return nil
	})
	err := s.Update(func(tx broker.Tx) error { return tx.PutPartner(broker.Partner{}) })
	if !errors.Is(err, broker.ErrInvalid) {
		t.Errorf("PutPartner without id: %v, want ErrInvalid", err)
	}
}

func TestConsents(t *testing.T) {
	s := openTest(t, Config{})
	const a, b = broker.Pseudonym("p:aaaaaaaaaaaaaaaaaaaaaa"), broker.Pseudonym("p:bbbbbbbbbbbbbbbbbbbbbb")
	mustUpdate(t, s, func(tx broker.Tx) error {
		for _, c := range []broker.Consent{consent("c2", a), consent("c1", a), consent("c3", b)} {
			if err := tx.PutConsent(c); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(cs []broker.Consent) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return fmt.Sprint(out)
	}
	check := func(want map[broker.Pseudonym]string) {
		t.Helper()
		mustView(t, s, func(tx broker.ReadTx) error {
			for subj, w := range want {
				cs, err := tx.ConsentsOf(subj)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(cs); got != w {
					t.Errorf("ConsentsOf(%s) = %s, want %s", subj, got, w)
				}
			}
			return nil
		})
	}
	check(map[broker.Pseudonym]string{a: "[c1 c2]", b: "[c3]", "p:nobody": "[]"})

	// Withdrawal keeps the consent; moving a consent to another subject
	// moves its index entry.
	withdrawn := consent("c1", a)
	withdrawn.Withdrawn = &broker.Withdrawal{At: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Reason: "verzoek"}
	moved := consent("c2", b)
	mustUpdate(t, s, func(tx broker.Tx) error {
		if err := tx.PutConsent(withdrawn); err != nil {
			return err
		}
		return tx.PutConsent(moved)
	})
	check(map[broker.Pseudonym]string{a: "[c1]", b: "[c2 c3]"})
	mustView(t, s, func(tx broker.ReadTx) error {
		c, err := tx.Consent("c1")
		if err != nil {
			t.Fatal(err)
		}
		if c.Withdrawn == nil || c.Withdrawn.Reason != "verzoek" {
			t.Errorf("Consent(c1).Withdrawn = %+v", c.Withdrawn)
		}
		if _, err := tx.Consent("c9"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("Consent(c9) error = %v, want ErrNotFound", err)
		}
		return nil
	})
	for _, bad := range []broker.Consent{{ID: "x"}, {Subject: a}} {
		if err := s.Update(func(tx broker.Tx) error { return tx.PutConsent(bad) }); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("PutConsent(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestPolicyVersions(t *testing.T) {
	s := openTest(t, Config{})
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	mustView(t, s, func(tx broker.ReadTx) error {
		if id, err := tx.ActivePolicy(); err != nil || id != "" {
			t.Errorf("ActivePolicy() on a new store = %q, %v", id, err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx broker.Tx) error {
		for i, id := range []string{"ffff", "aaaa", "cccc"} {
			v := broker.PolicyVersion{ID: id, Bundle: []byte("tar.gz " + id), Status: broker.PolicyPending,
				UploadedAt: t0.Add(time.Duration(i) * time.Hour)}
			if err := tx.PutPolicyVersion(v); err != nil {
				return err
			}
		}
		return tx.SetActivePolicy("aaaa")
	})
	mustView(t, s, func(tx broker.ReadTx) error {
		vs, err := tx.PolicyVersions()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range vs {
			ids = append(ids, v.ID)
		}
		if fmt.Sprint(ids) != "[ffff aaaa cccc]" {
			t.Errorf("PolicyVersions() in upload order = %v", ids)
		}
		v, err := tx.PolicyVersion("cccc")
		if err != nil || string(v.Bundle) != "tar.gz cccc" {
			t.Errorf("PolicyVersion(cccc) = %+v, %v", v, err)
		}
		if _, err := tx.PolicyVersion("dddd"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("PolicyVersion(dddd) error = %v", err)
		}
		if id, _ := tx.ActivePolicy(); id != "aaaa" {
			t.Errorf("ActivePolicy() = %q", id)
		}
		return nil
	})
	if err := s.Update(func(tx broker.Tx) error { return tx.SetActivePolicy("dddd") }); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("SetActivePolicy(unknown) = %v, want ErrNotFound", err)
	}
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.SetActivePolicy("") })
	mustView(t, s, func(tx broker.ReadTx) error {
		if id, _ := tx.ActivePolicy(); id != "" {
			t.Errorf("ActivePolicy() after reset = %q", id)
		}
		return nil
	})
}

func TestDecisionRing(t *testing.T) {
	tests := []struct {
		capacity, put, ask int
		want               string // seqs returned, newest first
	}{
		{capacity: 3, put: 2, ask: 10, want: "[2 1]"},
		{capacity: 3, put: 7, ask: 10, want: "[7 6 5]"},
		{capacity: 3, put: 7, ask: 2, want: "[7 6]"},
		{capacity: 1, put: 4, ask: 5, want: "[4]"},
		{capacity: 5, put: 5, ask: 0, want: "[]"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("cap%d_put%d_ask%d", tt.capacity, tt.put, tt.ask), func(t *testing.T) {
			s := openTest(t, Config{DecisionCapacity: tt.capacity})
			for i := range tt.put {
				mustUpdate(t, s, func(tx broker.Tx) error {
					return tx.PutDecision(broker.DecisionRecord{Time: time.Unix(int64(i), 0).UTC(),
						Input:    &broker.DecisionInput{Action: broker.ActionHouseholdOverview, Purpose: strconv.Itoa(i)},
						Decision: broker.Decision{Allow: i%2 == 0, Version: "v1"}})
				})
			}
			mustView(t, s, func(tx broker.ReadTx) error {
				got, err := tx.RecentDecisions(tt.ask)
				if err != nil {
					t.Fatal(err)
				}
				seqs := []uint64{}
				for _, d := range got {
					seqs = append(seqs, d.Seq)
					if d.Input.Purpose != strconv.Itoa(int(d.Seq)-1) {
						t.Errorf("record %d has input of %s", d.Seq, d.Input.Purpose)
					}
				}
				if fmt.Sprint(seqs) != tt.want {
					t.Errorf("RecentDecisions(%d) seqs = %v, want %s", tt.ask, seqs, tt.want)
				}
				return nil
			})
			n := 0
			_ = s.db.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bucketDecisions).Stats().KeyN; return nil })
			if n > tt.capacity {
				t.Errorf("%d records kept, capacity %d", n, tt.capacity)
			}
		})
	}
}

func TestDecisionCapacityLoweredOnReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Config{DecisionCapacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		mustUpdate(t, s, func(tx broker.Tx) error { return tx.PutDecision(broker.DecisionRecord{}) })
	}
	s.Close()
	s, err = Open(path, Config{DecisionCapacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.PutDecision(broker.DecisionRecord{}) })
	mustView(t, s, func(tx broker.ReadTx) error {
		got, _ := tx.RecentDecisions(100)
		if len(got) != 3 || got[0].Seq != 11 || got[2].Seq != 9 {
			t.Errorf("after lowering the capacity: %d records, newest %d", len(got), got[0].Seq)
		}
		return nil
	})
}

func TestUpdateAtomic(t *testing.T) {
	s := openTest(t, Config{})
	boom := errors.New("boom")
	err := s.Update(func(tx broker.Tx) error {
		if err := tx.PutPartner(partner("uwv")); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("Update returned %v, want the function's error as is", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		_ = s.Update(func(tx broker.Tx) error {
			if err := tx.PutPartner(partner("cjg")); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	mustView(t, s, func(tx broker.ReadTx) error {
		ps, _ := tx.Partners()
		if len(ps) != 0 {
			t.Errorf("failed updates left %d partners", len(ps))
		}
		return nil
	})
	// The store is still writable after the panic released the lock.
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.PutPartner(partner("uwv")) })
}

func TestReopenPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(tx broker.Tx) error {
		if err := tx.PutPartner(partner("uwv")); err != nil {
			return err
		}
		if err := tx.PutConsent(consent("c1", "p:x")); err != nil {
			return err
		}
		if err := tx.PutPolicyVersion(broker.PolicyVersion{ID: "v1"}); err != nil {
			return err
		}
		if err := tx.SetActivePolicy("v1"); err != nil {
			return err
		}
		if err := tx.PutDecision(broker.DecisionRecord{}); err != nil {
			return err
		}
		return tx.AppendAudit(1, "h1", []byte(`{"seq":1}`), []broker.Pseudonym{"p:x"})
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustView(t, s, func(tx broker.ReadTx) error {
		if _, err := tx.Partner("uwv"); err != nil {
			t.Error(err)
		}
		if cs, _ := tx.ConsentsOf("p:x"); len(cs) != 1 {
			t.Errorf("ConsentsOf after reopen: %d", len(cs))
		}
		if id, _ := tx.ActivePolicy(); id != "v1" {
			t.Errorf("ActivePolicy after reopen: %q", id)
		}
		if ds, _ := tx.RecentDecisions(5); len(ds) != 1 {
			t.Errorf("RecentDecisions after reopen: %d", len(ds))
		}
		if seq, hash, _ := tx.AuditHead(); seq != 1 || hash != "h1" {
			t.Errorf("AuditHead after reopen: %d %q", seq, hash)
		}
		if seqs, _ := tx.AuditSeqsOf("p:x"); fmt.Sprint(seqs) != "[1]" {
			t.Errorf("AuditSeqsOf after reopen: %v", seqs)
		}
		return nil
	})
	// A new decision continues the sequence.
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.PutDecision(broker.DecisionRecord{}) })
	mustView(t, s, func(tx broker.ReadTx) error {
		if ds, _ := tx.RecentDecisions(1); ds[0].Seq != 2 {
			t.Errorf("decision seq after reopen = %d, want 2", ds[0].Seq)
		}
		return nil
	})
}

func TestSchemaMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(); err != nil || v != len(migrations()) {
		t.Fatalf("SchemaVersion() = %d, %v; want %d", v, err, len(migrations()))
	}
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.PutPartner(partner("uwv")) })
	s.Close()

	// A newer binary adds a step: it runs once, on the existing data.
	runs := 0
	next := append(migrations(), func(tx *bbolt.Tx) error {
		runs++
		b, err := tx.CreateBucket([]byte("test_migration"))
		if err != nil {
			return err
		}
		n := 0
		_ = tx.Bucket(bucketPartners).ForEach(func(_, _ []byte) error { n++; return nil })
		return b.Put([]byte("partners-at-migration"), []byte(strconv.Itoa(n)))
	})
	for range 2 {
		s, err = open(path, Config{}, next)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := s.SchemaVersion(); v != len(next) {
			t.Errorf("version after migration = %d, want %d", v, len(next))
		}
		_ = s.db.View(func(tx *bbolt.Tx) error {
			if got := string(tx.Bucket([]byte("test_migration")).Get([]byte("partners-at-migration"))); got != "1" {
				t.Errorf("migration saw %q partners", got)
			}
			return nil
		})
		s.Close()
	}
	if runs != 1 {
		t.Errorf("migration ran %d times, want 1", runs)
	}

	// This binary must not open the newer file.
	if s, err := Open(path, Config{}); !errors.Is(err, ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open(newer schema) = %v, want ErrSchemaTooNew", err)
	}

	// A failing step leaves the file at its old version.
	failing := append(next, func(*bbolt.Tx) error { return errors.New("boom") })
	if _, err := open(path, Config{}, failing); err == nil {
		t.Fatal("failing migration reported success")
	}
	s, err = open(path, Config{}, next)
	if err != nil {
		t.Fatalf("open after failed migration: %v", err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(); v != len(next) {
		t.Errorf("version after failed migration = %d, want %d", v, len(next))
	}
}

func TestSecondProcessFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// bbolt's flock is per open file, so a second Open in this process
	// stands in for a second process.
	start := time.Now()
	s2, err := Open(path, Config{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %s", d)
	}
}

func TestClosed(t *testing.T) {
	s := openTest(t, Config{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	checks := map[string]error{
		"View":   s.View(func(broker.ReadTx) error { return nil }),
		"Update": s.Update(func(broker.Tx) error { return nil }),
	}
	_, checks["Backup"] = s.Backup(io.Discard)
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) || !errors.Is(err, broker.ErrUnavailable) {
			t.Errorf("%s after Close = %v, want ErrClosed (ErrUnavailable)", name, err)
		}
	}
}

func TestBackupWhileWriting(t *testing.T) {
	s := openTest(t, Config{})
	const writers, perWriter = 4, 300
	var wg sync.WaitGroup
	var appendMu sync.Mutex
	var next uint64
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				err := s.Update(func(tx broker.Tx) error {
					if err := tx.PutPartner(partner(fmt.Sprintf("p%d-%d", w, i))); err != nil {
						return err
					}
					appendMu.Lock()
					defer appendMu.Unlock()
					seq, _, _ := tx.AuditHead()
					if err := tx.AppendAudit(seq+1, fmt.Sprintf("h%d", seq+1),
						bytes.Repeat([]byte{'x'}, 400), []broker.Pseudonym{broker.Pseudonym(fmt.Sprintf("p:%d", i%50))}); err != nil {
						return err
					}
					next = seq + 1
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var copies []string
	for i := 0; i < 5; i++ {
		p := filepath.Join(t.TempDir(), fmt.Sprintf("backup-%d.db", i))
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.Backup(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(p); fi.Size() != n {
			t.Errorf("Backup reported %d bytes, file has %d", n, fi.Size())
		}
		copies = append(copies, p)
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if next != writers*perWriter {
		t.Fatalf("%d appends, want %d", next, writers*perWriter)
	}
	for _, p := range copies {
		c, err := Open(p, Config{})
		if err != nil {
			t.Fatalf("open backup: %v", err)
		}
		if err := c.Check(); err != nil {
			t.Errorf("backup %s: %v", p, err)
		}
		// The copy is one point in time: the head, the records and the
		// partners written with them agree.
		mustView(t, c, func(tx broker.ReadTx) error {
			head, hash, _ := tx.AuditHead()
			n := 0
			_ = tx.AuditRaw(0, func(seq uint64, _ []byte) error { n++; return nil })
			ps, _ := tx.Partners()
			if uint64(n) != head || len(ps) != n || (head > 0 && hash != fmt.Sprintf("h%d", head)) {
				t.Errorf("backup %s: head %d %q, %d records, %d partners", p, head, hash, n, len(ps))
			}
			return nil
		})
		c.Close()
	}
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "ketenbrug")
	defer os.RemoveAll(dir)

	s, err := Open(filepath.Join(dir, "ketenbrug.db"), Config{DecisionCapacity: 5000})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	_ = s.Update(func(tx broker.Tx) error {
		return tx.PutPartner(broker.Partner{ID: "kredietbank", Name: "Kredietbank", Sector: broker.SectorDebt})
	})
	_ = s.View(func(tx broker.ReadTx) error {
		p, err := tx.Partner("kredietbank")
		fmt.Println(p.Name, err)
		_, err = tx.Partner("elders")
		fmt.Println(errors.Is(err, broker.ErrNotFound))
		return nil
	})
	// Output:
	// Kredietbank <nil>
	// true
}

func ExampleStore_Backup() {
	dir, _ := os.MkdirTemp("", "ketenbrug")
	defer os.RemoveAll(dir)
	s, _ := Open(filepath.Join(dir, "ketenbrug.db"), Config{})
	defer s.Close()

	// While the broker serves, stream a consistent copy into a file.
	f, _ := os.Create(filepath.Join(dir, "backup.db"))
	_, err := s.Backup(f)
	fmt.Println(err, f.Close())
	// Output: <nil> <nil>
}
