package storetest

import (
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func assignment(id, giver, recipient string) broker.Assignment {
	return broker.Assignment{
		ID: id, Household: "h1", Municipality: "gm0327", Purpose: "integrale-ondersteuning", Type: "intake",
		Instruction: "Plan een intake", Due: "2026-04-01", Giver: broker.Actor{Partner: giver, Sub: "regisseur"},
		Recipient: recipient, Status: "open", CreatedAt: t0, UpdatedAt: t0, Revision: 1,
	}
}

func assignmentID(a broker.Assignment) string { return a.ID }

func testAssignments(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutAssignment", tx.PutAssignment(assignment("a2", "p2", "p3")))
		ok(t, "PutAssignment", tx.PutAssignment(assignment("a1", "p1", "p2")))
		ok(t, "PutAssignment", tx.PutAssignment(assignment("a3", "p10", "p3")))
		is(t, "PutAssignment without id", tx.PutAssignment(assignment("", "p1", "p2")), broker.ErrInvalid)
		is(t, "PutAssignment without giver", tx.PutAssignment(assignment("a9", "", "p2")), broker.ErrInvalid)
		is(t, "PutAssignment without recipient", tx.PutAssignment(assignment("a9", "p1", "")), broker.ErrInvalid)
		return nil
	})
	accepted := assignment("a1", "p1", "p2")
	accepted.Status, accepted.Revision = "accepted", 2
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutAssignment replacing", tx.PutAssignment(accepted))
		is(t, "PutAssignment naming another recipient", tx.PutAssignment(assignment("a1", "p1", "p3")), broker.ErrConflict)
		is(t, "PutAssignment naming another giver", tx.PutAssignment(assignment("a1", "p3", "p2")), broker.ErrConflict)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		a, err := tx.Assignment("a1")
		ok(t, "Assignment", err)
		same(t, "replaced assignment", a, accepted)
		_, err = tx.Assignment("a9")
		is(t, "Assignment never stored", err, broker.ErrNotFound)
		of := func(p string) []string {
			return ids(walk(t, "PartnerAssignments", func(fn func(broker.Assignment) error) error {
				return tx.PartnerAssignments(p, fn)
			}), assignmentID)
		}
		same(t, "PartnerAssignments of a giver and recipient, by id", of("p2"), []string{"a1", "a2"})
		same(t, "PartnerAssignments of a giver", of("p1"), []string{"a1"})
		same(t, "PartnerAssignments of a recipient", of("p3"), []string{"a2", "a3"})
		same(t, "PartnerAssignments of a partner without any", of("p4"), []string{})
		stopsAtEOF(t, "PartnerAssignments", func(fn func(broker.Assignment) error) error {
			return tx.PartnerAssignments("p2", fn)
		})
		return nil
	})
}
