package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Report is the result of walking the chain; Problem is one finding. They
// are the broker's types, so Log is a broker.AuditReader.
type (
	Report  = broker.AuditVerification
	Problem = broker.AuditProblem
)

// Kinds of Problem.
const (
	KindEdited       = "edited"        // content does not match its hash, or its successor does not link to it
	KindRemoved      = "removed"       // a seq is missing, or entries were cut off without a signed purge
	KindInserted     = "inserted"      // an entry the chain does not link, or beyond the recorded head
	KindReordered    = "reordered"     // an entry stored out of sequence order
	KindBadSignature = "bad-signature" // a checkpoint or purge whose signature or statement does not hold
	KindMalformed    = "malformed"     // bytes that are not a sealed entry
	KindTooMany      = "too-many"      // the problem list was cut off at MaxProblems
)

// MaxProblems bounds a report: a chain broken everywhere says so without
// listing every entry.
const MaxProblems = 1000

// reorderWindow is how many entries Verify holds while waiting for a
// missing seq to turn up out of place, before reporting it removed. It
// bounds Verify's memory.
const reorderWindow = 1024

// Verify walks the whole stored chain in one read transaction and reports
// every edited, removed, inserted or reordered entry and every bad
// checkpoint or purge signature. It reads entry by entry and holds at most
// a small window of them. Report.OK is true when nothing was found; a
// clean walk is where VerifyNew goes on from (incremental.go).
func (l *Log) Verify(ctx context.Context) (Report, error) {
	l.ver.mu.Lock()
	defer l.ver.mu.Unlock()
	return l.verifyAll(ctx)
}

// walk reads every stored record into a chain and settles it against the
// recorded head.
func (l *Log) walk(ctx context.Context) (*chain, error) {
	c := newChain(l.cfg.Signer)
	err := l.cfg.Store.View(func(tx broker.ReadTx) error {
		headSeq, headHash, err := tx.AuditHead()
		if err != nil {
			return err
		}
		if _, err := c.read(ctx, tx, 0); err != nil {
			return err
		}
		c.finish(true, headSeq, headHash)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// read adds every stored record from seq from on to the chain, looking
// at ctx every 4096 records so that a long walk can be given up; it
// returns how many records it read.
func (c *chain) read(ctx context.Context, tx broker.ReadTx, from uint64) (int, error) {
	n := 0
	err := tx.AuditRaw(from, func(seq uint64, raw []byte) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c.add(seq, raw)
		return nil
	})
	return n, err
}

// VerifyChain verifies an exported chain (one stored record per line, as
// Export writes it) with the public keys in keys. A line's position stands
// for its storage key: line i should hold seq first+i. An export that
// starts after seq 1 verifies only when a purge entry in it anchors its
// first entry; otherwise the missing start is reported as removed. Without
// the store's recorded head, entries cut off the end of an export are not
// detectable: the last checkpoint in it is what the export proves.
func VerifyChain(ctx context.Context, r io.Reader, keys Verifier) (Report, error) {
	if keys == nil {
		return Report{}, errors.New("audit: VerifyChain needs a Verifier")
	}
	c := newChain(keys)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var pos uint64
	for i := 0; sc.Scan(); i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return Report{}, err
			}
		}
		raw := sc.Bytes()
		if len(raw) == 0 {
			continue
		}
		if pos == 0 {
			var f struct {
				Seq uint64 `json:"seq"`
			}
			if json.Unmarshal(raw, &f) != nil || f.Seq == 0 {
				f.Seq = 1
			}
			pos = f.Seq
		} else {
			pos++
		}
		c.add(pos, raw)
	}
	if err := sc.Err(); err != nil {
		return Report{}, fmt.Errorf("audit: read chain: %w", err)
	}
	c.finish(false, 0, "")
	return c.report(), nil
}

// item is one entry as the chain check sees it.
type item struct {
	key  uint64 // storage position
	seq  uint64 // the seq it claims
	hash string // the hash it claims (its successor links to this)
	prev string
	// unlinkable: its hash is unknown (malformed), so links to and from it
	// are not judged; the malformed finding says enough.
	unlinkable bool
}

// chain checks entries in storage order. It puts them back in seq order
// through a small window (to tell a reordered entry from a removed one)
// and checks each link.
type chain struct {
	keys    Verifier
	r       Report
	started bool
	next    uint64 // the seq expected next
	last    *item  // the last entry accepted into the chain
	maxKey  uint64 // the highest storage key accepted so far
	alt     *item  // a second entry claiming last's seq; the successor decides
	gap     bool   // the next accepted entry follows a reported gap
	first   *item  // the first entry accepted: seq 1, or anchored by a purge
	pending map[uint64]item
	anchors map[uint64]string // purge entries: first kept seq → its prev_hash
}

func newChain(keys Verifier) *chain {
	return &chain{keys: keys, pending: map[uint64]item{}, anchors: map[uint64]string{}}
}

