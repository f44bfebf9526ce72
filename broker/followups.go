package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// brokerActor is who takes the steps nobody asked for: opening a
// follow-up with its match signal, escalating, ending it.
var brokerActor = Actor{Partner: "ketenbrug", Sub: "broker"}

// openFollowups opens, inside the transaction that stores items, a
// follow-up for every match signal to a household's coordinator, or adds
// the match to the live follow-up with the same other partner: one
// household, one other partner, one promise to get in touch. The signal
// carries the follow-up (InboxItem.Followup), so the coordinator's inbox
// links to it. A signal that withheld the other partner opens nothing:
// nobody can get in touch with a partner they may not know.
//
// A match signal to another partner opens a follow-up of its own when
// the policy data names the partner's sector (followups.partner_sectors)
// and the level is high enough (followups.partner_min_level, at least 2):
// that partner leads, but which of its professionals the coordinator
// decides (reassign), so it opens without a person; it shows only to the
// coordinator, and escalates to the coordinator, until one is named. It
// opens only when the coordinator got the same match in the same change
// with the other partner shown: the follow-up names the other partner,
// and the coordinator may not learn of a partner the policy withheld
// from them. The partner's own signal does not name the follow-up: that
// would tell the partner the household's id.
func (s *Service) openFollowups(tx Tx, e *AuditEntry, items []InboxItem) error {
	var set *followupSettings
	var coordinatorSaw map[coordinatorMatch]bool // built once, for the first partner's signal
	for i := range items {
		it := &items[i]
		if it.Kind != InboxMatch || it.inHousehold.id == "" || it.About == nil || it.About.Partner == "" ||
			len(it.disclosed) == 0 || it.Subject == "" {
			continue
		}
		if set == nil {
			set = s.followupSettings()
		}
		hs, err := tx.HouseholdsOf(it.Subject)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(hs, func(h Household) bool {
			return h.Municipality == it.inHousehold.municipality && h.ID == it.inHousehold.id
		})
		if i < 0 || hs[i].Coordinator.Sub == "" {
			continue // no coordinator as a person: nobody to lead or name a lead
		}
		h := &hs[i]
		forCoordinator := it.Partner == h.Coordinator.Partner
		if !forCoordinator {
			if len(set.partnerSectors) == 0 {
				continue // the default: only the coordinator's signals open one
			}
			if coordinatorSaw == nil {
				coordinatorSaw = coordinatorMatches(items)
			}
			if !s.partnerFollowupOpens(set, coordinatorSaw, h, it) {
				continue
			}
		}
		f, err := liveFollowup(tx, h, it.About.Partner, it.Partner)
		if err != nil {
			return err
		}
		now := s.now()
		if f.ID == "" {
			purpose := e.Purpose
			if purpose == "" {
				purpose = signalPurpose(&Caller{})
			}
			f = Followup{ID: newID("f"), Municipality: h.Municipality, Household: h.ID, Purpose: purpose,
				Partner: it.About.Partner, Coordinator: h.Coordinator, Lead: h.Coordinator, Due: set.due(now),
				State: FollowupOpen, CreatedAt: now,
				Steps: []FollowupStep{{Step: FollowupStepOpen, State: FollowupOpen, At: now, By: brokerActor}}}
			if !forCoordinator {
				f.For, f.Lead = it.Partner, Actor{Partner: it.Partner}
			}
		}
		changed := f.Revision == 0
		for _, d := range it.disclosed {
			if d.Involvement != "" && !slices.Contains(f.Involvements, d.Involvement) {
				f.Involvements, changed = append(f.Involvements, d.Involvement), true
			}
		}
		if !slices.Contains(f.Subjects, it.Subject) {
			f.Subjects, changed = append(f.Subjects, it.Subject), true
		}
		if changed {
			f.UpdatedAt, f.Revision = now, f.Revision+1
			if err := tx.PutFollowup(f); err != nil {
				return err
			}
		}
		if forCoordinator {
			it.Followup = f.signal("opened")
			it.Followup.To = f.Coordinator
		}
	}
	return nil
}

// coordinatorMatch is one involvement a household's coordinator was
// signalled about, with the other partner shown.
type coordinatorMatch struct {
	household   householdKey
	involvement string
	partner     string
}

