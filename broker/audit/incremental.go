package audit

import (
	"context"
	"sync"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Incremental verification. The console's audit and health pages show the
// chain's status on every load; walking the whole trail each time costs a
// read of every record ever written (a million entries: seconds of one
// core, per page). Every entry up to a verified head stays verified as
// long as nobody rewrites it, and the chain's links make a rewrite of
// older entries show at the latest on the next full walk. So VerifyNew
// remembers the newest entry a clean walk accepted (its seq and hash) and
// the walk's totals, and on the next call checks only that this entry is
// still stored as it was and that every entry after it links on from it,
// up to the store's recorded head. Verify (the CLI's audit verify, the
// operator's "volledig opnieuw controleren") still walks everything and
// renews what VerifyNew starts from.
//
// What is remembered lives in this process only: an attacker who edits
// the store cannot edit it, and a restart begins with a full walk.

// verified is the last clean walk's end.
type verified struct {
	mu sync.Mutex // one walk at a time: two page loads do not both walk
	ok bool
	// seq and hash are the newest entry the walk accepted; rep its totals.
	seq  uint64
	hash string
	rep  Report
	// walked counts the records the last walk read (for tests).
	walked int
}

// VerifyNew verifies the entries added since the last clean verification
// (Verify or VerifyNew) and returns the totals of the whole chain. Without
// a clean verification before, after a problem, or when the verified entry
// is no longer stored as it was (the store was rolled back or rewritten),
// it walks the whole chain as Verify does. Entries before the verified one
// that were rewritten since are found by the next Verify, not here.
func (l *Log) VerifyNew(ctx context.Context) (Report, error) {
	v := &l.ver
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.ok {
		return l.verifyAll(ctx)
	}
	c := newChain(l.cfg.Signer)
	// Resume after the verified entry: its totals, and it as the last
	// accepted link. c.first stays nil: where the chain starts (seq 1, or
	// a signed purge anchor) was settled by the walk that began there.
	c.r = v.rep
	c.r.Problems = nil
	c.started, c.next, c.maxKey = true, v.seq+1, v.seq
	c.last = &item{key: v.seq, seq: v.seq, hash: v.hash}
	full := false
	walked := 0
	err := l.cfg.Store.View(func(tx broker.ReadTx) error {
		headSeq, headHash, err := tx.AuditHead()
		if err != nil {
			return err
		}
		if headSeq < v.seq {
			full = true
			return nil
		}
		raw, err := tx.AuditGet(v.seq)
		if err != nil {
			full = true
			return nil
		}
		if h, intact, err := checkRecord(raw); err != nil || !intact || h != v.hash {
			full = true
			return nil
		}
		if walked, err = c.read(ctx, tx, v.seq+1); err != nil {
			return err
		}
		c.finish(true, headSeq, headHash)
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	if full {
		return l.verifyAll(ctx)
	}
	v.walked = walked
	rep := c.report()
	v.remember(c, rep)
	return rep, nil
}

// verifyAll walks the whole chain and remembers its end; v.mu is held.
func (l *Log) verifyAll(ctx context.Context) (Report, error) {
	c, err := l.walk(ctx)
	if err != nil {
		return Report{}, err
	}
	rep := c.report()
	l.ver.walked = rep.Entries
	l.ver.remember(c, rep)
	return rep, nil
}

// remember keeps a clean walk's end, and forgets after a problem (so the
// next call walks everything again and reports every problem).
func (v *verified) remember(c *chain, rep Report) {
	v.ok = rep.OK && c.last != nil && !c.last.unlinkable
	if v.ok {
		v.seq, v.hash, v.rep = c.last.seq, c.last.hash, rep
	}
}
