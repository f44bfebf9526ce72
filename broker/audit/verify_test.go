package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
)

// chainFile writes a closed store file holding 20 records with a
// checkpoint after every 5: seqs 1–5, checkpoint 6, 7–11, checkpoint 12,
// 13–17, checkpoint 18, 19–23, checkpoint 24.
func chainFile(t *testing.T, signer Signer) string {
	t.Helper()
	store, path := testStore(t)
	l := testLog(t, Config{Store: store, Signer: signer, CheckpointEvery: 5})
	for i := range 20 {
		mustRecord(t, l, entry(i), nil)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// verifyFile opens a store file and verifies its chain.
func verifyFile(t *testing.T, path string, signer Signer) Report {
	t.Helper()
	store, err := boltstore.Open(path, boltstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l := testLog(t, Config{Store: store, Signer: signer})
	defer l.Close()
	return mustVerify(t, l)
}

func get(t *testing.T, audit *bbolt.Bucket, seq uint64) broker.AuditEntry {
	t.Helper()
	e, err := decode(audit.Get(key(seq)))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// reseal stores e as the entry after head, as an attacker who knows the
// format but not the broker's key can.
func reseal(t *testing.T, audit *bbolt.Bucket, at uint64, e broker.AuditEntry, head chainHead) broker.AuditEntry {
	t.Helper()
	raw, err := seal(&e, head)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.Put(key(at), raw); err != nil {
		t.Fatal(err)
	}
	return e
}

func setHead(meta *bbolt.Bucket, e broker.AuditEntry) error {
	return meta.Put([]byte("audit_head"), append(binary.BigEndian.AppendUint64(nil, e.Seq), e.Hash...))
}

func TestVerifyFindsTampering(t *testing.T) {
	signer := testSigner(t, "broker-2026")
	tests := []struct {
		name   string
		tamper func(t *testing.T, audit, meta *bbolt.Bucket) error
		want   string // the problems, as seq:kind
	}{
		{"untouched", func(*testing.T, *bbolt.Bucket, *bbolt.Bucket) error { return nil }, ""},
		{"edited", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			raw := bytes.Replace(audit.Get(key(8)), []byte(`"req-6"`), []byte(`"req-X"`), 1)
			return audit.Put(key(8), raw)
		}, "8:edited"},
		{"edited and rehashed", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			e, prev := get(t, audit, 8), get(t, audit, 7)
			e.Purpose = "handhaving"
			reseal(t, audit, 8, e, chainHead{prev.Seq, prev.Hash})
			return nil
		}, "8:edited"},
		{"removed", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			return audit.Delete(key(8))
		}, "8:removed"},
		{"removed two", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			_ = audit.Delete(key(8))
			return audit.Delete(key(9))
		}, "8:removed"},
		{"removed first", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			return audit.Delete(key(1))
		}, "1:removed"},
		{"removed newest", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			return audit.Delete(key(24))
		}, "24:removed"},
		{"removed newest, head moved back", func(t *testing.T, audit, meta *bbolt.Bucket) error {
			// Without a later checkpoint this is what the chain alone
			// cannot tell; here the removed entry was the checkpoint, and
			// what remains still verifies. The report shows the chain
			// now ends unattested (no checkpoint covers seq 19–23).
			if err := setHead(meta, get(t, audit, 23)); err != nil {
				return err
			}
			return audit.Delete(key(24))
		}, ""},
		{"inserted", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			for s := uint64(24); s >= 8; s-- {
				if err := audit.Put(key(s+1), bytes.Clone(audit.Get(key(s)))); err != nil {
					return err
				}
			}
			prev := get(t, audit, 7)
			forged := entry(99)
			forged.Partner = "intruder"
			reseal(t, audit, 8, forged, chainHead{prev.Seq, prev.Hash})
			return nil
		}, "8:inserted"},
		{"inserted at the end", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			prev := get(t, audit, 24)
			reseal(t, audit, 25, entry(99), chainHead{prev.Seq, prev.Hash})
			return nil
		}, "25:inserted"},
		{"reordered", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			a, b := bytes.Clone(audit.Get(key(8))), bytes.Clone(audit.Get(key(9)))
			_ = audit.Put(key(8), b)
			return audit.Put(key(9), a)
		}, "9:reordered"},
		{"rotated", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			// 8, 9, 10 → 9, 10, 8
			a := bytes.Clone(audit.Get(key(8)))
			_ = audit.Put(key(8), bytes.Clone(audit.Get(key(9))))
			_ = audit.Put(key(9), bytes.Clone(audit.Get(key(10))))
			return audit.Put(key(10), a)
		}, "9:reordered 10:reordered"},
		{"malformed", func(t *testing.T, audit, _ *bbolt.Bucket) error {
			return audit.Put(key(8), []byte("not an entry"))
		}, "8:malformed"},
		{"rewritten from 8 on, hashes and head recomputed", func(t *testing.T, audit, meta *bbolt.Bucket) error {
			prev := get(t, audit, 7)
			head := chainHead{prev.Seq, prev.Hash}
			var last broker.AuditEntry
			for s := uint64(8); s <= 24; s++ {
				e := get(t, audit, s)
				if s == 8 {
					e.Partner = "someone-else"
				}
				last = reseal(t, audit, s, e, head)
				head = chainHead{last.Seq, last.Hash}
			}
			return setHead(meta, last)
		}, "12:bad-signature 18:bad-signature 24:bad-signature"},
		{"checkpoint signed by another key", func(t *testing.T, audit, meta *bbolt.Bucket) error {
			cp, prev := get(t, audit, 24), get(t, audit, 23)
			sig, _ := testSigner(t, "attacker").Sign(checkpointPayload(23, prev.Hash))
			cp.Detail[DetailSignature] = sig
			return setHead(meta, reseal(t, audit, 24, cp, chainHead{prev.Seq, prev.Hash}))
		}, "24:bad-signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := chainFile(t, signer)
			tamper(t, path, func(audit, meta *bbolt.Bucket) error { return tt.tamper(t, audit, meta) })
			r := verifyFile(t, path, signer)
			var got []string
			for _, p := range r.Problems {
				got = append(got, fmt.Sprintf("%d:%s", p.Seq, p.Kind))
			}
			if strings.Join(got, " ") != tt.want || r.OK != (tt.want == "") {
				t.Errorf("problems %q, want %q", strings.Join(got, " "), tt.want)
				for _, p := range r.Problems {
					t.Logf("  %+v", p)
				}
			}
		})
	}
}

