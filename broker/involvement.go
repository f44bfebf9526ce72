package broker

import (
	"net/mail"
	"regexp"
	"slices"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Involvement statuses.
const (
	InvolvementRegistered = "registered"
	InvolvementActive     = "active"
	InvolvementEnded      = "ended"
)

// InvolvementStatuses lists the valid statuses.
var InvolvementStatuses = []string{InvolvementRegistered, InvolvementActive, InvolvementEnded}

// Involvement (betrokkenheid) is the signal the broker holds: that a partner
// serves a person with a service since a date, and whom to call. It is no
// case file: no notes, no diagnoses, no documents.
type Involvement struct {
	// ID is the broker's id, used in overviews and policy input.
	ID string `json:"id"`
	// Partner and Ref identify the involvement in the partner's own terms.
	Partner      string    `json:"partner"`
	Ref          string    `json:"ref"`
	Subject      Pseudonym `json:"subject"`
	Service      string    `json:"service"`
	ServiceLabel string    `json:"service_label,omitempty"`
	Status       string    `json:"status"`
	Start        string    `json:"start,omitempty"` // YYYY-MM-DD
	End          string    `json:"end,omitempty"`   // YYYY-MM-DD
	Contact      Contact   `json:"contact"`
	// Purpose is the purpose the partner registered the involvement under
	// (the purpose of the request that wrote it last). Under a consent
	// purpose the default policy shows it only while the person's consent
	// covers the partner. "" for involvements stored before registration
	// needed a purpose: the default policy withholds them until they are
	// registered again with one.
	Purpose   string    `json:"purpose,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Revision  uint64    `json:"revision"`
}

// Contact is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type Contact = wire.Contact

var (
	refPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	servicePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	phonePattern   = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{5,24}$`)
)

// RefRule says what makes a valid reference, for error messages.
const RefRule = "1-128 letters, digits, '.', '_', ':' or '-', and no BSN in it"

// ValidRef reports whether s is a valid partner reference: 1-128 letters,
// digits, '.', '_', ':' or '-'. References appear in URLs, so they must not
// carry a BSN: a run of nine digits passing the elfproef is refused
// (ContainsBSN), alone or inside the reference.
func ValidRef(s string) bool {
	return refPattern.MatchString(s) && !ContainsBSN(s)
}

// validate checks the involvement's own fields (the subject is derived).
func (v *Involvement) validate() error {
	if !ValidRef(v.Ref) {
		return invalid("ref", RefRule)
	}
	if !servicePattern.MatchString(v.Service) {
		return invalid("service", "a service code is 1-64 lower-case letters, digits, '.', '_' or '-'")
	}
	if len(v.ServiceLabel) > 100 {
		return invalid("service_label", "at most 100 characters")
	}
	for field, text := range map[string]string{"service_label": v.ServiceLabel, "contact.name": v.Contact.Name,
		"contact.phone": v.Contact.Phone, "contact.email": v.Contact.Email} {
		if err := refuseBSNIn(field, text); err != nil {
			return err
		}
	}
	if v.Status == "" {
		v.Status = InvolvementActive
	}
	if !slices.Contains(InvolvementStatuses, v.Status) {
		return invalid("status", "must be registered, active or ended")
	}
	if err := validDate("start", v.Start); err != nil {
		return err
	}
	if err := validDate("end", v.End); err != nil {
		return err
	}
	if v.Start != "" && v.End != "" && v.End < v.Start {
		return invalid("end", "is before start")
	}
	if len(v.Contact.Name) > 100 {
		return invalid("contact.name", "at most 100 characters")
	}
	if v.Contact.Phone != "" && !phonePattern.MatchString(v.Contact.Phone) {
		return invalid("contact.phone", "not a phone number")
	}
	if v.Contact.Email != "" {
		if a, err := mail.ParseAddress(v.Contact.Email); err != nil || a.Address != v.Contact.Email || len(v.Contact.Email) > 200 {
			return invalid("contact.email", "not an e-mail address")
		}
	}
	return nil
}

// validDate checks an optional YYYY-MM-DD date between 1900 and 2200.
func validDate(field, s string) error {
	if s == "" {
		return nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return invalid(field, "must be a date YYYY-MM-DD")
	}
	if t.Year() < 1900 || t.Year() > 2200 {
		return invalid(field, "out of range")
	}
	return nil
}

// sameContent reports whether two involvements say the same, ignoring
// bookkeeping; an upsert that changes nothing is not a change.
func (v *Involvement) sameContent(o *Involvement) bool {
	return v.Subject == o.Subject && v.Service == o.Service && v.ServiceLabel == o.ServiceLabel &&
		v.Status == o.Status && v.Start == o.Start && v.End == o.End && v.Contact == o.Contact &&
		v.Purpose == o.Purpose
}