// coordinatorMatches are the matches items tell coordinators of, with the
// other partner shown: only a coordinator's match signal names its
// household (InboxItem.Household).
func coordinatorMatches(items []InboxItem) map[coordinatorMatch]bool {
	saw := map[coordinatorMatch]bool{}
	for i := range items {
		o := &items[i]
		if o.Kind != InboxMatch || o.Household == "" || o.About == nil || o.About.Partner == "" {
			continue
		}
		for _, d := range o.disclosed {
			saw[coordinatorMatch{o.inHousehold, d.Involvement, o.About.Partner}] = true
		}
	}
	return saw
}

// partnerFollowupOpens reports whether match signal it, to a partner other
// than household h's coordinator, opens (or joins) a follow-up: the policy
// data names the partner's sector at this level, and the coordinator was
// signalled the same involvement with the other partner shown
// (coordinatorSaw).
func (s *Service) partnerFollowupOpens(set *followupSettings, coordinatorSaw map[coordinatorMatch]bool, h *Household, it *InboxItem) bool {
	p, err := s.LookupPartner(it.Partner)
	if err != nil || p.Status != PartnerActive || !set.opensFor(p, s.municipalityFacts(h.Municipality).Level) {
		return false
	}
	return slices.ContainsFunc(it.disclosed, func(d Disclosure) bool {
		return coordinatorSaw[coordinatorMatch{it.inHousehold, d.Involvement, it.About.Partner}]
	})
}

// liveFollowup returns the live follow-up of household h about partner,
// opened for recipient's match signals, or the zero Followup when there is
// none.
func liveFollowup(tx ReadTx, h *Household, partner, recipient string) (Followup, error) {
	var found Followup
	err := tx.HouseholdFollowups(h.Municipality, h.ID, func(f Followup) error {
		if f.Live() && f.Partner == partner && f.recipient() == recipient {
			found = f
			return io.EOF
		}
		return nil
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return Followup{}, err
	}
	return found, nil
}

// signal is what an inbox item about f says, for reason.
func (f *Followup) signal(reason string) *FollowupSignal {
	return &FollowupSignal{ID: f.ID, Household: f.Household, Due: f.Due, State: f.State, Reason: reason, Lead: f.Lead,
		To: f.Lead}
}

// facts describes f for the policy.
func (f *Followup) facts() FollowupFacts {
	return FollowupFacts{ID: f.ID, State: f.State, LeadPartner: f.Lead.Partner, LeadSub: f.Lead.Sub,
		CoordinatorPartner: f.Coordinator.Partner, CoordinatorSub: f.Coordinator.Sub}
}

// party reports whether c acts as f's lead or coordinator, as a person.
// The policy decides what a party may do; this only shapes a refusal: to
// anyone else a follow-up does not exist.
func (f *Followup) party(c *Caller) bool {
	if c.Role != RoleCoordinator && c.Role != RoleProfessional {
		return false // a connector or officer asserting the person is not them
	}
	is := func(a Actor) bool { return a.Sub != "" && a.Partner == c.Partner.ID && a.Sub == c.Sub }
	return is(f.Lead) || is(f.Coordinator)
}

// FollowupQuery filters a person's follow-ups.
type FollowupQuery struct {
	// State is open, contacted, closed, cancelled, "live" (open or
	// contacted), "overdue" (live and past due) or "" for all.
	State string
	// Household limits the list to one household (an id, optionally
	// municipality:id).
	Household string
}

// MaxFollowupList bounds one listing.
const MaxFollowupList = 1000

// Followups lists the follow-ups the caller leads or coordinates, as a
// person: overdue first, then the live ones by due date, then the rest,
// newest first. The policy is asked once for the whole list
// (followup.list): which of the caller's candidates it may see.
func (s *Service) Followups(ctx context.Context, c *Caller, q FollowupQuery) (FollowupList, error) {
	if err := refuseAnalyst(c); err != nil {
		return FollowupList{}, err
	}
	switch q.State {
	case "", "live", "overdue", FollowupOpen, FollowupContacted, FollowupClosed, FollowupCancelled:
	default:
		return FollowupList{}, invalid("state", "open, contacted, closed, cancelled, live or overdue")
	}
	if q.Household != "" && !ValidHouseholdRef(q.Household) {
		return FollowupList{}, invalid("household", "not a valid household id: "+IDRule)
	}
	today := s.localDay(s.now())
	var all []Followup
	err := s.cfg.Store.View(func(tx ReadTx) error {
		return tx.PartnerFollowups(c.Partner.ID, func(f Followup) error {
			switch {
			case !f.party(c),
				q.Household != "" && q.Household != f.Household && q.Household != f.Municipality+HouseholdRefSep+f.Household,
				q.State == "live" && !f.Live(),
				q.State == "overdue" && !f.overdue(today),
				q.State != "" && q.State != "live" && q.State != "overdue" && f.State != q.State:
				return nil
			}
			all = append(all, f)
			return nil
		})
	})
	if err != nil {
		return FollowupList{}, err
	}
	out := FollowupList{Followups: []FollowupView{}}
	if len(all) == 0 {
		return out, nil
	}
	in := &DecisionInput{Action: ActionFollowupList, Caller: callerFacts(c), Followups: make([]FollowupFacts, len(all))}
	for i := range all {
		in.Followups[i] = all[i].facts()
	}
	v, err := s.decide(ctx, c, in, "followups:"+c.Partner.ID, nil)
	if err != nil {
		return FollowupList{}, err
	}
	all = slices.DeleteFunc(all, func(f Followup) bool { _, ok := v.Show[f.ID]; return !ok })
	slices.SortFunc(all, func(a, b Followup) int { return compareFollowups(&a, &b, today) })
	for i := range all {
		if i == MaxFollowupList {
			break
		}
		out.Followups = append(out.Followups, all[i].view(today))
	}
	return out, nil
}

// compareFollowups orders a coordinator's work: overdue first, then live
// by due date, then the rest newest first.
func compareFollowups(a, b *Followup, today string) int {
	rank := func(f *Followup) int {
		switch {
		case f.overdue(today):
			return 0
		case f.Live():
			return 1
		}
		return 2
	}
	if r := cmp.Compare(rank(a), rank(b)); r != 0 {
		return r
	}
	if a.Live() {
		return cmp.Or(cmp.Compare(a.Due, b.Due), cmp.Compare(a.ID, b.ID))
	}
	return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(a.ID, b.ID))
}

