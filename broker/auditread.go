package broker

import (
	"context"
	"io"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
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

// AuditVerification is wire.AuditVerification: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type AuditVerification = wire.AuditVerification

// AuditProblem is wire.AuditProblem: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type AuditProblem = wire.AuditProblem
