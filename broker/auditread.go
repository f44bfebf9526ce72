package broker

import (
	"context"
	"io"
)

// AuditReader reads and verifies the audit trail, for privacy officers and
// residents' access requests.
type AuditReader interface {
	// Entries returns up to limit entries from seq on, in order.
	Entries(ctx context.Context, from uint64, limit int) ([]AuditEntry, error)
	// BySubject returns every entry about one person, in order.
	BySubject(ctx context.Context, subject Pseudonym) ([]AuditEntry, error)
	// Verify walks the whole chain and reports every problem found.
	Verify(ctx context.Context) (AuditVerification, error)
	// Export writes the stored records from seq from on to w, one per
	// line, byte for byte, and returns how many.
	Export(ctx context.Context, w io.Writer, from uint64) (int, error)
}

// AuditVerification is the result of walking the audit chain.
type AuditVerification struct {
	OK          bool           `json:"ok"`
	Entries     int            `json:"entries"`
	FirstSeq    uint64         `json:"first_seq"`
	LastSeq     uint64         `json:"last_seq"`
	Checkpoints int            `json:"checkpoints"`
	Problems    []AuditProblem `json:"problems"`
}

// AuditProblem is one inconsistency: an edited, removed, inserted or
// reordered entry, or a bad checkpoint signature.
type AuditProblem struct {
	Seq    uint64 `json:"seq"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}
