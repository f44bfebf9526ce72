package broker

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Match signals in bulk. A full-caseload sync registers up to a thousand
// involvements per chunk, most of them members of households where other
// partners are involved. Asking the policy once per line and recipient (as
// matchSignals does for a single registration) kept a sync at a few hundred
// lines a second: every question pays for the whole bundle. A chunk asks
// instead one question per batch of households (SignalQuestion), with the
// store facts of each household read once, and the policy answers per
// household and recipient which of the new involvements may be signalled,
// with which fields (rego/ketenbrug/overview.rego, "Match signals in bulk").
// The answers are the per-line answers: TestBulkSignalsEqualPerLine holds
// the two to each other on a seeded region.

// SignalQuestion is the bulk match-signal question of a sync chunk
// (action match.signal, with these fields instead of caller, household,
// municipality and candidates). DecisionInput.Subjects holds the facts of
// every candidate's subject.
type SignalQuestion struct {
	// Recipients are the partners that could be signalled, by id, as
	// callers of role connector. The policy asks a household's
	// coordinator as its coordinator (role coordinator, the household's
	// coordinator_sub), as the one-line question does.
	Recipients map[string]*CallerFacts `json:"recipients"`
	// Signals are the chunk's households with new involvements to signal.
	Signals []SignalGroup `json:"signals"`
}

// SignalGroup is one household of a bulk match-signal question: its facts,
// the new involvements of its members and the partners that could be told.
type SignalGroup struct {
	Household    HouseholdFacts     `json:"household"`
	Municipality *MunicipalityFacts `json:"municipality,omitempty"`
	// Shielded is true when a member of the household is shielded: it
	// shields the other members too.
	Shielded bool `json:"shielded"`
	// Recipients are ids of Recipients, sorted.
	Recipients []string    `json:"recipients"`
	Candidates []Candidate `json:"candidates"`
}

// SignalAnswers is the policy's answer to a SignalQuestion: household id →
// recipient → candidate id → the fields the signal may show. A candidate
// that is not named is not signalled to that recipient.
type SignalAnswers map[string]map[string]map[string][]string

// signalBatch bounds the households of one bulk question: a question stays
// well inside the policy's time limit (64 households take some 10 ms on
// the development machine, against a default limit of 100 ms that a busy
// machine must not push a question past), and a chunk's questions run on
// several policy workers at once. Larger batches save little: what a
// question costs beyond its households is a few recipients' checks.
const signalBatch = 64

// signalGroup is a household of the chunk as the broker keeps it while
// asking: the question's group and what the answer is turned into items
// with.
type signalGroup struct {
	h          Household
	key        string            // household and registering partner
	partner    string            // the registering partner, never a recipient
	refs       map[string]string // recipient → its own ref ("" for the coordinator)
	group      SignalGroup
	lines      []int // chunk indexes of the candidates, in group.Candidates order
	subjects   map[Pseudonym]*SubjectFacts
	answers    map[string]map[string][]string // recipient → candidate id → fields
	fellBack   bool                           // asked per line instead
	fallbackBy map[int][]InboxItem            // chunk index → items, when fellBack
}

