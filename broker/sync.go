package broker

import (
	"context"
	"errors"
	"hash/fnv"
	"io"
	"iter"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// SyncItem is one line of a full-caseload sync, parsed by the transport.
// Err is set when the line could not be parsed; the line is then rejected
// and the sync goes on.
type SyncItem struct {
	Line  int
	Ref   string
	Input InvolvementInput
	Err   error
}

// SyncResult says what a sync did (or, in a dry run, would do).
type SyncResult struct {
	DryRun    bool            `json:"dry_run"`
	Lines     int             `json:"lines"`
	Added     int             `json:"added"`
	Changed   int             `json:"changed"`
	Unchanged int             `json:"unchanged"`
	Ended     int             `json:"ended"`
	Rejected  int             `json:"rejected"`
	Signals   int             `json:"signals"`
	Problems  []SyncRejection `json:"problems"`
}

// SyncRejection is one rejected line.
type SyncRejection struct {
	Line   int    `json:"line"`
	Ref    string `json:"ref,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// Sync limits.
const (
	syncChunk       = 1000 // lines per transaction and audit entry
	maxSyncProblems = 1000 // rejections reported in detail; the count is always exact
)

// Sync takes a partner's complete current caseload: every line is upserted
// as with PutInvolvement, and every live involvement of the partner that the
// caseload no longer holds is ended. Bad lines are rejected with their line
// number and reason and lose nothing else. Memory stays bounded: lines are
// committed in chunks, and the set of references seen is kept as 8-byte
// hashes.
func (s *Service) Sync(ctx context.Context, c *Caller, items iter.Seq[SyncItem], dryRun bool) (SyncResult, error) {
	res := SyncResult{DryRun: dryRun, Problems: []SyncRejection{}}
	d, err := s.decide(ctx, c, &DecisionInput{Action: ActionInvolvementWrite, Purpose: c.Purpose, Caller: callerFacts(c)}, "involvement.sync", nil)
	if err != nil {
		return res, err
	}
	reject := func(line int, ref string, err error) {
		res.Rejected++
		if len(res.Problems) >= maxSyncProblems {
			return
		}
		p := SyncRejection{Line: line, Ref: ref, Reason: err.Error()}
		var ve *ValidationError
		if errors.As(err, &ve) {
			p.Field, p.Reason = ve.Field, ve.Reason
		}
		res.Problems = append(res.Problems, p)
	}
	seen := map[uint64]struct{}{}
	pipe := &syncPipeline{s: s, ctx: ctx, c: c, d: d, dryRun: dryRun}
	defer pipe.drain() // on an early return, the chunk in flight still ends before Sync does
	chunk := make([]Involvement, 0, syncChunk)
	for it := range items {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Lines++
		if !ValidRef(it.Ref) {
			// A reference that is not one is never echoed: it may be a BSN.
			err := it.Err
			if err == nil {
				err = invalid("ref", RefRule)
			}
			reject(it.Line, "", err)
			continue
		}
		h := refHash(it.Ref)
		if _, dup := seen[h]; dup {
			reject(it.Line, it.Ref, invalid("ref", "appears twice in this caseload"))
			continue
		}
		// The caseload holds the reference even when its line is rejected:
		// a bad line leaves its involvement as it was, never ends it.
		seen[h] = struct{}{}
		if it.Err != nil {
			reject(it.Line, it.Ref, it.Err)
			continue
		}
		v, err := s.build(c, it.Ref, it.Input)
		if err != nil {
			reject(it.Line, it.Ref, err)
			continue
		}
		chunk = append(chunk, v)
		if len(chunk) == syncChunk {
			if chunk, err = pipe.submit(chunk, &res); err != nil {
				return res, err
			}
		}
	}
	if _, err := pipe.submit(chunk, &res); err != nil {
		return res, err
	}
	if err := pipe.wait(&res); err != nil {
		return res, err
	}
	return res, s.endUnseen(ctx, c, d, seen, &res)
}

// syncPipeline writes one chunk while the next is read and checked: the
// audit writer's transaction for chunk k overlaps the parsing, validation
// and classification of chunk k+1. One chunk is in flight at most, so
// memory stays bounded at two chunks. Overlapping cannot lose a match
// signal: every line of a sync is the same partner's, and a partner is
// never signalled about its own involvements.
type syncPipeline struct {
	s      *Service
	ctx    context.Context
	c      *Caller
	d      *verdict
	dryRun bool

	inflight chan error
	delta    SyncResult // what the chunk in flight did, once it is done
	spare    []Involvement
}

// submit waits for the chunk in flight, starts writing chunk, and returns
// an empty buffer for the next one.
func (p *syncPipeline) submit(chunk []Involvement, res *SyncResult) ([]Involvement, error) {
	if err := p.wait(res); err != nil {
		return nil, err
	}
	if len(chunk) == 0 {
		return chunk, nil
	}
	p.inflight = make(chan error, 1)
	p.delta = SyncResult{DryRun: p.dryRun}
	go func() { p.inflight <- p.s.syncChunk(p.ctx, p.c, p.d, chunk, &p.delta) }()
	next := p.spare
	if next == nil {
		next = make([]Involvement, 0, syncChunk)
	}
	p.spare = chunk[:0]
	return next[:0], nil
}

// drain waits for the chunk in flight, if any, discarding its outcome.
func (p *syncPipeline) drain() {
	if p.inflight != nil {
		<-p.inflight
		p.inflight = nil
	}
}

// wait waits for the chunk in flight, if any, and adds what it did to res.
func (p *syncPipeline) wait(res *SyncResult) error {
	if p.inflight == nil {
		return nil
	}
	err := <-p.inflight
	p.inflight = nil
	res.Added += p.delta.Added
	res.Changed += p.delta.Changed
	res.Unchanged += p.delta.Unchanged
	res.Signals += p.delta.Signals
	return err
}

// refHash keys the seen set: 8 bytes a reference instead of the reference.
// A collision (about 1 in 10^8 at a million references) would keep one
// involvement that should have ended alive until the next sync.
func refHash(ref string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(ref))
	return h.Sum64()
}

// syncChunk upserts a chunk of involvements in one transaction with one
// audit entry naming every person whose involvement changed.
func (s *Service) syncChunk(ctx context.Context, c *Caller, d *verdict, chunk []Involvement, res *SyncResult) error {
	if len(chunk) == 0 {
		return nil
	}
	// Classify in a read transaction first: a dry run stops here, and
	// only new involvements of household members need match signals.
	kind := make([]int, len(chunk)) // 0 unchanged, 1 added, 2 changed
	needSignals := make([]bool, len(chunk))
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		for i := range chunk {
			v := &chunk[i]
			old, err := tx.Involvement(v.Partner, v.Ref)
			switch {
			case err == nil:
				if !old.sameContent(v) {
					kind[i] = 2
					needSignals[i] = old.Subject != v.Subject || old.Status == InvolvementEnded && v.Status != InvolvementEnded
				}
			case errors.Is(err, ErrNotFound):
				kind[i] = 1
				needSignals[i] = v.Status != InvolvementEnded
			default:
				return err
			}
			if needSignals[i] {
				hs, err := tx.HouseholdsOf(v.Subject)
				if err != nil {
					return err
				}
				needSignals[i] = len(hs) > 0
			}
		}
		return nil
	}); err != nil {
		return err
	}
	var added, changed, unchanged int
	for _, k := range kind {
		switch k {
		case 0:
			unchanged++
		case 1:
			added++
		case 2:
			changed++
		}
	}
	if res.DryRun || added+changed == 0 {
		res.Added, res.Changed, res.Unchanged = res.Added+added, res.Changed+changed, res.Unchanged+unchanged
		return nil
	}
	signals, err := s.chunkSignals(ctx, c, chunk, needSignals)
	if err != nil {
		return err
	}
	now := s.now()
	e := s.auditEntry(c, EventChange, "involvement.sync")
	e.Object = "involvements:" + c.Partner.ID
	for i := range chunk {
		if kind[i] != 0 {
			e.Subjects = append(e.Subjects, chunk[i].Subject)
		}
	}
	e.Detail = map[string]string{"added": strconv.Itoa(added), "changed": strconv.Itoa(changed)}
	// Written in key order (partner, ref): the B+tree is walked forwards
	// instead of sought at random for every line.
	order := make([]int, len(chunk))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(chunk[a].Ref, chunk[b].Ref) })
	var counts [3]int
	err = s.commitAll(ctx, e, d, "", signals, func(tx Tx) error {
		counts = [3]int{}
		for _, i := range order {
			v := chunk[i]
			old, err := tx.Involvement(v.Partner, v.Ref)
			switch {
			case err == nil:
				if old.sameContent(&v) {
					counts[0]++
					continue
				}
				v.ID, v.CreatedAt, v.Revision = old.ID, old.CreatedAt, old.Revision+1
				counts[2]++
			case errors.Is(err, ErrNotFound):
				if v.ID == "" {
					v.ID = newID("i")
				}
				v.CreatedAt, v.Revision = now, 1
				counts[1]++
			default:
				return err
			}
			v.UpdatedAt = now
			if err := tx.PutInvolvement(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	res.Unchanged += counts[0]
	res.Added += counts[1]
	res.Changed += counts[2]
	res.Signals += len(signals)
	return nil
}

// endUnseen ends every live involvement of the caller that the caseload
// did not hold, a page at a time.
func (s *Service) endUnseen(ctx context.Context, c *Caller, d *verdict, seen map[uint64]struct{}, res *SyncResult) error {
	after := ""
	today := s.now().Format(dateLayout)
	for {
		var refs []string
		var subjects []Pseudonym
		var last string
		err := s.cfg.Store.View(func(tx ReadTx) error {
			return tx.PartnerInvolvements(c.Partner.ID, after, func(v Involvement) error {
				last = v.Ref
				if v.Status == InvolvementEnded {
					return nil
				}
				if _, ok := seen[refHash(v.Ref)]; !ok {
					refs = append(refs, v.Ref)
					subjects = append(subjects, v.Subject)
				}
				if len(refs) == syncChunk {
					return io.EOF
				}
				return nil
			})
		})
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		done := !errors.Is(err, io.EOF)
		if len(refs) > 0 && !res.DryRun {
			e := s.auditEntry(c, EventChange, "involvement.sync")
			e.Object, e.Subjects = "involvements:"+c.Partner.ID, subjects
			e.Detail = map[string]string{"ended": strconv.Itoa(len(refs))}
			err := s.commitAll(ctx, e, d, "", nil, func(tx Tx) error {
				for _, ref := range refs {
					v, err := tx.Involvement(c.Partner.ID, ref)
					if err != nil {
						return err
					}
					v.Status, v.UpdatedAt, v.Revision = InvolvementEnded, s.now(), v.Revision+1
					if v.End == "" || v.End > today {
						v.End = today
					}
					if v.Start > v.End {
						v.End = v.Start
					}
					if err := tx.PutInvolvement(v); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		res.Ended += len(refs)
		if done {
			return nil
		}
		after = last
	}
}

// chunkSignals asks the match-signal questions of a chunk's lines that need
// them, several lines at once: each line is a policy decision per other
// partner of the household, and one sync would otherwise keep one core
// busy while the policy workers could use them all. The signals come back
// in line order.
func (s *Service) chunkSignals(ctx context.Context, c *Caller, chunk []Involvement, need []bool) ([]InboxItem, error) {
	per := make([][]InboxItem, len(chunk))
	errs := make([]error, len(chunk))
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i := range chunk {
		if !need[i] {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			per[i], errs[i] = s.matchSignals(ctx, c, &chunk[i])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []InboxItem
	for _, items := range per {
		out = append(out, items...)
	}
	return out, nil
}
