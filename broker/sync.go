package broker

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"iter"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
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

// SyncResult is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type SyncResult = wire.SyncResult

// SyncOptions is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type SyncOptions = wire.SyncOptions

// The mass-end guard: a truncated or half-written export must not end a
// partner's caseload.
const (
	// DefaultSyncMaxEndFraction is the share of a partner's live
	// involvements one sync may end unless the caller allows more.
	DefaultSyncMaxEndFraction = 0.10
	// SyncEndHandful involvements may always end in one sync, however few
	// the partner has: ordinary churn of a small caseload is no mass end.
	SyncEndHandful = 10
	// ReasonMassEnd is the reason code of the audited refusal.
	ReasonMassEnd = "mass_end"
)

// SyncEndLimit is how many of live involvements one sync may end without
// SyncOptions.AllowMassEnd: the fraction of them, rounded down, but at
// least SyncEndHandful; and never all of them when there are more than
// SyncEndHandful. A fraction of 0 is DefaultSyncMaxEndFraction.
func SyncEndLimit(live int, fraction float64) int {
	if fraction <= 0 {
		fraction = DefaultSyncMaxEndFraction
	}
	limit := max(int(fraction*float64(live)), SyncEndHandful)
	if live > SyncEndHandful {
		limit = min(limit, live-1)
	}
	return limit
}

// MassEndError refuses a sync that would end more than Limit of the
// partner's Live involvements. It matches ErrMassEnd.
type MassEndError struct {
	Ended, Live, Limit int
}

func (e *MassEndError) Error() string {
	return fmt.Sprintf("%v: the sync would end %d of %d live involvements, more than the %d one sync may end",
		ErrMassEnd, e.Ended, e.Live, e.Limit)
}

// Is makes errors.Is(err, ErrMassEnd) true.
func (e *MassEndError) Is(target error) bool { return target == ErrMassEnd }

// SyncRejection is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type SyncRejection = wire.SyncRejection

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
//
// A sync that would end more than SyncEndLimit of the partner's live
// involvements is refused as a whole with a *MassEndError, audited as a
// denial, unless opts.AllowMassEnd: a truncated export must not end the
// caseload. To know that before any chunk is applied, such a sync reads
// items twice — once for the references, once to apply — so items must
// yield the same lines each time it is ranged over. A dry run, or a sync
// that allows a mass end, reads them once.
func (s *Service) Sync(ctx context.Context, c *Caller, items iter.Seq[SyncItem], opts SyncOptions) (SyncResult, error) {
	dryRun := opts.DryRun
	res := SyncResult{DryRun: dryRun, Problems: []SyncRejection{}}
	d, err := s.decide(ctx, c, &DecisionInput{Action: ActionInvolvementWrite, Purpose: c.Purpose, Caller: callerFacts(c),
		KeyedBy: KeyedByBSN}, "involvement.sync", nil)
	if err != nil {
		return res, err
	}
	planned := -1 // references of the caseload, when the guard read them first
	if !dryRun && !opts.AllowMassEnd {
		if planned, err = s.guardMassEnd(ctx, c, items, &res); err != nil {
			return res, err
		}
	} else if res.Live, _, err = s.liveInvolvements(c.Partner.ID, nil); err != nil {
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
	// progress tells opts.Progress that n more lines or ends are done.
	done := 0
	progress := func(n int) {
		done += n
		if opts.Progress != nil {
			opts.Progress(done)
		}
	}
	seen := map[uint64]struct{}{}
	pipe := &syncPipeline{s: s, ctx: ctx, c: c, d: d, dryRun: dryRun, progress: progress}
	defer pipe.drain() // on an early return, the chunk in flight still ends before Sync does
	chunk := make([]Involvement, 0, syncChunk)
	lines := make([]int, 0, syncChunk) // the line number of each of chunk
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
		chunk, lines = append(chunk, v), append(lines, it.Line)
		if len(chunk) == syncChunk {
			if chunk, lines, err = pipe.submit(chunk, lines, &res); err != nil {
				return res, err
			}
		}
	}
	if _, _, err := pipe.submit(chunk, lines, &res); err != nil {
		return res, err
	}
	if err := pipe.wait(&res); err != nil {
		return res, err
	}
	if planned >= 0 && len(seen) != planned {
		// The guard counted other lines than were applied: ending by
		// this reading could end more than the guard allowed.
		return res, fmt.Errorf("%w: the caseload changed while it was read (%d references, then %d); nothing was ended", ErrConflict, planned, len(seen))
	}
	if err := s.endUnseen(ctx, c, d, seen, &res, progress); err != nil {
		return res, err
	}
	res.EndLimit = SyncEndLimit(res.Live, s.cfg.SyncMaxEndFraction)
	res.MassEnd = res.Ended > res.EndLimit
	// A chunk reports the lines the policy refused after the lines read
	// later were rejected: one list, in line order.
	slices.SortStableFunc(res.Problems, func(a, b SyncRejection) int { return a.Line - b.Line })
	return res, nil
}

