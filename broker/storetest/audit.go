package storetest

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// record is the opaque audit record the suite appends as seq.
func record(seq uint64) []byte { return fmt.Appendf(nil, `{"seq":%d,"event":"storetest"}`, seq) }

func hash(seq uint64) string { return fmt.Sprintf("h%d", seq) }

// appendRecords appends records from..to, each about subjects(seq), one
// transaction each.
func appendRecords(t *testing.T, s broker.Store, from, to uint64, subjects func(uint64) []broker.Pseudonym) {
	t.Helper()
	for seq := from; seq <= to; seq++ {
		update(t, s, func(tx broker.Tx) error { return tx.AppendAudit(seq, hash(seq), record(seq), subjects(seq)) })
	}
}

type rawRecord struct {
	Seq uint64
	Raw string
}

func rawRecords(t *testing.T, tx broker.ReadTx, from uint64) []rawRecord {
	t.Helper()
	out := []rawRecord{}
	ok(t, "AuditRaw", tx.AuditRaw(from, func(seq uint64, raw []byte) error {
		out = append(out, rawRecord{seq, string(raw)})
		return nil
	}))
	return out
}

func testAudit(t *testing.T, s broker.Store) {
	view(t, s, func(tx broker.ReadTx) error {
		seq, h, err := tx.AuditHead()
		ok(t, "AuditHead of an empty store", err)
		if seq != 0 || h != "" {
			t.Errorf("AuditHead of an empty store = %d, %q", seq, h)
		}
		_, err = tx.AuditGet(1)
		is(t, "AuditGet of an empty store", err, broker.ErrNotFound)
		same(t, "AuditRaw of an empty store", rawRecords(t, tx, 0), []rawRecord{})
		return nil
	})

	update(t, s, func(tx broker.Tx) error {
		is(t, "AppendAudit not after the head", tx.AppendAudit(2, "h2", record(2), nil), broker.ErrConflict)
		is(t, "AppendAudit without hash", tx.AppendAudit(1, "", record(1), nil), broker.ErrInvalid)
		is(t, "AppendAudit without bytes", tx.AppendAudit(1, "h1", nil, nil), broker.ErrInvalid)
		// The caller's buffer is its own again once AppendAudit returns.
		buf := record(1)
		ok(t, "AppendAudit", tx.AppendAudit(1, hash(1), buf, []broker.Pseudonym{"s2", "s1", "s2", ""}))
		copy(buf, "XXXX")
		return nil
	})
	appendRecords(t, s, 2, 4, func(seq uint64) []broker.Pseudonym {
		if seq%2 == 0 {
			return []broker.Pseudonym{"s2"}
		}
		return []broker.Pseudonym{"s1"}
	})
	// An append in a rolled-back transaction neither stays nor moves the
	// head.
	err := s.Update(func(tx broker.Tx) error {
		if err := tx.AppendAudit(5, hash(5), record(5), []broker.Pseudonym{"s1"}); err != nil {
			return err
		}
		return errRollback
	})
	is(t, "rolled-back append", err, errRollback)

	view(t, s, func(tx broker.ReadTx) error {
		seq, h, err := tx.AuditHead()
		ok(t, "AuditHead", err)
		if seq != 4 || h != hash(4) {
			t.Errorf("AuditHead = %d, %q, want 4, %q", seq, h, hash(4))
		}
		same(t, "AuditRaw from 2", rawRecords(t, tx, 2), []rawRecord{
			{2, string(record(2))}, {3, string(record(3))}, {4, string(record(4))}})
		same(t, "AuditRaw from 0", len(rawRecords(t, tx, 0)), 4)
		n := 0
		ok(t, "AuditRaw stopped with io.EOF", tx.AuditRaw(1, func(uint64, []byte) error { n++; return io.EOF }))
		if n != 1 {
			t.Errorf("AuditRaw went on after io.EOF: %d calls", n)
		}
		is(t, "AuditRaw stopped with another error", tx.AuditRaw(1, func(uint64, []byte) error { return errRollback }), errRollback)

		raw, err := tx.AuditGet(1)
		ok(t, "AuditGet", err)
		if !bytes.Equal(raw, record(1)) {
			t.Errorf("AuditGet(1) = %s, want %s", raw, record(1))
		}
		raw[0] = 'X'
		again, err := tx.AuditGet(1)
		ok(t, "AuditGet", err)
		if !bytes.Equal(again, record(1)) {
			t.Errorf("AuditGet returned the store's own bytes: after a change, %s", again)
		}
		_, err = tx.AuditGet(5)
		is(t, "AuditGet beyond the head", err, broker.ErrNotFound)

		for subject, want := range map[broker.Pseudonym][]uint64{"s1": {1, 3}, "s2": {1, 2, 4}, "s-none": {}} {
			seqs, err := tx.AuditSeqsOf(subject)
			ok(t, "AuditSeqsOf", err)
			if seqs == nil {
				seqs = []uint64{}
			}
			same(t, "AuditSeqsOf "+string(subject)+", ascending, once each", seqs, want)
		}
		return nil
	})
}

func testAuditPurge(t *testing.T, s broker.Store) {
	appendRecords(t, s, 1, 6, func(seq uint64) []broker.Pseudonym {
		return []broker.Pseudonym{broker.Pseudonym(fmt.Sprintf("s%d", seq%2))}
	})
	update(t, s, func(tx broker.Tx) error {
		n, err := tx.PurgeAudit(4)
		ok(t, "PurgeAudit", err)
		if n != 3 {
			t.Errorf("PurgeAudit(4) removed %d records, want 3", n)
		}
		n, err = tx.PurgeAudit(4)
		ok(t, "PurgeAudit again", err)
		if n != 0 {
			t.Errorf("PurgeAudit(4) again removed %d records, want 0", n)
		}
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		seq, h, err := tx.AuditHead()
		ok(t, "AuditHead", err)
		if seq != 6 || h != hash(6) {
			t.Errorf("AuditHead after a purge = %d, %q, want 6, %q", seq, h, hash(6))
		}
		_, err = tx.AuditGet(3)
		is(t, "AuditGet of a purged record", err, broker.ErrNotFound)
		same(t, "AuditRaw after a purge", rawRecords(t, tx, 0), []rawRecord{
			{4, string(record(4))}, {5, string(record(5))}, {6, string(record(6))}})
		seqs, err := tx.AuditSeqsOf("s1")
		ok(t, "AuditSeqsOf", err)
		same(t, "AuditSeqsOf after a purge", seqs, []uint64{5})
		return nil
	})
	// The chain goes on from the kept head.
	appendRecords(t, s, 7, 7, func(uint64) []broker.Pseudonym { return []broker.Pseudonym{"s1"} })
	view(t, s, func(tx broker.ReadTx) error {
		seqs, err := tx.AuditSeqsOf("s1")
		ok(t, "AuditSeqsOf", err)
		same(t, "AuditSeqsOf after an append past a purge", seqs, []uint64{5, 7})
		return nil
	})
}
