package wire

import "time"

// Restriction is one restriction or objection of a person for one purpose.
// Lifted ones stay on record, marked.
type Restriction struct {
	ID      string    `json:"id"`
	Subject Pseudonym `json:"subject"`
	Kind    string    `json:"kind"`
	Purpose string    `json:"purpose"`
	// Ground is the restriction's ground (art. 18 lid 1); "" for an
	// objection.
	Ground string `json:"ground,omitempty"`
	// Reference is the number of the person's request (for example
	// AVG-2026-0142), never a name or a BSN.
	Reference  string      `json:"reference,omitempty"`
	RecordedBy Actor       `json:"recorded_by"`
	RecordedAt time.Time   `json:"recorded_at"`
	Lifted     *Withdrawal `json:"lifted,omitempty"`
}

// RestrictionList is a person's restrictions and objections, lifted ones
// included and marked.
type RestrictionList struct {
	Restrictions []RestrictionView `json:"restrictions"`
}

// RestrictionView is a restriction as shown: without the pseudonym.
type RestrictionView struct {
	Restriction
	Subject Pseudonym `json:"subject,omitempty"` // never set: hides Restriction.Subject
	// State is active or lifted.
	State string `json:"state"`
}

// Withdrawal marks a consent as withdrawn.
type Withdrawal struct {
	At     time.Time `json:"at"`
	By     Actor     `json:"by"`
	Reason string    `json:"reason,omitempty"`
}