// caseloadRefs is the set of references a caseload holds, as Sync counts
// them: every valid reference, also of a rejected line.
func caseloadRefs(ctx context.Context, items iter.Seq[SyncItem]) (map[uint64]struct{}, error) {
	seen := map[uint64]struct{}{}
	for it := range items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if ValidRef(it.Ref) {
			seen[refHash(it.Ref)] = struct{}{}
		}
	}
	return seen, nil
}

// liveInvolvements counts the partner's live involvements and, when seen
// is not nil, those of them a caseload with these references would end.
func (s *Service) liveInvolvements(partner string, seen map[uint64]struct{}) (live, ending int, err error) {
	err = s.cfg.Store.View(func(tx ReadTx) error {
		return tx.PartnerInvolvements(partner, "", func(v Involvement) error {
			if v.Status == InvolvementEnded {
				return nil
			}
			live++
			if _, ok := seen[refHash(v.Ref)]; seen != nil && !ok {
				ending++
			}
			return nil
		})
	})
	return live, ending, err
}

// guardMassEnd reads the caseload's references and refuses the sync, with
// an audited denial, when it would end more than SyncEndLimit of the
// caller's live involvements. It returns how many references it read, or
// -1 when it did not need to read them.
func (s *Service) guardMassEnd(ctx context.Context, c *Caller, items iter.Seq[SyncItem], res *SyncResult) (int, error) {
	// A caseload of a handful (a new partner's first sync, too) cannot end
	// more than it may: no need to read the caseload twice.
	live, _, err := s.liveInvolvements(c.Partner.ID, nil)
	if err != nil {
		return 0, err
	}
	if live <= SyncEndLimit(live, s.cfg.SyncMaxEndFraction) {
		res.Live = live
		return -1, nil
	}
	seen, err := caseloadRefs(ctx, items)
	if err != nil {
		return 0, err
	}
	live, ending, err := s.liveInvolvements(c.Partner.ID, seen)
	if err != nil {
		return 0, err
	}
	res.Live = live
	limit := SyncEndLimit(live, s.cfg.SyncMaxEndFraction)
	if ending <= limit {
		return len(seen), nil
	}
	res.Ended, res.EndLimit, res.MassEnd = ending, limit, true
	e := s.auditEntry(c, EventDenial, "involvement.sync")
	e.Decision, e.Reasons = DecisionDeny, []string{ReasonMassEnd}
	e.Object = "involvements:" + c.Partner.ID
	e.Detail = map[string]string{"ended": strconv.Itoa(ending), "live": strconv.Itoa(live), "limit": strconv.Itoa(limit)}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		return 0, err
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "sync refused: it would end too much of the caseload",
		slog.String("request_id", c.RequestID), slog.String("partner", c.Partner.ID),
		slog.Int("ending", ending), slog.Int("live", live), slog.Int("limit", limit))
	return 0, &MassEndError{Ended: ending, Live: live, Limit: limit}
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
	// progress is told of every chunk done, with its length.
	progress func(n int)

	inflight   chan error
	size       int        // the length of the chunk in flight
	delta      SyncResult // what the chunk in flight did, once it is done
	spare      []Involvement
	spareLines []int
}

