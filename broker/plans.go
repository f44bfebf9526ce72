package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// The joint household plan (ambition level 4). Every write names the
// version it changes (If-Match): a write against an older version fails
// with ErrPreconditionFailed, so two professionals never overwrite each
// other. Every change makes a new version, is audited about every member
// and signalled to the participants' inboxes.

// planState is what a plan action needs: the household, the current plan
// (Version 0 when there is none) and the policy's question.
type planState struct {
	h        Household
	cur      Plan
	exists   bool
	subjects []Pseudonym
	in       *DecisionInput
}

// loadPlan reads household id and its plan, and starts the policy question
// for action under the caller's purpose. A caller that states another
// purpose than the plan's is refused.
func (s *Service) loadPlan(ctx context.Context, c *Caller, id, action string) (*planState, error) {
	h, err := s.findHousehold(c, id)
	if err != nil {
		return nil, err
	}
	st := &planState{h: h, subjects: memberSubjects(&h)}
	err = s.cfg.Store.View(func(tx ReadTx) error {
		st.cur, err = tx.Plan(h.Municipality, h.ID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		st.exists = err == nil
		return err
	})
	if err != nil {
		return nil, err
	}
	// The policy is asked under the purpose the caller states: an action
	// that needs one must name it (purpose_missing otherwise), and it must
	// be the plan's.
	if st.exists && c.Purpose != "" && c.Purpose != st.cur.Purpose {
		return nil, s.refused(ctx, c, action, "plan:"+h.Ref(), st.subjects,
			invalid("purpose", "the plan is kept for purpose %s", st.cur.Purpose))
	}
	st.in = &DecisionInput{Action: action, Purpose: c.Purpose, Caller: callerFacts(c),
		Municipality: s.municipalityFacts(h.Municipality), Household: householdFacts(&h)}
	if _, _, err := s.gather(h.Members, st.in, &relationFacts{c: c, households: []Household{h}, subjects: st.subjects}); err != nil {
		return nil, err
	}
	st.in.Candidates = nil
	st.in.Plan = s.planFacts(&st.cur, st.exists)
	return st, nil
}

// planFacts describes p for the policy.
func (s *Service) planFacts(p *Plan, exists bool) *PlanFacts {
	f := &PlanFacts{Participants: []PartnerFacts{}}
	if !exists {
		return f
	}
	f.Status, f.Version = p.Status, p.Version
	for _, id := range p.participants() {
		if pt, err := s.LookupPartner(id); err == nil {
			f.Participants = append(f.Participants, partnerFacts(pt))
		} else {
			f.Participants = append(f.Participants, PartnerFacts{ID: id})
		}
	}
	return f
}

// checkVersion refuses a write whose If-Match (ifMatch; 0 for "there must
// be no plan yet") is not the current version, and any write to a closed
// plan.
func checkVersion(cur *Plan, exists bool, ifMatch uint64) error {
	switch {
	case !exists && ifMatch != 0:
		return fmt.Errorf("plan: %w: there is no plan yet", ErrPreconditionFailed)
	case exists && ifMatch != cur.Version:
		return fmt.Errorf("plan: %w: the current version is %d", ErrPreconditionFailed, cur.Version)
	case exists && cur.Status == PlanClosed:
		return fmt.Errorf("plan: %w: the plan is closed", ErrConflict)
	}
	return nil
}

// Plan returns version (0: the current one) of household id's plan to a
// participant. The read is a disclosure and is audited.
func (s *Service) Plan(ctx context.Context, c *Caller, id string, version uint64) (PlanView, error) {
	st, err := s.loadPlan(ctx, c, id, ActionPlanRead)
	if err != nil {
		return PlanView{}, err
	}
	object := "plan:" + st.h.Ref()
	v, err := s.decide(ctx, c, st.in, object, st.subjects)
	if err != nil {
		return PlanView{}, err
	}
	if !st.exists {
		return PlanView{}, fmt.Errorf("plan of household %s: %w", id, ErrNotFound)
	}
	p := st.cur
	if version != 0 && version != p.Version {
		if err := s.cfg.Store.View(func(tx ReadTx) error {
			p, err = tx.PlanVersion(st.h.Municipality, st.h.ID, version)
			return err
		}); err != nil {
			return PlanView{}, err
		}
	}
	e := s.auditEntry(c, EventDisclosure, ActionPlanRead)
	e.Purpose, e.Object, e.Subjects = st.cur.Purpose, object, st.subjects
	e.Detail = map[string]string{"version": strconv.FormatUint(p.Version, 10)}
	e.Disclosed = planDisclosures(st.subjects, st.h.Ref(), p.Coordinator.Partner, "", "goals", "agreements")
	if err := s.commit(ctx, e, []*verdict{v}, nil); err != nil {
		return PlanView{}, err
	}
	return s.planView(&p, &st.h, st.cur.Version), nil
}

// PlanHistory lists the versions of household id's plan to a participant.
func (s *Service) PlanHistory(ctx context.Context, c *Caller, id string) (PlanHistory, error) {
	st, err := s.loadPlan(ctx, c, id, ActionPlanRead)
	if err != nil {
		return PlanHistory{}, err
	}
	object := "plan:" + st.h.Ref()
	v, err := s.decide(ctx, c, st.in, object, st.subjects)
	if err != nil {
		return PlanHistory{}, err
	}
	if !st.exists {
		return PlanHistory{}, fmt.Errorf("plan of household %s: %w", id, ErrNotFound)
	}
	out := PlanHistory{Household: st.h.ID, Versions: []PlanVersion{}}
	err = s.cfg.Store.View(func(tx ReadTx) error {
		return tx.PlanVersions(st.h.Municipality, st.h.ID, func(p Plan) error {
			out.Versions = append(out.Versions, PlanVersion{Version: p.Version, Status: p.Status, Change: p.Change,
				ChangedBy: p.ChangedBy, ChangedAt: p.ChangedAt, Goals: len(p.Goals), Agreements: len(p.Agreements)})
			return nil
		})
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return PlanHistory{}, err
	}
	e := s.auditEntry(c, EventDisclosure, ActionPlanRead)
	e.Purpose, e.Object, e.Subjects = st.cur.Purpose, object+"/history", st.subjects
	e.Detail = map[string]string{"versions": strconv.Itoa(len(out.Versions))}
	e.Disclosed = planDisclosures(st.subjects, st.h.Ref(), st.cur.Coordinator.Partner, "", "history")
	if err := s.commit(ctx, e, []*verdict{v}, nil); err != nil {
		return PlanHistory{}, err
	}
	return out, nil
}

// PutPlan sets the goals and work agreements of household id's plan: the
// coordinator (regisseur) only. ifMatch is the version the change is made
// on (0 to create the plan). The change is disclosed to every participant,
// so the policy is asked about them all.
func (s *Service) PutPlan(ctx context.Context, c *Caller, id string, ifMatch uint64, in PlanInput) (PlanView, error) {
	st, err := s.loadPlan(ctx, c, id, ActionPlanWrite)
	if err != nil {
		return PlanView{}, err
	}
	// The version is checked after the policy (in writePlan): a caller the
	// policy refuses learns nothing of the plan, not even its version.
	if err := in.normalise(st.h.Municipality, s.LookupPartner); err != nil {
		return PlanView{}, err
	}
	next := st.cur
	if !st.exists {
		next = Plan{Household: st.h.ID, Municipality: st.h.Municipality, Purpose: st.in.Purpose, Status: PlanOpen}
	}
	next.Goals, next.Agreements, next.Ends = slices.Clone(in.Goals), slices.Clone(in.Agreements), in.Ends
	if next.Goals == nil {
		next.Goals = []Goal{}
	}
	if next.Agreements == nil {
		next.Agreements = []Agreement{}
	}
	next.Change = describeChange(&st.cur, &next, in.Note)
	// The policy sees the plan as it will be: its participants learn of it.
	st.in.Plan = s.planFacts(&next, true)
	st.in.Plan.Version = st.cur.Version + 1
	return s.writePlan(ctx, c, st, ifMatch, ActionPlanWrite, func(p *Plan) error {
		p.Goals, p.Agreements, p.Ends, p.Change = next.Goals, next.Agreements, next.Ends, next.Change
		if p.Version == 0 {
			p.Household, p.Municipality, p.Purpose, p.Status = next.Household, next.Municipality, next.Purpose, PlanOpen
		}
		return nil
	})
}

// SetAgreementStatus updates the status of one work agreement: only the
// partner the agreement is with.
func (s *Service) SetAgreementStatus(ctx context.Context, c *Caller, id, agreement string, ifMatch uint64, status string) (PlanView, error) {
	if !slices.Contains(agreementStatuses, status) {
		return PlanView{}, invalid("status", "one of planned, in-progress, done, cancelled")
	}
	st, err := s.loadPlan(ctx, c, id, ActionPlanStatus)
	if err != nil {
		return PlanView{}, err
	}
	// Whether the agreement exists and is the caller's, and the version,
	// are checked after the policy (in writePlan's transaction): a caller
	// the policy refuses learns nothing of the plan.
	return s.writePlan(ctx, c, st, ifMatch, ActionPlanStatus, func(p *Plan) error {
		j := p.agreement(agreement)
		switch {
		case p.Version == 0:
			return fmt.Errorf("plan of household %s: %w", id, ErrNotFound)
		case j < 0:
			return fmt.Errorf("agreement %s: %w", agreement, ErrNotFound)
		case p.Agreements[j].Partner != c.Partner.ID:
			return fmt.Errorf("%w: only the partner of agreement %s updates its status", ErrForbidden, agreement)
		}
		old := p.Agreements[j].Status
		p.Agreements = slices.Clone(p.Agreements)
		p.Agreements[j].Status = status
		p.Change = fmt.Sprintf("agreement %s (%s): %s → %s", agreement, c.Partner.ID, old, status)
		return nil
	})
}

// ClosePlan closes household id's plan: the coordinator only. Access that
// rested on taking part in the plan ends; the coordinator still reads it.
func (s *Service) ClosePlan(ctx context.Context, c *Caller, id string, ifMatch uint64) (PlanView, error) {
	st, err := s.loadPlan(ctx, c, id, ActionPlanClose)
	if err != nil {
		return PlanView{}, err
	}
	// Closing ends every participant's access: the regisseur must be a
	// verified person (a person key or a console login), not a name an
	// organisation key asserts.
	if err := s.requireVerified(ctx, c, ActionPlanClose, "plan:"+st.h.Ref()); err != nil {
		return PlanView{}, err
	}
	return s.writePlan(ctx, c, st, ifMatch, ActionPlanClose, func(p *Plan) error {
		if p.Version == 0 {
			return fmt.Errorf("plan of household %s: %w", id, ErrNotFound)
		}
		p.Status, p.Change = PlanClosed, "plan closed"
		return nil
	})
}

// writePlan asks the policy, then makes the next version with change in
// one transaction with its audit entry and the participants' signals,
// checking the version again inside it.
func (s *Service) writePlan(ctx context.Context, c *Caller, st *planState, ifMatch uint64, action string, change func(*Plan) error) (PlanView, error) {
	object := "plan:" + st.h.Ref()
	v, err := s.decide(ctx, c, st.in, object, st.subjects)
	if err != nil {
		return PlanView{}, err
	}
	// Who learns of the change: the participants after it (the policy was
	// asked about them), those before it, and the coordinating partner;
	// not the partner that made it.
	recipients := []string{st.h.Coordinator.Partner}
	for _, p := range st.in.Plan.Participants {
		recipients = append(recipients, p.ID)
	}
	if st.exists {
		recipients = append(recipients, st.cur.participants()...)
	}
	slices.Sort(recipients)
	recipients = slices.Compact(recipients)
	recipients = slices.DeleteFunc(recipients, func(p string) bool { return p == c.Partner.ID })

	e := s.auditEntry(c, EventChange, action)
	e.Purpose, e.Object, e.Subjects = cmp.Or(st.in.Purpose, st.cur.Purpose), object, st.subjects
	for _, p := range st.in.Plan.Participants {
		if p.ID != c.Partner.ID {
			e.Disclosed = append(e.Disclosed, planDisclosures(st.subjects, st.h.Ref(), c.Partner.ID, p.ID, "plan")...)
		}
	}
	var out Plan
	// The audit entry is sealed before the change is made; it names the
	// version the change makes.
	e.Detail = map[string]string{"version": strconv.FormatUint(ifMatch+1, 10)}
	err = s.commit(ctx, e, []*verdict{v}, func(tx Tx) ([]InboxItem, error) {
		cur, err := tx.Plan(st.h.Municipality, st.h.ID)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if err := checkVersion(&cur, exists, ifMatch); err != nil {
			return nil, err
		}
		next := cur
		if err := change(&next); err != nil {
			return nil, err
		}
		now := s.now()
		next.Version = cur.Version + 1
		next.Coordinator = st.h.Coordinator
		next.ChangedBy, next.ChangedAt = Actor{Partner: c.Partner.ID, Sub: c.Sub}, now
		if !exists {
			next.CreatedAt = now
		}
		if err := tx.PutPlan(next); err != nil {
			return nil, err
		}
		if err := putPlanTerm(tx, st.h.Municipality, st.h.ID, &next, now); err != nil {
			return nil, err
		}
		out = next
		sig := PlanSignal{Household: next.Household, Version: next.Version, Status: next.Status, Change: next.Change,
			ChangedBy: next.ChangedBy, ChangedAt: now}
		items := make([]InboxItem, 0, len(recipients))
		for _, r := range recipients {
			sg := sig
			items = append(items, InboxItem{Partner: r, Kind: InboxPlan, Created: now, Household: next.Household, Plan: &sg})
		}
		return items, nil
	})
	if err != nil {
		// A stale or conflicting edit is refused and audited as such.
		return PlanView{}, s.refused(ctx, c, action, object, st.subjects, err)
	}
	return s.planView(&out, &st.h, out.Version), nil
}

// putPlanTerm mirrors plan p's purpose and end on its household (see
// PlanTerm), in the transaction that writes p. A closed plan ends on the
// day it closed, unless its set end is earlier.
func putPlanTerm(tx Tx, municipality, id string, p *Plan, now time.Time) error {
	h, err := tx.Household(municipality, id)
	if err != nil {
		return err
	}
	t := &PlanTerm{Purpose: p.Purpose, Ends: p.Ends}
	if p.Status == PlanClosed {
		if closed := now.Format(dateLayout); t.Ends == "" || closed < t.Ends {
			t.Ends = closed
		}
	}
	if h.PlanTerm != nil && *h.PlanTerm == *t {
		return nil
	}
	h.PlanTerm = t
	return tx.PutHousehold(h)
}

// planDisclosures records that household id's plan was shown, about each
// subject, by partner from (to partner to, when that is another).
func planDisclosures(subjects []Pseudonym, id, from, to string, fields ...string) []Disclosure {
	out := make([]Disclosure, len(subjects))
	for i, p := range subjects {
		out[i] = Disclosure{Subject: p, Involvement: "plan:" + id, Partner: from, Fields: slices.Clone(fields), To: to}
	}
	return out
}

// planView shows p (of household h; latest is the current version).
func (s *Service) planView(p *Plan, h *Household, latest uint64) PlanView {
	v := PlanView{Household: p.Household, Purpose: p.Purpose, Version: p.Version, Latest: latest, Status: p.Status,
		Coordinator: p.Coordinator, Members: make([]string, 0, len(h.Members)), Goals: slices.Clone(p.Goals),
		Agreements: make([]AgreementView, len(p.Agreements)), Ends: p.Ends, Change: p.Change, ChangedBy: p.ChangedBy,
		ChangedAt: p.ChangedAt, CreatedAt: p.CreatedAt}
	for _, m := range h.Members {
		v.Members = append(v.Members, m.Label)
	}
	if v.Goals == nil {
		v.Goals = []Goal{}
	}
	for i, a := range p.Agreements {
		v.Agreements[i] = AgreementView{Agreement: a}
		if pt, err := s.LookupPartner(a.Partner); err == nil {
			v.Agreements[i].PartnerName = pt.Name
		}
	}
	return v
}
