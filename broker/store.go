package broker

import (
	"io"
)

// ReadTx is a consistent, read-only view of the broker's state. Lookups of
// absent objects return an error matching ErrNotFound.
type ReadTx interface {
	Partner(id string) (Partner, error)
	Partners() ([]Partner, error)

	Consent(id string) (Consent, error)
	ConsentsOf(subject Pseudonym) ([]Consent, error)

	PolicyVersion(id string) (PolicyVersion, error)
	PolicyVersions() ([]PolicyVersion, error)
	// ActivePolicy returns the active version id, or "" when none was
	// activated (the embedded default applies).
	ActivePolicy() (string, error)
	// RecentDecisions returns up to n of the latest decision records, newest first.
	RecentDecisions(n int) ([]DecisionRecord, error)

	// AuditHead returns the last sequence number and its hash ("" and 0 when
	// the log is empty).
	AuditHead() (seq uint64, hash string, err error)
	// AuditRaw calls fn for every stored audit record from seq on, in order,
	// with the exact bytes the audit log stored; fn may stop with io.EOF.
	AuditRaw(from uint64, fn func(seq uint64, raw []byte) error) error
	// AuditSeqsOf returns the sequence numbers of entries about subject.
	AuditSeqsOf(subject Pseudonym) ([]uint64, error)
	// AuditGet returns one stored record's bytes.
	AuditGet(seq uint64) ([]byte, error)
}

// Tx is a read-write transaction. It commits durably (fsync) or not at all.
type Tx interface {
	ReadTx
	PutPartner(p Partner) error
	PutConsent(c Consent) error
	PutPolicyVersion(v PolicyVersion) error
	SetActivePolicy(id string) error
	// PutDecision keeps a decision record, dropping the oldest beyond the
	// store's configured capacity.
	PutDecision(r DecisionRecord) error

	// AppendAudit stores a sealed audit record under seq, which must be the
	// head's seq + 1, and indexes it under each subject.
	AppendAudit(seq uint64, hash string, raw []byte, subjects []Pseudonym) error
	// PurgeAudit removes the records with seq < before (and their subject
	// index entries), returning how many were removed.
	PurgeAudit(before uint64) (int, error)
}

// Store is the broker's durable state. The embedded default is bbolt
// (package boltstore); a replicated database can take its place.
type Store interface {
	View(fn func(ReadTx) error) error
	Update(fn func(Tx) error) error
	// Backup writes a consistent copy of the whole store to w while the
	// broker keeps serving.
	Backup(w io.Writer) (int64, error)
	Close() error
}