func (c *chain) problem(seq uint64, kind, format string, args ...any) {
	switch n := len(c.r.Problems); {
	case n < MaxProblems:
		c.r.Problems = append(c.r.Problems, Problem{Seq: seq, Kind: kind, Detail: fmt.Sprintf(format, args...)})
	case n == MaxProblems:
		c.r.Problems = append(c.r.Problems, Problem{Seq: seq, Kind: KindTooMany, Detail: "further problems are not listed"})
	}
}

// fields are the parts of an entry the chain check reads.
type fields struct {
	Seq      uint64            `json:"seq"`
	PrevHash string            `json:"prev_hash"`
	Event    string            `json:"event"`
	Detail   map[string]string `json:"detail"`
}

// quickFields reads seq, prev_hash and event from where the canonical form
// puts them — `{"hash":"…","seq":N,"prev_hash":"…","time":"…","event":"…"` —
// without a JSON decoder, which would cost most of Verify's time. Anything
// not in exactly that shape returns false and is decoded in full.
func quickFields(raw []byte) (fields, bool) {
	var f fields
	p := raw[headerLen:]
	take := func(lit string) bool {
		if !bytes.HasPrefix(p, []byte(lit)) {
			return false
		}
		p = p[len(lit):]
		return true
	}
	if !take(`"seq":`) {
		return f, false
	}
	n := 0
	for n < len(p) && n < 20 && p[n] >= '0' && p[n] <= '9' {
		n++
	}
	seq, err := strconv.ParseUint(string(p[:n]), 10, 64)
	if err != nil {
		return f, false
	}
	p = p[n:]
	if !take(`,"prev_hash":"`) {
		return f, false
	}
	if take(`"`) {
		f.PrevHash = ""
	} else if len(p) > hashLen && p[hashLen] == '"' && isHex(p[:hashLen]) {
		f.PrevHash, p = string(p[:hashLen]), p[hashLen+1:]
	} else {
		return f, false
	}
	const timeLen = len("2006-01-02T15:04:05.000000000Z")
	if !take(`,"time":"`) || len(p) <= timeLen || p[timeLen] != '"' {
		return f, false
	}
	p = p[timeLen+1:]
	if !take(`,"event":"`) {
		return f, false
	}
	end := bytes.IndexByte(p, '"')
	if end <= 0 {
		return f, false
	}
	for _, c := range p[:end] {
		if c < 'a' || c > 'z' {
			return f, false
		}
	}
	f.Seq, f.Event = seq, string(p[:end])
	return f, true
}

func isHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// add takes the next stored record, at storage key key.
func (c *chain) add(key uint64, raw []byte) {
	c.r.Entries++
	if c.r.Entries == 1 {
		c.r.FirstSeq = key
	}
	c.r.LastSeq = key
	hash, intact, err := checkRecord(raw)
	if err != nil {
		c.problem(key, KindMalformed, "stored at %d: %v", key, err)
		c.place(item{key: key, seq: key, unlinkable: true})
		return
	}
	f, ok := quickFields(raw)
	if !ok || f.Event == broker.EventCheckpoint || f.Event == broker.EventPurge {
		f = fields{}
		if err := json.Unmarshal(raw, &f); err != nil {
			c.problem(key, KindMalformed, "stored at %d: %v", key, err)
			c.place(item{key: key, seq: key, unlinkable: true})
			return
		}
	}
	if !intact {
		c.problem(f.Seq, KindEdited, "seq %d: its content does not match its hash", f.Seq)
	}
	switch f.Event {
	case broker.EventCheckpoint:
		c.checkpoint(&f)
	case broker.EventPurge:
		c.purge(&f)
	}
	c.place(item{key: key, seq: f.Seq, hash: hash, prev: f.PrevHash})
}

// checkpoint checks that a checkpoint signs the entry right before it.
func (c *chain) checkpoint(f *fields) {
	d := f.Detail
	if f.Seq == 0 || d[DetailHeadSeq] != strconv.FormatUint(f.Seq-1, 10) || d[DetailHeadHash] != f.PrevHash {
		c.problem(f.Seq, KindBadSignature, "checkpoint %d does not attest the entry before it", f.Seq)
		return
	}
	if err := c.keys.Verify(d[DetailKeyID], checkpointPayload(f.Seq-1, f.PrevHash), d[DetailSignature]); err != nil {
		c.problem(f.Seq, KindBadSignature, "checkpoint %d: %v", f.Seq, err)
		return
	}
	c.r.Checkpoints++
}

// purge checks a purge entry's signature and remembers its anchor.
func (c *chain) purge(f *fields) {
	d := f.Detail
	first, err := strconv.ParseUint(d[DetailFirstSeq], 10, 64)
	if err != nil || first >= f.Seq {
		c.problem(f.Seq, KindBadSignature, "purge %d names no earlier first entry", f.Seq)
		return
	}
	if err := c.keys.Verify(d[DetailKeyID], purgePayload(first, d[DetailAnchorHash]), d[DetailSignature]); err != nil {
		c.problem(f.Seq, KindBadSignature, "purge %d: %v", f.Seq, err)
		return
	}
	c.anchors[first] = d[DetailAnchorHash]
}

