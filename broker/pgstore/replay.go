package pgstore

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReplayCache is the request tokens' replay cache in the database, shared
// by every broker on it: protocol.ReplayCache (CheckAndStore) over the
// replay table. A broker keeping its own cache in memory would accept at
// broker 2 a token already used at broker 1.
type ReplayCache struct {
	s   *Store
	now func() time.Time
	log *slog.Logger

	mu        sync.Mutex
	lastPurge time.Time
}

// replayPurgeEvery is how often one broker deletes expired entries: rows
// past their until are ignored anyway, so the purge only bounds the
// table's size (a minute of traffic beyond the tokens' 300 s lifetime).
const replayPurgeEvery = time.Minute

// ReplayCache returns the store's shared replay cache on the clock now
// (nil: time.Now), which must be the token verifier's clock.
func (s *Store) ReplayCache(now func() time.Time) *ReplayCache {
	if now == nil {
		now = time.Now
	}
	return &ReplayCache{s: s, now: now, log: s.cfg.Logger, lastPurge: now()}
}

// CheckAndStore records (issuer, jti) until until and reports whether it
// was recorded already and not yet expired (protocol.ReplayCache). When
// the database cannot answer the token counts as seen: a replay cache
// that failed open would let a captured token through. The verifier uses
// CheckAndStoreErr instead, which says so.
func (c *ReplayCache) CheckAndStore(issuer, jti string, until time.Time) bool {
	seen, err := c.CheckAndStoreErr(issuer, jti, until)
	return seen || err != nil
}

// CheckAndStoreErr is CheckAndStore with the database's failure as an
// error (protocol.FallibleReplayCache), so the broker answers 503, which
// clients retry, instead of calling an honest token replayed. One
// statement checks and stores, so of two brokers that see the same token
// at once exactly one stores it: the other's INSERT waits on the first's
// key and then finds it. An entry that has expired is taken over.
func (c *ReplayCache) CheckAndStoreErr(issuer, jti string, until time.Time) (bool, error) {
	if !key(issuer, jti) {
		return true, nil // PostgreSQL cannot store it; no valid token has such a jti
	}
	now := c.now()
	if !until.After(now) {
		return false, nil // expired: nothing to remember (the verifier refused it already)
	}
	c.maybePurge(now)
	var stored bool
	err := c.s.pool.QueryRow(context.Background(), `INSERT INTO replay (issuer, jti, until) VALUES ($1, $2, $3)
		ON CONFLICT (issuer, jti) DO UPDATE SET until = EXCLUDED.until WHERE replay.until <= $4
		RETURNING true`, issuer, jti, until, now).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return true, nil // kept by another use, not expired: a replay
	}
	if err != nil {
		return false, c.s.dbErr("replay cache", err)
	}
	return false, nil
}

// maybePurge deletes expired entries at most every replayPurgeEvery, in
// the background, so no request waits for it.
func (c *ReplayCache) maybePurge(now time.Time) {
	c.mu.Lock()
	due := now.Sub(c.lastPurge) >= replayPurgeEvery
	if due {
		c.lastPurge = now
	}
	c.mu.Unlock()
	if !due || c.s.closed.Load() {
		return
	}
	go func() {
		if _, err := c.s.pool.Exec(context.Background(), "DELETE FROM replay WHERE until <= $1", now); err != nil && !c.s.closed.Load() {
			c.log.Warn("pgstore: purging expired replay entries failed", slog.Any("error", err))
		}
	}()
}
