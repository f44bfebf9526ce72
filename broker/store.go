package broker

import (
	"io"
)

// The store contract is a set of small interfaces, one per concern, in the
// manner of OPA's storage package (a Store composed of Policy, Trigger …):
// a second store (PostgreSQL, issue 20) implements and tests one concern at
// a time, and a helper that needs one table says so in its signature. ReadTx
// and Tx compose them into the transactions the services use; Store opens
// those transactions. Package storetest is the one conformance suite every
// implementation runs.
//
// Rules that hold for every method below, so they are not repeated:
//
//   - A lookup of one absent object returns the zero value and an error
//     matching ErrNotFound. A listing that finds nothing returns no items
//     and a nil error, never ErrNotFound.
//   - A stored value comes back equal to what was put (times as the same
//     instant, in UTC), and the caller owns what it gets: changing a
//     returned value, slice or map does not change the store.
//   - A put without the fields that form its key fails with an error
//     matching ErrInvalid and writes nothing.
//   - A walk (a method taking fn) visits in the stated order and stops at
//     the first error fn returns, which it returns unchanged (wrapping
//     allowed; errors.Is must find it), so callers stop early with io.EOF
//     and test for it. AuditRaw alone turns io.EOF into nil.
//   - Strings order byte-wise, as Go compares them (a SQL store needs the
//     "C" collation for this).

// PartnerReader reads the partner registry (organisations and their
// keys, which are part of Partner).
type PartnerReader interface {
	// Partner returns the partner with id.
	Partner(id string) (Partner, error)
	// Partners returns every partner, ordered by id.
	Partners() ([]Partner, error)
}

// PartnerWriter changes the partner registry.
type PartnerWriter interface {
	// PutPartner creates or replaces p, keyed by p.ID.
	PutPartner(p Partner) error
}

// ConsentReader reads recorded consents.
type ConsentReader interface {
	// Consent returns the consent with id.
	Consent(id string) (Consent, error)
	// ConsentsOf returns every consent of subject, withdrawn ones
	// included, ordered by consent id.
	ConsentsOf(subject Pseudonym) ([]Consent, error)
}

// ConsentWriter records consents.
type ConsentWriter interface {
	// PutConsent creates or replaces c, keyed by c.ID (ID and Subject
	// required); ConsentsOf finds it under its current subject only, also
	// when a replacement changed it.
	PutConsent(c Consent) error
}

// RestrictionReader reads restrictions and objections (AVG art. 18, 21).
type RestrictionReader interface {
	// Restriction returns the restriction or objection with id.
	Restriction(id string) (Restriction, error)
	// RestrictionsOf returns every restriction and objection of subject,
	// lifted ones included, ordered by id.
	RestrictionsOf(subject Pseudonym) ([]Restriction, error)
}

// RestrictionWriter records restrictions and objections.
type RestrictionWriter interface {
	// PutRestriction creates or replaces r, keyed by r.ID (ID and Subject
	// required); RestrictionsOf finds it under its current subject only.
	PutRestriction(r Restriction) error
}

// PolicyVersionReader reads uploaded policy versions and which one is in
// force.
type PolicyVersionReader interface {
	// PolicyVersion returns the policy version with id, bundle included.
	PolicyVersion(id string) (PolicyVersion, error)
	// PolicyVersions returns every policy version in upload order (by
	// UploadedAt, then id).
	PolicyVersions() ([]PolicyVersion, error)
	// ActivePolicy returns the active version id, or "" when none was
	// activated (the embedded default applies); never ErrNotFound.
	ActivePolicy() (string, error)
}

// PolicyVersionWriter stores policy versions and activates one.
type PolicyVersionWriter interface {
	// PutPolicyVersion creates or replaces v, keyed by v.ID.
	PutPolicyVersion(v PolicyVersion) error
	// SetActivePolicy makes the stored version id the active one; "" returns
	// to the embedded default. An id not stored fails with ErrNotFound and
	// leaves the active version as it was.
	SetActivePolicy(id string) error
}

