package broker

import (
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Policy version statuses.
const (
	PolicyPending  = "pending"  // uploaded, compiled and tested, awaiting approval
	PolicyApproved = "approved" // approved by a second privacy officer, not active
	PolicyActive   = "active"
	PolicyRetired  = "retired"  // was active, superseded
	PolicyRejected = "rejected" // refused by a privacy officer; never approved
)

// PolicyVersion is wire.PolicyVersion: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type PolicyVersion = wire.PolicyVersion

// DecisionRecord is a past policy question kept for dry-runs of a new
// version: the input (pseudonymised) and the answer given.
type DecisionRecord struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// RequestID is the request the decision was made for (its audit
	// entries carry the same id), so that a privacy officer can replay
	// the decisions of one request (ReplayRequest).
	RequestID string         `json:"request_id,omitempty"`
	Input     *DecisionInput `json:"input"`
	Decision  Decision       `json:"decision"`
}