func TestVerifyReport(t *testing.T) {
	signer := testSigner(t, "broker-2026")
	path := chainFile(t, signer)
	r := verifyFile(t, path, signer)
	if !r.OK || r.Entries != 24 || r.FirstSeq != 1 || r.LastSeq != 24 || r.Checkpoints != 4 || r.Problems == nil {
		t.Errorf("report %+v", r)
	}
	// A verifier without the broker's key finds every checkpoint unproven.
	r = verifyFile(t, path, testSigner(t, "someone-else"))
	if r.OK || r.Checkpoints != 0 || len(r.Problems) != 4 || r.Problems[0].Kind != KindBadSignature {
		t.Errorf("with the wrong key: %+v", r)
	}
	// After a key rotation the old checkpoints still verify.
	old := testSigner(t, "broker-2026")
	seed := bytes.Repeat([]byte{7}, 32)
	rotated, err := NewEd25519Signer("broker-2027", ed25519KeyFromSeed(seed), old.PublicKeys())
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, verifyFile(t, path, rotated))
}

func TestVerifyManyProblemsIsBounded(t *testing.T) {
	store, path := testStore(t)
	l := testLog(t, Config{Store: store})
	for i := range MaxProblems + 50 {
		mustRecord(t, l, entry(i), nil)
	}
	_ = l.Close()
	_ = store.Close()
	tamper(t, path, func(audit, _ *bbolt.Bucket) error {
		for s := uint64(1); s <= MaxProblems+50; s++ {
			if err := audit.Put(key(s), bytes.Replace(audit.Get(key(s)), []byte("req-"), []byte("REQ-"), 1)); err != nil {
				return err
			}
		}
		return nil
	})
	r := verifyFile(t, path, testSigner(t, "broker-2026"))
	if len(r.Problems) != MaxProblems+1 || r.Problems[MaxProblems].Kind != KindTooMany {
		t.Errorf("%d problems, last %+v", len(r.Problems), r.Problems[len(r.Problems)-1])
	}
}

