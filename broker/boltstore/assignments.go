package boltstore

import (
	"errors"
	"fmt"

	"github.com/ketenbrug/ketenbrug/broker"
)

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
