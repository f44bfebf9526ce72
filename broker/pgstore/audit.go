package pgstore

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/ketenbrug/ketenbrug/broker"
)

// AuditHead returns the last appended sequence number and its hash.
func (r *readTx) AuditHead() (uint64, string, error) {
	var seq int64
	var hash string
	if err := r.tx.QueryRow(r.ctx, "SELECT seq, hash FROM audit_head").Scan(&seq, &hash); err != nil {
		return 0, "", dbErr("read audit head", err)
	}
	return uint64(seq), hash, nil
}

type auditRow struct {
	seq uint64
	raw []byte
}

// AuditRaw calls fn with every record from seq from on, in order; io.EOF
// from fn ends the walk with nil.
func (r *readTx) AuditRaw(from uint64, fn func(seq uint64, raw []byte) error) error {
	start, ok := seqArg(from)
	if !ok {
		return nil
	}
	err := walk(func(a auditRow) error { return fn(a.seq, a.raw) }, func(last *auditRow) ([]auditRow, error) {
		after := start - 1
		if last != nil {
			after = int64(last.seq)
		}
		rows, err := r.tx.Query(r.ctx, "SELECT seq, raw FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2", after, pageSize)
		if err != nil {
			return nil, dbErr("read audit", err)
		}
		page, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (auditRow, error) {
			var a auditRow
			var seq int64
			err := row.Scan(&seq, &a.raw)
			a.seq = uint64(seq)
			return a, err
		})
		if err != nil {
			return nil, dbErr("read audit", err)
		}
		return page, nil
	})
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// AuditSeqsOf returns the sequence numbers of the records about subject,
// ascending.
func (r *readTx) AuditSeqsOf(subject broker.Pseudonym) ([]uint64, error) {
	if !key(string(subject)) {
		return nil, nil
	}
	rows, err := r.tx.Query(r.ctx, "SELECT seq FROM audit_subjects WHERE subject = $1 ORDER BY seq", string(subject))
	if err != nil {
		return nil, dbErr("read audit index", err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, dbErr("read audit index", err)
	}
	out := make([]uint64, len(seqs))
	for i, s := range seqs {
		out[i] = uint64(s)
	}
	return out, nil
}

// AuditGet returns a copy of the record stored under seq.
func (r *readTx) AuditGet(seq uint64) ([]byte, error) {
	s, ok := seqArg(seq)
	if !ok {
		return nil, notFound("audit record", seq)
	}
	var raw []byte
	err := r.tx.QueryRow(r.ctx, "SELECT raw FROM audit WHERE seq = $1", s).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("audit record", seq)
	}
	if err != nil {
		return nil, dbErr("read audit", err)
	}
	return raw, nil
}

// AppendAudit stores raw under seq, which must follow the head. The head
// row is read FOR UPDATE: the chain head is locked in the appending
// transaction, so even a writer that bypassed the writer lock could not
// extend the same head twice. The three writes go in one round trip.
func (w *writeTx) AppendAudit(seq uint64, hash string, raw []byte, subjects []broker.Pseudonym) error {
	if hash == "" || len(raw) == 0 || !key(hash) {
		return invalid("audit record without hash or bytes")
	}
	terms := make([]string, 0, len(subjects))
	for _, s := range subjects {
		if s == "" {
			continue
		}
		if !key(string(s)) {
			return invalid("unusable audit subject")
		}
		terms = append(terms, string(s))
	}
	slices.Sort(terms)
	terms = slices.Compact(terms)
	var head int64
	if err := w.tx.QueryRow(w.ctx, "SELECT seq FROM audit_head FOR UPDATE").Scan(&head); err != nil {
		return dbErr("lock audit head", err)
	}
	if s, ok := seqArg(seq); !ok || s != head+1 {
		return fmt.Errorf("pgstore: audit seq %d does not follow head %d: %w", seq, head, broker.ErrConflict)
	}
	b := &pgx.Batch{}
	b.Queue("INSERT INTO audit (seq, raw) VALUES ($1, $2)", int64(seq), raw)
	b.Queue("UPDATE audit_head SET seq = $1, hash = $2", int64(seq), hash)
	if len(terms) > 0 {
		b.Queue("INSERT INTO audit_subjects (subject, seq) SELECT unnest($1::text[]), $2", terms, int64(seq))
	}
	if err := w.tx.SendBatch(w.ctx, b).Close(); err != nil {
		return dbErr("append audit", err)
	}
	return nil
}

// PurgeAudit removes the records with seq < before and their subject
// index rows; the head row is untouched.
func (w *writeTx) PurgeAudit(before uint64) (int, error) {
	b, ok := seqArg(before)
	if !ok {
		b = math.MaxInt64
	}
	if _, err := w.exec("purge audit index", "DELETE FROM audit_subjects WHERE seq < $1", b); err != nil {
		return 0, err
	}
	n, err := w.exec("purge audit", "DELETE FROM audit WHERE seq < $1", b)
	return int(n), err
}
