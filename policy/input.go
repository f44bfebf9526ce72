package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Keys of the input document, built once. Terms are immutable once built,
// so every input shares them.
var (
	kAction             = ast.StringTerm("action")
	kPurpose            = ast.StringTerm("purpose")
	kNow                = ast.StringTerm("now")
	kCaller             = ast.StringTerm("caller")
	kMunicipality       = ast.StringTerm("municipality")
	kHousehold          = ast.StringTerm("household")
	kSubjects           = ast.StringTerm("subjects")
	kCandidates         = ast.StringTerm("candidates")
	kTarget             = ast.StringTerm("target")
	kPartner            = ast.StringTerm("partner")
	kSector             = ast.StringTerm("sector")
	kRole               = ast.StringTerm("role")
	kSub                = ast.StringTerm("sub")
	kLevel              = ast.StringTerm("level")
	kCovenant           = ast.StringTerm("covenant")
	kMunicipalities     = ast.StringTerm("municipalities")
	kArea               = ast.StringTerm("area")
	kID                 = ast.StringTerm("id")
	kCoordinatorPartner = ast.StringTerm("coordinator_partner")
	kCoordinatorSub     = ast.StringTerm("coordinator_sub")
	kPlanPurpose        = ast.StringTerm("plan_purpose")
	kPlanEnds           = ast.StringTerm("plan_ends")
	kLabel              = ast.StringTerm("label")
	kBirthYear          = ast.StringTerm("birth_year")
	kShielded           = ast.StringTerm("shielded")
	kConsents           = ast.StringTerm("consents")
	kAll                = ast.StringTerm("all")
	kSectors            = ast.StringTerm("sectors")
	kPartners           = ast.StringTerm("partners")
	kGivenBy            = ast.StringTerm("given_by")
	kValidFrom          = ast.StringTerm("valid_from")
	kValidUntil         = ast.StringTerm("valid_until")
	kWithdrawn          = ast.StringTerm("withdrawn")
	kSubject            = ast.StringTerm("subject")
	kService            = ast.StringTerm("service")
	kStatus             = ast.StringTerm("status")
	kRelations          = ast.StringTerm("relations")
	kRestrictions       = ast.StringTerm("restrictions")
	kKind               = ast.StringTerm("kind")
	kRegisteredAt       = ast.StringTerm("registered_at")
	kBirthDate          = ast.StringTerm("birth_date")
	kExplicit           = ast.StringTerm("explicit")
	kEvidence           = ast.StringTerm("evidence")
	kNotConditional     = ast.StringTerm("not_conditional")
	kRecordedAt         = ast.StringTerm("recorded_at")
	kKeyedBy            = ast.StringTerm("keyed_by")
	kRecipients         = ast.StringTerm("recipients")
	kSignals            = ast.StringTerm("signals")
)

var nullTerm = ast.NullTerm()

// vocabulary holds prebuilt terms for the values that recur in every input
// (sectors, roles, givers, statuses, household roles), so that converting
// them allocates nothing.
var vocabulary = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	add := func(ss ...string) {
		for _, s := range ss {
			m[s] = ast.StringTerm(s)
		}
	}
	for _, s := range broker.Sectors {
		add(string(s))
	}
	for _, r := range broker.Roles {
		add(string(r))
	}
	add(broker.GivenByValues...)
	add(broker.InvolvementStatuses...)
	add(broker.MemberParent, broker.MemberChild, broker.MemberOther)
	add(broker.RelationCoordinator, broker.RelationInvolvement, broker.RelationAssignment, broker.RelationMunicipality,
		broker.RelationPrivacyOffice)
	add(broker.ActionHouseholdOverview, broker.ActionPersonOverview, broker.ActionHouseholdWrite,
		broker.ActionInvolvementWrite, broker.ActionConsentRecord, broker.ActionConsentRead,
		broker.ActionConsentWithdraw, broker.ActionMatchSignal, broker.ActionAssignmentGive,
		broker.ActionAssignmentReceive, broker.ActionPlanRead, broker.ActionPlanWrite)
	return m
}()

