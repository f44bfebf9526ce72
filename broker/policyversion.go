package broker

import "time"

// Policy version statuses.
const (
	PolicyPending  = "pending"  // uploaded, compiled and tested, awaiting approval
	PolicyApproved = "approved" // approved by a second privacy officer, not active
	PolicyActive   = "active"
	PolicyRetired  = "retired"  // was active, superseded
	PolicyRejected = "rejected" // refused by a privacy officer; never approved
)

// PolicyVersion is one uploaded policy bundle.
type PolicyVersion struct {
	// ID is the hex SHA-256 of the bundle bytes.
	ID         string       `json:"id"`
	Bundle     []byte       `json:"bundle,omitempty"` // OPA bundle, tar.gz
	Note       string       `json:"note,omitempty"`
	Status     string       `json:"status"`
	UploadedBy Actor        `json:"uploaded_by"`
	UploadedAt time.Time    `json:"uploaded_at"`
	Report     PolicyReport `json:"report"`
	// UploadedVia is how the uploader was verified ("key:<kid>"); empty
	// when the uploader was only asserted (versions from before person
	// keys), which four eyes cannot compare.
	UploadedVia string     `json:"uploaded_via,omitempty"`
	ApprovedBy  *Actor     `json:"approved_by,omitempty"`
	ApprovedVia string     `json:"approved_via,omitempty"`
	ApprovedAt  *time.Time `json:"approved_at,omitempty"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
	// RejectedBy, RejectedVia, RejectedAt and RejectComment record a
	// privacy officer's refusal of a pending version, and why.
	RejectedBy    *Actor     `json:"rejected_by,omitempty"`
	RejectedVia   string     `json:"rejected_via,omitempty"`
	RejectedAt    *time.Time `json:"rejected_at,omitempty"`
	RejectComment string     `json:"reject_comment,omitempty"`
}

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
