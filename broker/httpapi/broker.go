package httpapi

import (
	"context"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Broker is what the HTTP API needs from the domain: the small interface
// of each resource, declared in the file of its handlers, and the few
// methods every route shares. *broker.Service implements it.
type Broker interface {
	Partners
	PersonKeys
	Logins
	Backups
	Audit
	Consents
	Policies
	Decisions
	Purposes
	Involvements
	Syncs
	Households
	Inbox
	Assignments
	Followups
	Plans
	DeadLetters
	Restrictions
	Disclosures
	Statistics
	ID() string
	Ready(ctx context.Context) error
	Whoami(c *broker.Caller) broker.Whoami
	// RecordRefusal audits the refusal of an authentic token (a person
	// key used for another person or role, or of a suspended person).
	RecordRefusal(ctx context.Context, c *broker.Caller, reason, claimedSub string)
}