// inputValue converts in to the OPA value the policy sees as input, without
// a JSON round trip. The result is exactly the value that encoding/json
// would produce for in and OPA would parse: the same fields, the same
// omitempty rules, null for nil slices and pointers that are not omitted.
// TestInputMatchesJSON holds it to that. Objects are built from their
// key-value pairs at once (ast.NewObject), which allocates far less than
// inserting key by key.
func inputValue(in *broker.DecisionInput) ast.Value {
	o := make([][2]*ast.Term, 0, 9)
	o = append(o, item(kAction, str(in.Action)))
	if in.Purpose != "" {
		o = append(o, item(kPurpose, str(in.Purpose)))
	}
	o = append(o, item(kNow, str(in.Now)), item(kCaller, callerTerm(&in.Caller)))
	if m := in.Municipality; m != nil {
		o = append(o, item(kMunicipality, ast.ObjectTerm(item(kID, str(m.ID)), item(kLevel, num(m.Level)))))
	}
	if h := in.Household; h != nil {
		o = append(o, item(kHousehold, householdTerm(h)))
	}
	if len(in.Subjects) > 0 {
		subjects := make([][2]*ast.Term, 0, len(in.Subjects))
		for p, s := range in.Subjects {
			subjects = append(subjects, item(str(string(p)), subjectTerm(s)))
		}
		o = append(o, item(kSubjects, ast.ObjectTerm(subjects...)))
	}
	if len(in.Candidates) > 0 {
		cs := make([]*ast.Term, len(in.Candidates))
		for i := range in.Candidates {
			cs[i] = candidateTerm(&in.Candidates[i])
		}
		o = append(o, item(kCandidates, ast.ArrayTerm(cs...)))
	}
	if in.Target != nil {
		o = append(o, item(kTarget, partnerTerm(in.Target)))
	}
	o = append(o, collaborationItems(in)...)
	if len(in.Relations) > 0 {
		o = append(o, item(kRelations, strs(in.Relations)))
	}
	if in.KeyedBy != "" {
		o = append(o, item(kKeyedBy, str(in.KeyedBy)))
	}
	if q := in.SignalQuestion; q != nil {
		o = append(o, signalItems(q)...)
	}
	return ast.NewObject(o...)
}

// signalItems are the keys of a bulk match-signal question
// (broker.SignalQuestion): recipients and signals.
func signalItems(q *broker.SignalQuestion) [][2]*ast.Term {
	recipients := nullTerm
	if q.Recipients != nil {
		rs := make([][2]*ast.Term, 0, len(q.Recipients))
		for id, c := range q.Recipients {
			t := nullTerm
			if c != nil {
				t = callerTerm(c)
			}
			rs = append(rs, item(str(id), t))
		}
		recipients = ast.ObjectTerm(rs...)
	}
	groups := nullTerm
	if q.Signals != nil {
		gs := make([]*ast.Term, len(q.Signals))
		for i := range q.Signals {
			gs[i] = signalGroupTerm(&q.Signals[i])
		}
		groups = ast.ArrayTerm(gs...)
	}
	return [][2]*ast.Term{item(kRecipients, recipients), item(kSignals, groups)}
}

func signalGroupTerm(g *broker.SignalGroup) *ast.Term {
	o := make([][2]*ast.Term, 0, 5)
	o = append(o, item(kHousehold, householdTerm(&g.Household)))
	if m := g.Municipality; m != nil {
		o = append(o, item(kMunicipality, ast.ObjectTerm(item(kID, str(m.ID)), item(kLevel, num(m.Level)))))
	}
	o = append(o, item(kShielded, boolean(g.Shielded)), item(kRecipients, strs(g.Recipients)))
	cs := nullTerm
	if g.Candidates != nil {
		ts := make([]*ast.Term, len(g.Candidates))
		for i := range g.Candidates {
			ts[i] = candidateTerm(&g.Candidates[i])
		}
		cs = ast.ArrayTerm(ts...)
	}
	return ast.ObjectTerm(append(o, item(kCandidates, cs))...)
}

func item(k, v *ast.Term) [2]*ast.Term { return [2]*ast.Term{k, v} }

func str(s string) *ast.Term {
	if t, ok := vocabulary[s]; ok {
		return t
	}
	return ast.InternedTerm(s)
}

func num(i int) *ast.Term { return ast.InternedTerm(i) }

func boolean(b bool) *ast.Term { return ast.InternedTerm(b) }

// strs converts a slice that encoding/json would write as null when nil.
func strs[S ~string](ss []S) *ast.Term {
	if ss == nil {
		return nullTerm
	}
	ts := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ts[i] = str(string(s))
	}
	return ast.ArrayTerm(ts...)
}

func callerTerm(c *broker.CallerFacts) *ast.Term {
	o := make([][2]*ast.Term, 0, 9)
	o = append(o,
		item(kPartner, str(c.Partner)),
		item(kSector, str(string(c.Sector))),
		item(kRole, str(string(c.Role))),
		item(kSub, str(c.Sub)),
		item(kLevel, num(c.Level)),
		item(kCovenant, str(c.Covenant)),
		item(kMunicipalities, strs(c.Municipalities)),
	)
	if c.Area != "" {
		o = append(o, item(kArea, str(c.Area)))
	}
	if c.RegisteredAt != "" {
		o = append(o, item(kRegisteredAt, str(c.RegisteredAt)))
	}
	return ast.ObjectTerm(o...)
}

