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
// was recorded already and not yet expired. One statement does both, so
// of two brokers that see the same token at once exactly one stores it:
// the other's INSERT waits on the first's key and then finds it. An entry
// that has expired is taken over. When the database cannot answer, the
// token counts as seen: a replay cache that fails open would let a
// captured token through, while a refused client retries with a new one.
func (c *ReplayCache) CheckAndStore(issuer, jti string, until time.Time) bool {
	if !key(issuer, jti) {
		return true // PostgreSQL cannot store it; no valid token has such a jti
	}
	now := c.now()
	if !until.After(now) {
		return false // expired: nothing to remember (the verifier refused it already)
	}
	c.maybePurge(now)
	var stored bool
	err := c.s.pool.QueryRow(context.Background(), `INSERT INTO replay (issuer, jti, until) VALUES ($1, $2, $3)
		ON CONFLICT (issuer, jti) DO UPDATE SET until = EXCLUDED.until WHERE replay.until <= $4
		RETURNING true`, issuer, jti, until, now).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return true // kept by another use, not expired: a replay
	}
	if err != nil {
		c.log.Error("pgstore: replay cache unavailable; refusing the token", slog.Any("error", err))
		return true
	}
	return !stored
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
