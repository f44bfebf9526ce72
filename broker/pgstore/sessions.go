package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Console sessions are not part of the audited state, so they skip the
// writer lock: each call is one short statement (or transaction) of its
// own, and a console page view never waits behind a large sync.

// sessionKey refuses what boltstore refuses (empty or oversized) and what
// PostgreSQL's text cannot hold.
func sessionKey(idHash string) bool {
	return idHash != "" && len(idHash) <= 128 && key(idHash)
}

// PutSession implements broker.SessionStore.
func (s *Store) PutSession(cs broker.ConsoleSession) error {
	if !sessionKey(cs.IDHash) {
		return fmt.Errorf("pgstore: session key: %w", broker.ErrInvalid)
	}
	if s.closed.Load() {
		return ErrClosed
	}
	raw, err := encode("console session", &cs)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(context.Background(), `INSERT INTO console_sessions (id_hash, value) VALUES ($1, $2)
		ON CONFLICT (id_hash) DO UPDATE SET value = EXCLUDED.value`, cs.IDHash, raw)
	if err != nil {
		return s.dbErr("put console session", err)
	}
	return nil
}

// Session implements broker.SessionStore.
func (s *Store) Session(idHash string) (broker.ConsoleSession, error) {
	var cs broker.ConsoleSession
	if !sessionKey(idHash) {
		return cs, fmt.Errorf("console session: %w", broker.ErrNotFound)
	}
	if s.closed.Load() {
		return cs, ErrClosed
	}
	var raw []byte
	err := s.pool.QueryRow(context.Background(), "SELECT value FROM console_sessions WHERE id_hash = $1", idHash).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return cs, fmt.Errorf("console session: %w", broker.ErrNotFound)
	}
	if err != nil {
		return cs, s.dbErr("read console session", err)
	}
	if err := json.Unmarshal(raw, &cs); err != nil {
		return broker.ConsoleSession{}, fmt.Errorf("pgstore: decode console session: %w", err)
	}
	return cs, nil
}

// DeleteSession implements broker.SessionStore.
func (s *Store) DeleteSession(idHash string) error {
	if !sessionKey(idHash) {
		return nil
	}
	if s.closed.Load() {
		return ErrClosed
	}
	if _, err := s.pool.Exec(context.Background(), "DELETE FROM console_sessions WHERE id_hash = $1", idHash); err != nil {
		return s.dbErr("delete console session", err)
	}
	return nil
}

// DeleteSessions implements broker.SessionStore. The rows are read FOR
// UPDATE, so a session refreshed by another broker meanwhile is judged on
// its refreshed state, not deleted from under it. A row that does not
// decode is removed too: a session that cannot be read cannot be used.
func (s *Store) DeleteSessions(expired func(broker.ConsoleSession) bool) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	ctx := context.Background()
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT id_hash, value FROM console_sessions FOR UPDATE")
		if err != nil {
			return err
		}
		type row struct {
			id  string
			raw []byte
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var v row
			return v, r.Scan(&v.id, &v.raw)
		})
		if err != nil {
			return err
		}
		var gone []string
		for _, r := range all {
			var cs broker.ConsoleSession
			if json.Unmarshal(r.raw, &cs) != nil || expired(cs) {
				gone = append(gone, r.id)
			}
		}
		if len(gone) == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, "DELETE FROM console_sessions WHERE id_hash = ANY($1::text[])", gone)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, s.dbErr("delete console sessions", err)
	}
	return n, nil
}
