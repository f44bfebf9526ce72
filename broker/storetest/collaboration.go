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

func plan(municipality, household string, version uint64) broker.Plan {
	return broker.Plan{
		Household: household, Municipality: municipality, Purpose: "integrale-ondersteuning", Version: version,
		Status: "active", Coordinator: broker.Actor{Partner: municipality, Sub: "regisseur"},
		Goals:      []broker.Goal{{ID: "g1", Title: "Schulden stabiel"}},
		Agreements: []broker.Agreement{{ID: "a1", Goal: "g1", Partner: "p1", Action: "budgetbeheer"}},
		Change:     "version", ChangedBy: broker.Actor{Partner: municipality, Sub: "regisseur"},
		ChangedAt: at(int(version)), CreatedAt: t0,
	}
}

func planVersion(p broker.Plan) uint64 { return p.Version }

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

// testPlans: versions follow one another, and a plan is keyed by its
// household in its municipality.
func testPlans(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error {
		is(t, "PutPlan of a new plan at version 2", tx.PutPlan(plan("gm0327", "h1", 2)), broker.ErrPreconditionFailed)
		ok(t, "PutPlan version 1", tx.PutPlan(plan("gm0327", "h1", 1)))
		is(t, "PutPlan of version 1 again", tx.PutPlan(plan("gm0327", "h1", 1)), broker.ErrPreconditionFailed)
		is(t, "PutPlan skipping a version", tx.PutPlan(plan("gm0327", "h1", 3)), broker.ErrPreconditionFailed)
		ok(t, "PutPlan version 2", tx.PutPlan(plan("gm0327", "h1", 2)))
		// The same household id in another municipality is another plan.
		ok(t, "PutPlan version 1 in another municipality", tx.PutPlan(plan("gm0307", "h1", 1)))
		is(t, "PutPlan without household", tx.PutPlan(plan("gm0327", "", 1)), broker.ErrInvalid)
		is(t, "PutPlan without municipality", tx.PutPlan(plan("", "h1", 1)), broker.ErrInvalid)
		is(t, "PutPlan without version", tx.PutPlan(plan("gm0327", "h3", 0)), broker.ErrInvalid)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		p, err := tx.Plan("gm0327", "h1")
		ok(t, "Plan", err)
		same(t, "Plan, the current version", p, plan("gm0327", "h1", 2))
		p, err = tx.PlanVersion("gm0327", "h1", 1)
		ok(t, "PlanVersion", err)
		same(t, "PlanVersion 1", p, plan("gm0327", "h1", 1))
		_, err = tx.PlanVersion("gm0327", "h1", 3)
		is(t, "PlanVersion not stored", err, broker.ErrNotFound)
		p, err = tx.Plan("gm0307", "h1")
		ok(t, "Plan", err)
		same(t, "Plan of the same household id in another municipality", p, plan("gm0307", "h1", 1))
		_, err = tx.Plan("gm0344", "h1")
		is(t, "Plan of a municipality without one", err, broker.ErrNotFound)
		_, err = tx.PlanVersion("gm0307", "h1", 2)
		is(t, "PlanVersion of another municipality's version", err, broker.ErrNotFound)

		versions := func(m, h string) []uint64 {
			out := []uint64{}
			for _, p := range walk(t, "PlanVersions", func(fn func(broker.Plan) error) error { return tx.PlanVersions(m, h, fn) }) {
				out = append(out, planVersion(p))
			}
			return out
		}
		same(t, "PlanVersions, oldest first", versions("gm0327", "h1"), []uint64{1, 2})
		same(t, "PlanVersions in another municipality", versions("gm0307", "h1"), []uint64{1})
		same(t, "PlanVersions of a household without a plan", versions("gm0327", "h2"), []uint64{})
		stopsAtEOF(t, "PlanVersions", func(fn func(broker.Plan) error) error { return tx.PlanVersions("gm0327", "h1", fn) })
		return nil
	})
}

