package broker

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Restriction and objection (AVG art. 18 and 21). A person may ask that
// processing of their data for a purpose be restricted (art. 18: while the
// accuracy is contested, when the processing is unlawful, when they need the
// data for a legal claim, or while an objection is weighed) or may object to
// it (art. 21: processing under a public task, art. 6 lid 1 sub e, for
// grounds of their particular situation). The broker records either as a
// flag per person and purpose, recorded and lifted by a professional or
// coordinator who serves the person, or by a privacy officer, under the same
// relation rules as recording a consent. While a flag is active the policy
// withholds the person's involvements from overviews and match signals under
// that purpose and denies plan and assignment disclosures about them
// (reasons restricted and objected); the input carries the active flags for
// the request's purpose (SubjectFacts.Restrictions).

// Kinds of a restriction.
const (
	KindRestriction = "restriction" // AVG art. 18
	KindObjection   = "objection"   // AVG art. 21
)

// Grounds of a restriction (AVG art. 18 lid 1 sub a-d). An objection has no
// ground of this list: it rests on the person's particular situation.
const (
	GroundAccuracyContested = "accuracy-contested" // sub a
	GroundUnlawful          = "unlawful"           // sub b
	GroundLegalClaims       = "legal-claims"       // sub c
	GroundObjectionPending  = "objection-pending"  // sub d
)

// RestrictionGrounds lists the grounds of a restriction.
var RestrictionGrounds = []string{GroundAccuracyContested, GroundUnlawful, GroundLegalClaims, GroundObjectionPending}

// Actions of the restriction register, asked of the policy.
const (
	ActionRestrictionRecord = "restriction.record"
	ActionRestrictionRead   = "restriction.read"
	ActionRestrictionLift   = "restriction.lift"
)

// Reason codes of a denial because a person restricted or objected to
// processing under the request's purpose.
const (
	ReasonRestricted = "restricted" // AVG art. 18
	ReasonObjected   = "objected"   // AVG art. 21
)

// Restriction is wire.Restriction: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type Restriction = wire.Restriction

