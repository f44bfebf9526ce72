package boltstore

import (
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestAudit(t *testing.T) {
	s := openTest(t, Config{})
	const a, b = broker.Pseudonym("p:a"), broker.Pseudonym("p:b")
	mustView(t, s, func(tx broker.ReadTx) error {
		if seq, hash, err := tx.AuditHead(); seq != 0 || hash != "" || err != nil {
			t.Errorf("AuditHead() of an empty log = %d %q %v", seq, hash, err)
		}
		return nil
	})
	subjects := [][]broker.Pseudonym{{a}, {a, b, a}, nil, {b}, {a}}
	mustUpdate(t, s, func(tx broker.Tx) error {
		for i, subj := range subjects {
			seq := uint64(i + 1)
			buf := []byte(fmt.Sprintf("record %d", seq))
			if err := tx.AppendAudit(seq, fmt.Sprintf("hash%d", seq), buf, subj); err != nil {
				return err
			}
			copy(buf, "XXXXXX") // the store must have kept its own copy
		}
		return nil
	})

	appendTests := []struct {
		name string
		seq  uint64
		hash string
		raw  []byte
		want error
	}{
		{"gap", 7, "h", []byte("x"), broker.ErrConflict},
		{"repeat", 5, "h", []byte("x"), broker.ErrConflict},
		{"no hash", 6, "", []byte("x"), broker.ErrInvalid},
		{"no bytes", 6, "h", nil, broker.ErrInvalid},
	}
	for _, tt := range appendTests {
		err := s.Update(func(tx broker.Tx) error { return tx.AppendAudit(tt.seq, tt.hash, tt.raw, nil) })
		if !errors.Is(err, tt.want) {
			t.Errorf("AppendAudit %s: %v, want %v", tt.name, err, tt.want)
		}
	}

	mustView(t, s, func(tx broker.ReadTx) error {
		if seq, hash, _ := tx.AuditHead(); seq != 5 || hash != "hash5" {
			t.Errorf("AuditHead() = %d %q", seq, hash)
		}
		raw, err := tx.AuditGet(2)
		if err != nil || string(raw) != "record 2" {
			t.Errorf("AuditGet(2) = %q, %v", raw, err)
		}
		if _, err := tx.AuditGet(9); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("AuditGet(9) error = %v", err)
		}
		var walked []string
		if err := tx.AuditRaw(3, func(seq uint64, raw []byte) error {
			walked = append(walked, fmt.Sprintf("%d=%s", seq, raw))
			if seq == 4 {
				return io.EOF
			}
			return nil
		}); err != nil {
			t.Errorf("AuditRaw stopped with io.EOF returned %v", err)
		}
		if fmt.Sprint(walked) != "[3=record 3 4=record 4]" {
			t.Errorf("AuditRaw(3) = %v", walked)
		}
		boom := errors.New("boom")
		if err := tx.AuditRaw(0, func(uint64, []byte) error { return boom }); err != boom {
			t.Errorf("AuditRaw error = %v, want the function's", err)
		}
		for subj, want := range map[broker.Pseudonym]string{a: "[1 2 5]", b: "[2 4]", "p:c": "[]"} {
			seqs, err := tx.AuditSeqsOf(subj)
			if err != nil || fmt.Sprint(seqs) != want {
				t.Errorf("AuditSeqsOf(%s) = %v, %v; want %s", subj, seqs, err, want)
			}
		}
		return nil
	})

	var removed int
	mustUpdate(t, s, func(tx broker.Tx) error {
		var err error
		removed, err = tx.PurgeAudit(3)
		return err
	})
	if removed != 2 {
		t.Errorf("PurgeAudit(3) removed %d, want 2", removed)
	}
	mustView(t, s, func(tx broker.ReadTx) error {
		var seqs []uint64
		_ = tx.AuditRaw(0, func(seq uint64, _ []byte) error { seqs = append(seqs, seq); return nil })
		if fmt.Sprint(seqs) != "[3 4 5]" {
			t.Errorf("records after purge: %v", seqs)
		}
		for subj, want := range map[broker.Pseudonym]string{a: "[5]", b: "[4]"} {
			if got, _ := tx.AuditSeqsOf(subj); fmt.Sprint(got) != want {
				t.Errorf("AuditSeqsOf(%s) after purge = %v, want %s", subj, got, want)
			}
		}
		if seq, hash, _ := tx.AuditHead(); seq != 5 || hash != "hash5" {
			t.Errorf("AuditHead() after purge = %d %q", seq, hash)
		}
		return nil
	})
	// Appending continues after the head.
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.AppendAudit(6, "hash6", []byte("record 6"), []broker.Pseudonym{a}) })
	// Purging everything leaves the head, so the chain goes on.
	mustUpdate(t, s, func(tx broker.Tx) error { _, err := tx.PurgeAudit(math.MaxUint64); return err })
	mustView(t, s, func(tx broker.ReadTx) error {
		if seq, _, _ := tx.AuditHead(); seq != 6 {
			t.Errorf("head after purging all = %d", seq)
		}
		if got, _ := tx.AuditSeqsOf(a); len(got) != 0 {
			t.Errorf("index after purging all = %v", got)
		}
		return nil
	})
}

// The subject index spans epochs; lookups gather every epoch, also after a
// purge emptied some.
func TestAuditSubjectIndexAcrossEpochs(t *testing.T) {
	s := openTest(t, Config{})
	const n = 5*auditEpoch + 17
	subjects := []broker.Pseudonym{"p:a", "p:b", "p:c"}
	want := map[broker.Pseudonym][]uint64{}
	mustUpdate(t, s, func(tx broker.Tx) error {
		for seq := uint64(1); seq <= n; seq++ {
			var about []broker.Pseudonym
			for i, subj := range subjects {
				if seq%uint64(i+2) == 0 { // a: even, b: multiples of 3, c: of 4
					about = append(about, subj)
					want[subj] = append(want[subj], seq)
				}
			}
			if err := tx.AppendAudit(seq, "h", []byte("r"), about); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(from uint64) {
		t.Helper()
		mustView(t, s, func(tx broker.ReadTx) error {
			for _, subj := range subjects {
				got, err := tx.AuditSeqsOf(subj)
				if err != nil {
					t.Fatal(err)
				}
				var exp []uint64
				for _, seq := range want[subj] {
					if seq >= from {
						exp = append(exp, seq)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(exp) {
					t.Errorf("AuditSeqsOf(%s) from %d: %d seqs, want %d", subj, from, len(got), len(exp))
				}
			}
			return nil
		})
	}
	check(0)
	const cut = 3*auditEpoch + 5
	mustUpdate(t, s, func(tx broker.Tx) error { _, err := tx.PurgeAudit(cut); return err })
	check(cut)
	if err := s.Update(func(tx broker.Tx) error { return tx.AppendAudit(n+1, "h", []byte("r"), []broker.Pseudonym{"p:\x00"}) }); !errors.Is(err, broker.ErrInvalid) {
		t.Errorf("subject with a NUL byte: %v, want ErrInvalid", err)
	}
}
