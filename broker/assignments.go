package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// GiveAssignment gives another partner an assignment about a household
// (ambition level 3). The policy is asked twice: assignment.give about the
// giver, with the recipient as target, and assignment.receive about the
// recipient; both must allow. The assignment reaches the recipient's inbox
// (and its webhook) in the same transaction as it is stored and audited.
func (s *Service) GiveAssignment(ctx context.Context, c *Caller, in AssignmentInput) (AssignmentView, error) {
	if err := in.validate(s.now()); err != nil {
		return AssignmentView{}, err
	}
	if in.Recipient == c.Partner.ID {
		return AssignmentView{}, invalid("recipient", "an assignment goes to another partner")
	}
	recipient, err := s.LookupPartner(in.Recipient)
	if err != nil || recipient.Status != PartnerActive {
		return AssignmentView{}, invalid("recipient", "not a registered, active partner")
	}
	h, err := s.findHousehold(c, in.Household)
	if err != nil {
		return AssignmentView{}, err
	}
	a := Assignment{ID: newID("a"), Household: h.ID, Municipality: h.Municipality, Purpose: c.Purpose, Type: in.Type,
		Instruction: in.Instruction, Due: in.Due, Giver: Actor{Partner: c.Partner.ID, Sub: c.Sub}, Recipient: recipient.ID,
		Status: AssignmentProposed}
	give := &DecisionInput{Action: ActionAssignmentGive, Purpose: c.Purpose, Caller: callerFacts(c),
		Municipality: s.municipalityFacts(h.Municipality), Household: householdFacts(&h), Assignment: a.facts(0)}
	subs, _, err := s.gather(h.Members, give, &relationFacts{c: c, households: []Household{h}, subjects: memberSubjects(&h)})
	if err != nil {
		return AssignmentView{}, err
	}
	give.Candidates = nil // an assignment shows no involvements
	tf := partnerFacts(recipient)
	give.Target = &tf
	subjects := memberSubjects(&h)
	object := "assignment:" + a.ID
	vGive, err := s.decide(ctx, c, give, object, subjects)
	if err != nil {
		return AssignmentView{}, err
	}
	receive := *give
	receive.Action = ActionAssignmentReceive
	receive.Caller = partnerAsCaller(recipient)
	gf := partnerFacts(&c.Partner)
	receive.Target = &gf
	vReceive, err := s.decide(ctx, c, &receive, object, subjects)
	if err != nil {
		return AssignmentView{}, err
	}
	// The recipient's own references with the members, so its system can
	// place the assignment.
	for _, sub := range subs {
		for _, v := range sub.involvements {
			if v.Partner == recipient.ID && v.Status != InvolvementEnded && !slices.Contains(a.RecipientRefs, v.Ref) {
				a.RecipientRefs = append(a.RecipientRefs, v.Ref)
			}
		}
	}
	slices.Sort(a.RecipientRefs)
	now := s.now()
	a.CreatedAt, a.UpdatedAt, a.Revision = now, now, 1
	a.Steps = []AssignmentStep{{Status: AssignmentProposed, At: now, By: a.Giver}}

	e := s.auditEntry(c, EventChange, ActionAssignmentGive)
	e.Object, e.Subjects = object, subjects
	e.Detail = map[string]string{"type": a.Type, "to": a.Recipient, "due": a.Due, "status": a.Status}
	e.Disclosed = assignmentDisclosures(subjects, &a, c.Partner.ID, a.Recipient, FieldAssignment)
	err = s.commit(ctx, e, []*verdict{vGive, vReceive}, func(tx Tx) ([]InboxItem, error) {
		if err := tx.PutAssignment(a); err != nil {
			return nil, err
		}
		return []InboxItem{s.assignmentItem(&a, a.Recipient, SideRecipient)}, nil
	})
	if err != nil {
		return AssignmentView{}, err
	}
	return a.view(SideGiver), nil
}

// FieldAssignment names, in the audit trail, what an assignment discloses
// to its recipient: the household, type, instruction and due date.
const FieldAssignment = "assignment"

// assignmentDisclosures records that the assignment about subjects was
// shown by partner from to partner to: for the residents' access reports.
func assignmentDisclosures(subjects []Pseudonym, a *Assignment, from, to string, fields ...string) []Disclosure {
	out := make([]Disclosure, len(subjects))
	for i, p := range subjects {
		out[i] = Disclosure{Subject: p, Involvement: "assignment:" + a.ID, Partner: from, Fields: slices.Clone(fields), To: to}
	}
	return out
}

// assignmentItem is the inbox item that tells partner (on side) about a.
func (s *Service) assignmentItem(a *Assignment, partner, side string) InboxItem {
	v := a.view(side)
	return InboxItem{Partner: partner, Kind: InboxAssignment, Created: s.now(), Household: a.Household, Assignment: &v}
}

