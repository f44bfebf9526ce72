package storetest

import (
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// followup is a live follow-up of household (municipality, household)
// whose lead acts for lead and whose coordinator acts for coordinator.
func followup(id, municipality, household, lead, coordinator string) broker.Followup {
	return broker.Followup{
		ID: id, Municipality: municipality, Household: household, Purpose: "integrale-ondersteuning",
		Partner: "p9", Involvements: []string{"i1", "i2"}, Subjects: []broker.Pseudonym{"s1"},
		Coordinator: broker.Actor{Partner: coordinator, Sub: "regisseur"},
		Lead:        broker.Actor{Partner: lead, Sub: "consulent"},
		Due:         "2026-03-16", State: broker.FollowupOpen,
		Steps: []broker.FollowupStep{{Step: broker.FollowupStepOpen, State: broker.FollowupOpen, At: t0,
			By: broker.Actor{Partner: "broker"}, Detail: lead}},
		CreatedAt: t0, UpdatedAt: t0, Revision: 1,
	}
}

func followupID(f broker.Followup) string { return f.ID }

func testFollowups(t *testing.T, s broker.Store) {
	// Stored out of id order, so that every "by id" below is the store's
	// doing. h1 is a prefix of h10 and h1 is also an id in gm0307: neither
	// may leak into the other's household; p1 is a prefix of p10.
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutFollowup", tx.PutFollowup(followup("f3", "gm0327", "h1", "p3", "p1")))
		ok(t, "PutFollowup", tx.PutFollowup(followup("f1", "gm0327", "h1", "p2", "p1")))
		ok(t, "PutFollowup", tx.PutFollowup(followup("f2", "gm0327", "h10", "p2", "p1")))
		ok(t, "PutFollowup", tx.PutFollowup(followup("f4", "gm0307", "h1", "p4", "p4")))
		ok(t, "PutFollowup", tx.PutFollowup(followup("f5", "gm0327", "h1", "p3", "p1")))
		ok(t, "PutFollowup", tx.PutFollowup(followup("f6", "gm0327", "h11", "p10", "p10")))
		for _, c := range []struct {
			what string
			f    broker.Followup
		}{
			{"without id", followup("", "gm0327", "h1", "p2", "p1")},
			{"without municipality", followup("f9", "", "h1", "p2", "p1")},
			{"without household", followup("f9", "gm0327", "", "p2", "p1")},
			{"without lead partner", followup("f9", "gm0327", "h1", "", "p1")},
			{"without coordinator partner", followup("f9", "gm0327", "h1", "p2", "")},
			// A NUL byte is in no id; a store that cannot hold it must
			// refuse it before writing anything: an index entry left
			// behind would name f9 in the listings checked below.
			{"with a NUL byte in its lead partner", followup("f9", "gm0327", "h1", "p\x00", "p1")},
			{"with a NUL byte in its coordinator partner", followup("f9", "gm0327", "h1", "p2", "p\x00")},
		} {
			is(t, "PutFollowup "+c.what, tx.PutFollowup(c.f), broker.ErrInvalid)
		}
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		f, err := tx.Followup("f1")
		ok(t, "Followup", err)
		same(t, "Followup", f, followup("f1", "gm0327", "h1", "p2", "p1"))
		// A refused put leaves nothing behind, not even in an index.
		_, err = tx.Followup("f9")
		is(t, "Followup refused as invalid", err, broker.ErrNotFound)
		_, err = tx.Followup("f0")
		is(t, "Followup never stored", err, broker.ErrNotFound)
		return nil
	})

	// f1 is contacted and handed to a lead of p5; f3 closes; f5 is
	// cancelled; f2 stays open.
	contacted := followup("f1", "gm0327", "h1", "p5", "p1")
	contacted.State, contacted.Revision, contacted.UpdatedAt = broker.FollowupContacted, 3, at(60)
	contacted.Contact = &broker.FollowupContact{With: "p9", On: "2026-03-02"}
	contacted.Steps = append(contacted.Steps,
		broker.FollowupStep{Step: broker.FollowupStepContact, State: broker.FollowupContacted, At: at(30),
			By: broker.Actor{Partner: "p2", Sub: "consulent"}, Detail: "p9"},
		broker.FollowupStep{Step: broker.FollowupStepReassign, State: broker.FollowupContacted, At: at(60),
			By: broker.Actor{Partner: "p1", Sub: "regisseur"}, Detail: "p5"})
	closed := followup("f3", "gm0327", "h1", "p3", "p1")
	closed.State, closed.Outcome, closed.Revision = broker.FollowupClosed, "contact gelegd", 2
	cancelled := followup("f5", "gm0327", "h1", "p3", "p1")
	cancelled.State, cancelled.Outcome, cancelled.Revision = broker.FollowupCancelled, broker.FollowupEndedPlan, 2
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutFollowup replacing (contacted, reassigned)", tx.PutFollowup(contacted))
		ok(t, "PutFollowup replacing (closed)", tx.PutFollowup(closed))
		ok(t, "PutFollowup replacing (cancelled)", tx.PutFollowup(cancelled))
		is(t, "PutFollowup naming another household", tx.PutFollowup(followup("f1", "gm0327", "h2", "p5", "p1")), broker.ErrConflict)
		is(t, "PutFollowup naming the same household id in another municipality",
			tx.PutFollowup(followup("f1", "gm0307", "h1", "p5", "p1")), broker.ErrConflict)
		return nil
	})

	view(t, s, func(tx broker.ReadTx) error {
		f, err := tx.Followup("f1")
		ok(t, "Followup", err)
		same(t, "replaced follow-up", f, contacted)
		f, err = tx.Followup("f3")
		ok(t, "Followup", err)
		same(t, "closed follow-up", f, closed)

		of := func(p string) []string {
			return ids(walk(t, "PartnerFollowups", func(fn func(broker.Followup) error) error {
				return tx.PartnerFollowups(p, fn)
			}), followupID)
		}
		same(t, "PartnerFollowups of a coordinator, by id, whatever their state", of("p1"), []string{"f1", "f2", "f3", "f5"})
		same(t, "PartnerFollowups of the new lead", of("p5"), []string{"f1"})
		same(t, "PartnerFollowups of the lead before the reassignment", of("p2"), []string{"f2"})
		same(t, "PartnerFollowups of a lead", of("p3"), []string{"f3", "f5"})
		same(t, "PartnerFollowups of a lead who is also the coordinator, once", of("p4"), []string{"f4"})
		same(t, "PartnerFollowups of the other partner (neither lead nor coordinator)", of("p9"), []string{})
		same(t, "PartnerFollowups of a partner that p1 is a prefix of", of("p10"), []string{"f6"})
		same(t, "PartnerFollowups of a partner without any", of("p6"), []string{})
		stopsAtEOF(t, "PartnerFollowups", func(fn func(broker.Followup) error) error {
			return tx.PartnerFollowups("p1", fn)
		})

		household := func(m, h string) []string {
			return ids(walk(t, "HouseholdFollowups", func(fn func(broker.Followup) error) error {
				return tx.HouseholdFollowups(m, h, fn)
			}), followupID)
		}
		same(t, "HouseholdFollowups, by id, whatever their state", household("gm0327", "h1"), []string{"f1", "f3", "f5"})
		same(t, "HouseholdFollowups of an id that h1 is a prefix of", household("gm0327", "h10"), []string{"f2"})
		same(t, "HouseholdFollowups of the same id in another municipality", household("gm0307", "h1"), []string{"f4"})
		same(t, "HouseholdFollowups of a prefix of an id", household("gm0327", "h"), []string{})
		same(t, "HouseholdFollowups of a prefix of a municipality", household("gm03", "h1"), []string{})
		same(t, "HouseholdFollowups of a household without any", household("gm0327", "h2"), []string{})
		stopsAtEOF(t, "HouseholdFollowups", func(fn func(broker.Followup) error) error {
			return tx.HouseholdFollowups("gm0327", "h1", fn)
		})

		live := func(after string) []string {
			return ids(walk(t, "LiveFollowups", func(fn func(broker.Followup) error) error {
				return tx.LiveFollowups(after, fn)
			}), followupID)
		}
		same(t, "LiveFollowups: open and contacted, by id", live(""), []string{"f1", "f2", "f4", "f6"})
		same(t, "LiveFollowups after a live id", live("f1"), []string{"f2", "f4", "f6"})
		same(t, "LiveFollowups after an id no longer live", live("f3"), []string{"f4", "f6"})
		same(t, "LiveFollowups after an id never stored", live("f10"), []string{"f2", "f4", "f6"})
		same(t, "LiveFollowups after the last", live("f6"), []string{})
		stopsAtEOF(t, "LiveFollowups", func(fn func(broker.Followup) error) error {
			return tx.LiveFollowups("", fn)
		})
		return nil
	})

	// The lead hands the follow-up back to p2 and closes it: it is found
	// under p2 again, no longer under p5, and leaves the live list.
	back := contacted
	back.Lead, back.State, back.Outcome, back.Revision = broker.Actor{Partner: "p2", Sub: "consulent"}, broker.FollowupClosed, "geen contact nodig", 4
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutFollowup replacing (reassigned back, closed)", tx.PutFollowup(back))
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		of := func(p string) []string {
			return ids(walk(t, "PartnerFollowups", func(fn func(broker.Followup) error) error {
				return tx.PartnerFollowups(p, fn)
			}), followupID)
		}
		same(t, "PartnerFollowups of the lead reassigned to", of("p2"), []string{"f1", "f2"})
		same(t, "PartnerFollowups of the lead reassigned from", of("p5"), []string{})
		same(t, "PartnerFollowups of the coordinator", of("p1"), []string{"f1", "f2", "f3", "f5"})
		same(t, "LiveFollowups after a close", ids(walk(t, "LiveFollowups", func(fn func(broker.Followup) error) error {
			return tx.LiveFollowups("", fn)
		}), followupID), []string{"f2", "f4", "f6"})
		return nil
	})
}
