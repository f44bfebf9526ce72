package broker

import (
	"context"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Audit events: the named events of the audit stream.
const (
	EventDisclosure = "disclosure" // something about a person was shown
	EventDenial     = "denial"     // the policy (or fail-closed) refused
	EventChange     = "change"     // state changed (involvement, consent, household, policy, partner…)
	EventCheckpoint = "checkpoint" // the broker signed the chain head
	EventPurge      = "purge"      // entries before this one were removed by retention
)

// AuditEntry is wire.AuditEntry: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type AuditEntry = wire.AuditEntry

// Disclosure is wire.Disclosure: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type Disclosure = wire.Disclosure

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