// partnerAsCaller describes a partner as the caller of a question asked
// on its behalf (the recipient of an assignment), as its connector.
func partnerAsCaller(p *Partner) CallerFacts {
	return CallerFacts{Partner: p.ID, Sector: p.Sector, Role: RoleConnector, Level: p.Level, Covenant: p.Covenant,
		Municipalities: p.Municipalities, RegisteredAt: rfc3339(p.CreatedAt)}
}

// memberSubjects returns the pseudonyms of h's members.
func memberSubjects(h *Household) []Pseudonym {
	out := make([]Pseudonym, len(h.Members))
	for i, m := range h.Members {
		out[i] = m.Subject
	}
	return out
}

// StepAssignment takes one step of assignment id's lifecycle: accept,
// decline (with a reason), complete (with an outcome) — by the recipient —
// or cancel (optionally with a reason) — by the giver. Any other step, by
// either side, is refused with ErrConflict; a partner that is neither side
// gets ErrNotFound. The step is asked of the policy (with the other side
// as target), audited, and signalled to the other side's inbox.
func (s *Service) StepAssignment(ctx context.Context, c *Caller, id, step, text string) (AssignmentView, error) {
	st, ok := assignmentSteps[step]
	if !ok {
		return AssignmentView{}, invalid("step", "accept, decline, complete or cancel")
	}
	if st.text != "" {
		if err := checkText(st.text, text, st.need); err != nil {
			return AssignmentView{}, err
		}
	} else if text != "" {
		return AssignmentView{}, invalid("text", "this step carries no text")
	}
	a, h, err := s.loadAssignmentFor(ctx, c, id, st.action)
	if err != nil {
		return AssignmentView{}, err
	}
	object := "assignment:" + a.ID
	subjects := memberSubjects(&h)
	side := a.sideOf(c.Partner.ID)
	if err := a.allows(step, &st, side); err != nil {
		return AssignmentView{}, s.refused(ctx, c, st.action, object, subjects, err)
	}
	if c.Purpose != "" && c.Purpose != a.Purpose {
		return AssignmentView{}, s.refused(ctx, c, st.action, object, subjects,
			invalid("purpose", "the assignment was given for purpose %s", a.Purpose))
	}
	other, otherSide := a.Recipient, SideRecipient
	if side == SideRecipient {
		other, otherSide = a.Giver.Partner, SideGiver
	}
	// The policy is asked under the purpose the caller states, not the
	// assignment's: a step that needs a purpose must name it
	// (purpose_missing otherwise), and it must be the assignment's.
	in := &DecisionInput{Action: st.action, Purpose: c.Purpose, Caller: callerFacts(c),
		Municipality: s.municipalityFacts(h.Municipality), Household: householdFacts(&h),
		Assignment: a.facts(utf8.RuneCountInString(text))}
	if _, _, err := s.gather(h.Members, in, &relationFacts{c: c, households: []Household{h}, subjects: memberSubjects(&h)}); err != nil {
		return AssignmentView{}, err
	}
	in.Candidates = nil
	if op, err := s.LookupPartner(other); err == nil {
		tf := partnerFacts(op)
		in.Target = &tf
	}
	v, err := s.decide(ctx, c, in, object, subjects)
	if err != nil {
		return AssignmentView{}, err
	}
	e := s.auditEntry(c, EventChange, st.action)
	e.Purpose, e.Object, e.Subjects = a.Purpose, object, subjects
	e.Detail = map[string]string{"type": a.Type, "from": a.Status, "status": st.to}
	fields := []string{FieldStatus}
	if text != "" {
		fields = append(fields, st.text)
	}
	e.Disclosed = assignmentDisclosures(subjects, &a, c.Partner.ID, other, fields...)
	var out Assignment
	err = s.commit(ctx, e, []*verdict{v}, func(tx Tx) ([]InboxItem, error) {
		cur, err := tx.Assignment(id)
		if err != nil {
			return nil, err
		}
		if err := cur.allows(step, &st, side); err != nil {
			return nil, err // another step came first
		}
		now := s.now()
		cur.Status, cur.UpdatedAt, cur.Revision = st.to, now, cur.Revision+1
		switch st.text {
		case "reason":
			cur.Reason = text
		case "outcome":
			cur.Outcome = text
		}
		cur.Steps = append(cur.Steps, AssignmentStep{Status: st.to, At: now, By: Actor{Partner: c.Partner.ID, Sub: c.Sub}})
		if err := tx.PutAssignment(cur); err != nil {
			return nil, err
		}
		out = cur
		return []InboxItem{s.assignmentItem(&cur, other, otherSide)}, nil
	})
	if err != nil {
		// Another step came first: refused, and audited as such.
		return AssignmentView{}, s.refused(ctx, c, st.action, object, subjects, err)
	}
	return out.view(side), nil
}

