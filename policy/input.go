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
)

var nullTerm = ast.NullTerm()

// inputValue converts in to the OPA value the policy sees as input, without
// a JSON round trip. The result is exactly the value that encoding/json
// would produce for in and OPA would parse: the same fields, the same
// omitempty rules, null for nil slices and pointers that are not omitted.
// TestInputMatchesJSON holds it to that.
func inputValue(in *broker.DecisionInput) ast.Value {
	o := ast.NewObjectWithCapacity(9)
	o.Insert(kAction, str(in.Action))
	if in.Purpose != "" {
		o.Insert(kPurpose, str(in.Purpose))
	}
	o.Insert(kNow, str(in.Now))
	o.Insert(kCaller, callerTerm(&in.Caller))
	if m := in.Municipality; m != nil {
		o.Insert(kMunicipality, ast.NewTerm(ast.NewObject(
			[2]*ast.Term{kID, str(m.ID)},
			[2]*ast.Term{kLevel, num(m.Level)},
		)))
	}
	if h := in.Household; h != nil {
		o.Insert(kHousehold, householdTerm(h))
	}
	if len(in.Subjects) > 0 {
		subjects := ast.NewObjectWithCapacity(len(in.Subjects))
		for p, s := range in.Subjects {
			subjects.Insert(str(string(p)), subjectTerm(s))
		}
		o.Insert(kSubjects, ast.NewTerm(subjects))
	}
	if len(in.Candidates) > 0 {
		cs := make([]*ast.Term, len(in.Candidates))
		for i := range in.Candidates {
			cs[i] = candidateTerm(&in.Candidates[i])
		}
		o.Insert(kCandidates, ast.ArrayTerm(cs...))
	}
	if in.Target != nil {
		o.Insert(kTarget, partnerTerm(in.Target))
	}
	return o
}

func str(s string) *ast.Term { return ast.InternedTerm(s) }

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
	o := ast.NewObjectWithCapacity(8)
	o.Insert(kPartner, str(c.Partner))
	o.Insert(kSector, str(string(c.Sector)))
	o.Insert(kRole, str(string(c.Role)))
	o.Insert(kSub, str(c.Sub))
	o.Insert(kLevel, num(c.Level))
	o.Insert(kCovenant, str(c.Covenant))
	o.Insert(kMunicipalities, strs(c.Municipalities))
	if c.Area != "" {
		o.Insert(kArea, str(c.Area))
	}
	return ast.NewTerm(o)
}

func householdTerm(h *broker.HouseholdFacts) *ast.Term {
	o := ast.NewObjectWithCapacity(5)
	o.Insert(kID, str(h.ID))
	o.Insert(kMunicipality, str(h.Municipality))
	if h.Area != "" {
		o.Insert(kArea, str(h.Area))
	}
	if h.CoordinatorPartner != "" {
		o.Insert(kCoordinatorPartner, str(h.CoordinatorPartner))
	}
	if h.CoordinatorSub != "" {
		o.Insert(kCoordinatorSub, str(h.CoordinatorSub))
	}
	return ast.NewTerm(o)
}

func subjectTerm(s *broker.SubjectFacts) *ast.Term {
	if s == nil {
		return nullTerm
	}
	o := ast.NewObjectWithCapacity(5)
	if s.Label != "" {
		o.Insert(kLabel, str(s.Label))
	}
	if s.Role != "" {
		o.Insert(kRole, str(s.Role))
	}
	if s.BirthYear != 0 {
		o.Insert(kBirthYear, num(s.BirthYear))
	}
	o.Insert(kShielded, boolean(s.Shielded))
	if s.Consents == nil {
		o.Insert(kConsents, nullTerm)
	} else {
		cs := make([]*ast.Term, len(s.Consents))
		for i := range s.Consents {
			cs[i] = consentTerm(&s.Consents[i])
		}
		o.Insert(kConsents, ast.ArrayTerm(cs...))
	}
	return ast.NewTerm(o)
}

func consentTerm(c *broker.ConsentFacts) *ast.Term {
	o := ast.NewObjectWithCapacity(9)
	o.Insert(kID, str(c.ID))
	o.Insert(kPurpose, str(c.Purpose))
	if c.AllSectors {
		o.Insert(kAll, boolean(true))
	}
	if len(c.Sectors) > 0 {
		o.Insert(kSectors, strs(c.Sectors))
	}
	if len(c.Partners) > 0 {
		o.Insert(kPartners, strs(c.Partners))
	}
	o.Insert(kGivenBy, str(c.GivenBy))
	if c.ValidFrom != "" {
		o.Insert(kValidFrom, str(c.ValidFrom))
	}
	if c.ValidUntil != "" {
		o.Insert(kValidUntil, str(c.ValidUntil))
	}
	o.Insert(kWithdrawn, boolean(c.Withdrawn))
	return ast.NewTerm(o)
}

func candidateTerm(c *broker.Candidate) *ast.Term {
	o := ast.NewObjectWithCapacity(5)
	o.Insert(kID, str(c.ID))
	o.Insert(kSubject, str(string(c.Subject)))
	o.Insert(kService, str(c.Service))
	o.Insert(kStatus, str(c.Status))
	o.Insert(kPartner, partnerTerm(&c.Partner))
	return ast.NewTerm(o)
}

func partnerTerm(p *broker.PartnerFacts) *ast.Term {
	return ast.NewTerm(ast.NewObject(
		[2]*ast.Term{kID, str(p.ID)},
		[2]*ast.Term{kSector, str(string(p.Sector))},
		[2]*ast.Term{kLevel, num(p.Level)},
		[2]*ast.Term{kCovenant, str(p.Covenant)},
	))
}