// bulkSignals works out the match signals of the chunk's lines marked in
// need, as matchSignals would for each, with one policy question per batch
// of households. The store is read once per household, in one read
// transaction and in line order; a batch is asked as soon as it is full,
// while the next is read, so that reading and deciding use both cores. A
// batch the policy does not answer in bulk (an error, a bundle without the
// bulk rules) is asked per line and household instead: the answers are the
// same, and each question fails closed on its own. The signals come back
// in line order, as chunkSignalsPerLine returns them.
func (s *Service) bulkSignals(ctx context.Context, c *Caller, chunk []Involvement, need []bool) ([]InboxItem, error) {
	a := &signalAsker{s: s, ctx: ctx, c: c, chunk: chunk, purpose: signalPurpose(c),
		sem: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
	lineGroups := make([][]*signalGroup, len(chunk)) // per line, its households in HouseholdsOf order
	err := s.cfg.Store.View(func(tx ReadTx) error {
		// The households of the batch being filled, by household and
		// registering partner; nil when nobody else is involved. A
		// household whose batch was asked already is read again for a
		// later line (a new group in a later batch).
		open := map[string]*signalGroup{}
		var filling []*signalGroup
		facts := map[Pseudonym]*SubjectFacts{} // the subjects the filling batch names
		flush := func() {
			for _, g := range filling {
				delete(open, g.key)
			}
			a.ask(filling)
			filling, facts = nil, map[Pseudonym]*SubjectFacts{}
		}
		for i := range chunk {
			v := &chunk[i]
			if !need[i] || v.Status == InvolvementEnded {
				continue
			}
			hs, err := tx.HouseholdsOf(v.Subject)
			if err != nil {
				return err
			}
			self, err := s.LookupPartner(v.Partner)
			if err != nil {
				return err
			}
			for _, h := range hs {
				key := h.ID + "\x00" + v.Partner
				g, ok := open[key]
				if !ok {
					if g, err = s.readSignalGroup(tx, h, v.Partner); err != nil {
						return err
					}
					open[key] = g
					if g != nil && len(g.group.Recipients) > 0 {
						filling = append(filling, g)
					}
				}
				if g == nil || len(g.group.Recipients) == 0 {
					continue // nobody else is involved (or no one active): no match
				}
				f, ok := g.subjects[v.Subject]
				if !ok {
					if f, err = memberFacts(tx, &h, v.Subject, a.purpose); err != nil {
						return err
					}
					// The question names each subject once: a person who
					// is a member of two households with other facts (a
					// label, a role) is asked about in two batches.
					if prev, named := facts[v.Subject]; named && !sameFacts(prev, f) {
						flush()
						g = g.fresh()
						open[key], filling = g, append(filling, g)
					}
					g.subjects[v.Subject], facts[v.Subject] = f, f
				}
				g.group.Candidates = append(g.group.Candidates, Candidate{ID: v.ID, Subject: v.Subject, Service: v.Service,
					Status: v.Status, Partner: partnerFacts(self), Purpose: v.Purpose})
				g.lines = append(g.lines, i)
				lineGroups[i] = append(lineGroups[i], g)
			}
			if len(filling) >= signalBatch {
				flush()
			}
		}
		flush()
		return nil
	})
	if werr := a.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	var out []InboxItem
	for i := range chunk {
		v := &chunk[i]
		for _, g := range lineGroups[i] {
			if g.fellBack {
				out = append(out, g.fallbackBy[i]...)
				continue
			}
			for _, partner := range g.group.Recipients {
				if fields := g.answers[partner][v.ID]; len(fields) > 0 {
					out = append(out, s.signalItem(v, &g.h, partner, g.refs[partner], fields))
				}
			}
		}
	}
	return out, nil
}

// fresh is a copy of g for a later batch: the same household and
// recipients, no candidates yet.
func (g *signalGroup) fresh() *signalGroup {
	n := *g
	n.group.Candidates, n.lines, n.subjects = nil, nil, map[Pseudonym]*SubjectFacts{}
	return &n
}

// sameFacts reports whether a and b are the same facts of a subject.
func sameFacts(a, b *SubjectFacts) bool { return a == b || reflect.DeepEqual(a, b) }

// readSignalGroup reads what the signals of new involvements of partner in
// household h need, once per household: who else is involved and whether
// a member is shielded. It returns nil when nobody else is involved.
func (s *Service) readSignalGroup(tx ReadTx, h Household, partner string) (*signalGroup, error) {
	g := &signalGroup{h: h, key: h.ID + "\x00" + partner, partner: partner, refs: map[string]string{},
		subjects: map[Pseudonym]*SubjectFacts{}}
	shielded := false
	for _, m := range h.Members {
		shielded = shielded || m.Shielded
		invs, err := tx.InvolvementsOf(m.Subject)
		if err != nil {
			return nil, err
		}
		// A shielded member's involvements make nobody a recipient: a
		// signal naming the recipient's own reference would tell it that
		// the shielded person lives in this household.
		if !m.Shielded {
			for _, o := range invs {
				if o.Partner != partner && o.Status != InvolvementEnded {
					if _, ok := g.refs[o.Partner]; !ok {
						g.refs[o.Partner] = o.Ref
					}
				}
			}
		}
	}
	if len(g.refs) == 0 {
		return nil, nil
	}
	if h.Coordinator.Partner != partner {
		g.refs[h.Coordinator.Partner] = ""
	}
	g.group = SignalGroup{Household: *householdFacts(&h), Municipality: s.municipalityFacts(h.Municipality), Shielded: shielded}
	for _, p := range sortedKeys(g.refs) {
		if rp, err := s.LookupPartner(p); err == nil && rp.Status == PartnerActive {
			g.group.Recipients = append(g.group.Recipients, p)
		}
	}
	return g, nil
}

// memberFacts reads the facts of member p of household h for a match
// signal under purpose, as gather does for the one-line question.
func memberFacts(tx ReadTx, h *Household, p Pseudonym, purpose string) (*SubjectFacts, error) {
	i := slices.IndexFunc(h.Members, func(m Member) bool { return m.Subject == p })
	if i < 0 {
		return nil, nil // not a member after all: the policy hides what it has no facts about
	}
	m := &h.Members[i]
	consents, err := subjectConsents(tx, p)
	if err != nil {
		return nil, err
	}
	f := &SubjectFacts{Label: m.Label, Role: m.Role, BirthYear: m.BirthYear, BirthDate: m.BirthDate,
		Shielded: m.Shielded, Consents: consents}
	if f.Restrictions, err = activeRestrictions(tx, p, purpose); err != nil {
		return nil, err
	}
	return f, nil
}

// signalAsker asks the bulk questions of a chunk, several batches at once
// (as many as there are cores: the policy workers use them all), and falls
// back to one question per line, household and recipient for a batch the
// policy does not answer in bulk.
type signalAsker struct {
	s       *Service
	ctx     context.Context
	c       *Caller
	chunk   []Involvement
	purpose string
	sem     chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
}

// ask starts asking about batch, waiting while as many batches as there
// are cores are being asked.
func (a *signalAsker) ask(batch []*signalGroup) {
	if len(batch) == 0 {
		return
	}
	a.sem <- struct{}{}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer func() { <-a.sem }()
		if a.s.askSignalBatch(a.ctx, a.c, a.purpose, batch) {
			return
		}
		for _, g := range batch {
			g.fellBack, g.fallbackBy = true, map[int][]InboxItem{}
			for _, i := range g.lines {
				items, err := a.s.householdSignals(a.ctx, a.c, &a.chunk[i], g.h)
				if err != nil {
					a.mu.Lock()
					a.errs = append(a.errs, err)
					a.mu.Unlock()
					return
				}
				g.fallbackBy[i] = items
			}
		}
	}()
}

