package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The store keeps audit records as opaque bytes: sealing, hashing and
// decoding belong to package audit. It only promises order (keys are the
// sequence numbers), an O(1) head, and a subject index.

// AuditHead returns the last appended sequence number and its hash, from a
// meta key written with every append, so it costs one lookup and survives
// purges.
func (r *readTx) AuditHead() (uint64, string, error) {
	raw := r.tx.Bucket(bucketMeta).Get(keyAuditHead)
	if raw == nil {
		return 0, "", nil
	}
	if len(raw) < 8 {
		return 0, "", fmt.Errorf("boltstore: corrupt audit head (%d bytes)", len(raw))
	}
	return binary.BigEndian.Uint64(raw), string(raw[8:]), nil
}

// AuditRaw calls fn with every record from seq from on, in order. raw
// points into the memory-mapped file: it is valid only during fn and must
// not be modified. fn may stop the walk with io.EOF.
func (r *readTx) AuditRaw(from uint64, fn func(seq uint64, raw []byte) error) error {
	c := r.tx.Bucket(bucketAudit).Cursor()
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return fmt.Errorf("boltstore: corrupt audit key %x", k)
		}
		if err := fn(binary.BigEndian.Uint64(k), v); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
	return nil
}

// The subject index of the audit log is partitioned by epoch: a key is
//
//	epoch (uint32, seq / auditEpoch) ‖ pseudonym ‖ 0x00 ‖ seq (uint64)
//
// Pseudonyms are random, so a plain pseudonym ‖ seq key sends every append
// to a random leaf of an ever-growing tree: a group commit of 64 entries
// then rewrites some 64 leaves, and measured here that tripled the cost of
// an append. With the epoch in front, appends only touch the few leaves of
// the current epoch, while a lookup by subject costs one seek per epoch
// (about 10 000 for ten million entries, a few milliseconds), which suits a
// query that answers a resident's access request. Changing auditEpoch
// changes the layout and needs a migration.
const auditEpoch = 1024

func auditIndexKey(seq uint64, subject string) ([]byte, error) {
	if subject == "" || len(subject) > bbolt.MaxKeySize/2 || strings.IndexByte(subject, 0) >= 0 {
		return nil, fmt.Errorf("boltstore: unusable audit subject: %w", broker.ErrInvalid)
	}
	if seq/auditEpoch > math.MaxUint32 {
		return nil, fmt.Errorf("boltstore: audit seq %d beyond the index's range: %w", seq, broker.ErrInvalid)
	}
	k := make([]byte, 0, 4+len(subject)+1+8)
	k = binary.BigEndian.AppendUint32(k, uint32(seq/auditEpoch))
	k = append(k, subject...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq), nil
}

// AuditSeqsOf returns the sequence numbers of the records about subject,
// ascending.
func (r *readTx) AuditSeqsOf(subject broker.Pseudonym) ([]uint64, error) {
	probe, err := auditIndexKey(0, string(subject))
	if err != nil {
		return nil, err
	}
	prefix := probe[:len(probe)-8] // epoch ‖ subject ‖ 0x00
	var out []uint64
	c := r.tx.Bucket(bucketAuditBySubject).Cursor()
	first, _ := c.First()
	if first == nil {
		return nil, nil
	}
	last, _ := c.Last()
	for epoch, end := binary.BigEndian.Uint32(first), binary.BigEndian.Uint32(last); epoch <= end; {
		binary.BigEndian.PutUint32(prefix, epoch)
		k, _ := c.Seek(prefix)
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			out = append(out, binary.BigEndian.Uint64(k[len(prefix):]))
		}
		if k == nil {
			break
		}
		// Skip straight to the epoch of the next key: epochs emptied by
		// a purge cost nothing.
		epoch = max(epoch+1, binary.BigEndian.Uint32(k))
	}
	return out, nil
}

// AuditGet returns a copy of the record stored under seq.
func (r *readTx) AuditGet(seq uint64) ([]byte, error) {
	v := r.tx.Bucket(bucketAudit).Get(u64(seq))
	if v == nil {
		return nil, fmt.Errorf("audit record %d: %w", seq, broker.ErrNotFound)
	}
	return bytes.Clone(v), nil
}

// AppendAudit stores raw under seq, which must follow the head (else
// broker.ErrConflict), moves the head, and indexes the record under each
// distinct subject.
func (w *writeTx) AppendAudit(seq uint64, hash string, raw []byte, subjects []broker.Pseudonym) error {
	if hash == "" || len(raw) == 0 {
		return fmt.Errorf("boltstore: audit record without hash or bytes: %w", broker.ErrInvalid)
	}
	head, _, err := w.AuditHead()
	if err != nil {
		return err
	}
	if seq != head+1 {
		return fmt.Errorf("boltstore: audit seq %d does not follow head %d: %w", seq, head, broker.ErrConflict)
	}
	key := u64(seq)
	audit := w.tx.Bucket(bucketAudit)
	audit.FillPercent = appendFill
	// bbolt keeps a reference to the value until commit; the caller's
	// buffer is theirs to reuse.
	if err := audit.Put(key, bytes.Clone(raw)); err != nil {
		return fmt.Errorf("boltstore: append audit: %w", err)
	}
	headVal := make([]byte, 0, 8+len(hash))
	headVal = append(binary.BigEndian.AppendUint64(headVal, seq), hash...)
	if err := w.tx.Bucket(bucketMeta).Put(keyAuditHead, headVal); err != nil {
		return fmt.Errorf("boltstore: audit head: %w", err)
	}
	index := w.tx.Bucket(bucketAuditBySubject)
	// In key order, once each: a sync chunk names a thousand subjects, and
	// sorted inserts walk the B+tree forwards instead of seeking at random.
	sorted := slices.Clone(subjects)
	slices.Sort(sorted)
	for _, s := range slices.Compact(sorted) {
		if s == "" {
			continue
		}
		k, err := auditIndexKey(seq, string(s))
		if err != nil {
			return err
		}
		if err := index.Put(k, nil); err != nil {
			return fmt.Errorf("boltstore: audit subject index: %w", err)
		}
	}
	return nil
}

// PurgeAudit removes the records with seq < before and their subject index
// entries, returning how many records were removed. The head is kept.
//
// Index entries of whole epochs before before's epoch are the start of the
// index bucket, so they go without reading the records; only before's own
// epoch is scanned for the seqs below it.
func (w *writeTx) PurgeAudit(before uint64) (int, error) {
	// Each delete re-seeks First: deleting under a cursor that then moves
	// Next can skip keys in bbolt.
	boundary := before / auditEpoch
	index := w.tx.Bucket(bucketAuditBySubject).Cursor()
	for k, _ := index.First(); k != nil && uint64(binary.BigEndian.Uint32(k)) < boundary; k, _ = index.First() {
		if err := index.Delete(); err != nil {
			return 0, fmt.Errorf("boltstore: purge audit index: %w", err)
		}
	}
	var doomed [][]byte
	for k, _ := index.First(); k != nil && uint64(binary.BigEndian.Uint32(k)) == boundary; k, _ = index.Next() {
		if binary.BigEndian.Uint64(k[len(k)-8:]) < before {
			doomed = append(doomed, bytes.Clone(k))
		}
	}
	b := w.tx.Bucket(bucketAuditBySubject)
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return 0, fmt.Errorf("boltstore: purge audit index: %w", err)
		}
	}
	n := 0
	c := w.tx.Bucket(bucketAudit).Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) < before; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return n, fmt.Errorf("boltstore: purge audit: %w", err)
		}
		n++
	}
	return n, nil
}