// DecisionReader reads the ring of recent decisions that a dry-run of a new
// policy version replays.
type DecisionReader interface {
	// RecentDecisions returns up to n of the latest decision records,
	// newest first; none when n <= 0.
	RecentDecisions(n int) ([]DecisionRecord, error)
}

// DecisionWriter keeps decision records.
type DecisionWriter interface {
	// PutDecision keeps r under the next sequence number, which the store
	// assigns to r.Seq (above every committed one), and drops the oldest
	// records beyond the store's configured capacity.
	PutDecision(r DecisionRecord) error
}

// AuditRecordReader reads the audit log's records. The store keeps them as
// opaque bytes: sealing, hashing and decoding belong to the AuditLog, so the
// store only promises order, an O(1) head and a subject index.
type AuditRecordReader interface {
	// AuditHead returns the last appended sequence number and its hash, 0
	// and "" when nothing was ever appended. A purge does not move it.
	AuditHead() (seq uint64, hash string, err error)
	// AuditRaw calls fn for every stored record from seq from on, in
	// ascending seq, with the exact bytes appended. raw is valid only
	// during fn and must not be changed (a store may hand out its own
	// memory). fn may stop the walk with io.EOF, which returns nil.
	AuditRaw(from uint64, fn func(seq uint64, raw []byte) error) error
	// AuditSeqsOf returns the sequence numbers of the stored records about
	// subject, ascending, each once.
	AuditSeqsOf(subject Pseudonym) ([]uint64, error)
	// AuditGet returns a copy of the record stored under seq.
	AuditGet(seq uint64) ([]byte, error)
}

// AuditRecordWriter appends and purges audit records. Only the AuditLog
// calls it, inside AuditLog.Record, so the chain has one writer.
type AuditRecordWriter interface {
	// AppendAudit stores raw under seq and makes (seq, hash) the head. seq
	// must be the head's seq + 1, else it fails with ErrConflict; a record
	// without hash or bytes fails with ErrInvalid. The record is indexed
	// under each distinct non-empty subject. The store keeps its own copy
	// of raw.
	AppendAudit(seq uint64, hash string, raw []byte, subjects []Pseudonym) error
	// PurgeAudit removes the records with seq < before and their subject
	// index entries, returning how many records were removed. The head is
	// kept, so appends continue the chain.
	PurgeAudit(before uint64) (int, error)
}

// InvolvementReader reads involvements: that a partner serves a person.
type InvolvementReader interface {
	// Involvement returns the involvement partner registered under ref.
	Involvement(partner, ref string) (Involvement, error)
	// InvolvementsOf returns every involvement of subject, all partners,
	// ordered by partner, then ref.
	InvolvementsOf(subject Pseudonym) ([]Involvement, error)
	// PartnerInvolvements calls fn for partner's involvements in ref
	// order, starting after ref after ("" for the first), so that a long
	// walk can resume in a later transaction.
	PartnerInvolvements(partner, after string, fn func(Involvement) error) error
	// EndedInvolvements calls fn for the ended involvements whose
	// EndedOn is before day before (YYYY-MM-DD), ordered by EndedOn,
	// partner and ref, starting after position after (the zero
	// EndedCursor for the first), so that the retention sweep reads only
	// what is due and can resume in a later transaction.
	EndedInvolvements(before string, after EndedCursor, fn func(Involvement) error) error
}

// EndedCursor is a position in the ended involvements' order: the last
// one read.
type EndedCursor struct {
	Day, Partner, Ref string
}

// InvolvementWriter registers and removes involvements.
type InvolvementWriter interface {
	// PutInvolvement creates or replaces v, keyed by (v.Partner, v.Ref);
	// InvolvementsOf finds it under its current subject only. Partner,
	// Ref, Subject and ID are required.
	PutInvolvement(v Involvement) error
	// DeleteInvolvement removes partner's involvement ref; ErrNotFound
	// when there is none.
	DeleteInvolvement(partner, ref string) error
}