// wait waits for every batch and returns their errors (of the store, read
// by the fallback; a policy failure is no error).
func (a *signalAsker) wait() error {
	a.wg.Wait()
	return errors.Join(a.errs...)
}

// askSignalBatch asks one bulk question and stores the answers in the
// groups. It reports false when the policy did not answer in bulk: an
// error (logged), a denial, or an answer without signals (a bundle that
// does not know the bulk question).
func (s *Service) askSignalBatch(ctx context.Context, c *Caller, purpose string, batch []*signalGroup) bool {
	q := &SignalQuestion{Recipients: map[string]*CallerFacts{}, Signals: make([]SignalGroup, len(batch))}
	in := &DecisionInput{Action: ActionMatchSignal, Purpose: purpose, Now: s.now().Format(time.RFC3339),
		Subjects: map[Pseudonym]*SubjectFacts{}, SignalQuestion: q}
	for bi, g := range batch {
		q.Signals[bi] = g.group
		for _, p := range g.group.Recipients {
			if _, ok := q.Recipients[p]; ok {
				continue
			}
			rp, err := s.LookupPartner(p)
			if err != nil {
				continue // listed as active a moment ago; asked per line, it gets nothing either
			}
			q.Recipients[p] = &CallerFacts{Partner: rp.ID, Sector: rp.Sector, Role: RoleConnector, Level: rp.Level,
				Covenant: rp.Covenant, Municipalities: rp.Municipalities, RegisteredAt: rfc3339(rp.CreatedAt)}
		}
		for _, cand := range g.group.Candidates {
			in.Subjects[cand.Subject] = g.subjects[cand.Subject]
		}
	}
	d, err := s.cfg.Policy.Decide(ctx, in)
	if err != nil || !d.Allow || d.Signals == nil {
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "match signals: the bulk question failed; asking per line",
				slog.String("request_id", c.RequestID), slog.Any("error", err))
		}
		return false
	}
	for _, g := range batch {
		g.answers = d.Signals[g.h.ID]
	}
	return true
}

// signalItem is the match signal to partner about v, a new involvement in
// household h, showing fields; ref is the recipient's own reference ("" for
// the coordinator).
func (s *Service) signalItem(v *Involvement, h *Household, partner, ref string, fields []string) InboxItem {
	shown := s.shown(v, fields)
	it := InboxItem{Partner: partner, Kind: InboxMatch, Created: s.now(), Ref: ref, About: &shown, Subject: v.Subject,
		disclosed:   []Disclosure{{Subject: v.Subject, Involvement: v.ID, Partner: v.Partner, Fields: shownFields(&shown), To: partner}},
		inHousehold: householdKey{h.Municipality, h.ID}}
	if partner == h.Coordinator.Partner {
		it.Household = h.ID
	}
	return it
}