// submit waits for the chunk in flight, starts writing chunk (whose
// entries came from the caseload's lines), and returns empty buffers for
// the next one.
func (p *syncPipeline) submit(chunk []Involvement, lines []int, res *SyncResult) ([]Involvement, []int, error) {
	if err := p.wait(res); err != nil {
		return nil, nil, err
	}
	if len(chunk) == 0 {
		return chunk, lines, nil
	}
	p.inflight = make(chan error, 1)
	p.delta = SyncResult{DryRun: p.dryRun}
	p.size = len(chunk)
	go func() { p.inflight <- p.s.syncChunk(p.ctx, p.c, p.d, chunk, lines, &p.delta) }()
	next, nextLines := p.spare, p.spareLines
	if next == nil {
		next, nextLines = make([]Involvement, 0, syncChunk), make([]int, 0, syncChunk)
	}
	p.spare, p.spareLines = chunk[:0], lines[:0]
	return next[:0], nextLines[:0], nil
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
	res.Rejected += p.delta.Rejected
	for _, pr := range p.delta.Problems {
		if len(res.Problems) < maxSyncProblems {
			res.Problems = append(res.Problems, pr)
		}
	}
	if err == nil {
		p.progress(p.size)
	}
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

// syncKind is what a sync line does to its involvement.
type syncKind int

const (
	syncUnchanged syncKind = iota
	syncAdded
	syncChanged
	syncRefused // refused by the policy (an objection), left as it was
	syncKinds   // the number of kinds
)

// syncCounts tallies sync lines by kind.
type syncCounts [syncKinds]int

// writes is the number of lines that change the store.
func (n *syncCounts) writes() int { return n[syncAdded] + n[syncChanged] }

// addTo adds the tally to the result's counts.
func (n *syncCounts) addTo(res *SyncResult) {
	res.Unchanged += n[syncUnchanged]
	res.Added += n[syncAdded]
	res.Changed += n[syncChanged]
}

// syncChunk upserts a chunk of involvements in one transaction with one
// audit entry naming every person whose involvement changed. lines are the
// caseload's line numbers of chunk's entries, for the lines it refuses.
func (s *Service) syncChunk(ctx context.Context, c *Caller, d *verdict, chunk []Involvement, lines []int, res *SyncResult) error {
	if len(chunk) == 0 {
		return nil
	}
	// Lines about a person who objected to processing under the purpose
	// are refused by the policy, each audited as a refusal about them, and
	// leave their involvement as it was (rights.rego).
	refused, err := s.refuseObjected(ctx, c, chunk, lines, res)
	if err != nil {
		return err
	}
	// Classify in a read transaction first: a dry run stops here, and
	// only new involvements of household members need match signals.
	kind := make([]syncKind, len(chunk))
	needSignals := make([]bool, len(chunk))
	// The chunk's notices (notices.go): rectification signals of the
	// involvements it corrects or ends, inform items of those it
	// registers, worked out in bulk in the same read.
	set := s.notices()
	var notices, corrections = []InboxItem(nil), []correction(nil)
	var regs []*Involvement
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		for i := range chunk {
			v := &chunk[i]
			if refused != nil && refused[i] {
				kind[i] = syncRefused
				continue
			}
			old, err := tx.Involvement(v.Partner, v.Ref)
			switch {
			case err == nil:
				if !old.sameContent(v) {
					kind[i] = syncChanged
					needSignals[i] = old.Subject != v.Subject || old.Status == InvolvementEnded && v.Status != InvolvementEnded
					v.ID = old.ID
					corrections = append(corrections, correction{old: old, cur: *v})
					if needSignals[i] {
						regs = append(regs, v)
					}
				}
			case errors.Is(err, ErrNotFound):
				kind[i] = syncAdded
				needSignals[i] = v.Status != InvolvementEnded
				if v.ID == "" {
					v.ID = newID("i")
				}
				if needSignals[i] {
					regs = append(regs, v)
				}
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
		if res.DryRun {
			return nil
		}
		var err error
		if notices, err = s.rectifications(tx, set, corrections); err != nil {
			return err
		}
		informs, err := s.registrationInforms(tx, set, c, regs, d.Bases)
		notices = append(notices, informs...)
		return err
	}); err != nil {
		return err
	}
	var planned syncCounts
	for _, k := range kind {
		planned[k]++
	}
	if res.DryRun || planned.writes() == 0 {
		planned.addTo(res)
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
		if kind[i] == syncAdded || kind[i] == syncChanged {
			e.Subjects = append(e.Subjects, chunk[i].Subject)
		}
	}
	e.Detail = map[string]string{"added": strconv.Itoa(planned[syncAdded]), "changed": strconv.Itoa(planned[syncChanged])}
	// Written in key order (partner, ref): the B+tree is walked forwards
	// instead of sought at random for every line.
	order := make([]int, len(chunk))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(chunk[a].Ref, chunk[b].Ref) })
	var counts syncCounts
	items := append(signals, notices...)
	discloseItems(&e, "", items)
	err = s.commit(ctx, e, []*verdict{d}, sending(items, func(tx Tx) error {
		counts = syncCounts{}
		for _, i := range order {
			if kind[i] == syncRefused {
				continue
			}
			v := chunk[i]
			old, err := tx.Involvement(v.Partner, v.Ref)
			switch {
			case err == nil:
				if old.sameContent(&v) {
					counts[syncUnchanged]++
					continue
				}
				v.ID, v.CreatedAt, v.Revision = old.ID, old.CreatedAt, old.Revision+1
				counts[syncChanged]++
			case errors.Is(err, ErrNotFound):
				if v.ID == "" {
					v.ID = newID("i")
				}
				v.CreatedAt, v.Revision = now, 1
				counts[syncAdded]++
			default:
				return err
			}
			v.UpdatedAt = now
			if err := tx.PutInvolvement(v); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		return err
	}
	counts.addTo(res)
	res.Signals += len(signals)
	return nil
}

// refuseObjected asks the policy about the chunk's lines whose person has
// an active restriction or objection for the caller's purpose, and reports
// which it refuses, as rejected lines of res. Ending lines and lines that
// change nothing are not asked: ending an involvement is always possible. The flags are read in one
// transaction; a region with no flags asks the policy nothing.
func (s *Service) refuseObjected(ctx context.Context, c *Caller, chunk []Involvement, lines []int, res *SyncResult) ([]bool, error) {
	facts := map[int]map[Pseudonym]*SubjectFacts{}
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		for i := range chunk {
			if chunk[i].Status == InvolvementEnded {
				continue
			}
			f, err := registrationSubjects(tx, c.Purpose, chunk[i].Subject)
			if err != nil || f == nil {
				if err != nil {
					return err
				}
				continue
			}
			// A line that changes nothing processes nothing new.
			old, err := tx.Involvement(chunk[i].Partner, chunk[i].Ref)
			switch {
			case err == nil && old.sameContent(&chunk[i]):
				continue
			case err != nil && !errors.Is(err, ErrNotFound):
				return err
			}
			facts[i] = f
		}
		return nil
	}); err != nil || len(facts) == 0 {
		return nil, err
	}
	refused := make([]bool, len(chunk))
	for i, f := range facts {
		v := &chunk[i]
		in := &DecisionInput{Action: ActionInvolvementWrite, Purpose: c.Purpose, Caller: callerFacts(c), KeyedBy: KeyedByBSN, Subjects: f}
		_, err := s.decide(ctx, c, in, "involvement", []Pseudonym{v.Subject})
		var de *DeniedError
		switch {
		case err == nil:
			continue
		case errors.As(err, &de):
			refused[i] = true
			res.Rejected++
			if len(res.Problems) < maxSyncProblems {
				reason := fmt.Sprintf("refused by the policy (%s)", strings.Join(de.Reasons, ", "))
				if slices.Contains(de.Reasons, ReasonObjected) {
					reason += ": the person objected to processing under " + c.Purpose + " (AVG art. 21); the involvement is left as it was until the objection is lifted"
				}
				res.Problems = append(res.Problems, SyncRejection{Line: lines[i], Ref: v.Ref, Reason: reason})
			}
		default:
			return nil, err
		}
	}
	return refused, nil
}

