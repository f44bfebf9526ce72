package broker

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Kinds of inbox items.
const (
	InboxMatch      = "match"      // another partner registered with the same household or person
	InboxAssignment = "assignment" // level 3
	InboxPlan       = "plan"       // level 4
	InboxFollowup   = "followup"   // a match follow-up opened, reassigned or overdue
)

// InboxItem is a signal for one partner. It carries no more than the
// overview would show that partner.
type InboxItem struct {
	Seq     uint64    `json:"seq"`
	Partner string    `json:"partner"`
	Kind    string    `json:"kind"`
	Created time.Time `json:"created"`
	// Household is set for the household's coordinator.
	Household string `json:"household,omitempty"`
	// Ref is the recipient's own involvement reference the signal is about.
	Ref string `json:"ref,omitempty"`
	// About is the other involvement, with the fields the policy allowed.
	About *ShownInvolvement `json:"about,omitempty"`
	// Subject is kept for the audit trail and never shown.
	Subject Pseudonym  `json:"subject,omitempty"`
	AckedAt *time.Time `json:"acked_at,omitempty"`
	// Assignment is the assignment an InboxAssignment item is about, as
	// the recipient's side sees it.
	Assignment *AssignmentView `json:"assignment,omitempty"`
	// Plan says what changed in the household's plan (InboxPlan).
	Plan *PlanSignal `json:"plan,omitempty"`
	// Rectification says what changed of an involvement the recipient
	// was shown (InboxRectification, AVG art. 19).
	Rectification *RectificationSignal `json:"rectification,omitempty"`
	// Inform asks the recipient to inform the person (InboxInform, AVG
	// art. 14).
	Inform *InformSignal `json:"inform,omitempty"`
	// Followup is set on InboxFollowup items: a follow-up was opened for,
	// reassigned to or escalated to the recipient.
	Followup *FollowupSignal `json:"followup,omitempty"`

	// disclosed, when set, is how the item is recorded in the audit
	// entry of the change that raised it (commitAll).
	disclosed []Disclosure
	// inHousehold is the household a match signal is about, for every
	// recipient (Household tells only the coordinator): the follow-up a
	// partner's signal opens is kept with it. Never stored or shown.
	inHousehold householdKey
}

// householdKey names a household: its municipality and id.
type householdKey struct{ municipality, id string }

// InboxView is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type InboxView = wire.InboxView

func inboxView(it *InboxItem) InboxView {
	return InboxView{ID: strconv.FormatUint(it.Seq, 10), Kind: it.Kind, Created: it.Created, Household: it.Household,
		Ref: it.Ref, About: it.About, Acked: it.AckedAt != nil, Assignment: it.Assignment, Plan: it.Plan,
		Rectification: it.Rectification, Inform: it.Inform, Followup: it.Followup}
}

// InboxPage is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type InboxPage = wire.InboxPage

// MaxInboxWait bounds a long-poll.
const MaxInboxWait = 60 * time.Second

// inboxBell wakes long-polls of a partner when an item arrives.
type inboxBell struct {
	mu    sync.Mutex
	bells map[string]chan struct{}
}

// wait returns a channel closed at the next ring for partner.
func (b *inboxBell) wait(partner string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bells == nil {
		b.bells = map[string]chan struct{}{}
	}
	ch, ok := b.bells[partner]
	if !ok {
		ch = make(chan struct{})
		b.bells[partner] = ch
	}
	return ch
}

func (b *inboxBell) ring(partner string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ch, ok := b.bells[partner]; ok {
		close(ch)
		delete(b.bells, partner)
	}
}