func TestVerifyCancelled(t *testing.T) {
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store})
	for i := range 5000 {
		if i%500 == 0 {
			mustRecord(t, l, entry(i), nil)
		}
	}
	// Enough entries for the walk to look at its context.
	err := store.Update(func(tx broker.Tx) error {
		head := l.head
		for i := range 5000 {
			e := entry(i)
			raw, _ := seal(&e, head)
			if err := tx.AppendAudit(e.Seq, e.Hash, raw, nil); err != nil {
				return err
			}
			head = chainHead{e.Seq, e.Hash}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Verify(ctx); err != context.Canceled {
		t.Errorf("Verify with a cancelled context = %v", err)
	}
}

func TestExportAndVerifyChain(t *testing.T) {
	signer := testSigner(t, "broker-2026")
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store, Signer: signer, CheckpointEvery: 4})
	for i := range 10 {
		mustRecord(t, l, entry(i), nil)
	}
	var buf bytes.Buffer
	n, err := l.Export(context.Background(), &buf, 0)
	if err != nil || n != 12 {
		t.Fatalf("Export = %d, %v", n, err)
	}
	r, err := VerifyChain(context.Background(), bytes.NewReader(buf.Bytes()), signer.PublicKeys())
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, r)
	if r.Entries != 12 || r.Checkpoints != 2 {
		t.Errorf("report %+v", r)
	}

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"edited", slices.Concat(lines[:3], []string{strings.Replace(lines[3], "req-3", "req-9", 1)}, lines[4:]), "4:edited"},
		{"removed", slices.Concat(lines[:3], lines[4:]), "4:removed"},
		{"reordered", slices.Concat(lines[:3], []string{lines[4], lines[3]}, lines[5:]), "5:reordered"},
		{"export from the middle, unanchored", lines[6:], "6:removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := VerifyChain(context.Background(), strings.NewReader(strings.Join(tt.lines, "\n")), signer.PublicKeys())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range r.Problems {
				got = append(got, fmt.Sprintf("%d:%s", p.Seq, p.Kind))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("problems %v, want %s", r.Problems, tt.want)
			}
		})
	}
	if _, err := VerifyChain(context.Background(), &buf, nil); err == nil {
		t.Error("VerifyChain without keys succeeded")
	}
}

func TestCheckpoints(t *testing.T) {
	signer := testSigner(t, "broker-2026")
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store, Signer: signer, CheckpointEvery: 10, CheckpointInterval: time.Hour})
	for i := range 25 {
		mustRecord(t, l, entry(i), nil)
	}
	all, _ := l.Entries(context.Background(), 0, 100)
	var at []uint64
	for _, e := range all {
		if e.Event != broker.EventCheckpoint {
			continue
		}
		at = append(at, e.Seq)
		d := e.Detail
		if d[DetailHeadSeq] != fmt.Sprint(e.Seq-1) || d[DetailHeadHash] != e.PrevHash || d[DetailKeyID] != "broker-2026" {
			t.Errorf("checkpoint %d detail %v", e.Seq, d)
		}
		if err := signer.Verify(d[DetailKeyID], checkpointPayload(e.Seq-1, e.PrevHash), d[DetailSignature]); err != nil {
			t.Errorf("checkpoint %d: %v", e.Seq, err)
		}
	}
	if fmt.Sprint(at) != "[11 22]" {
		t.Errorf("checkpoints at %v, want [11 22]", at)
	}
	if st := l.Stats(); st.Checkpoints != 2 || st.Records != 25 {
		t.Errorf("stats %+v", st)
	}
}

func TestCheckpointByTime(t *testing.T) {
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store, CheckpointInterval: 30 * time.Millisecond})
	mustRecord(t, l, entry(0), nil)
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Checkpoints == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// An idle log writes no further checkpoints.
	time.Sleep(100 * time.Millisecond)
	if n := l.Stats().Checkpoints; n != 1 {
		t.Errorf("%d checkpoints while idle", n)
	}
	r := mustVerify(t, l)
	wantOK(t, r)
	if r.Checkpoints != 1 || r.Entries != 2 {
		t.Errorf("report %+v", r)
	}
}

// failingSigner cannot sign.
type failingSigner struct{ *Ed25519Signer }

func (failingSigner) Sign([]byte) (string, error) { return "", fmt.Errorf("HSM unreachable") }

func TestCheckpointFailureKeepsRecords(t *testing.T) {
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store, Signer: failingSigner{testSigner(t, "k")}, CheckpointEvery: 2})
	for i := range 5 {
		mustRecord(t, l, entry(i), nil)
	}
	if err := l.Close(); err == nil {
		t.Error("Close reported no error for its failed checkpoint")
	}
	r := mustVerify(t, l)
	wantOK(t, r)
	if r.Entries != 5 || r.Checkpoints != 0 {
		t.Errorf("report %+v", r)
	}
}