func householdTerm(h *broker.HouseholdFacts) *ast.Term {
	o := make([][2]*ast.Term, 0, 5)
	o = append(o, item(kID, str(h.ID)), item(kMunicipality, str(h.Municipality)))
	if h.Area != "" {
		o = append(o, item(kArea, str(h.Area)))
	}
	if h.CoordinatorPartner != "" {
		o = append(o, item(kCoordinatorPartner, str(h.CoordinatorPartner)))
	}
	if h.CoordinatorSub != "" {
		o = append(o, item(kCoordinatorSub, str(h.CoordinatorSub)))
	}
	if h.PlanPurpose != "" {
		o = append(o, item(kPlanPurpose, str(h.PlanPurpose)))
	}
	if h.PlanEnds != "" {
		o = append(o, item(kPlanEnds, str(h.PlanEnds)))
	}
	return ast.ObjectTerm(o...)
}

func subjectTerm(s *broker.SubjectFacts) *ast.Term {
	if s == nil {
		return nullTerm
	}
	o := make([][2]*ast.Term, 0, 5)
	if s.Label != "" {
		o = append(o, item(kLabel, str(s.Label)))
	}
	if s.Role != "" {
		o = append(o, item(kRole, str(s.Role)))
	}
	if s.BirthYear != 0 {
		o = append(o, item(kBirthYear, num(s.BirthYear)))
	}
	if s.BirthDate != "" {
		o = append(o, item(kBirthDate, str(s.BirthDate)))
	}
	o = append(o, item(kShielded, boolean(s.Shielded)))
	if s.Consents == nil {
		o = append(o, item(kConsents, nullTerm))
	} else {
		cs := make([]*ast.Term, len(s.Consents))
		for i := range s.Consents {
			cs[i] = consentTerm(&s.Consents[i])
		}
		o = append(o, item(kConsents, ast.ArrayTerm(cs...)))
	}
	if len(s.Restrictions) > 0 {
		rs := make([]*ast.Term, len(s.Restrictions))
		for i, r := range s.Restrictions {
			rs[i] = ast.ObjectTerm(item(kID, str(r.ID)), item(kKind, str(r.Kind)), item(kPurpose, str(r.Purpose)))
		}
		o = append(o, item(kRestrictions, ast.ArrayTerm(rs...)))
	}
	return ast.ObjectTerm(o...)
}

func consentTerm(c *broker.ConsentFacts) *ast.Term {
	o := make([][2]*ast.Term, 0, 13)
	o = append(o, item(kID, str(c.ID)), item(kPurpose, str(c.Purpose)))
	if c.AllSectors {
		o = append(o, item(kAll, boolean(true)))
	}
	if len(c.Sectors) > 0 {
		o = append(o, item(kSectors, strs(c.Sectors)))
	}
	if len(c.Partners) > 0 {
		o = append(o, item(kPartners, strs(c.Partners)))
	}
	o = append(o, item(kGivenBy, str(c.GivenBy)))
	if c.ValidFrom != "" {
		o = append(o, item(kValidFrom, str(c.ValidFrom)))
	}
	if c.ValidUntil != "" {
		o = append(o, item(kValidUntil, str(c.ValidUntil)))
	}
	o = append(o, item(kWithdrawn, boolean(c.Withdrawn)))
	if c.Explicit {
		o = append(o, item(kExplicit, boolean(true)))
	}
	if c.Evidence {
		o = append(o, item(kEvidence, boolean(true)))
	}
	if c.NotConditional {
		o = append(o, item(kNotConditional, boolean(true)))
	}
	if c.RecordedAt != "" {
		o = append(o, item(kRecordedAt, str(c.RecordedAt)))
	}
	return ast.ObjectTerm(o...)
}

func candidateTerm(c *broker.Candidate) *ast.Term {
	o := make([][2]*ast.Term, 0, 6)
	o = append(o,
		item(kID, str(c.ID)),
		item(kSubject, str(string(c.Subject))),
		item(kService, str(c.Service)),
		item(kStatus, str(c.Status)),
		item(kPartner, partnerTerm(&c.Partner)),
	)
	if c.Purpose != "" {
		o = append(o, item(kPurpose, str(c.Purpose)))
	}
	return ast.ObjectTerm(o...)
}

func partnerTerm(p *broker.PartnerFacts) *ast.Term {
	o := make([][2]*ast.Term, 0, 5)
	o = append(o,
		item(kID, str(p.ID)),
		item(kSector, str(string(p.Sector))),
		item(kLevel, num(p.Level)),
		item(kCovenant, str(p.Covenant)),
	)
	if p.RegisteredAt != "" {
		o = append(o, item(kRegisteredAt, str(p.RegisteredAt)))
	}
	return ast.ObjectTerm(o...)
}
