package pgstore

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/ketenbrug/ketenbrug/broker"
)

// Assignment returns the assignment with id.
func (r *readTx) Assignment(id string) (broker.Assignment, error) {
	if !key(id) {
		return broker.Assignment{}, notFound("assignment", id)
	}
	return get[broker.Assignment](r, "assignment", id, "SELECT value FROM assignments WHERE id = $1", id)
}

// PartnerAssignments calls fn, by id, for every assignment partner gave
// or received.
func (r *readTx) PartnerAssignments(partner string, fn func(broker.Assignment) error) error {
	if !key(partner) {
		return nil
	}
	return walk(fn, func(last *broker.Assignment) ([]broker.Assignment, error) {
		after := ""
		if last != nil {
			after = last.ID
		}
		return values[broker.Assignment](r, "assignments", `SELECT value FROM assignments
			WHERE (giver = $1 OR recipient = $1) AND id > $2 ORDER BY id LIMIT $3`, partner, after, pageSize)
	})
}

// PutAssignment creates or replaces a; its partners never change.
func (w *writeTx) PutAssignment(a broker.Assignment) error {
	if a.ID == "" || a.Giver.Partner == "" || a.Recipient == "" || !key(a.ID, a.Giver.Partner, a.Recipient) {
		return invalid("assignment without a usable id, giver or recipient")
	}
	var giver, recipient string
	err := w.tx.QueryRow(w.ctx, "SELECT giver, recipient FROM assignments WHERE id = $1", a.ID).Scan(&giver, &recipient)
	switch {
	case err == nil && (giver != a.Giver.Partner || recipient != a.Recipient):
		return fmt.Errorf("pgstore: assignment %s: %w: its partners cannot change", a.ID, broker.ErrConflict)
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return dbErr("read assignment", err)
	}
	raw, err := encode("assignment", &a)
	if err != nil {
		return err
	}
	_, err = w.exec("put assignment", `INSERT INTO assignments (id, giver, recipient, value) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value`, a.ID, a.Giver.Partner, a.Recipient, raw)
	return err
}