// place puts it into seq order: now, after the window fills, or never (a
// second entry for a seq already placed).
func (c *chain) place(it item) {
	if !c.started {
		c.started, c.next = true, it.key
	}
	switch {
	case it.seq == c.next:
		c.accept(it, false)
		c.drain()
	case it.seq > c.next:
		if _, dup := c.pending[it.seq]; dup {
			c.problem(it.seq, KindInserted, "a second entry for seq %d, stored at %d", it.seq, it.key)
			return
		}
		c.pending[it.seq] = it
		if len(c.pending) > reorderWindow {
			c.skip()
		}
	case c.last != nil && it.seq == c.last.seq && c.alt == nil:
		c.alt = &it
	default:
		c.problem(it.seq, KindInserted, "a second entry for seq %d, stored at %d", it.seq, it.key)
	}
}

// drain accepts held entries that now follow.
func (c *chain) drain() {
	for {
		it, ok := c.pending[c.next]
		if !ok {
			return
		}
		delete(c.pending, c.next)
		c.accept(it, true)
	}
}

// skip stops waiting for c.next: it is reported removed and the chain goes
// on at the lowest held seq.
func (c *chain) skip() {
	lo := slices.Min(slices.Collect(maps.Keys(c.pending)))
	if lo-1 == c.next {
		c.problem(c.next, KindRemoved, "seq %d is missing", c.next)
	} else {
		c.problem(c.next, KindRemoved, "seq %d to %d are missing", c.next, lo-1)
	}
	c.next, c.gap = lo, true
	c.drain()
}

// accept links it to the last accepted entry. late: it was held in the
// window, so something stored after it came before it.
func (c *chain) accept(it item, late bool) {
	if late && c.last != nil && it.key < c.maxKey {
		c.problem(it.seq, KindReordered, "seq %d is stored after seq %d", it.seq, c.last.seq)
	}
	c.maxKey = max(c.maxKey, it.key)
	switch {
	case c.last == nil:
		c.first = &it
		if it.seq == 1 && it.prev != "" && !it.unlinkable {
			c.problem(1, KindEdited, "the first entry links to a predecessor")
		}
	case c.gap || it.unlinkable || c.last.unlinkable:
	case it.prev == c.last.hash:
		if c.alt != nil {
			c.problem(c.alt.seq, KindInserted, "an entry for seq %d, stored at %d, that the chain does not link", c.alt.seq, c.alt.key)
		}
	case c.alt != nil && it.prev == c.alt.hash:
		c.problem(c.last.seq, KindInserted, "an entry for seq %d, stored at %d, that the chain does not link", c.last.seq, c.last.key)
	default:
		c.problem(c.last.seq, KindEdited, "seq %d does not link to seq %d: one of them was changed and rehashed", it.seq, c.last.seq)
	}
	c.alt, c.gap = nil, false
	c.last, c.next = &it, it.seq+1
}

// finish settles what only the end can tell. With the store's recorded
// head it also finds entries cut off or added at the end.
func (c *chain) finish(haveHead bool, headSeq uint64, headHash string) {
	for len(c.pending) > 0 {
		c.skip()
	}
	if c.alt != nil {
		// Two entries claim the newest seq: the recorded head decides.
		if haveHead && c.alt.hash == headHash {
			c.problem(c.last.seq, KindInserted, "an entry for seq %d, stored at %d, that the chain does not link", c.last.seq, c.last.key)
			c.last = c.alt
		} else {
			c.problem(c.alt.seq, KindInserted, "an entry for seq %d, stored at %d, that the chain does not link", c.alt.seq, c.alt.key)
		}
		c.alt = nil
	}
	if haveHead {
		switch {
		case c.last == nil && headSeq > 0:
			c.problem(headSeq, KindRemoved, "no entries, but the recorded head is seq %d", headSeq)
		case c.last == nil:
		case c.last.seq < headSeq:
			c.problem(c.last.seq+1, KindRemoved, "seq %d to %d, the newest entries, are missing", c.last.seq+1, headSeq)
		case c.last.seq > headSeq:
			c.problem(headSeq+1, KindInserted, "entries after the recorded head %d", headSeq)
		case c.last.hash != headHash && !c.last.unlinkable:
			c.problem(c.last.seq, KindEdited, "the newest entry is not the recorded head")
		}
	}
	if c.first != nil && c.first.seq > 1 {
		if anchor, ok := c.anchors[c.first.seq]; !ok || anchor != c.first.prev {
			c.problem(c.first.seq-1, KindRemoved, "entries up to seq %d were removed without a signed purge entry", c.first.seq-1)
		}
	}
}

func (c *chain) report() Report {
	r := c.r
	r.OK = len(r.Problems) == 0
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	return r
}