// allows checks that side may take step now: the right side, from the
// right status. Anything else is a conflict.
func (a *Assignment) allows(step string, st *assignmentStep, side string) error {
	if side != st.side {
		return fmt.Errorf("assignment %s: %w: only the %s may %s it", a.ID, ErrConflict, st.side, step)
	}
	if !slices.Contains(st.from, a.Status) {
		return fmt.Errorf("assignment %s: %w: it is %s and cannot be %s", a.ID, ErrConflict, a.Status, pastTense(step))
	}
	return nil
}

func pastTense(step string) string {
	switch step {
	case StepAccept:
		return "accepted"
	case StepDecline:
		return "declined"
	case StepComplete:
		return "completed"
	}
	return "cancelled"
}

// loadAssignmentFor reads assignment id and its household for a step by
// c. To a partner that is neither side the assignment does not exist
// (ErrNotFound, as for an id never used), and the attempt is audited as a
// refusal about the household's members.
func (s *Service) loadAssignmentFor(ctx context.Context, c *Caller, id, action string) (Assignment, Household, error) {
	if !ValidID(id) {
		return Assignment{}, Household{}, invalid("id", "not a valid assignment id: "+IDRule)
	}
	var (
		a Assignment
		h Household
	)
	err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		if a, err = tx.Assignment(id); err != nil {
			return err
		}
		h, err = tx.Household(a.Municipality, a.Household)
		return err
	})
	if err != nil {
		return Assignment{}, Household{}, err
	}
	if a.sideOf(c.Partner.ID) == "" {
		return Assignment{}, Household{}, s.refused(ctx, c, action, "assignment:"+id, memberSubjects(&h),
			fmt.Errorf("assignment %s: %w", id, ErrNotFound))
	}
	return a, h, nil
}

// Assignment returns assignment id to its giver or recipient.
func (s *Service) Assignment(ctx context.Context, c *Caller, id string) (AssignmentView, error) {
	if err := refuseAnalyst(c); err != nil {
		return AssignmentView{}, err
	}
	a, _, err := s.loadAssignmentFor(ctx, c, id, ActionAssignmentRead)
	if err != nil {
		return AssignmentView{}, err
	}
	return a.view(a.sideOf(c.Partner.ID)), nil
}

// AssignmentQuery filters a partner's assignments.
type AssignmentQuery struct {
	// Side is "giver", "recipient" or "" for both.
	Side string
	// Status is one of the statuses, or "" for all; "open" means proposed
	// or accepted.
	Status    string
	Household string
}

// AssignmentList is a partner's assignments, newest first.
type AssignmentList struct {
	Assignments []AssignmentView `json:"assignments"`
}

// MaxAssignmentList bounds one listing.
const MaxAssignmentList = 1000

// Assignments lists the assignments the caller's partner gave or
// received: its own records, so the policy is not asked again.
func (s *Service) Assignments(_ context.Context, c *Caller, q AssignmentQuery) (AssignmentList, error) {
	if err := refuseAnalyst(c); err != nil {
		return AssignmentList{}, err
	}
	if q.Side != "" && q.Side != SideGiver && q.Side != SideRecipient {
		return AssignmentList{}, invalid("side", "giver or recipient")
	}
	if q.Status != "" && q.Status != "open" && !slices.Contains([]string{AssignmentProposed, AssignmentAccepted,
		AssignmentDeclined, AssignmentCompleted, AssignmentCancelled}, q.Status) {
		return AssignmentList{}, invalid("status", "open, proposed, accepted, declined, completed or cancelled")
	}
	if q.Household != "" && !ValidHouseholdRef(q.Household) {
		return AssignmentList{}, invalid("household", "not a valid household id: "+IDRule)
	}
	var all []Assignment
	err := s.cfg.Store.View(func(tx ReadTx) error {
		return tx.PartnerAssignments(c.Partner.ID, func(a Assignment) error {
			side := a.sideOf(c.Partner.ID)
			switch {
			case side == "", q.Side != "" && side != q.Side,
				q.Household != "" && q.Household != a.Household && q.Household != a.Municipality+HouseholdRefSep+a.Household:
				return nil
			case q.Status == "open" && a.Status != AssignmentProposed && a.Status != AssignmentAccepted:
				return nil
			case q.Status != "" && q.Status != "open" && a.Status != q.Status:
				return nil
			}
			all = append(all, a)
			return nil
		})
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return AssignmentList{}, err
	}
	slices.SortFunc(all, func(a, b Assignment) int { return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID)) })
	out := AssignmentList{Assignments: make([]AssignmentView, 0, min(len(all), MaxAssignmentList))}
	for i := range all {
		if i == MaxAssignmentList {
			break
		}
		out.Assignments = append(out.Assignments, all[i].view(all[i].sideOf(c.Partner.ID)))
	}
	return out, nil
}