// Inbox returns the caller's unacknowledged items after cursor after,
// waiting up to wait for one to arrive when there is none (long-poll).
func (s *Service) Inbox(ctx context.Context, c *Caller, after uint64, limit int, wait time.Duration) (InboxPage, error) {
	if err := refuseAnalyst(c); err != nil {
		return InboxPage{}, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	if wait < 0 || wait > MaxInboxWait {
		return InboxPage{}, invalid("wait", "at most %s", MaxInboxWait)
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		bell := s.bell.wait(c.Partner.ID)
		var items []InboxItem
		if err := s.cfg.Store.View(func(tx ReadTx) error {
			var err error
			items, err = tx.Inbox(c.Partner.ID, after, limit, false)
			return err
		}); err != nil {
			return InboxPage{}, err
		}
		if len(items) > 0 || wait == 0 {
			page := InboxPage{Items: make([]InboxView, len(items))}
			for i := range items {
				page.Items[i] = inboxView(&items[i])
			}
			if len(items) > 0 {
				page.Next = page.Items[len(items)-1].ID
			}
			return page, nil
		}
		select {
		case <-bell:
		case <-deadline.C:
			wait = 0
		case <-ctx.Done():
			return InboxPage{Items: []InboxView{}}, nil
		}
	}
}

// AckInbox acknowledges item id: the connector has handed it over. An
// acknowledged item is not delivered again.
func (s *Service) AckInbox(ctx context.Context, c *Caller, id string) (InboxView, error) {
	if err := refuseAnalyst(c); err != nil {
		return InboxView{}, err
	}
	seq, err := strconv.ParseUint(id, 10, 64)
	if err != nil || seq == 0 {
		return InboxView{}, invalid("id", "an inbox item id is a positive number")
	}
	e := s.auditEntry(c, EventChange, "inbox.ack")
	e.Object = "inbox:" + c.Partner.ID + "/" + id
	var out InboxItem
	err = s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		it, err := tx.InboxItem(c.Partner.ID, seq)
		if err != nil {
			return err
		}
		if it.AckedAt == nil {
			now := s.now()
			it.AckedAt = &now
			if err := tx.PutInboxItem(it); err != nil {
				return err
			}
		}
		out = it
		return nil
	}))
	if err != nil {
		return InboxView{}, err
	}
	return inboxView(&out), nil
}

// matchSignals works out, before v is stored, which partners get a match
// signal (Verwijsindex style) because v is a new involvement of a person in
// a household where other partners are involved. Each recipient is a
// policy question of its own; a denial or a policy failure means no signal
// (fail closed), never an error for the registering partner.
func (s *Service) matchSignals(ctx context.Context, c *Caller, v *Involvement) ([]InboxItem, error) {
	var households []Household
	isNew := false
	err := s.cfg.Store.View(func(tx ReadTx) error {
		old, err := tx.Involvement(v.Partner, v.Ref)
		switch {
		case err == nil:
			v.ID = old.ID
			isNew = old.Status == InvolvementEnded && v.Status != InvolvementEnded || old.Subject != v.Subject
		case errors.Is(err, ErrNotFound):
			if v.ID == "" {
				v.ID = newID("i")
			}
			isNew = true
		default:
			return err
		}
		if !isNew || v.Status == InvolvementEnded {
			return nil
		}
		households, err = tx.HouseholdsOf(v.Subject)
		return err
	})
	if err != nil || len(households) == 0 {
		return nil, err
	}
	var items []InboxItem
	for _, h := range households {
		its, err := s.householdSignals(ctx, c, v, h)
		if err != nil {
			return nil, err
		}
		items = append(items, its...)
	}
	return items, nil
}

