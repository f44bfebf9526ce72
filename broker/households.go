package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// HouseholdInput is wire.HouseholdInput: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type HouseholdInput = wire.HouseholdInput

// MemberInput is wire.MemberInput: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type MemberInput = wire.MemberInput

// HouseholdView is wire.HouseholdView: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type HouseholdView = wire.HouseholdView

// MemberView is wire.MemberView: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type MemberView = wire.MemberView

func householdView(h *Household) HouseholdView {
	v := HouseholdView{ID: h.ID, Municipality: h.Municipality, Area: h.Area, Coordinator: h.Coordinator,
		Members: make([]MemberView, len(h.Members)), Revision: h.Revision}
	for i, m := range h.Members {
		v.Members[i] = MemberView{Label: m.Label, Role: m.Role, BirthYear: m.BirthYear, BirthDate: m.BirthDate, Shielded: m.Shielded}
	}
	return v
}

// PutHousehold registers or changes household id. Coordinators of the
// household's municipality only (the policy decides); only a municipality
// partner may shield or unshield a member. Membership changes are audited.
func (s *Service) PutHousehold(ctx context.Context, c *Caller, ref string, in HouseholdInput) (HouseholdView, error) {
	municipality, id, err := splitHouseholdRef(ref)
	if err != nil {
		return HouseholdView{}, err
	}
	if municipality != "" && municipality != in.Municipality {
		return HouseholdView{}, invalid("municipality", "the id names municipality %s", municipality)
	}
	h := Household{ID: id, Municipality: in.Municipality, Area: in.Area}
	if in.Coordinator != nil {
		h.Coordinator = *in.Coordinator
	} else {
		h.Coordinator = Actor{Partner: c.Partner.ID, Sub: c.Sub}
	}
	for i, m := range in.Members {
		p, err := s.pseudonym("members["+strconv.Itoa(i)+"].bsn", m.BSN)
		if err != nil {
			return HouseholdView{}, err
		}
		h.Members = append(h.Members, Member{Label: m.Label, Subject: p, Role: m.Role, BirthYear: m.BirthYear, BirthDate: m.BirthDate,
			Shielded: m.Shielded})
	}
	if err := h.validate(s.now()); err != nil {
		return HouseholdView{}, err
	}
	if !ValidID(h.Coordinator.Partner) || h.Coordinator.Sub == "" || len(h.Coordinator.Sub) > 100 {
		return HouseholdView{}, invalid("coordinator", "name the coordinator's partner and person")
	}
	if err := refuseBSNIn("coordinator.sub", h.Coordinator.Sub); err != nil {
		return HouseholdView{}, err
	}
	if _, err := s.LookupPartner(h.Coordinator.Partner); err != nil {
		return HouseholdView{}, invalid("coordinator.partner", "not a registered partner")
	}
	muni := s.municipalityFacts(h.Municipality)
	if muni.Level == 0 {
		return HouseholdView{}, invalid("municipality", "not a registered, active municipality")
	}
	subjects := make([]Pseudonym, len(h.Members))
	for i, m := range h.Members {
		subjects[i] = m.Subject
	}
	d, err := s.decide(ctx, c, &DecisionInput{Action: ActionHouseholdWrite, Purpose: c.Purpose, Caller: callerFacts(c),
		Municipality: muni, Household: householdFacts(&h)}, "household:"+h.Ref(), subjects)
	if err != nil {
		return HouseholdView{}, err
	}
	mayShield := c.Partner.Sector == SectorMunicipality
	now := s.now()
	// A membership change is audited about everyone it touches: the
	// members removed are named too, so that their access report shows it.
	var before Household
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		before, err = tx.Household(h.Municipality, id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}); err != nil {
		return HouseholdView{}, err
	}
	added, removed := membershipChange(&before, &h)
	e := s.auditEntry(c, EventChange, ActionHouseholdWrite)
	e.Object, e.Subjects = "household:"+h.Ref(), append(slices.Clone(subjects), removed...)
	e.Detail = map[string]string{"members": strconv.Itoa(len(h.Members)), "municipality": h.Municipality,
		"added": strconv.Itoa(len(added)), "removed": strconv.Itoa(len(removed))}
	var out Household
	err = s.commit(ctx, e, []*verdict{d}, noItems(func(tx Tx) error {
		old, err := tx.Household(h.Municipality, id)
		switch {
		case err == nil:
			h.CreatedAt, h.Revision = old.CreatedAt, old.Revision+1
		case errors.Is(err, ErrNotFound):
			h.CreatedAt, h.Revision = now, 1
		default:
			return err
		}
		if !mayShield {
			keepShielding(&h, &old)
		}
		h.UpdatedAt = now
		out = h
		return tx.PutHousehold(h)
	}))
	if err != nil {
		return HouseholdView{}, err
	}
	return householdView(&out), nil
}

