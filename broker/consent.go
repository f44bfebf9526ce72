package broker

import (
	"slices"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Who gave a consent (toestemming).
const (
	GivenBySelf           = "self"     // the person; for a child of 12-15 the child's own consent beside the parent's
	GivenByParent         = "parent"   // a parent with parental authority (ouder met gezag)
	GivenByGuardian       = "guardian" // a guardian (voogd), not a parent
	GivenByRepresentative = "legal-representative"
)

// GivenByValues lists the valid values of Consent.GivenBy.
var GivenByValues = []string{GivenBySelf, GivenByParent, GivenByGuardian, GivenByRepresentative}

// Consent records that a person (or their parent, guardian or legal
// representative) agreed that partners may know of each other's involvement
// for one purpose. Withdrawn consents stay on record, marked.
type Consent struct {
	ID      string    `json:"id"`
	Subject Pseudonym `json:"subject"`
	Purpose string    `json:"purpose"`
	// Scope: all partners, or the listed sectors and partners.
	AllSectors bool     `json:"all,omitempty"`
	Sectors    []Sector `json:"sectors,omitempty"`
	Partners   []string `json:"partners,omitempty"`
	GivenBy    string   `json:"given_by"`
	// Evidence is a reference to where the signed form or note is kept at
	// the recording partner; never the document itself (AVG art. 7 lid 1).
	// The default policy counts no consent without it.
	Evidence string `json:"evidence,omitempty"`
	// Explicit marks an explicit consent (AVG art. 9 lid 2 sub a): the
	// person agreed expressly to the special-category data (health, youth
	// care, Wmo support, youth probation) of the partners or sectors it
	// names. It requires Evidence.
	Explicit bool `json:"explicit,omitempty"`
	// NotConditional records that the support was not made conditional on
	// this consent (AVG art. 7 lid 4); the default policy counts no consent
	// without it.
	NotConditional bool        `json:"not_conditional,omitempty"`
	ValidFrom      string      `json:"valid_from"`            // YYYY-MM-DD
	ValidUntil     string      `json:"valid_until,omitempty"` // YYYY-MM-DD, inclusive; "" = until withdrawn
	RecordedBy     Actor       `json:"recorded_by"`
	RecordedAt     time.Time   `json:"recorded_at"`
	Withdrawn      *Withdrawal `json:"withdrawn,omitempty"`
}

// Withdrawal is wire.Withdrawal: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type Withdrawal = wire.Withdrawal

// Actor is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type Actor = wire.Actor

const dateLayout = time.DateOnly

// Validate checks a consent's fields (not its subject, which is derived).
func (c *Consent) Validate() error {
	if c.Purpose == "" || !ValidID(c.Purpose) {
		return invalid("purpose", "a purpose code is required")
	}
	if !c.AllSectors && len(c.Sectors) == 0 && len(c.Partners) == 0 {
		return invalid("scope", "name all partners, sectors or partner ids")
	}
	for _, s := range c.Sectors {
		if !slices.Contains(Sectors, s) {
			return invalid("sectors", "unknown sector %q", s)
		}
	}
	if len(c.Partners) > 100 {
		return invalid("partners", "at most 100")
	}
	for _, p := range c.Partners {
		if !ValidID(p) {
			return invalid("partners", "invalid partner id %q", p)
		}
	}
	if !slices.Contains(GivenByValues, c.GivenBy) {
		return invalid("given_by", "must be one of self, parent, guardian, legal-representative")
	}
	if c.Explicit && c.Evidence == "" {
		return invalid("evidence", "an explicit consent needs its evidence: where the signed form or note is kept")
	}
	if len(c.Evidence) > 200 {
		return invalid("evidence", "at most 200 characters")
	}
	if err := refuseBSNIn("evidence", c.Evidence); err != nil {
		return err
	}
	from, err := time.Parse(dateLayout, c.ValidFrom)
	if err != nil {
		return invalid("valid_from", "must be a date YYYY-MM-DD")
	}
	if c.ValidUntil != "" {
		until, err := time.Parse(dateLayout, c.ValidUntil)
		if err != nil {
			return invalid("valid_until", "must be a date YYYY-MM-DD")
		}
		if until.Before(from) {
			return invalid("valid_until", "is before valid_from")
		}
		if until.Sub(from) > 10*365*24*time.Hour {
			return invalid("valid_until", "at most ten years after valid_from")
		}
	}
	return nil
}

// Facts returns the consent as the policy sees it.
func (c *Consent) Facts() ConsentFacts {
	f := ConsentFacts{ID: c.ID, Purpose: c.Purpose, AllSectors: c.AllSectors, Sectors: c.Sectors,
		Partners: c.Partners, GivenBy: c.GivenBy, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil,
		Withdrawn: c.Withdrawn != nil, Explicit: c.Explicit, Evidence: c.Evidence != "",
		NotConditional: c.NotConditional}
	if !c.RecordedAt.IsZero() {
		f.RecordedAt = c.RecordedAt.UTC().Format(time.RFC3339)
	}
	return f
}
