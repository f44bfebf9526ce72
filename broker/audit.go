package broker

import (
	"context"
	"time"
)

// Audit events: the named events of the audit stream.
const (
	EventDisclosure = "disclosure" // something about a person was shown
	EventDenial     = "denial"     // the policy (or fail-closed) refused
	EventChange     = "change"     // state changed (involvement, consent, household, policy, partner…)
	EventCheckpoint = "checkpoint" // the broker signed the chain head
	EventPurge      = "purge"      // entries before this one were removed by retention
)

// AuditEntry is one entry of the tamper-evident audit trail. It never holds
// a BSN: persons appear as pseudonyms.
type AuditEntry struct {
	// Seq, PrevHash and Hash are set by the audit log when the entry is
	// sealed into the chain.
	Seq      uint64 `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`

	Time      time.Time `json:"time"`
	Event     string    `json:"event"`
	RequestID string    `json:"request_id,omitempty"`
	Partner   string    `json:"partner,omitempty"`
	Sub       string    `json:"sub,omitempty"`
	// SubKnown tells how the broker knew the person in Sub: "verified" (a
	// person-bound key, later a console login) or "asserted" (the
	// organisation's key; Sub is the organisation's own reference).
	// Entries written before persons were verified have neither.
	SubKnown string `json:"sub_known,omitempty"`
	// SubVia names the proof of a verified person: "key:<kid>" or
	// "oidc:<issuer>"; "broker" for the broker's own actions.
	SubVia  string `json:"sub_via,omitempty"`
	Role    Role   `json:"role,omitempty"`
	Action  string `json:"action"`
	Purpose string `json:"purpose,omitempty"`
	// Object names what was acted on: "household:hh-1", "involvement:kredietbank/ref-1".
	Object   string      `json:"object,omitempty"`
	Subjects []Pseudonym `json:"subjects,omitempty"`
	Decision string      `json:"decision"` // allow or deny
	Reasons  []string    `json:"reasons,omitempty"`
	Bases    []string    `json:"bases,omitempty"`
	// PolicyVersion is the content hash of the policy that decided.
	PolicyVersion string `json:"policy_version,omitempty"`
	// Disclosed lists what was shown, per involvement: for a resident's
	// access report.
	Disclosed []Disclosure `json:"disclosed,omitempty"`
	// Detail holds small, non-personal facts of a change ("status": "ended").
	Detail map[string]string `json:"detail,omitempty"`
}

// Disclosure records that fields of one involvement of a subject were shown.
type Disclosure struct {
	Subject     Pseudonym `json:"subject"`
	Involvement string    `json:"involvement"`
	Partner     string    `json:"partner"`
	Fields      []string  `json:"fields"`
	// To is the partner the fields were shown to, when that is not the
	// entry's own partner (a match signal to another partner's inbox).
	To string `json:"to,omitempty"`
}

// Decision values of an audit entry.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
)

// AuditLog appends entries to the tamper-evident trail. Record returns only
// after the entry is durable; when apply is not nil it runs in the same
// store transaction, so a change and its audit entry commit together or not
// at all. An error from apply is returned as is and nothing is written; any
// other failure matches ErrAuditFailed and means nothing took effect.
// Implementations share one fsync between concurrent callers and make
// callers wait, never drop entries, when overloaded.
//
// apply may run more than once for one Record: concurrent records share a
// store transaction, and when one record's apply fails the transaction is
// rolled back and re-run without it (a store need not have savepoints), so
// the others' apply runs again in the new transaction. apply must therefore
// be safe to repeat: read what it needs from tx, assign its results to
// captured variables (or reset them first; never append to what an earlier
// run left), and leave effects outside the store until Record has returned.
// Only the run whose transaction commits counts.
type AuditLog interface {
	Record(ctx context.Context, e AuditEntry, apply func(Tx) error) (AuditEntry, error)
}