// householdSignals asks, one policy question per recipient, which partners
// involved with household h get a match signal about v. The bulk form of a
// sync chunk (signals.go) falls back to it, and is held to its answers.
func (s *Service) householdSignals(ctx context.Context, c *Caller, v *Involvement, h Household) ([]InboxItem, error) {
	var items []InboxItem
	members := slices.Clone(h.Members)
	in := &DecisionInput{Action: ActionMatchSignal, Purpose: signalPurpose(c), Municipality: s.municipalityFacts(h.Municipality),
		Household: householdFacts(&h)}
	subs, _, err := s.gather(members, in, nil)
	if err != nil {
		return nil, err
	}
	// Who else is involved: every other partner with a live
	// involvement with a member, and the coordinator.
	// A shielded member's involvements make nobody a recipient: a
	// signal naming the recipient's own reference would tell it that
	// the shielded person lives in this household.
	recipients := map[string]string{} // partner → their own ref ("" for the coordinator)
	for _, sub := range subs {
		if sub.member.Shielded {
			continue
		}
		for _, o := range sub.involvements {
			if o.Partner != v.Partner && o.Status != InvolvementEnded {
				if _, ok := recipients[o.Partner]; !ok {
					recipients[o.Partner] = o.Ref
				}
			}
		}
	}
	if len(recipients) == 0 {
		return nil, nil // nobody else is involved: no match
	}
	if h.Coordinator.Partner != v.Partner {
		recipients[h.Coordinator.Partner] = ""
	}
	self, err := s.LookupPartner(v.Partner)
	if err != nil {
		return nil, err
	}
	cand := Candidate{ID: v.ID, Subject: v.Subject, Service: v.Service, Status: v.Status, Partner: partnerFacts(self),
		Purpose: v.Purpose}
	in.Candidates = []Candidate{cand}
	// The question is about the candidate's subject only: the policy
	// gets no other member's facts (and has less to evaluate). A
	// shielded member shields the household's other members too, so
	// the subject counts as shielded when anyone in the household is.
	subj := in.Subjects[v.Subject]
	if subj != nil && !subj.Shielded && slices.ContainsFunc(h.Members, func(m Member) bool { return m.Shielded }) {
		cp := *subj
		cp.Shielded = true
		subj = &cp
	}
	in.Subjects = map[Pseudonym]*SubjectFacts{v.Subject: subj}
	for _, partner := range sortedKeys(recipients) {
		rp, err := s.LookupPartner(partner)
		if err != nil || rp.Status != PartnerActive {
			continue
		}
		q := *in
		q.Caller = CallerFacts{Partner: rp.ID, Sector: rp.Sector, Role: RoleConnector, Level: rp.Level,
			Covenant: rp.Covenant, Municipalities: rp.Municipalities, RegisteredAt: rfc3339(rp.CreatedAt)}
		if partner == h.Coordinator.Partner {
			q.Caller.Role, q.Caller.Sub = RoleCoordinator, h.Coordinator.Sub
		}
		q.Now = s.now().Format(time.RFC3339)
		d, err := s.cfg.Policy.Decide(ctx, &q)
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "match signal: policy failed; no signal",
				slog.String("request_id", c.RequestID), slog.Any("error", err))
			continue
		}
		fields := d.Show[v.ID]
		if !d.Allow || len(fields) == 0 {
			continue
		}
		items = append(items, s.signalItem(v, &h, partner, recipients[partner], fields))
	}
	return items, nil
}

// signalPurpose is the purpose a match signal is decided under: the
// registering request's, or integrated support.
func signalPurpose(c *Caller) string {
	if c.Purpose != "" {
		return c.Purpose
	}
	return "integrale-ondersteuning"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// discloseItems records in e, as a disclosure to its recipient, what each
// of items shows: as the item says, or of involvement.
func discloseItems(e *AuditEntry, involvement string, items []InboxItem) {
	for _, it := range items {
		if it.disclosed != nil {
			e.Disclosed = append(e.Disclosed, it.disclosed...)
			continue
		}
		e.Disclosed = append(e.Disclosed, Disclosure{Subject: it.Subject, Involvement: involvement, Partner: e.Partner,
			Fields: shownFields(it.About), To: it.Partner})
	}
}

// shownFields names the fields present in a shown involvement.
func shownFields(v *ShownInvolvement) []string {
	if v == nil {
		return nil
	}
	var f []string
	if v.Partner != "" {
		f = append(f, FieldPartner)
	}
	if v.Contact != nil {
		f = append(f, FieldContact)
	}
	if v.Service != "" {
		f = append(f, FieldService)
	}
	if v.Status != "" {
		f = append(f, FieldStatus)
	}
	if v.Start != "" || v.End != "" {
		f = append(f, FieldPeriod)
	}
	return f
}
