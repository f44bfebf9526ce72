package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Exporter receives every object of a store, for moving a region onto
// another store (ketenbrug migrate, issue 20). The store contract has no
// "list everything" for most entities, and moving the audit log needs
// its records with their original sequence numbers and subjects, so the
// export is bbolt's own and the receiving store implements these methods
// (pgstore.Importer does). Values are the caller's; raw is valid only
// during the call.
type Exporter interface {
	Partner(broker.Partner) error
	Consent(broker.Consent) error
	Restriction(broker.Restriction) error
	PolicyVersion(broker.PolicyVersion) error
	Decision(broker.DecisionRecord) error
	AuditRecord(seq uint64, raw []byte, subjects []broker.Pseudonym) error
	Involvement(broker.Involvement) error
	Household(broker.Household) error
	InboxItem(broker.InboxItem) error
	Assignment(broker.Assignment) error
	// Followup receives a follow-up as stored; the receiving store
	// derives its indexes (partners, household, live) from it.
	Followup(broker.Followup) error
	PlanVersion(broker.Plan) error
	Delivery(broker.Delivery) error
	DeadLetter(broker.DeadLetter) error
	Session(broker.ConsoleSession) error
	// Meta comes last: the active policy version, the audit chain's head
	// (which a purge does not move) and the binding to the broker's
	// secrets.
	Meta(activePolicy string, auditSeq uint64, auditHash, binding string) error
}

// Export calls x for every object in the store, from one read
// transaction, so the copy is consistent while the file stays open. Plans
// arrive as their versions, oldest first per household (the current one
// is the last).
func (s *Store) Export(x Exporter) error {
	tx, err := s.db.Begin(false)
	if err != nil {
		return s.beginErr(err)
	}
	defer func() { _ = tx.Rollback() }()
	r := &readTx{tx: tx, cfg: &s.cfg}
	steps := []func() error{
		func() error { return each(tx, partners, x.Partner) },
		func() error { return each(tx, consents, x.Consent) },
		func() error { return each(tx, restrictions, x.Restriction) },
		func() error { return each(tx, policyVersions, x.PolicyVersion) },
		func() error { return each(tx, decisions, x.Decision) },
		func() error { return exportAudit(tx, x) },
		func() error { return each(tx, involvements, x.Involvement) },
		func() error { return each(tx, households, x.Household) },
		func() error { return each(tx, inbox, x.InboxItem) },
		func() error { return each(tx, assignments, x.Assignment) },
		func() error { return each(tx, followups, x.Followup) },
		func() error { return each(tx, planVersions, x.PlanVersion) },
		func() error { return each(tx, deliveries, x.Delivery) },
		func() error { return each(tx, deadLetters, x.DeadLetter) },
		func() error { return each(tx, consoleSessions, x.Session) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	active, err := r.ActivePolicy()
	if err != nil {
		return err
	}
	seq, hash, err := r.AuditHead()
	if err != nil {
		return err
	}
	var binding string
	if meta := tx.Bucket(bucketMeta); meta != nil {
		binding = string(meta.Get(keyBinding))
	}
	return x.Meta(active, seq, hash, binding)
}

// each decodes every value of t, in key order, into fn.
func each[T any](tx *bbolt.Tx, t table[T], fn func(T) error) error {
	return tx.Bucket(t.bucket).ForEach(func(k, raw []byte) error {
		v, err := t.decode(k, raw)
		if err != nil {
			return err
		}
		return fn(v)
	})
}

// exportAudit passes the records in seq order with their subjects. The
// subject index is laid out by epoch (see auditEpoch), so it is read one
// epoch at a time, beside the records of that epoch: memory stays bounded
// by one epoch's entries however long the log.
func exportAudit(tx *bbolt.Tx, x Exporter) error {
	index := tx.Bucket(bucketAuditBySubject).Cursor()
	epoch, subjects := ^uint64(0), map[uint64][]broker.Pseudonym{}
	c := tx.Bucket(bucketAudit).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return fmt.Errorf("boltstore: corrupt audit key %x", k)
		}
		seq := binary.BigEndian.Uint64(k)
		if seq/auditEpoch != epoch {
			epoch = seq / auditEpoch
			clear(subjects)
			prefix := binary.BigEndian.AppendUint32(nil, uint32(epoch))
			for ik, _ := index.Seek(prefix); ik != nil && bytes.HasPrefix(ik, prefix); ik, _ = index.Next() {
				if len(ik) < 4+1+8 {
					return fmt.Errorf("boltstore: corrupt audit index key %x", ik)
				}
				s := binary.BigEndian.Uint64(ik[len(ik)-8:])
				subjects[s] = append(subjects[s], broker.Pseudonym(ik[4:len(ik)-9]))
			}
		}
		if err := x.AuditRecord(seq, v, subjects[seq]); err != nil {
			return err
		}
	}
	return nil
}

// Counts returns how many objects each table holds, by the table's name
// (the same names as pgstore's tables), for checking a migration.
func (s *Store) Counts() (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketPartners, bucketConsents, bucketRestrictions, bucketPolicyVersions,
			bucketDecisions, bucketAudit, bucketInvolvements, bucketHouseholds, bucketInbox, bucketAssignments,
			bucketFollowups, bucketPlanVersions, bucketDeliveries, bucketDeadLetters, bucketSessions} {
			out[string(b)] = tx.Bucket(b).Stats().KeyN
		}
		return nil
	})
	return out, err
}