// Followup returns follow-up id to its lead or coordinator.
func (s *Service) Followup(ctx context.Context, c *Caller, id string) (FollowupView, error) {
	if err := refuseAnalyst(c); err != nil {
		return FollowupView{}, err
	}
	f, h, err := s.loadFollowup(ctx, c, id, ActionFollowupRead)
	if err != nil {
		return FollowupView{}, err
	}
	if c.Purpose != "" && c.Purpose != f.Purpose && f.party(c) {
		return FollowupView{}, s.refused(ctx, c, ActionFollowupRead, "followup:"+f.ID, f.Subjects,
			invalid("purpose", "the follow-up is kept for purpose %s", f.Purpose))
	}
	in := s.followupInput(c, ActionFollowupRead, &f, &h)
	if _, err := s.decideFollowup(ctx, c, in, &f); err != nil {
		return FollowupView{}, err
	}
	return f.view(s.localDay(s.now())), nil
}

// FollowupStepInput is what a step names: the contact (with whom, on
// which day), the outcome of a close, or the new lead.
type FollowupStepInput struct {
	// With is the partner contacted; the follow-up's other partner when
	// empty.
	With string `json:"with,omitempty"`
	// On is the day of the contact (YYYY-MM-DD); today when empty.
	On string `json:"on,omitempty"`
	// Outcome is a code from the policy data (followups.outcomes).
	Outcome string `json:"outcome,omitempty"`
	// Lead is the new lead of a reassign: a person of a partner.
	Lead *Actor `json:"lead,omitempty"`
}

// followupStep is one step a person takes: its action, from which states,
// to which.
type followupStep struct {
	action string
	from   []string
	to     string // "" keeps the state
}

var followupSteps = map[string]followupStep{
	FollowupStepContact: {action: ActionFollowupContact, from: []string{FollowupOpen, FollowupContacted},
		to: FollowupContacted},
	FollowupStepClose: {action: ActionFollowupClose, from: []string{FollowupOpen, FollowupContacted},
		to: FollowupClosed},
	FollowupStepReassign: {action: ActionFollowupReassign, from: []string{FollowupOpen, FollowupContacted}},
}

