package broker

import (
	"errors"
	"io"
	"slices"
)

// Relations of a caller to the household or persons a request is about.
// Purpose binding (doelbinding) needs more than a purpose: the caller must
// stand in a relation to the people it asks about. The broker establishes
// these from its own records and passes them in the decision input
// (DecisionInput.Relations); the policy data says per purpose and action
// which relations suffice (rego/README.md, "Relations"). Designations of a
// partner (a certified youth-protection organisation, say) are policy data
// and are matched in the policy, not here.
const (
	// RelationCoordinator: the caller's partner coordinates (is regisseur
	// of) the household, or a household of the person, in a municipality
	// the caller serves.
	RelationCoordinator = "coordinator"
	// RelationInvolvement: the caller's partner has a live (not ended)
	// involvement with the person or a member of the household.
	RelationInvolvement = "involvement"
	// RelationAssignment: the caller's partner gave or received an open
	// assignment (proposed or accepted) about the household.
	RelationAssignment = "assignment"
	// RelationMunicipality: the person is a member of a household in, or
	// served by a partner of, a municipality the caller's partner serves.
	RelationMunicipality = "municipality"
	// RelationPrivacyOffice: the caller is a privacy officer of the
	// region's privacy office (Partner.PrivacyOffice), which supervises
	// the whole broker.
	RelationPrivacyOffice = "privacy-office"
)

// relationFacts gathers what establishes a caller's relations.
type relationFacts struct {
	c *Caller
	// households are the households the request is about, limited to the
	// municipalities that count (see the callers).
	households []Household
	subjects   []Pseudonym
}

// relations returns the caller's relations, sorted, from the records in tx.
func (s *Service) relations(tx ReadTx, f relationFacts) ([]string, error) {
	set := map[string]bool{}
	if f.c.Role == RolePrivacyOfficer && f.c.Partner.PrivacyOffice {
		set[RelationPrivacyOffice] = true
	}
	for i := range f.households {
		if f.households[i].Coordinator.Partner == f.c.Partner.ID {
			set[RelationCoordinator] = true
		}
		if f.c.Partner.Serves(f.households[i].Municipality) {
			set[RelationMunicipality] = true
		}
	}
	for _, p := range f.subjects {
		invs, err := tx.InvolvementsOf(p)
		if err != nil {
			return nil, err
		}
		for _, v := range invs {
			if v.Status == InvolvementEnded {
				continue
			}
			if v.Partner == f.c.Partner.ID {
				set[RelationInvolvement] = true
			}
			if pt, err := s.LookupPartner(v.Partner); err == nil && slices.ContainsFunc(pt.Municipalities, f.c.Partner.Serves) {
				set[RelationMunicipality] = true
			}
		}
	}
	if len(f.households) > 0 {
		open, err := hasOpenAssignment(tx, f.c.Partner.ID, f.households)
		if err != nil {
			return nil, err
		}
		set[RelationAssignment] = open
	}
	out := make([]string, 0, len(set))
	for r, ok := range set {
		if ok {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out, nil
}

// hasOpenAssignment reports whether partner gave or received an open
// assignment about one of households.
func hasOpenAssignment(tx AssignmentReader, partner string, households []Household) (bool, error) {
	found := false
	err := tx.PartnerAssignments(partner, func(a Assignment) error {
		if a.Status != AssignmentProposed && a.Status != AssignmentAccepted {
			return nil
		}
		if slices.ContainsFunc(households, func(h Household) bool {
			return h.ID == a.Household && h.Municipality == a.Municipality
		}) {
			found = true
			return io.EOF
		}
		return nil
	})
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return found, err
}

// householdsIn returns the households of hs in one of municipalities.
func householdsIn(hs []Household, municipalities []string) []Household {
	var out []Household
	for _, h := range hs {
		if slices.Contains(municipalities, h.Municipality) {
			out = append(out, h)
		}
	}
	return out
}
