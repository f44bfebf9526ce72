package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
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
// for action under the plan's purpose (the caller's, when there is no plan
// yet). A caller that states another purpose than the plan's is refused.
func (s *Service) loadPlan(c *Caller, id, action string) (*planState, error) {
	h, err := s.loadHousehold(id)
	if err != nil {
		return nil, err
	}
	st := &planState{h: h, subjects: memberSubjects(&h)}
	err = s.cfg.Store.View(func(tx ReadTx) error {
		st.cur, err = tx.Plan(id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		st.exists = err == nil
		return err
	})
	if err != nil {
		return nil, err
	}
	purpose := c.Purpose
	if st.exists {
		if c.Purpose != "" && c.Purpose != st.cur.Purpose {
			return nil, invalid("purpose", "the plan is kept for purpose %s", st.cur.Purpose)
		}
		purpose = st.cur.Purpose
	}
	st.in = &DecisionInput{Action: action, Purpose: purpose, Caller: callerFacts(c),
		Municipality: s.municipalityFacts(h.Municipality), Household: householdFacts(&h)}
	if _, _, err := s.gather(h.Members, st.in); err != nil {
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
	st, err := s.loadPlan(c, id, ActionPlanRead)
	if err != nil {
		return PlanView{}, err
	}
	object := "plan:" + id
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
			p, err = tx.PlanVersion(id, version)
			return err
		}); err != nil {
			return PlanView{}, err
		}
	}
	e := s.auditEntry(c, EventDisclosure, ActionPlanRead)
	e.Purpose, e.Object, e.Subjects = st.cur.Purpose, object, st.subjects
	e.Detail = map[string]string{"version": strconv.FormatUint(p.Version, 10)}
	e.Disclosed = planDisclosures(st.subjects, id, p.Coordinator.Partner, "", "goals", "agreements")
	if err := s.commit(ctx, e, v, nil); err != nil {
		return PlanView{}, err
	}
	return s.planView(&p, &st.h, st.cur.Version), nil
}

// PlanHistory lists the versions of household id's plan to a participant.
func (s *Service) PlanHistory(ctx context.Context, c *Caller, id string) (PlanHistory, error) {
	st, err := s.loadPlan(c, id, ActionPlanRead)
	if err != nil {
		return PlanHistory{}, err
	}
	object := "plan:" + id
	v, err := s.decide(ctx, c, st.in, object, st.subjects)
	if err != nil {
		return PlanHistory{}, err
	}
	if !st.exists {
		return PlanHistory{}, fmt.Errorf("plan of household %s: %w", id, ErrNotFound)
	}
	out := PlanHistory{Household: id, Versions: []PlanVersion{}}
	err = s.cfg.Store.View(func(tx ReadTx) error {
		return tx.PlanVersions(id, func(p Plan) error {
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
	e.Disclosed = planDisclosures(st.subjects, id, st.cur.Coordinator.Partner, "", "history")
	if err := s.commit(ctx, e, v, nil); err != nil {
		return PlanHistory{}, err
	}
	return out, nil
}

// PutPlan sets the goals and work agreements of household id's plan: the
// coordinator (regisseur) only. ifMatch is the version the change is made
// on (0 to create the plan). The change is disclosed to every participant,
// so the policy is asked about them all.
func (s *Service) PutPlan(ctx context.Context, c *Caller, id string, ifMatch uint64, in PlanInput) (PlanView, error) {
	st, err := s.loadPlan(c, id, ActionPlanWrite)
	if err != nil {
		return PlanView{}, err
	}
	if err := checkVersion(&st.cur, st.exists, ifMatch); err != nil {
		return PlanView{}, err
	}
	if err := in.normalise(st.h.Municipality, s.LookupPartner); err != nil {
		return PlanView{}, err
	}
	next := st.cur
	if !st.exists {
		next = Plan{Household: id, Municipality: st.h.Municipality, Purpose: st.in.Purpose, Status: PlanOpen}
	}
	next.Goals, next.Agreements = slices.Clone(in.Goals), slices.Clone(in.Agreements)
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
		p.Goals, p.Agreements, p.Change = next.Goals, next.Agreements, next.Change
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
	st, err := s.loadPlan(c, id, ActionPlanStatus)
	if err != nil {
		return PlanView{}, err
	}
	if !st.exists {
		return PlanView{}, fmt.Errorf("plan of household %s: %w", id, ErrNotFound)
	}
	i := st.cur.agreement(agreement)
	if i < 0 {
		return PlanView{}, fmt.Errorf("agreement %s: %w", agreement, ErrNotFound)
	}
	if st.cur.Agreements[i].Partner != c.Partner.ID {
		return PlanView{}, fmt.Errorf("%w: only the partner of agreement %s updates its status", ErrForbidden, agreement)
	}
	if err := checkVersion(&st.cur, true, ifMatch); err != nil {
		return PlanView{}, err
	}
	return s.writePlan(ctx, c, st, ifMatch, ActionPlanStatus, func(p *Plan) error {
		j := p.agreement(agreement)
		if j < 0 {
			return fmt.Errorf("agreement %s: %w", agreement, ErrNotFound)
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
	st, err := s.loadPlan(c, id, ActionPlanClose)
	if err != nil {
		return PlanView{}, err
	}
	if !st.exists {
		return PlanView{}, fmt.Errorf("plan of household %s: %w", id, ErrNotFound)
	}
	if err := checkVersion(&st.cur, true, ifMatch); err != nil {
		return PlanView{}, err
	}
	return s.writePlan(ctx, c, st, ifMatch, ActionPlanClose, func(p *Plan) error {
		p.Status, p.Change = PlanClosed, "plan closed"
		return nil
	})
}

// writePlan asks the policy, then makes the next version with change in
// one transaction with its audit entry and the participants' signals,
// checking the version again inside it.
func (s *Service) writePlan(ctx context.Context, c *Caller, st *planState, ifMatch uint64, action string, change func(*Plan) error) (PlanView, error) {
	object := "plan:" + st.h.ID
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
	e.Purpose, e.Object, e.Subjects = st.in.Purpose, object, st.subjects
	for _, p := range st.in.Plan.Participants {
		if p.ID != c.Partner.ID {
			e.Disclosed = append(e.Disclosed, planDisclosures(st.subjects, st.h.ID, c.Partner.ID, p.ID, "plan")...)
		}
	}
	var out Plan
	// The audit entry is sealed before the change is made; it names the
	// version the change makes.
	e.Detail = map[string]string{"version": strconv.FormatUint(ifMatch+1, 10)}
	err = s.commitItems(ctx, e, []*verdict{v}, func(tx Tx) ([]InboxItem, error) {
		cur, err := tx.Plan(st.h.ID)
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
		return PlanView{}, err
	}
	return s.planView(&out, &st.h, out.Version), nil
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
		Agreements: make([]AgreementView, len(p.Agreements)), Change: p.Change, ChangedBy: p.ChangedBy,
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