// validate checks in for step on day today; created is the day the
// follow-up was opened.
func (in *FollowupStepInput) validate(step, today, created string) error {
	switch step {
	case FollowupStepContact:
		if in.With != "" && !ValidID(in.With) {
			return invalid("with", "not a valid partner id: "+IDRule)
		}
		if in.On != "" {
			if _, err := time.Parse(dateLayout, in.On); err != nil {
				return invalid("on", "must be a date YYYY-MM-DD")
			}
			if in.On > today {
				return invalid("on", "is in the future: record a contact once it happened")
			}
			if in.On < created {
				return invalid("on", "is before the follow-up was opened (%s)", created)
			}
		}
		if in.Outcome != "" || in.Lead != nil {
			return invalid("contact", "a contact names only with and on")
		}
	case FollowupStepClose:
		if !ValidID(in.Outcome) {
			return invalid("outcome", "an outcome code from the policy data, e.g. afgestemd")
		}
		if in.With != "" || in.On != "" || in.Lead != nil {
			return invalid("close", "a close names only the outcome")
		}
	case FollowupStepReassign:
		if in.Lead == nil || !ValidID(in.Lead.Partner) || in.Lead.Sub == "" || len(in.Lead.Sub) > 200 ||
			strings.ContainsFunc(in.Lead.Sub, func(r rune) bool { return r < 0x20 }) {
			return invalid("lead", "the new lead: a partner id ("+IDRule+") and the person (sub) acting for it")
		}
		if err := refuseBSNIn("lead.sub", in.Lead.Sub); err != nil {
			return err
		}
		if in.With != "" || in.On != "" || in.Outcome != "" {
			return invalid("reassign", "a reassign names only the lead")
		}
	default:
		return invalid("step", "contact, close or reassign")
	}
	return nil
}

// StepFollowup takes one step of follow-up id: contact, close or
// reassign. The policy decides who may (followups.rego); to a caller that
// is neither lead nor coordinator the follow-up does not exist. Every
// step is audited; a reassign tells the new lead in its inbox.
func (s *Service) StepFollowup(ctx context.Context, c *Caller, id, step string, in FollowupStepInput) (FollowupView, error) {
	if err := refuseAnalyst(c); err != nil {
		return FollowupView{}, err
	}
	st, ok := followupSteps[step]
	if !ok {
		return FollowupView{}, invalid("step", "contact, close or reassign")
	}
	f, h, err := s.loadFollowup(ctx, c, id, st.action)
	if err != nil {
		return FollowupView{}, err
	}
	if !f.party(c) {
		// To anyone but its lead and coordinator the follow-up does not
		// exist, whatever the body says: the policy is asked before the
		// input is checked, so that a bad body cannot tell a used id from
		// one never used (the policy's not_followup_party is answered as
		// not found).
		if _, err := s.decideFollowup(ctx, c, s.followupInput(c, st.action, &f, &h), &f); err != nil {
			return FollowupView{}, err
		}
	}
	today := s.localDay(s.now())
	if err := in.validate(step, today, s.localDay(f.CreatedAt)); err != nil {
		return FollowupView{}, err
	}
	object := "followup:" + f.ID
	if c.Purpose != "" && c.Purpose != f.Purpose && f.party(c) {
		return FollowupView{}, s.refused(ctx, c, st.action, object, f.Subjects,
			invalid("purpose", "the follow-up is kept for purpose %s", f.Purpose))
	}
	q := s.followupInput(c, st.action, &f, &h)
	var lead *Partner
	switch step {
	case FollowupStepClose:
		q.Followup.Outcome = in.Outcome
	case FollowupStepReassign:
		lead, err = s.LookupPartner(in.Lead.Partner)
		if err != nil || lead.Status != PartnerActive {
			return FollowupView{}, invalid("lead", "not a registered, active partner")
		}
		tf := partnerFacts(lead)
		q.Target = &tf
		q.Followup.NewLeadSub = in.Lead.Sub
		subs, _, err := s.gather(h.Members, q, &relationFacts{c: c, households: []Household{h}, subjects: memberSubjects(&h)})
		if err != nil {
			return FollowupView{}, err
		}
		q.Candidates = nil // a follow-up shows no involvements
		for _, sub := range subs {
			if slices.ContainsFunc(sub.involvements, func(v Involvement) bool {
				return v.Partner == lead.ID && v.Status != InvolvementEnded
			}) {
				q.Followup.NewLeadServes = true
			}
		}
	}
	v, err := s.decideFollowup(ctx, c, q, &f)
	if err != nil {
		return FollowupView{}, err
	}
	if err := f.allows(st); err != nil {
		return FollowupView{}, s.refused(ctx, c, st.action, object, f.Subjects, err)
	}
	e := s.auditEntry(c, EventChange, st.action)
	e.Purpose, e.Object, e.Subjects = f.Purpose, object, f.Subjects
	e.Detail = map[string]string{"from": f.State, "household": f.Household}
	var out Followup
	err = s.commit(ctx, e, []*verdict{v}, func(tx Tx) ([]InboxItem, error) {
		cur, err := tx.Followup(id)
		if err != nil {
			return nil, err
		}
		if err := cur.allows(st); err != nil {
			return nil, err // another step came first
		}
		now := s.now()
		took := FollowupStep{Step: step, State: cur.State, At: now, By: Actor{Partner: c.Partner.ID, Sub: c.Sub}}
		var items []InboxItem
		switch step {
		case FollowupStepContact:
			contact := FollowupContact{With: cmp.Or(in.With, cur.Partner), On: cmp.Or(in.On, today)}
			cur.Contact, took.Detail = &contact, contact.With+" "+contact.On
		case FollowupStepClose:
			cur.Outcome, took.Detail = in.Outcome, in.Outcome
		case FollowupStepReassign:
			cur.Lead, took.Detail = *in.Lead, in.Lead.Partner+"/"+in.Lead.Sub
			items = append(items, InboxItem{Partner: in.Lead.Partner, Kind: InboxFollowup, Created: now,
				Household: cur.Household, Followup: cur.signal("reassigned")})
		}
		if st.to != "" {
			cur.State, took.State = st.to, st.to
		}
		cur.Steps = append(cur.Steps, took)
		cur.UpdatedAt, cur.Revision = now, cur.Revision+1
		if err := tx.PutFollowup(cur); err != nil {
			return nil, err
		}
		out = cur
		return items, nil
	})
	if err != nil {
		return FollowupView{}, s.refused(ctx, c, st.action, object, f.Subjects, err)
	}
	return out.view(today), nil
}

