package broker

import (
	"iter"
	"regexp"
	"slices"
)

// The reach of privacy officers (issue 13, item 8). A region has one
// privacy office (a partner registered with PrivacyOffice): its officers
// supervise the whole broker and see every audit entry, consent and access
// report. Every other partner's privacy officers answer for their own
// organisation: they see the consents and audit entries of the persons
// their own partner serves (has or had an involvement with), and the
// entries their partner made. What lies outside that reach is answered
// exactly as what does not exist: an empty page, an empty report.
//
// Every look by a privacy officer names a request reference (the number of
// the access request, complaint or investigation it serves), recorded in
// the audit entry of the look, so that each look can be traced to why it
// was made (AVG art. 5 lid 2, accountability; art. 39 lid 1 sub b).

// referencePattern is what a request reference may be: the number of an
// access request or a case, never a name or a BSN.
var referencePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$`)

// checkReference refuses a missing or unusable request reference of a
// privacy officer's look.
func checkReference(c *Caller, ref string) error {
	if c.Role != RolePrivacyOfficer {
		if ref != "" {
			return checkReferenceText(ref)
		}
		return nil
	}
	if ref == "" {
		return invalid("reference", "name the request this look serves, such as the access request's number (for example AVG-2026-0142)")
	}
	return checkReferenceText(ref)
}

func checkReferenceText(ref string) error {
	if !referencePattern.MatchString(ref) {
		return invalid("reference", "1-64 letters, digits, '.', '_', ':', '/' or '-', such as AVG-2026-0142")
	}
	return refuseBSNIn("reference", ref)
}

// officerScope is what a caller may look at in the audit trail and the
// access reports.
type officerScope struct {
	// all: the region's privacy office, or an operator.
	all     bool
	partner string
	served  map[Pseudonym]bool
}

// scopeOf returns c's reach.
func scopeOf(c *Caller) *officerScope {
	return &officerScope{all: c.Role == RoleOperator || c.Partner.PrivacyOffice, partner: c.Partner.ID,
		served: map[Pseudonym]bool{}}
}

// servesPerson reports whether the scope's partner has or had an
// involvement with p.
func (sc *officerScope) servesPerson(tx InvolvementReader, p Pseudonym) (bool, error) {
	if sc.all {
		return true, nil
	}
	if v, ok := sc.served[p]; ok {
		return v, nil
	}
	invs, err := tx.InvolvementsOf(p)
	if err != nil {
		return false, err
	}
	served := false
	for _, v := range invs {
		if v.Partner == sc.partner {
			served = true
			break
		}
	}
	sc.served[p] = served
	return served, nil
}

// sees reports whether the scope covers audit entry e: its own partner's
// entries, and entries about a person its partner serves.
func (sc *officerScope) sees(tx ReadTx, e *AuditEntry) (bool, error) {
	if sc.all || e.Partner == sc.partner {
		return true, nil
	}
	return sc.servesAny(tx, slices.Values(e.Subjects))
}

// servesAny reports whether the scope's partner serves any of ps.
func (sc *officerScope) servesAny(tx ReadTx, ps iter.Seq[Pseudonym]) (bool, error) {
	for p := range ps {
		ok, err := sc.servesPerson(tx, p)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
