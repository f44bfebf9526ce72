package boltstore

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Restrictions and objections (AVG art. 18, 21), schema 7:
//
//	restrictions             id → broker.Restriction
//	restrictions_by_subject  pseudonym ‖ 0x00 ‖ restriction id → ∅
var (
	bucketRestrictions          = []byte("restrictions")
	bucketRestrictionsBySubject = []byte("restrictions_by_subject")

	restrictions          = table[broker.Restriction]{bucket: bucketRestrictions, what: "restriction"}
	restrictionsBySubject = index{bucket: bucketRestrictionsBySubject, byPseudonym: true}
)

// createRestrictionBuckets is a migration: restrictions and objections.
func createRestrictionBuckets(tx *bbolt.Tx) error {
	return createBuckets(tx, bucketRestrictions, bucketRestrictionsBySubject)
}

// Restriction returns the restriction with id.
func (r *readTx) Restriction(id string) (broker.Restriction, error) {
	return restrictions.get(r.tx, []byte(id))
}

// RestrictionsOf returns every restriction and objection of subject,
// lifted ones included, ordered by id.
func (r *readTx) RestrictionsOf(subject broker.Pseudonym) ([]broker.Restriction, error) {
	var out []broker.Restriction
	err := restrictionsBySubject.scan(r.tx, string(subject), func(id []byte) error {
		v, err := restrictions.get(r.tx, id)
		if err != nil {
			return fmt.Errorf("boltstore: restriction index names missing restriction %q: %v", id, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// PutRestriction creates or replaces v, keyed by v.ID, and keeps the
// subject index in step.
func (w *writeTx) PutRestriction(v broker.Restriction) error {
	if v.ID == "" || v.Subject == "" {
		return fmt.Errorf("boltstore: restriction without id or subject: %w", broker.ErrInvalid)
	}
	id := []byte(v.ID)
	old, err := restrictions.get(w.tx, id)
	switch {
	case err == nil && old.Subject != v.Subject:
		if err := restrictionsBySubject.remove(w.tx, string(old.Subject), id); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, broker.ErrNotFound):
		return err
	}
	if err := restrictions.put(w.tx, id, &v); err != nil {
		return err
	}
	return restrictionsBySubject.add(w.tx, string(v.Subject), id)
}
