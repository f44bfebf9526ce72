package broker

import (
	"context"
	"slices"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Fields of an involvement the policy can show.
const (
	FieldPartner = "partner" // which partner (and its name)
	FieldContact = "contact" // whom to call
	FieldService = "service" // service code and label
	FieldStatus  = "status"
	FieldPeriod  = "period" // start and end
)

// Overview is wire.Overview: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type Overview = wire.Overview

// MemberOverview is wire.MemberOverview: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type MemberOverview = wire.MemberOverview

// ShownInvolvement is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type ShownInvolvement = wire.ShownInvolvement

// shown builds the visible part of v.
func (s *Service) shown(v *Involvement, fields []string) ShownInvolvement {
	var out ShownInvolvement
	for _, f := range fields {
		switch f {
		case FieldPartner:
			out.Partner = v.Partner
			if p, err := s.LookupPartner(v.Partner); err == nil {
				out.PartnerName, out.Sector = p.Name, p.Sector
			}
		case FieldContact:
			c := v.Contact
			out.Contact = &c
		case FieldService:
			out.Service, out.ServiceLabel = v.Service, v.ServiceLabel
		case FieldStatus:
			out.Status = v.Status
		case FieldPeriod:
			out.Start, out.End = v.Start, v.End
		}
	}
	return out
}

// municipalityFacts describes municipality id; an unregistered one has
// level 0, which no policy rule allows.
func (s *Service) municipalityFacts(id string) *MunicipalityFacts {
	m := &MunicipalityFacts{ID: id}
	if p, err := s.LookupPartner(id); err == nil && p.Sector == SectorMunicipality && p.Status == PartnerActive {
		m.Level = p.Level
	}
	return m
}

// partnerFacts describes a registered partner for the policy.
func partnerFacts(p *Partner) PartnerFacts {
	return PartnerFacts{ID: p.ID, Sector: p.Sector, Level: p.Level, Covenant: p.Covenant,
		RegisteredAt: rfc3339(p.CreatedAt)}
}

// rfc3339 formats t as RFC 3339 UTC; "" for the zero time (not known).
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// subject is one person of an overview, with what the store holds on them.
type subject struct {
	member       Member
	involvements []Involvement
}

// gather reads the consents and involvements of members in one read
// transaction and builds the policy input's subjects and candidates and,
// when rel is not nil, the caller's relations to them.
func (s *Service) gather(members []Member, in *DecisionInput, rel *relationFacts) ([]subject, map[string]*Involvement, error) {
	subs := make([]subject, len(members))
	byID := map[string]*Involvement{}
	in.Subjects = make(map[Pseudonym]*SubjectFacts, len(members))
	err := s.cfg.Store.View(func(tx ReadTx) error {
		if rel != nil {
			var err error
			if in.Relations, err = s.relations(tx, *rel); err != nil {
				return err
			}
		}
		for i, m := range members {
			consents, err := subjectConsents(tx, m.Subject)
			if err != nil {
				return err
			}
			in.Subjects[m.Subject] = &SubjectFacts{Label: m.Label, Role: m.Role, BirthYear: m.BirthYear,
				BirthDate: m.BirthDate, Shielded: m.Shielded, Consents: consents}
			if in.Subjects[m.Subject].Restrictions, err = activeRestrictions(tx, m.Subject, in.Purpose); err != nil {
				return err
			}
			invs, err := tx.InvolvementsOf(m.Subject)
			if err != nil {
				return err
			}
			subs[i] = subject{member: m, involvements: invs}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for i := range subs {
		for j := range subs[i].involvements {
			v := &subs[i].involvements[j]
			p, err := s.LookupPartner(v.Partner)
			if err != nil {
				continue // a partner that is gone shows nothing
			}
			// Need to know: only partners that serve the municipality the
			// question is asked in are candidates at all.
			if in.Municipality != nil && !p.Serves(in.Municipality.ID) {
				continue
			}
			byID[v.ID] = v
			in.Candidates = append(in.Candidates, Candidate{ID: v.ID, Subject: v.Subject, Service: v.Service,
				Status: v.Status, Partner: partnerFacts(p), Purpose: v.Purpose})
		}
	}
	return subs, byID, nil
}

// HouseholdOverview answers which partners serve household id, for the
// purpose in the caller's token, as far as the policy allows. The policy is
// asked once; the answer is audited with what was shown.
func (s *Service) HouseholdOverview(ctx context.Context, c *Caller, id string) (Overview, error) {
	h, err := s.findHousehold(c, id)
	if err != nil {
		return Overview{}, err
	}
	in := &DecisionInput{Action: ActionHouseholdOverview, Purpose: c.Purpose, Caller: callerFacts(c),
		Municipality: s.municipalityFacts(h.Municipality), Household: householdFacts(&h)}
	rel := &relationFacts{c: c, households: []Household{h}, subjects: memberSubjects(&h)}
	return s.overview(ctx, c, in, h.Members, "household:"+h.Ref(), rel)
}

// PersonOverview answers which partners serve the person with this BSN, in
// the context of municipality (default: the caller's first). The question
// is asked in that municipality and no other: the answer depends only on
// what the caller named and on facts of municipalities its partner serves,
// so a person registered elsewhere (or shielded elsewhere) is answered
// exactly as a person the broker never saw — same status, same body, same
// level (need to know; a household in another municipality is not hinted
// at).
func (s *Service) PersonOverview(ctx context.Context, c *Caller, bsn, municipality string) (Overview, error) {
	p, err := s.pseudonym("bsn", bsn)
	if err != nil {
		return Overview{}, err
	}
	if municipality == "" && len(c.Partner.Municipalities) > 0 {
		municipality = c.Partner.Municipalities[0]
	}
	if !ValidID(municipality) {
		return Overview{}, invalid("municipality", "name the municipality the question is asked in")
	}
	m := Member{Label: "person", Subject: p, Role: MemberOther}
	rel := &relationFacts{c: c, subjects: []Pseudonym{p}}
	// A member of a household in this municipality carries its facts
	// (role, date or year of birth); shielding counts wherever it was
	// registered, as it protects the person, not a household, and a
	// shielded member shields the household's other members too (a
	// child's school must not lead to the mother). Households elsewhere
	// add nothing else.
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		hs, err := tx.HouseholdsOf(p)
		for _, h := range hs {
			shielded := slices.ContainsFunc(h.Members, func(mm Member) bool { return mm.Shielded })
			for _, mm := range h.Members {
				if mm.Subject != p {
					continue
				}
				m.Shielded = m.Shielded || shielded
				if h.Municipality == municipality {
					m.Role, m.BirthYear, m.BirthDate = mm.Role, mm.BirthYear, mm.BirthDate
				}
			}
		}
		rel.households = householdsIn(hs, []string{municipality})
		return err
	}); err != nil {
		return Overview{}, err
	}
	in := &DecisionInput{Action: ActionPersonOverview, Purpose: c.Purpose, Caller: callerFacts(c),
		Municipality: s.municipalityFacts(municipality)}
	return s.overview(ctx, c, in, []Member{m}, "person", rel)
}

func householdFacts(h *Household) *HouseholdFacts {
	f := &HouseholdFacts{ID: h.ID, Municipality: h.Municipality, Area: h.Area,
		CoordinatorPartner: h.Coordinator.Partner, CoordinatorSub: h.Coordinator.Sub}
	if t := h.PlanTerm; t != nil && t.Ends != "" {
		f.PlanPurpose, f.PlanEnds = t.Purpose, t.Ends
	}
	return f
}

func (s *Service) overview(ctx context.Context, c *Caller, in *DecisionInput, members []Member, object string, rel *relationFacts) (Overview, error) {
	subs, byID, err := s.gather(members, in, rel)
	if err != nil {
		return Overview{}, err
	}
	pseudonyms := make([]Pseudonym, len(members))
	for i, m := range members {
		pseudonyms[i] = m.Subject
	}
	v, err := s.decide(ctx, c, in, object, pseudonyms)
	if err != nil {
		return Overview{}, err
	}
	level := c.Partner.Level
	if in.Municipality != nil {
		level = EffectiveLevel(c.Partner.Level, in.Municipality.Level)
	}
	out := Overview{Purpose: c.Purpose, Level: level, Members: []MemberOverview{}, PolicyVersion: v.Version, Bases: v.Bases}
	if in.Household != nil {
		out.Household = in.Household.ID
	}
	e := s.auditEntry(c, EventDisclosure, in.Action)
	e.Object, e.Subjects = object, pseudonyms
	if in.Household == nil {
		withMunicipality(&e, in.Municipality) // a person overview's object names none
	}
	for _, sub := range subs {
		mo := MemberOverview{Label: sub.member.Label, Role: sub.member.Role, Involvements: []ShownInvolvement{}}
		for i := range sub.involvements {
			inv := &sub.involvements[i]
			fields := v.Show[inv.ID]
			if len(fields) == 0 || byID[inv.ID] == nil {
				continue
			}
			mo.Involvements = append(mo.Involvements, s.shown(inv, fields))
			e.Disclosed = append(e.Disclosed, Disclosure{Subject: inv.Subject, Involvement: inv.ID, Partner: inv.Partner,
				Fields: slices.Clone(fields)})
		}
		// A shielded member is not even listed unless the policy showed
		// something of theirs to this caller. The one person of a person
		// overview is always listed (the caller named them), and always as
		// a stranger: no household role, so nothing hints at a household
		// or at shielding.
		if sub.member.Shielded && len(mo.Involvements) == 0 && in.Household != nil {
			continue
		}
		if in.Household == nil {
			mo.Role = MemberOther
		}
		out.Members = append(out.Members, mo)
	}
	// Under a statute purpose the partner responsible for informing the
	// persons is told what was disclosed to whom (AVG art. 14; notices.go).
	var informs []InboxItem
	if set := s.notices(); set.statute(c.Purpose) {
		var hs []Household
		if rel != nil {
			hs = rel.households
		}
		informs = s.disclosureInforms(set, c, &e, v.Bases, hs, subs)
	}
	if len(informs) > 0 {
		discloseItems(&e, "", informs)
		err = s.commit(ctx, e, []*verdict{v}, sending(informs, nil))
	} else {
		err = s.commit(ctx, e, []*verdict{v}, nil)
	}
	if err != nil {
		return Overview{}, err
	}
	if w := s.cfg.OverviewWatcher; w != nil {
		w.OverviewAnswered(c.Partner.ID, c.Sub, s.now())
	}
	return out, nil
}

// OverviewWatcher is told of every overview the broker answered, after its
// audit entry is written: the hook of an alert on an unusual volume of
// overviews by one caller (AVG art. 33, a breach noticed early). It must
// not block, and gets no personal data: the partner, the acting person's
// reference and the time.
type OverviewWatcher interface {
	OverviewAnswered(partner, sub string, at time.Time)
}
