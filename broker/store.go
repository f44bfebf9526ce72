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
	// Restriction returns the restriction or objection with id;
	// RestrictionsOf every one of subject, lifted ones included.
	Restriction(id string) (Restriction, error)
	RestrictionsOf(subject Pseudonym) ([]Restriction, error)

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

	// Involvement returns the involvement partner registered under ref.
	Involvement(partner, ref string) (Involvement, error)
	// InvolvementsOf returns every involvement of subject, all partners.
	InvolvementsOf(subject Pseudonym) ([]Involvement, error)
	// PartnerInvolvements calls fn for partner's involvements in ref order,
	// starting after ref after ("" for the first); fn may stop with io.EOF.
	PartnerInvolvements(partner, after string, fn func(Involvement) error) error
	// Household returns household id of municipality. Household ids are a
	// namespace per municipality: the same id in two municipalities names
	// two households, and neither reveals the other.
	Household(municipality, id string) (Household, error)
	// HouseholdsOf returns the households subject is a member of.
	HouseholdsOf(subject Pseudonym) ([]Household, error)
	// Inbox returns up to limit of partner's inbox items with seq > after,
	// in order; acknowledged ones only when withAcked.
	Inbox(partner string, after uint64, limit int, withAcked bool) ([]InboxItem, error)
	InboxItem(partner string, seq uint64) (InboxItem, error)

	// Assignment returns the assignment with id.
	Assignment(id string) (Assignment, error)
	// PartnerAssignments calls fn for every assignment partner gave or
	// received; fn may stop with io.EOF.
	PartnerAssignments(partner string, fn func(Assignment) error) error
	// Plan returns the current version of the joint plan of household
	// (an id of municipality).
	Plan(municipality, household string) (Plan, error)
	// PlanVersion returns one stored version of the household's plan.
	PlanVersion(municipality, household string, version uint64) (Plan, error)
	// PlanVersions calls fn for every version of the household's plan,
	// oldest first; fn may stop with io.EOF.
	PlanVersions(municipality, household string, fn func(Plan) error) error
	// Deliveries calls fn for every pending webhook delivery; fn may stop
	// with io.EOF.
	Deliveries(fn func(Delivery) error) error
	Delivery(id string) (Delivery, error)
	// DeadLetters calls fn for every webhook delivery that gave up; fn may
	// stop with io.EOF.
	DeadLetters(fn func(DeadLetter) error) error
	DeadLetter(id string) (DeadLetter, error)
}

// Tx is a read-write transaction. It commits durably (fsync) or not at all.
type Tx interface {
	ReadTx
	PutPartner(p Partner) error
	PutConsent(c Consent) error
	// PutRestriction creates or replaces r, keyed by r.ID, and indexes it
	// under its subject.
	PutRestriction(r Restriction) error
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

	// PutInvolvement stores v under (v.Partner, v.Ref) and keeps the
	// subject index right when the subject changed.
	PutInvolvement(v Involvement) error
	// DeleteInvolvement removes partner's involvement ref and its index
	// entries; ErrNotFound when there is none.
	DeleteInvolvement(partner, ref string) error
	// PutHousehold stores h under (h.Municipality, h.ID) and keeps the
	// member index right.
	PutHousehold(h Household) error
	// AppendInbox stores a new item for item.Partner and returns it with
	// its Seq.
	AppendInbox(item InboxItem) (InboxItem, error)
	// PutInboxItem replaces a stored item (acknowledgement).
	PutInboxItem(item InboxItem) error

	// PutAssignment stores a under a.ID and indexes it under its giver's
	// and its recipient's partner.
	PutAssignment(a Assignment) error
	// PutPlan stores p as the current version of the plan of household
	// (p.Municipality, p.Household) and
	// keeps it as version p.Version, which must be the current version + 1
	// (1 for a new plan); otherwise it fails with ErrPreconditionFailed.
	PutPlan(p Plan) error
	// PutDelivery stores a pending webhook delivery under d.ID.
	PutDelivery(d Delivery) error
	DeleteDelivery(id string) error
	// PutDeadLetter stores a delivery that gave up under d.ID.
	PutDeadLetter(d DeadLetter) error
	DeleteDeadLetter(id string) error
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
