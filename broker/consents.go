package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ConsentList is a person's consents, the withdrawn and expired ones
// included and marked.
type ConsentList struct {
	Consents []ConsentView `json:"consents"`
}

// ConsentView is a consent as shown to a professional: without the
// pseudonym, which means nothing outside the broker.
type ConsentView struct {
	Consent
	Subject Pseudonym `json:"subject,omitempty"` // never set: hides Consent.Subject
	// State is active, expired, not-yet-valid or withdrawn.
	State string `json:"state"`
}

// Consent states as shown.
const (
	ConsentActive    = "active"
	ConsentExpired   = "expired"
	ConsentNotYet    = "not-yet-valid"
	ConsentWithdrawn = "withdrawn"
)

// consentState derives the state of c on day today (YYYY-MM-DD).
func consentState(c *Consent, today string) string {
	switch {
	case c.Withdrawn != nil:
		return ConsentWithdrawn
	case c.ValidFrom > today:
		return ConsentNotYet
	case c.ValidUntil != "" && c.ValidUntil < today:
		return ConsentExpired
	}
	return ConsentActive
}

// pseudonym parses bsn from field and returns its pseudonym.
func (s *Service) pseudonym(field, bsn string) (Pseudonym, error) {
	b, err := ParseBSN(bsn)
	if err != nil {
		return "", &ValidationError{Field: field, Reason: ErrBSN.Error()}
	}
	return s.cfg.Pseudonyms.Pseudonym(b), nil
}

// subjectConsents returns the policy's view of the subject's consents.
func subjectConsents(tx ConsentReader, p Pseudonym) ([]ConsentFacts, error) {
	cs, err := tx.ConsentsOf(p)
	if err != nil {
		return nil, err
	}
	out := make([]ConsentFacts, len(cs))
	for i := range cs {
		out[i] = cs[i].Facts()
	}
	return out, nil
}

// RecordConsent records a consent for the person with this BSN, given by
// them or for them, as recorded by the calling professional.
func (s *Service) RecordConsent(ctx context.Context, c *Caller, bsn string, in Consent) (ConsentView, error) {
	p, err := s.pseudonym("bsn", bsn)
	if err != nil {
		return ConsentView{}, err
	}
	if in.ValidFrom == "" {
		in.ValidFrom = s.now().Format(dateLayout)
	}
	if err := in.Validate(); err != nil {
		return ConsentView{}, err
	}
	in.ID, in.Subject = newID("c"), p
	in.RecordedBy = Actor{Partner: c.Partner.ID, Sub: c.Sub}
	in.RecordedAt = s.now()
	in.Withdrawn = nil

	dec := &DecisionInput{Action: ActionConsentRecord, Purpose: in.Purpose, Caller: callerFacts(c)}
	if err := s.personContext(c, p, dec); err != nil {
		return ConsentView{}, err
	}
	d, err := s.decide(ctx, c, dec, "consent:"+in.ID, []Pseudonym{p})
	if err != nil {
		return ConsentView{}, err
	}
	e := s.auditEntry(c, EventChange, ActionConsentRecord)
	e.Purpose, e.Object, e.Subjects = in.Purpose, "consent:"+in.ID, []Pseudonym{p}
	e.Detail = map[string]string{"given_by": in.GivenBy, "valid_from": in.ValidFrom, "valid_until": in.ValidUntil}
	withMunicipality(&e, dec.Municipality)
	if err := s.commit(ctx, e, []*verdict{d}, noItems(func(tx Tx) error { return tx.PutConsent(in) })); err != nil {
		return ConsentView{}, err
	}
	return ConsentView{Consent: in, State: consentState(&in, s.now().Format(dateLayout))}, nil
}

// Consents lists the consents of the person with this BSN, withdrawn and
// expired ones included and marked. The listing is a disclosure and is
// audited; a privacy officer names the request it serves (reference).
func (s *Service) Consents(ctx context.Context, c *Caller, bsn, reference string) (ConsentList, error) {
	p, err := s.pseudonym("bsn", bsn)
	if err != nil {
		return ConsentList{}, err
	}
	if err := checkReference(c, reference); err != nil {
		return ConsentList{}, err
	}
	dec := &DecisionInput{Action: ActionConsentRead, Purpose: c.Purpose, Caller: callerFacts(c)}
	if err := s.personContext(c, p, dec); err != nil {
		return ConsentList{}, err
	}
	d, err := s.decide(ctx, c, dec, "consents", []Pseudonym{p})
	if err != nil {
		return ConsentList{}, err
	}
	var cs []Consent
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		cs, err = tx.ConsentsOf(p)
		return err
	}); err != nil {
		return ConsentList{}, err
	}
	today := s.now().Format(dateLayout)
	out := ConsentList{Consents: make([]ConsentView, len(cs))}
	for i := range cs {
		out.Consents[i] = ConsentView{Consent: cs[i], State: consentState(&cs[i], today)}
	}
	e := s.auditEntry(c, EventDisclosure, ActionConsentRead)
	e.Object, e.Subjects = "consents", []Pseudonym{p}
	e.Detail = map[string]string{"count": fmt.Sprint(len(cs))}
	if reference != "" {
		e.Detail["reference"] = reference
	}
	if err := s.commit(ctx, e, []*verdict{d}, nil); err != nil {
		return ConsentList{}, err
	}
	return out, nil
}