// endUnseen ends every live involvement of the caller that the caseload
// did not hold, a page at a time, telling progress how many each page
// ended.
func (s *Service) endUnseen(ctx context.Context, c *Caller, d *verdict, seen map[uint64]struct{}, res *SyncResult, progress func(n int)) error {
	after := ""
	today := s.now().Format(dateLayout)
	set := s.notices()
	for {
		var refs []string
		var subjects []Pseudonym
		var last string
		var corrections []correction
		var notices []InboxItem
		err := s.cfg.Store.View(func(tx ReadTx) error {
			err := tx.PartnerInvolvements(c.Partner.ID, after, func(v Involvement) error {
				last = v.Ref
				if v.Status == InvolvementEnded {
					return nil
				}
				if _, ok := seen[refHash(v.Ref)]; !ok {
					refs = append(refs, v.Ref)
					subjects = append(subjects, v.Subject)
					if !res.DryRun {
						corrections = append(corrections, correction{old: v, cur: endedBySync(v, today)})
					}
				}
				if len(refs) == syncChunk {
					return io.EOF
				}
				return nil
			})
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			// The rectification signals of the page, in bulk.
			var rerr error
			if notices, rerr = s.rectifications(tx, set, corrections); rerr != nil {
				return rerr
			}
			return err
		})
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		done := !errors.Is(err, io.EOF)
		if len(refs) > 0 && !res.DryRun {
			e := s.auditEntry(c, EventChange, "involvement.sync")
			e.Object, e.Subjects = "involvements:"+c.Partner.ID, subjects
			e.Detail = map[string]string{"ended": strconv.Itoa(len(refs))}
			discloseItems(&e, "", notices)
			err := s.commit(ctx, e, []*verdict{d}, sending(notices, func(tx Tx) error {
				for _, ref := range refs {
					v, err := tx.Involvement(c.Partner.ID, ref)
					if err != nil {
						return err
					}
					v = endedBySync(v, today)
					v.UpdatedAt, v.Revision = s.now(), v.Revision+1
					if err := tx.PutInvolvement(v); err != nil {
						return err
					}
				}
				return nil
			}))
			if err != nil {
				return err
			}
		}
		res.Ended += len(refs)
		progress(len(refs))
		if done {
			return nil
		}
		after = last
	}
}

// chunkSignals works out the match signals of a chunk's lines that need
// them, in bulk (signals.go): one policy question per batch of households
// instead of one per line and recipient. The signals come back in line
// order.
func (s *Service) chunkSignals(ctx context.Context, c *Caller, chunk []Involvement, need []bool) ([]InboxItem, error) {
	return s.bulkSignals(ctx, c, chunk, need)
}

// chunkSignalsPerLine is chunkSignals asking per line, household and
// recipient, several lines at once: the way a chunk asked before the bulk
// question, kept as the reference the bulk answers are held to.
func (s *Service) chunkSignalsPerLine(ctx context.Context, c *Caller, chunk []Involvement, need []bool) ([]InboxItem, error) {
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

// endedBySync is v as a sync that no longer holds it ends it: ended today,
// or on its own end date when that is earlier, never before its start.
func endedBySync(v Involvement, today string) Involvement {
	v.Status = InvolvementEnded
	if v.End == "" || v.End > today {
		v.End = today
	}
	if v.Start > v.End {
		v.End = v.Start
	}
	return v
}