// membershipChange returns the members of h that old lacks and those of old
// that h lacks.
func membershipChange(old, h *Household) (added, removed []Pseudonym) {
	in := func(hh *Household, p Pseudonym) bool {
		return slices.ContainsFunc(hh.Members, func(m Member) bool { return m.Subject == p })
	}
	for _, m := range h.Members {
		if !in(old, m.Subject) {
			added = append(added, m.Subject)
		}
	}
	for _, m := range old.Members {
		if !in(h, m.Subject) {
			removed = append(removed, m.Subject)
		}
	}
	return added, removed
}

// keepShielding carries the stored shielding over to h, for callers that may
// not change it.
func keepShielding(h, old *Household) {
	shielded := map[Pseudonym]bool{}
	for _, m := range old.Members {
		shielded[m.Subject] = m.Shielded
	}
	for i := range h.Members {
		h.Members[i].Shielded = shielded[h.Members[i].Subject]
	}
}

// Household returns the registration of household id (labels, roles,
// coordinator) to those the policy lets write it.
func (s *Service) Household(ctx context.Context, c *Caller, id string) (HouseholdView, error) {
	h, err := s.findHousehold(c, id)
	if err != nil {
		return HouseholdView{}, err
	}
	if _, err := s.decide(ctx, c, &DecisionInput{Action: ActionHouseholdWrite, Purpose: c.Purpose, Caller: callerFacts(c),
		Municipality: s.municipalityFacts(h.Municipality), Household: householdFacts(&h)}, "household:"+h.Ref(), memberSubjects(&h)); err != nil {
		return HouseholdView{}, err
	}
	return householdView(&h), nil
}

// HouseholdRefSep separates municipality and id in a qualified household
// id ("gem-leusden:hh-12"). Household ids are a namespace per municipality;
// a partner that serves one municipality names its households by id alone,
// one that serves several qualifies an id that two of them use.
const HouseholdRefSep = ":"

// Ref is the household's qualified id, municipality:id, unique in the
// region (audit objects use it).
func (h *Household) Ref() string { return h.Municipality + HouseholdRefSep + h.ID }

// ValidHouseholdRef reports whether s names a household as a caller may:
// an id, or municipality:id.
func ValidHouseholdRef(s string) bool {
	_, _, err := splitHouseholdRef(s)
	return err == nil
}

// splitHouseholdRef splits a household id as a caller names it: id, or
// municipality:id.
func splitHouseholdRef(ref string) (municipality, id string, err error) {
	municipality, id, qualified := strings.Cut(ref, HouseholdRefSep)
	if !qualified {
		municipality, id = "", ref
	}
	if !ValidID(id) || (qualified && !ValidID(municipality)) {
		return "", "", invalid("id", "not a valid household id: "+IDRule+", optionally after the municipality and ':'")
	}
	return municipality, id, nil
}

// findHousehold resolves a household id as caller c names it. Household
// ids are a namespace per municipality, and a caller looks only in the
// municipalities its partner serves: a household elsewhere is answered
// exactly as a missing one (ErrNotFound), so that no one learns that an id
// is used in another municipality. An id that names a household in two of
// the caller's own municipalities must be qualified (municipality:id).
func (s *Service) findHousehold(c *Caller, ref string) (Household, error) {
	municipality, id, err := splitHouseholdRef(ref)
	if err != nil {
		return Household{}, err
	}
	scope := c.Partner.Municipalities
	if municipality != "" {
		if !c.Partner.Serves(municipality) {
			return Household{}, fmt.Errorf("household %s: %w", ref, ErrNotFound)
		}
		scope = []string{municipality}
	}
	var found []Household
	err = s.cfg.Store.View(func(tx ReadTx) error {
		for _, m := range scope {
			h, err := tx.Household(m, id)
			switch {
			case err == nil:
				found = append(found, h)
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return Household{}, err
	case len(found) == 0:
		return Household{}, fmt.Errorf("household %s: %w", ref, ErrNotFound)
	case len(found) > 1:
		return Household{}, invalid("id", "household %s exists in more than one of your municipalities: name one as municipality%sid", id, HouseholdRefSep)
	}
	return found[0], nil
}

// loadHousehold reads household id of municipality, for an object (an
// assignment, a plan) that names both.
func (s *Service) loadHousehold(municipality, id string) (Household, error) {
	var h Household
	err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		h, err = tx.Household(municipality, id)
		return err
	})
	return h, err
}