func testDeliveries(t *testing.T, s broker.Store) {
	delivery := func(id string) broker.Delivery {
		return broker.Delivery{ID: id, Partner: "p1", Seq: 7, Kind: "match", Attempts: 1, NextAt: at(1),
			LastError: "503", CreatedAt: t0}
	}
	dead := func(id string) broker.DeadLetter {
		return broker.DeadLetter{Delivery: delivery(id), URL: "https://p1.example/hook", DeadAt: at(60)}
	}
	update(t, s, func(tx broker.Tx) error {
		for _, id := range []string{"d2", "d1", "d3"} {
			ok(t, "PutDelivery", tx.PutDelivery(delivery(id)))
			ok(t, "PutDeadLetter", tx.PutDeadLetter(dead("x"+id)))
		}
		is(t, "PutDelivery without id", tx.PutDelivery(delivery("")), broker.ErrInvalid)
		noPartner := delivery("d9")
		noPartner.Partner = ""
		is(t, "PutDelivery without partner", tx.PutDelivery(noPartner), broker.ErrInvalid)
		is(t, "PutDeadLetter without id", tx.PutDeadLetter(dead("")), broker.ErrInvalid)
		ok(t, "DeleteDelivery", tx.DeleteDelivery("d3"))
		is(t, "DeleteDelivery of one not stored", tx.DeleteDelivery("d3"), broker.ErrNotFound)
		ok(t, "DeleteDeadLetter", tx.DeleteDeadLetter("xd3"))
		is(t, "DeleteDeadLetter of one not stored", tx.DeleteDeadLetter("xd3"), broker.ErrNotFound)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		d, err := tx.Delivery("d1")
		ok(t, "Delivery", err)
		same(t, "Delivery", d, delivery("d1"))
		_, err = tx.Delivery("d3")
		is(t, "Delivery deleted", err, broker.ErrNotFound)
		l, err := tx.DeadLetter("xd1")
		ok(t, "DeadLetter", err)
		same(t, "DeadLetter", l, dead("xd1"))
		_, err = tx.DeadLetter("d1")
		is(t, "DeadLetter with a pending delivery's id", err, broker.ErrNotFound)
		same(t, "Deliveries, by id", ids(walk(t, "Deliveries", tx.Deliveries), func(d broker.Delivery) string { return d.ID }),
			[]string{"d1", "d2"})
		same(t, "DeadLetters, by id", ids(walk(t, "DeadLetters", tx.DeadLetters), func(d broker.DeadLetter) string { return d.ID }),
			[]string{"xd1", "xd2"})
		stopsAtEOF(t, "Deliveries", tx.Deliveries)
		stopsAtEOF(t, "DeadLetters", tx.DeadLetters)
		return nil
	})
}

// testSessions: console sessions, each call its own transaction.
func testSessions(t *testing.T, s broker.Store) {
	ss, isSessions := s.(broker.SessionStore)
	if !isSessions {
		t.Fatalf("%T does not implement broker.SessionStore, which the console needs", s)
	}
	session := func(idHash string, minute int) broker.ConsoleSession {
		return broker.ConsoleSession{IDHash: idHash, Partner: "p1", Person: "j.jansen", Name: "J. Jansen",
			Roles: []broker.Role{broker.RoleConnector}, Role: broker.RoleConnector, Issuer: "https://idp.example",
			ClientID: "ketenbrug", AuthTime: at(minute), CreatedAt: at(minute), LastSeen: at(minute)}
	}
	_, err := ss.Session("aa")
	is(t, "Session never stored", err, broker.ErrNotFound)
	for i, id := range []string{"aa", "bb", "cc"} {
		ok(t, "PutSession", ss.PutSession(session(id, i)))
	}
	seen := session("bb", 1)
	seen.LastSeen = at(30)
	ok(t, "PutSession replacing", ss.PutSession(seen))
	got, err := ss.Session("bb")
	ok(t, "Session", err)
	same(t, "Session", got, seen)

	ok(t, "DeleteSession", ss.DeleteSession("aa"))
	ok(t, "DeleteSession of one not stored", ss.DeleteSession("aa"))
	_, err = ss.Session("aa")
	is(t, "Session deleted", err, broker.ErrNotFound)

	n, err := ss.DeleteSessions(func(cs broker.ConsoleSession) bool { return cs.LastSeen.Before(at(10)) })
	ok(t, "DeleteSessions", err)
	if n != 1 {
		t.Errorf("DeleteSessions removed %d, want 1 (cc)", n)
	}
	_, err = ss.Session("cc")
	is(t, "Session expired", err, broker.ErrNotFound)
	_, err = ss.Session("bb")
	ok(t, "Session kept by DeleteSessions", err)
}