// WithdrawConsent marks a consent withdrawn. It stays on record; disclosures
// that rested on it stop with the next request.
func (s *Service) WithdrawConsent(ctx context.Context, c *Caller, id, reason string) (ConsentView, error) {
	if len(reason) > 500 {
		return ConsentView{}, invalid("reason", "at most 500 characters")
	}
	if err := refuseBSNIn("reason", reason); err != nil {
		return ConsentView{}, err
	}
	if !ValidID(id) {
		return ConsentView{}, invalid("id", "not a valid consent id: "+IDRule)
	}
	var cur Consent
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		cur, err = tx.Consent(id)
		return err
	}); err != nil {
		return ConsentView{}, err
	}
	dec := &DecisionInput{Action: ActionConsentWithdraw, Purpose: cur.Purpose, Caller: callerFacts(c)}
	if err := s.personContext(c, cur.Subject, dec); err != nil {
		return ConsentView{}, err
	}
	d, err := s.decide(ctx, c, dec, "consent:"+id, []Pseudonym{cur.Subject})
	if err != nil {
		// Withdrawing is for the person's own partners and coordinator:
		// to anyone else the consent does not exist (the denial is
		// audited all the same).
		if deniedFor(err, ReasonNoRelation, ReasonOtherMunicipality) {
			return ConsentView{}, fmt.Errorf("consent %s: %w", id, ErrNotFound)
		}
		return ConsentView{}, err
	}
	e := s.auditEntry(c, EventChange, ActionConsentWithdraw)
	e.Purpose, e.Object, e.Subjects = cur.Purpose, "consent:"+id, []Pseudonym{cur.Subject}
	withMunicipality(&e, dec.Municipality)
	var out Consent
	err = s.commit(ctx, e, []*verdict{d}, noItems(func(tx Tx) error {
		c2, err := tx.Consent(id)
		if err != nil {
			return err
		}
		if c2.Withdrawn != nil {
			return fmt.Errorf("consent %s: %w: already withdrawn", id, ErrConflict)
		}
		c2.Withdrawn = &Withdrawal{At: s.now(), By: Actor{Partner: c.Partner.ID, Sub: c.Sub}, Reason: reason}
		out = c2
		return tx.PutConsent(c2)
	}))
	if err != nil {
		return ConsentView{}, s.refused(ctx, c, ActionConsentWithdraw, "consent:"+id, []Pseudonym{cur.Subject}, err)
	}
	return ConsentView{Consent: out, State: ConsentWithdrawn}, nil
}

// personContext adds to in what the policy needs about the person p a
// consent action concerns: the caller's relations to p (and to p's
// household) and, when p is a member of a household in a municipality the
// caller serves, that household and its municipality. Households elsewhere are not read into
// the question: what a caller may not know does not shape the answer.
func (s *Service) personContext(c *Caller, p Pseudonym, in *DecisionInput) error {
	return s.cfg.Store.View(func(tx ReadTx) error {
		hs, err := tx.HouseholdsOf(p)
		if err != nil {
			return err
		}
		mine := householdsIn(hs, c.Partner.Municipalities)
		// Consent is asked for and recorded in the household's
		// conversation: a partner that serves a member of the person's
		// household (in a municipality it serves) stands in relation to
		// the person too. A privacy officer's reach is the persons its
		// partner serves themselves (officer.go).
		subjects := []Pseudonym{p}
		if len(mine) > 0 {
			slices.SortFunc(mine, func(a, b Household) int { return strings.Compare(a.Ref(), b.Ref()) })
			in.Household = householdFacts(&mine[0])
			in.Municipality = s.municipalityFacts(mine[0].Municipality)
			if c.Role != RolePrivacyOfficer {
				for i := range mine {
					subjects = append(subjects, memberSubjects(&mine[i])...)
				}
				slices.Sort(subjects)
				subjects = slices.Compact(subjects)
			}
		}
		in.Relations, err = s.relations(tx, relationFacts{c: c, households: mine, subjects: subjects})
		return err
	})
}

// deniedFor reports whether err is a policy denial for one of reasons.
func deniedFor(err error, reasons ...string) bool {
	var d *DeniedError
	return errors.As(err, &d) && slices.ContainsFunc(d.Reasons, func(r string) bool { return slices.Contains(reasons, r) })
}