// HouseholdReader reads households. Household ids are a namespace per
// municipality: the same id in two municipalities names two households,
// and neither reveals the other.
type HouseholdReader interface {
	// Household returns household id of municipality.
	Household(municipality, id string) (Household, error)
	// HouseholdsOf returns the households subject is a member of now,
	// ordered by municipality, then id.
	HouseholdsOf(subject Pseudonym) ([]Household, error)
	// MunicipalityHouseholds calls fn for municipality's households in id
	// order, starting after id after ("" for the first), so that a long
	// walk can resume in a later transaction; only that municipality's
	// households, never one of a municipality whose id merely starts the
	// same.
	MunicipalityHouseholds(municipality, after string, fn func(Household) error) error
}

// HouseholdWriter stores households.
type HouseholdWriter interface {
	// PutHousehold creates or replaces h, keyed by (h.Municipality, h.ID)
	// (both required); HouseholdsOf follows its current members, so a
	// member removed by a replacement no longer finds it.
	PutHousehold(h Household) error
}

// InboxReader reads partners' inboxes (match signals, assignments, plan
// and rectification signals).
type InboxReader interface {
	// Inbox returns up to limit of partner's items with Seq > after, in
	// ascending Seq; acknowledged ones (AckedAt set) only when withAcked.
	Inbox(partner string, after uint64, limit int, withAcked bool) ([]InboxItem, error)
	// InboxItem returns partner's item seq; another partner's seq is not
	// found.
	InboxItem(partner string, seq uint64) (InboxItem, error)
}

// InboxWriter appends to and acknowledges in partners' inboxes.
type InboxWriter interface {
	// AppendInbox stores a new item for item.Partner (required) and
	// returns it with its Seq: one sequence for all partners, above every
	// committed item's, so a partner's cursor only moves forward.
	AppendInbox(item InboxItem) (InboxItem, error)
	// PutInboxItem replaces the stored item (item.Partner, item.Seq), for
	// an acknowledgement; ErrNotFound when there is none.
	PutInboxItem(item InboxItem) error
}

// AssignmentReader reads assignments (opdrachten, level 3).
type AssignmentReader interface {
	// Assignment returns the assignment with id.
	Assignment(id string) (Assignment, error)
	// PartnerAssignments calls fn, by assignment id, for every assignment
	// partner gave (a.Giver.Partner) or received (a.Recipient).
	PartnerAssignments(partner string, fn func(Assignment) error) error
}

// AssignmentWriter stores assignments.
type AssignmentWriter interface {
	// PutAssignment creates or replaces a, keyed by a.ID (ID, giver's
	// partner and recipient required). The partners of an assignment
	// never change: a replacement naming others fails with ErrConflict.
	PutAssignment(a Assignment) error
}

// FollowupReader reads match follow-ups.
type FollowupReader interface {
	// Followup returns the follow-up with id.
	Followup(id string) (Followup, error)
	// PartnerFollowups calls fn, by id, for every follow-up whose lead or
	// coordinator acts for partner (f.Lead.Partner, f.Coordinator.Partner)
	// as last stored.
	PartnerFollowups(partner string, fn func(Followup) error) error
	// HouseholdFollowups calls fn, by id, for every follow-up about the
	// household (an id of municipality).
	HouseholdFollowups(municipality, household string, fn func(Followup) error) error
	// LiveFollowups calls fn, by id, for every follow-up that is open or
	// contacted (Followup.Live) with an id above after.
	LiveFollowups(after string, fn func(Followup) error) error
}

// FollowupWriter stores match follow-ups.
type FollowupWriter interface {
	// PutFollowup creates or replaces f, keyed by f.ID (ID, Municipality,
	// Household, Lead.Partner and Coordinator.Partner required), and keeps
	// the three ways of finding it in step: a reassigned lead moves it
	// from the old lead's partner to the new one's, a follow-up no longer
	// live leaves LiveFollowups. Its household never changes: a
	// replacement naming another fails with ErrConflict.
	PutFollowup(f Followup) error
}