// RestrictionInput is a restriction or objection to record.
type RestrictionInput struct {
	Kind      string `json:"kind"`
	Purpose   string `json:"purpose"`
	Ground    string `json:"ground,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// Validate checks the input's fields.
func (in *RestrictionInput) Validate() error {
	switch in.Kind {
	case KindRestriction:
		if !slices.Contains(RestrictionGrounds, in.Ground) {
			return invalid("ground", "a restriction names its ground (AVG art. 18 lid 1): accuracy-contested, unlawful, legal-claims or objection-pending")
		}
	case KindObjection:
		if in.Ground != "" {
			return invalid("ground", "an objection (AVG art. 21) has no ground of art. 18; leave it out")
		}
	default:
		return invalid("kind", "restriction (AVG art. 18) or objection (AVG art. 21)")
	}
	if in.Purpose == "" || !ValidID(in.Purpose) {
		return invalid("purpose", "name the purpose the restriction or objection concerns")
	}
	if in.Reference != "" {
		return checkReferenceText(in.Reference)
	}
	return nil
}

// RestrictionFacts is an active restriction or objection as the policy sees
// it: only those for the request's purpose are passed.
type RestrictionFacts struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Purpose string `json:"purpose"`
}

// RestrictionView is wire.RestrictionView: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type RestrictionView = wire.RestrictionView

// RestrictionList is wire.RestrictionList: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type RestrictionList = wire.RestrictionList

// States of a restriction as shown.
const (
	RestrictionActive = "active"
	RestrictionLifted = "lifted"
)

func restrictionView(r *Restriction) RestrictionView {
	v := RestrictionView{Restriction: *r, State: RestrictionActive}
	if r.Lifted != nil {
		v.State = RestrictionLifted
	}
	return v
}

// activeRestrictions returns the policy's view of p's active restrictions
// and objections for purpose (none without a purpose).
func activeRestrictions(tx RestrictionReader, p Pseudonym, purpose string) ([]RestrictionFacts, error) {
	if purpose == "" {
		return nil, nil
	}
	rs, err := tx.RestrictionsOf(p)
	if err != nil {
		return nil, err
	}
	var out []RestrictionFacts
	for _, r := range rs {
		if r.Lifted == nil && r.Purpose == purpose {
			out = append(out, RestrictionFacts{ID: r.ID, Kind: r.Kind, Purpose: r.Purpose})
		}
	}
	return out, nil
}

// registrationSubjects returns the policy's facts about the subjects of an
// involvement being registered under purpose: only their active
// restrictions and objections (an objection refuses the registration,
// rights.rego), and nil when none has any, so that the common case asks the
// policy nothing more than before.
func registrationSubjects(tx ReadTx, purpose string, subjects ...Pseudonym) (map[Pseudonym]*SubjectFacts, error) {
	var out map[Pseudonym]*SubjectFacts
	for _, p := range subjects {
		rs, err := activeRestrictions(tx, p, purpose)
		if err != nil || len(rs) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		if out == nil {
			out = map[Pseudonym]*SubjectFacts{}
		}
		out[p] = &SubjectFacts{Consents: []ConsentFacts{}, Restrictions: rs}
	}
	return out, nil
}

// RecordRestriction records a restriction (art. 18) or objection (art. 21)
// of the person with this BSN for one purpose. Professionals and
// coordinators who serve the person (or a member of their household) and
// privacy officers within their reach may record; anyone else is refused
// exactly as about a person the broker never saw (no_relation). A second
// active flag of the same kind and purpose is a conflict.
func (s *Service) RecordRestriction(ctx context.Context, c *Caller, bsn string, in RestrictionInput) (RestrictionView, error) {
	p, err := s.pseudonym("bsn", bsn)
	if err != nil {
		return RestrictionView{}, err
	}
	if err := in.Validate(); err != nil {
		return RestrictionView{}, err
	}
	if err := checkReference(c, in.Reference); err != nil {
		return RestrictionView{}, err
	}
	r := Restriction{ID: newID("r"), Subject: p, Kind: in.Kind, Purpose: in.Purpose, Ground: in.Ground,
		Reference: in.Reference, RecordedBy: Actor{Partner: c.Partner.ID, Sub: c.Sub}, RecordedAt: s.now()}
	object := "restriction:" + r.ID
	dec := &DecisionInput{Action: ActionRestrictionRecord, Purpose: in.Purpose, Caller: callerFacts(c)}
	if err := s.personContext(c, p, dec); err != nil {
		return RestrictionView{}, err
	}
	d, err := s.decide(ctx, c, dec, object, []Pseudonym{p})
	if err != nil {
		return RestrictionView{}, err
	}
	e := s.auditEntry(c, EventChange, ActionRestrictionRecord)
	e.Purpose, e.Object, e.Subjects = in.Purpose, object, []Pseudonym{p}
	e.Detail = map[string]string{"kind": in.Kind}
	if in.Ground != "" {
		e.Detail["ground"] = in.Ground
	}
	if in.Reference != "" {
		e.Detail["reference"] = in.Reference
	}
	err = s.commit(ctx, e, []*verdict{d}, noItems(func(tx Tx) error {
		cur, err := tx.RestrictionsOf(p)
		if err != nil {
			return err
		}
		for _, o := range cur {
			if o.Lifted == nil && o.Kind == r.Kind && o.Purpose == r.Purpose {
				return fmt.Errorf("%w: an active %s for this purpose exists (%s)", ErrConflict, r.Kind, o.ID)
			}
		}
		return tx.PutRestriction(r)
	}))
	if err != nil {
		return RestrictionView{}, s.refused(ctx, c, ActionRestrictionRecord, object, []Pseudonym{p}, err)
	}
	return restrictionView(&r), nil
}

// Restrictions lists the restrictions and objections of the person with
// this BSN, lifted ones included. The listing is audited; a privacy
// officer names the request it serves.
func (s *Service) Restrictions(ctx context.Context, c *Caller, bsn, reference string) (RestrictionList, error) {
	p, err := s.pseudonym("bsn", bsn)
	if err != nil {
		return RestrictionList{}, err
	}
	if err := checkReference(c, reference); err != nil {
		return RestrictionList{}, err
	}
	dec := &DecisionInput{Action: ActionRestrictionRead, Caller: callerFacts(c)}
	if err := s.personContext(c, p, dec); err != nil {
		return RestrictionList{}, err
	}
	d, err := s.decide(ctx, c, dec, "restrictions", []Pseudonym{p})
	if err != nil {
		return RestrictionList{}, err
	}
	var rs []Restriction
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		rs, err = tx.RestrictionsOf(p)
		return err
	}); err != nil {
		return RestrictionList{}, err
	}
	out := RestrictionList{Restrictions: make([]RestrictionView, len(rs))}
	for i := range rs {
		out.Restrictions[i] = restrictionView(&rs[i])
	}
	e := s.auditEntry(c, EventDisclosure, ActionRestrictionRead)
	e.Object, e.Subjects = "restrictions", []Pseudonym{p}
	e.Detail = map[string]string{"count": strconv.Itoa(len(rs))}
	if reference != "" {
		e.Detail["reference"] = reference
	}
	if err := s.commit(ctx, e, []*verdict{d}, nil); err != nil {
		return RestrictionList{}, err
	}
	return out, nil
}

// LiftRestriction lifts restriction id: processing under its purpose may go
// on (AVG art. 18 lid 3: the person is told before it is lifted — the
// recording partner's task). Lifting follows the relation rules of
// recording; to anyone without a relation the restriction does not exist.
func (s *Service) LiftRestriction(ctx context.Context, c *Caller, id, reason, reference string) (RestrictionView, error) {
	if len(reason) > 500 {
		return RestrictionView{}, invalid("reason", "at most 500 characters")
	}
	if err := refuseBSNIn("reason", reason); err != nil {
		return RestrictionView{}, err
	}
	if !ValidID(id) {
		return RestrictionView{}, invalid("id", "not a valid restriction id: "+IDRule)
	}
	if err := checkReference(c, reference); err != nil {
		return RestrictionView{}, err
	}
	var cur Restriction
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		cur, err = tx.Restriction(id)
		return err
	}); err != nil {
		return RestrictionView{}, err
	}
	object := "restriction:" + id
	dec := &DecisionInput{Action: ActionRestrictionLift, Purpose: cur.Purpose, Caller: callerFacts(c)}
	if err := s.personContext(c, cur.Subject, dec); err != nil {
		return RestrictionView{}, err
	}
	d, err := s.decide(ctx, c, dec, object, []Pseudonym{cur.Subject})
	if err != nil {
		if deniedFor(err, ReasonNoRelation, ReasonOtherMunicipality) {
			return RestrictionView{}, fmt.Errorf("restriction %s: %w", id, ErrNotFound)
		}
		return RestrictionView{}, err
	}
	e := s.auditEntry(c, EventChange, ActionRestrictionLift)
	e.Purpose, e.Object, e.Subjects = cur.Purpose, object, []Pseudonym{cur.Subject}
	e.Detail = map[string]string{"kind": cur.Kind}
	if reference != "" {
		e.Detail["reference"] = reference
	}
	var out Restriction
	err = s.commit(ctx, e, []*verdict{d}, noItems(func(tx Tx) error {
		r, err := tx.Restriction(id)
		if err != nil {
			return err
		}
		if r.Lifted != nil {
			return fmt.Errorf("restriction %s: %w: already lifted", id, ErrConflict)
		}
		r.Lifted = &Withdrawal{At: s.now(), By: Actor{Partner: c.Partner.ID, Sub: c.Sub}, Reason: reason}
		out = r
		return tx.PutRestriction(r)
	}))
	if err != nil {
		return RestrictionView{}, s.refused(ctx, c, ActionRestrictionLift, object, []Pseudonym{cur.Subject}, err)
	}
	return restrictionView(&out), nil
}
