package protocol

import (
	"hash/maphash"
	"strings"
	"sync"
	"time"
)

// replayShards is the number of independently locked shards of a
// MemoryReplayCache.
const replayShards = 64

// pruneBatch bounds the expired entries removed by one CheckAndStore, so
// that no call pays for a large backlog; since every call removes up to
// this many, the cache never lags behind the insertion rate.
const pruneBatch = 32

// MemoryReplayCache is an in-memory ReplayCache: sharded by a hash of the
// jti, each shard a map plus a min-heap of expiry times. Expired entries
// are pruned a few at a time on every call, so each call costs O(log n)
// and memory stays proportional to the tokens accepted within one
// lifetime (at most MaxTokenLifetime + 2·MaxClockSkew). It is safe for
// concurrent use.
//
// It forgets everything on restart; that is why the Verifier refuses
// tokens issued before its NotBefore.
type MemoryReplayCache struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [replayShards]replayShard
}

type replayKey struct{ issuer, jti string }

type replayEntry struct {
	until int64 // Unix nanoseconds
	key   replayKey
}

type replayShard struct {
	mu   sync.Mutex
	seen map[replayKey]int64
	exp  expiryHeap
	_    [24]byte // pad to 64 bytes: keep shards on separate cache lines
}

// NewMemoryReplayCache returns an empty cache on the wall clock.
func NewMemoryReplayCache() *MemoryReplayCache { return NewMemoryReplayCacheClock(nil) }

// NewMemoryReplayCacheClock returns an empty cache whose idea of "now"
// (for expiry) is now; nil means time.Now. Use the same clock as the
// Verifier's Now.
func NewMemoryReplayCacheClock(now func() time.Time) *MemoryReplayCache {
	if now == nil {
		now = time.Now
	}
	c := &MemoryReplayCache{now: now, seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].seen = make(map[replayKey]int64)
	}
	return c
}

// CheckAndStore implements ReplayCache.
func (c *MemoryReplayCache) CheckAndStore(issuer, jti string, until time.Time) bool {
	k := replayKey{issuer, jti}
	sh := &c.shards[maphash.String(c.seed, jti)%replayShards]
	now := c.now().UnixNano()
	u := until.UnixNano()

	sh.mu.Lock()
	defer sh.mu.Unlock()
	for i := 0; i < pruneBatch && len(sh.exp) > 0 && sh.exp[0].until <= now; i++ {
		e := sh.exp.pop()
		if v, ok := sh.seen[e.key]; ok && v == e.until {
			delete(sh.seen, e.key)
		}
	}
	if v, ok := sh.seen[k]; ok && v > now {
		return true
	}
	if u <= now {
		// Already expired: nothing to remember (the Verifier refuses such
		// tokens before asking).
		return false
	}
	// Keep copies: issuer and jti are substrings of the request token, and
	// remembering them would pin the whole token (and what was parsed from
	// it) in memory until the entry expires.
	k = replayKey{strings.Clone(issuer), strings.Clone(jti)}
	sh.seen[k] = u
	sh.exp.push(replayEntry{until: u, key: k})
	return false
}

// Len returns the number of remembered entries, including expired ones
// not yet pruned. For metrics.
func (c *MemoryReplayCache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.seen)
		sh.mu.Unlock()
	}
	return n
}

// expiryHeap is a binary min-heap of entries by until (typed, to avoid
// the allocation of container/heap's interface boxing).
type expiryHeap []replayEntry

func (h *expiryHeap) push(e replayEntry) {
	*h = append(*h, e)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].until <= a[i].until {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *expiryHeap) pop() replayEntry {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a[last] = replayEntry{}
	a = a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(a) && a[l].until < a[m].until {
			m = l
		}
		if r < len(a) && a[r].until < a[m].until {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