// PlanReader reads joint plans (level 4), every version kept. A plan is
// keyed by its household, so it shares the household's namespace per
// municipality.
type PlanReader interface {
	// Plan returns the current version of the plan of household (an id
	// of municipality).
	Plan(municipality, household string) (Plan, error)
	// PlanVersion returns one stored version of the household's plan.
	PlanVersion(municipality, household string, version uint64) (Plan, error)
	// PlanVersions calls fn for every version of the household's plan,
	// oldest first.
	PlanVersions(municipality, household string, fn func(Plan) error) error
}

// PlanWriter stores plan versions.
type PlanWriter interface {
	// PutPlan stores p as the current version of the plan of household
	// (p.Municipality, p.Household) and keeps it as version p.Version,
	// which must be the current version + 1 (1 for a new plan); otherwise
	// it fails with ErrPreconditionFailed and writes nothing. This is the
	// plan's optimistic lock: two concurrent edits cannot both commit.
	PutPlan(p Plan) error
}

// DeliveryReader reads the webhook queue and its dead letters.
type DeliveryReader interface {
	// Deliveries calls fn for every pending webhook delivery, by id.
	Deliveries(fn func(Delivery) error) error
	// Delivery returns the pending delivery with id.
	Delivery(id string) (Delivery, error)
	// DeadLetters calls fn for every delivery that gave up, by id.
	DeadLetters(fn func(DeadLetter) error) error
	// DeadLetter returns the dead letter with id.
	DeadLetter(id string) (DeadLetter, error)
}

// DeliveryWriter changes the webhook queue and its dead letters.
type DeliveryWriter interface {
	// PutDelivery creates or replaces a pending delivery, keyed by d.ID
	// (ID and Partner required).
	PutDelivery(d Delivery) error
	// DeleteDelivery removes the pending delivery id; ErrNotFound when
	// there is none.
	DeleteDelivery(id string) error
	// PutDeadLetter creates or replaces a dead letter, keyed by d.ID (ID
	// and Partner required).
	PutDeadLetter(d DeadLetter) error
	// DeleteDeadLetter removes dead letter id; ErrNotFound when there is
	// none.
	DeleteDeadLetter(id string) error
}

// ReadTx is a consistent, read-only view of the broker's state: every read
// in it sees the same committed state, and none of a write transaction that
// commits meanwhile.
type ReadTx interface {
	PartnerReader
	ConsentReader
	RestrictionReader
	PolicyVersionReader
	DecisionReader
	AuditRecordReader
	InvolvementReader
	HouseholdReader
	InboxReader
	AssignmentReader
	FollowupReader
	PlanReader
	DeliveryReader
}

// Tx is a read-write transaction. Its reads see its own writes; it commits
// durably (fsync, or the database's equivalent) or not at all.
type Tx interface {
	ReadTx
	PartnerWriter
	ConsentWriter
	RestrictionWriter
	PolicyVersionWriter
	DecisionWriter
	AuditRecordWriter
	InvolvementWriter
	HouseholdWriter
	InboxWriter
	AssignmentWriter
	FollowupWriter
	PlanWriter
	DeliveryWriter
}

// Store is the broker's durable state. The embedded default is bbolt
// (package boltstore); a replicated database can take its place. Console
// sessions are kept apart from it (SessionStore), since they are not part
// of the audited state.
type Store interface {
	// View runs fn in a ReadTx. fn's error is returned unchanged.
	View(fn func(ReadTx) error) error
	// Update runs fn in a Tx and commits it when fn returns nil. When fn
	// returns an error or panics, nothing fn wrote is kept and fn's error is
	// returned unchanged (a panic goes on up). Writes run one at a time, or
	// as if they did. A failed commit matches ErrUnavailable.
	Update(fn func(Tx) error) error
	// Backup writes a consistent copy of the whole store to w while the
	// broker keeps serving, and returns the bytes written.
	Backup(w io.Writer) (int64, error)
	// Close waits for open transactions and releases the store; later calls
	// fail.
	Close() error
}