// allows checks that step may be taken now; anything else is a conflict.
func (f *Followup) allows(st followupStep) error {
	if !slices.Contains(st.from, f.State) {
		return fmt.Errorf("follow-up %s: %w: it is %s", f.ID, ErrConflict, f.State)
	}
	return nil
}

// followupInput is the policy question of action about f, about its
// household. As for an assignment's steps it is asked under the purpose
// the caller states, which must be the follow-up's (StepFollowup refuses
// another): a step whose action needs a purpose must name it
// (purpose_missing otherwise).
func (s *Service) followupInput(c *Caller, action string, f *Followup, h *Household) *DecisionInput {
	facts := f.facts()
	return &DecisionInput{Action: action, Purpose: c.Purpose, Caller: callerFacts(c),
		Municipality: s.municipalityFacts(h.Municipality), Household: householdFacts(h), Followup: &facts}
}

// decideFollowup asks the policy about f. A denial to a caller that is
// neither lead nor coordinator is answered as a follow-up that does not
// exist (the denial is audited all the same).
func (s *Service) decideFollowup(ctx context.Context, c *Caller, in *DecisionInput, f *Followup) (*verdict, error) {
	v, err := s.decide(ctx, c, in, "followup:"+f.ID, f.Subjects)
	var denied *DeniedError
	if err != nil && errors.As(err, &denied) && !f.party(c) {
		return nil, fmt.Errorf("follow-up %s: %w", f.ID, ErrNotFound)
	}
	return v, err
}

// loadFollowup reads follow-up id and its household for action by c. An
// id never used is not found; so is a follow-up of a household in a
// municipality the caller's partner does not serve (audited as a refusal
// about its subjects), before the policy is asked.
func (s *Service) loadFollowup(ctx context.Context, c *Caller, id, action string) (Followup, Household, error) {
	if !ValidID(id) {
		return Followup{}, Household{}, invalid("id", "not a valid follow-up id: "+IDRule)
	}
	var (
		f Followup
		h Household
	)
	err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		if f, err = tx.Followup(id); err != nil {
			return err
		}
		h, err = tx.Household(f.Municipality, f.Household)
		return err
	})
	if err != nil {
		return Followup{}, Household{}, err
	}
	if !c.Partner.Serves(f.Municipality) {
		return Followup{}, Household{}, s.refused(ctx, c, action, "followup:"+id, f.Subjects,
			fmt.Errorf("follow-up %s: %w", id, ErrNotFound))
	}
	return f, h, nil
}
