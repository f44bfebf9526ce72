package boltstore

import (
	"bytes"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Buckets of schema version 4: levels 3 and 4 (assignments and the joint
// plan) and webhook delivery.
//
//	assignments            id → broker.Assignment
//	assignments_by_partner partner ‖ 0x00 ‖ assignment id → ∅ (the giver's partner and the recipient)
//	plans                  household key → broker.Plan (the current version)
//	plan_versions          household key ‖ 0x00 ‖ version → broker.Plan (every version, kept)
//	deliveries             id → broker.Delivery (pending webhook deliveries)
//	dead_letters           id → broker.DeadLetter
//
// A household key is municipality ‖ 0x00 ‖ household id (schema 5).
var (
	bucketAssignments          = []byte("assignments")
	bucketAssignmentsByPartner = []byte("assignments_by_partner")
	bucketPlans                = []byte("plans")
	bucketPlanVersions         = []byte("plan_versions")
	bucketDeliveries           = []byte("deliveries")
	bucketDeadLetters          = []byte("dead_letters")
)

var (
	assignments          = table[broker.Assignment]{bucket: bucketAssignments, what: "assignment"}
	assignmentsByPartner = index{bucket: bucketAssignmentsByPartner}
	plans                = table[broker.Plan]{bucket: bucketPlans, what: "plan"}
	planVersions         = table[broker.Plan]{bucket: bucketPlanVersions, what: "plan version"}
	deliveries           = table[broker.Delivery]{bucket: bucketDeliveries, what: "delivery"}
	deadLetters          = table[broker.DeadLetter]{bucket: bucketDeadLetters, what: "dead letter"}
)

// createCollaborationBuckets is the migration 3 → 4.
func createCollaborationBuckets(tx *bbolt.Tx) error {
	return createBuckets(tx, bucketAssignments, bucketAssignmentsByPartner, bucketPlans, bucketPlanVersions,
		bucketDeliveries, bucketDeadLetters)
}

// Assignment returns the assignment with id.
func (r *readTx) Assignment(id string) (broker.Assignment, error) {
	return assignments.get(r.tx, []byte(id))
}

// PartnerAssignments calls fn for every assignment partner gave or
// received, by id.
func (r *readTx) PartnerAssignments(partner string, fn func(broker.Assignment) error) error {
	return assignmentsByPartner.scan(r.tx, partner, func(id []byte) error {
		a, err := assignments.get(r.tx, id)
		if err != nil {
			return fmt.Errorf("boltstore: assignment index names a missing assignment: %v", err)
		}
		return fn(a)
	})
}

// PutAssignment stores a and indexes it under its two partners. The
// partners of an assignment never change.
func (w *writeTx) PutAssignment(a broker.Assignment) error {
	if a.ID == "" || a.Giver.Partner == "" || a.Recipient == "" {
		return fmt.Errorf("boltstore: assignment without id, giver or recipient: %w", broker.ErrInvalid)
	}
	id := []byte(a.ID)
	old, err := assignments.get(w.tx, id)
	switch {
	case err == nil && (old.Giver.Partner != a.Giver.Partner || old.Recipient != a.Recipient):
		return fmt.Errorf("boltstore: assignment %s: %w: its partners cannot change", a.ID, broker.ErrConflict)
	case errors.Is(err, broker.ErrNotFound):
		for _, p := range []string{a.Giver.Partner, a.Recipient} {
			if err := assignmentsByPartner.add(w.tx, p, id); err != nil {
				return err
			}
		}
	case err != nil:
		return err
	}
	return assignments.put(w.tx, id, &a)
}

func planVersionKey(household []byte, version uint64) []byte {
	k := make([]byte, 0, len(household)+9)
	k = append(k, household...)
	k = append(k, 0)
	return append(k, u64(version)...)
}

// Plan returns the current version of the plan of household id of
// municipality.
func (r *readTx) Plan(municipality, household string) (broker.Plan, error) {
	return plans.get(r.tx, householdKey(municipality, household))
}

// PlanVersion returns version of the household's plan.
func (r *readTx) PlanVersion(municipality, household string, version uint64) (broker.Plan, error) {
	return planVersions.get(r.tx, planVersionKey(householdKey(municipality, household), version))
}

// PlanVersions calls fn for every version of the household's plan, oldest
// first.
func (r *readTx) PlanVersions(municipality, household string, fn func(broker.Plan) error) error {
	hk := householdKey(municipality, household)
	prefix := planVersionKey(hk, 0)[:len(hk)+1]
	c := r.tx.Bucket(bucketPlanVersions).Cursor()
	for k, raw := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, raw = c.Next() {
		p, err := planVersions.decode(k, raw)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// PutPlan stores p as the current version and keeps it under its version,
// which must follow the current one.
func (w *writeTx) PutPlan(p broker.Plan) error {
	if p.Household == "" || p.Municipality == "" || p.Version == 0 {
		return fmt.Errorf("boltstore: plan without household, municipality or version: %w", broker.ErrInvalid)
	}
	key := householdKey(p.Municipality, p.Household)
	cur, err := plans.get(w.tx, key)
	switch {
	case errors.Is(err, broker.ErrNotFound):
		cur = broker.Plan{}
	case err != nil:
		return err
	}
	if p.Version != cur.Version+1 {
		return fmt.Errorf("boltstore: plan of %s: %w: version %d follows %d", p.Household, broker.ErrPreconditionFailed,
			p.Version, cur.Version)
	}
	b := w.tx.Bucket(bucketPlanVersions)
	b.FillPercent = appendFill
	if err := planVersions.put(w.tx, planVersionKey(key, p.Version), &p); err != nil {
		return err
	}
	return plans.put(w.tx, key, &p)
}

// Deliveries calls fn for every pending delivery, by id.
func (r *readTx) Deliveries(fn func(broker.Delivery) error) error {
	return r.tx.Bucket(bucketDeliveries).ForEach(func(k, raw []byte) error {
		d, err := deliveries.decode(k, raw)
		if err != nil {
			return err
		}
		return fn(d)
	})
}

// Delivery returns the pending delivery with id.
func (r *readTx) Delivery(id string) (broker.Delivery, error) {
	return deliveries.get(r.tx, []byte(id))
}

// PutDelivery stores d under its id.
func (w *writeTx) PutDelivery(d broker.Delivery) error {
	if d.ID == "" || d.Partner == "" {
		return fmt.Errorf("boltstore: delivery without id or partner: %w", broker.ErrInvalid)
	}
	return deliveries.put(w.tx, []byte(d.ID), &d)
}

// DeleteDelivery removes the pending delivery id.
func (w *writeTx) DeleteDelivery(id string) error {
	return deleteKey(w.tx, bucketDeliveries, "delivery", id)
}

// DeadLetters calls fn for every dead letter, by id.
func (r *readTx) DeadLetters(fn func(broker.DeadLetter) error) error {
	return r.tx.Bucket(bucketDeadLetters).ForEach(func(k, raw []byte) error {
		d, err := deadLetters.decode(k, raw)
		if err != nil {
			return err
		}
		return fn(d)
	})
}

// DeadLetter returns the dead letter with id.
func (r *readTx) DeadLetter(id string) (broker.DeadLetter, error) {
	return deadLetters.get(r.tx, []byte(id))
}

// PutDeadLetter stores d under its id.
func (w *writeTx) PutDeadLetter(d broker.DeadLetter) error {
	if d.ID == "" || d.Partner == "" {
		return fmt.Errorf("boltstore: dead letter without id or partner: %w", broker.ErrInvalid)
	}
	return deadLetters.put(w.tx, []byte(d.ID), &d)
}

// DeleteDeadLetter removes dead letter id.
func (w *writeTx) DeleteDeadLetter(id string) error {
	return deleteKey(w.tx, bucketDeadLetters, "dead letter", id)
}

// deleteKey removes key from bucket; an absent key matches
// broker.ErrNotFound.
func deleteKey(tx *bbolt.Tx, bucket []byte, what, key string) error {
	b := tx.Bucket(bucket)
	if b.Get([]byte(key)) == nil {
		return fmt.Errorf("%s %q: %w", what, key, broker.ErrNotFound)
	}
	return b.Delete([]byte(key))
}
