package boltstore

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// bucketSessions holds console sessions (schema 6), keyed by the hash of
// the session id (never the id itself), values JSON.
var bucketSessions = []byte("console_sessions")

var consoleSessions = table[broker.ConsoleSession]{bucket: bucketSessions, what: "console session"}

var _ broker.SessionStore = (*Store)(nil)

// createSessionBuckets is the migration 5 → 6: console sessions.
func createSessionBuckets(tx *bbolt.Tx) error { return createBuckets(tx, bucketSessions) }

// sessionKey refuses an empty or oversized key before bbolt does.
func sessionKey(idHash string) ([]byte, error) {
	if idHash == "" || len(idHash) > 128 {
		return nil, fmt.Errorf("boltstore: session key: %w", broker.ErrInvalid)
	}
	return []byte(idHash), nil
}

// update runs fn in its own durable write transaction.
func (s *Store) update(fn func(tx *bbolt.Tx) error) error {
	tx, err := s.db.Begin(true)
	if err != nil {
		return s.beginErr(err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: boltstore: commit: %w", broker.ErrUnavailable, err)
	}
	return nil
}

// PutSession implements broker.SessionStore.
func (s *Store) PutSession(cs broker.ConsoleSession) error {
	key, err := sessionKey(cs.IDHash)
	if err != nil {
		return err
	}
	return s.update(func(tx *bbolt.Tx) error { return consoleSessions.put(tx, key, &cs) })
}

// Session implements broker.SessionStore.
func (s *Store) Session(idHash string) (broker.ConsoleSession, error) {
	key, err := sessionKey(idHash)
	if err != nil {
		return broker.ConsoleSession{}, fmt.Errorf("console session: %w", broker.ErrNotFound)
	}
	tx, err := s.db.Begin(false)
	if err != nil {
		return broker.ConsoleSession{}, s.beginErr(err)
	}
	defer func() { _ = tx.Rollback() }()
	return consoleSessions.get(tx, key)
}

// DeleteSession implements broker.SessionStore.
func (s *Store) DeleteSession(idHash string) error {
	key, err := sessionKey(idHash)
	if err != nil {
		return nil
	}
	return s.update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketSessions).Delete(key) })
}

// DeleteSessions implements broker.SessionStore. A row that does not
// decode is removed too: a session that cannot be read cannot be used.
func (s *Store) DeleteSessions(expired func(broker.ConsoleSession) bool) (int, error) {
	n := 0
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		var gone [][]byte
		if err := b.ForEach(func(k, raw []byte) error {
			var cs broker.ConsoleSession
			if json.Unmarshal(raw, &cs) != nil || expired(cs) {
				gone = append(gone, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(gone)
		return nil
	})
	return n, err
}
