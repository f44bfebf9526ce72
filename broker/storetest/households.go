package storetest

import (
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

func involvement(partner, ref string, subject broker.Pseudonym) broker.Involvement {
	return broker.Involvement{
		ID: "i-" + partner + "-" + ref, Partner: partner, Ref: ref, Subject: subject,
		Service: "schuldhulp", ServiceLabel: "Schuldhulpverlening", Status: "active", Start: "2026-01-05",
		Contact: broker.Contact{Name: "J. Jansen", Phone: "+31 33 123 45 67", Email: "j.jansen@example.nl"},
		Purpose: "integrale-ondersteuning", CreatedAt: t0, UpdatedAt: t0, Revision: 1,
	}
}

func involvementKey(v broker.Involvement) string { return v.Partner + "/" + v.Ref }

func household(municipality, id string, members ...broker.Pseudonym) broker.Household {
	h := broker.Household{ID: id, Municipality: municipality, Area: "noord",
		Coordinator: broker.Actor{Partner: municipality, Sub: "regisseur"}, CreatedAt: t0, UpdatedAt: t0, Revision: 1}
	for _, m := range members {
		h.Members = append(h.Members, broker.Member{Label: "lid " + string(m), Subject: m, Role: "adult", BirthYear: 1980})
	}
	return h
}

func householdKey(h broker.Household) string { return h.Municipality + "/" + h.ID }

func testInvolvements(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error {
		for _, v := range []broker.Involvement{
			involvement("p1", "c", "s1"), involvement("p1", "a", "s1"), involvement("p1", "b", "s2"),
			involvement("p0", "z", "s1"),
			// p10 starts with p1: a partner's involvements must not run
			// into another's whose id it prefixes.
			involvement("p10", "a", "s1"),
		} {
			ok(t, "PutInvolvement", tx.PutInvolvement(v))
		}
		for what, v := range map[string]broker.Involvement{
			"partner": involvement("", "x", "s1"), "ref": involvement("p1", "", "s1"),
			"subject": involvement("p1", "x", ""),
		} {
			is(t, "PutInvolvement without "+what, tx.PutInvolvement(v), broker.ErrInvalid)
		}
		noID := involvement("p1", "x", "s1")
		noID.ID = ""
		is(t, "PutInvolvement without id", tx.PutInvolvement(noID), broker.ErrInvalid)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		v, err := tx.Involvement("p1", "a")
		ok(t, "Involvement", err)
		same(t, "Involvement", v, involvement("p1", "a", "s1"))
		_, err = tx.Involvement("p2", "a")
		is(t, "Involvement of another partner's ref", err, broker.ErrNotFound)
		vs, err := tx.InvolvementsOf("s1")
		ok(t, "InvolvementsOf", err)
		same(t, "InvolvementsOf, by partner then ref", ids(vs, involvementKey), []string{"p0/z", "p1/a", "p1/c", "p10/a"})
		vs, err = tx.InvolvementsOf("s-none")
		ok(t, "InvolvementsOf", err)
		same(t, "InvolvementsOf a subject without any", ids(vs, involvementKey), []string{})

		walkFrom := func(after string) []string {
			return ids(walk(t, "PartnerInvolvements", func(fn func(broker.Involvement) error) error {
				return tx.PartnerInvolvements("p1", after, fn)
			}), involvementKey)
		}
		same(t, "PartnerInvolvements from the start, in ref order", walkFrom(""), []string{"p1/a", "p1/b", "p1/c"})
		same(t, "PartnerInvolvements after a", walkFrom("a"), []string{"p1/b", "p1/c"})
		same(t, "PartnerInvolvements after a ref not stored", walkFrom("aa"), []string{"p1/b", "p1/c"})
		same(t, "PartnerInvolvements after the last", walkFrom("c"), []string{})
		stopsAtEOF(t, "PartnerInvolvements", func(fn func(broker.Involvement) error) error {
			return tx.PartnerInvolvements("p1", "", fn)
		})
		return nil
	})

	// A replacement with another subject moves it between subjects.
	moved := involvement("p1", "a", "s2")
	moved.Status, moved.End, moved.Revision = "ended", "2026-02-01", 2
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutInvolvement replacing", tx.PutInvolvement(moved))
		ok(t, "DeleteInvolvement", tx.DeleteInvolvement("p1", "c"))
		is(t, "DeleteInvolvement of one not stored", tx.DeleteInvolvement("p1", "c"), broker.ErrNotFound)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		v, err := tx.Involvement("p1", "a")
		ok(t, "Involvement", err)
		same(t, "replaced involvement", v, moved)
		_, err = tx.Involvement("p1", "c")
		is(t, "Involvement deleted", err, broker.ErrNotFound)
		vs, err := tx.InvolvementsOf("s1")
		ok(t, "InvolvementsOf", err)
		same(t, "InvolvementsOf the old subject", ids(vs, involvementKey), []string{"p0/z", "p10/a"})
		vs, err = tx.InvolvementsOf("s2")
		ok(t, "InvolvementsOf", err)
		same(t, "InvolvementsOf the new subject", ids(vs, involvementKey), []string{"p1/a", "p1/b"})
		return nil
	})
}

// ended is involvement ended: on day end, or without one (end "") on the
// day it was last changed, at updated.
func ended(partner, ref, end string, updated time.Time) broker.Involvement {
	v := involvement(partner, ref, "s-"+broker.Pseudonym(ref))
	v.Status, v.End, v.UpdatedAt = broker.InvolvementEnded, end, updated
	return v
}

// testEndedInvolvements: the retention sweep's index, by end day, partner
// and ref, follows every put and delete.
func testEndedInvolvements(t *testing.T, s broker.Store) {
	// 23:30 on 1 March in Amsterdam is 22:30 UTC: ended on 1 March, not
	// the 2nd, whatever zone the time was written in.
	late := time.Date(2026, 3, 1, 23, 30, 0, 0, time.FixedZone("CET", 3600))
	update(t, s, func(tx broker.Tx) error {
		for _, v := range []broker.Involvement{
			ended("p1", "z", "2026-02-01", t0), ended("p10", "a", "2026-02-01", t0),
			ended("p1", "a", "2026-02-01", t0), ended("p2", "b", "", t0),
			ended("p0", "c", "", late), ended("p3", "d", "2025-12-31", t0),
			involvement("p1", "b", "s1"), // active: not in the index
		} {
			ok(t, "PutInvolvement", tx.PutInvolvement(v))
		}
		return nil
	})
	key := func(v broker.Involvement) string { return v.EndedOn() + " " + v.Partner + "/" + v.Ref }
	walkEnded := func(before string, after broker.EndedCursor) []string {
		var got []string
		view(t, s, func(tx broker.ReadTx) error {
			got = ids(walk(t, "EndedInvolvements", func(fn func(broker.Involvement) error) error {
				return tx.EndedInvolvements(before, after, fn)
			}), key)
			return nil
		})
		return got
	}
	all := []string{"2025-12-31 p3/d", "2026-02-01 p1/a", "2026-02-01 p1/z", "2026-02-01 p10/a",
		"2026-03-01 p0/c", "2026-03-02 p2/b"}
	same(t, "EndedInvolvements, by day, partner and ref", walkEnded("2026-03-03", broker.EndedCursor{}), all)
	same(t, "EndedInvolvements before a day: that day excluded", walkEnded("2026-02-01", broker.EndedCursor{}), all[:1])
	same(t, "EndedInvolvements before the first", walkEnded("2025-12-31", broker.EndedCursor{}), []string{})
	same(t, "EndedInvolvements after a position",
		walkEnded("2026-03-03", broker.EndedCursor{Day: "2026-02-01", Partner: "p1", Ref: "z"}), all[3:])
	same(t, "EndedInvolvements after a position not stored",
		walkEnded("2026-03-03", broker.EndedCursor{Day: "2026-02-01", Partner: "p1", Ref: "b"}), all[2:])
	view(t, s, func(tx broker.ReadTx) error {
		stopsAtEOF(t, "EndedInvolvements", func(fn func(broker.Involvement) error) error {
			return tx.EndedInvolvements("2026-03-03", broker.EndedCursor{}, fn)
		})
		return nil
	})

	// Registered again, moved to another end day, removed: the index
	// follows.
	again := ended("p1", "z", "", t0)
	again.Status = broker.InvolvementActive
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutInvolvement active again", tx.PutInvolvement(again))
		ok(t, "PutInvolvement another end day", tx.PutInvolvement(ended("p10", "a", "2026-01-15", t0)))
		ok(t, "PutInvolvement ended on the same day", tx.PutInvolvement(ended("p1", "a", "2026-02-01", at(5))))
		ok(t, "DeleteInvolvement", tx.DeleteInvolvement("p3", "d"))
		ok(t, "PutInvolvement ending one", tx.PutInvolvement(ended("p1", "b", "2026-02-02", t0)))
		return nil
	})
	same(t, "EndedInvolvements after changes", walkEnded("2026-03-03", broker.EndedCursor{}),
		[]string{"2026-01-15 p10/a", "2026-02-01 p1/a", "2026-02-02 p1/b", "2026-03-01 p0/c", "2026-03-02 p2/b"})
}

// testHouseholds: household ids are a namespace per municipality.
func testHouseholds(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutHousehold", tx.PutHousehold(household("gm0327", "h1", "s1", "s2")))
		ok(t, "PutHousehold", tx.PutHousehold(household("gm0307", "h1", "s3")))
		ok(t, "PutHousehold", tx.PutHousehold(household("gm0307", "h0", "s1")))
		ok(t, "PutHousehold", tx.PutHousehold(household("gm0327", "h2", "s1")))
		is(t, "PutHousehold without id", tx.PutHousehold(household("gm0327", "")), broker.ErrInvalid)
		is(t, "PutHousehold without municipality", tx.PutHousehold(household("", "h9")), broker.ErrInvalid)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		h, err := tx.Household("gm0327", "h1")
		ok(t, "Household", err)
		same(t, "Household", h, household("gm0327", "h1", "s1", "s2"))
		h, err = tx.Household("gm0307", "h1")
		ok(t, "Household", err)
		same(t, "the same household id in another municipality", h, household("gm0307", "h1", "s3"))
		_, err = tx.Household("gm0344", "h1")
		is(t, "Household id of a municipality that has none", err, broker.ErrNotFound)
		hs, err := tx.HouseholdsOf("s1")
		ok(t, "HouseholdsOf", err)
		same(t, "HouseholdsOf, by municipality then id", ids(hs, householdKey), []string{"gm0307/h0", "gm0327/h1", "gm0327/h2"})
		hs, err = tx.HouseholdsOf("s3")
		ok(t, "HouseholdsOf", err)
		same(t, "HouseholdsOf", ids(hs, householdKey), []string{"gm0307/h1"})
		// A municipality's households, in id order, resumable; a
		// municipality whose id starts the same is another one.
		walkOf := func(m, after string) func(fn func(broker.Household) error) error {
			return func(fn func(broker.Household) error) error { return tx.MunicipalityHouseholds(m, after, fn) }
		}
		same(t, "MunicipalityHouseholds", ids(walk(t, "MunicipalityHouseholds", walkOf("gm0327", "")), householdKey),
			[]string{"gm0327/h1", "gm0327/h2"})
		same(t, "MunicipalityHouseholds after h1", ids(walk(t, "MunicipalityHouseholds", walkOf("gm0327", "h1")), householdKey),
			[]string{"gm0327/h2"})
		same(t, "MunicipalityHouseholds of a prefix of an id", ids(walk(t, "MunicipalityHouseholds", walkOf("gm03", "")), householdKey),
			[]string{})
		same(t, "MunicipalityHouseholds of none", ids(walk(t, "MunicipalityHouseholds", walkOf("gm0344", "")), householdKey),
			[]string{})
		stopsAtEOF(t, "MunicipalityHouseholds", walkOf("gm0307", ""))
		return nil
	})
	// Replacing a household follows its members: s2 leaves, s4 joins.
	changed := household("gm0327", "h1", "s1", "s4")
	changed.Revision = 2
	update(t, s, func(tx broker.Tx) error { return tx.PutHousehold(changed) })
	view(t, s, func(tx broker.ReadTx) error {
		for subject, want := range map[broker.Pseudonym][]string{
			"s2": {}, "s4": {"gm0327/h1"}, "s1": {"gm0307/h0", "gm0327/h1", "gm0327/h2"}, "s3": {"gm0307/h1"},
		} {
			hs, err := tx.HouseholdsOf(subject)
			ok(t, "HouseholdsOf", err)
			same(t, "HouseholdsOf "+string(subject)+" after a member change", ids(hs, householdKey), want)
		}
		return nil
	})
}

func inboxItem(partner, kind string, minute int) broker.InboxItem {
	return broker.InboxItem{Partner: partner, Kind: kind, Created: at(minute), Household: "h1", Ref: "r1", Subject: "s1"}
}

func testInbox(t *testing.T, s broker.Store) {
	var seqs []uint64
	update(t, s, func(tx broker.Tx) error {
		for i, p := range []string{"p1", "p2", "p1", "p1", "p10"} {
			it, err := tx.AppendInbox(inboxItem(p, "match", i))
			ok(t, "AppendInbox", err)
			if len(seqs) > 0 && it.Seq <= seqs[len(seqs)-1] {
				t.Errorf("AppendInbox: seq %d after %d, want ascending across partners", it.Seq, seqs[len(seqs)-1])
			}
			seqs = append(seqs, it.Seq)
		}
		_, err := tx.AppendInbox(inboxItem("", "match", 0))
		is(t, "AppendInbox without partner", err, broker.ErrInvalid)
		return nil
	})
	// A later transaction continues the sequence.
	update(t, s, func(tx broker.Tx) error {
		it, err := tx.AppendInbox(inboxItem("p2", "plan", 9))
		ok(t, "AppendInbox", err)
		if it.Seq <= seqs[len(seqs)-1] {
			t.Errorf("AppendInbox in a later transaction: seq %d after %d", it.Seq, seqs[len(seqs)-1])
		}
		return nil
	})
	p1 := []uint64{seqs[0], seqs[2], seqs[3]}
	seqOf := func(it broker.InboxItem) uint64 { return it.Seq }
	inboxSeqs := func(tx broker.ReadTx, after uint64, limit int, withAcked bool) []uint64 {
		items, err := tx.Inbox("p1", after, limit, withAcked)
		ok(t, "Inbox", err)
		out := []uint64{}
		for _, it := range items {
			out = append(out, seqOf(it))
		}
		return out
	}
	view(t, s, func(tx broker.ReadTx) error {
		it, err := tx.InboxItem("p1", p1[0])
		ok(t, "InboxItem", err)
		want := inboxItem("p1", "match", 0)
		want.Seq = p1[0]
		same(t, "InboxItem", it, want)
		_, err = tx.InboxItem("p2", p1[0])
		is(t, "InboxItem of another partner's seq", err, broker.ErrNotFound)
		same(t, "Inbox, ascending, only the partner's", inboxSeqs(tx, 0, 10, false), p1)
		same(t, "Inbox after the first", inboxSeqs(tx, p1[0], 10, false), p1[1:])
		same(t, "Inbox limited", inboxSeqs(tx, 0, 2, false), p1[:2])
		return nil
	})
	acked := inboxItem("p1", "match", 0)
	acked.Seq, acked.AckedAt = p1[0], new(at(20))
	update(t, s, func(tx broker.Tx) error {
		ok(t, "PutInboxItem", tx.PutInboxItem(acked))
		ghost := inboxItem("p2", "match", 0)
		ghost.Seq = p1[1]
		is(t, "PutInboxItem of an item not stored", tx.PutInboxItem(ghost), broker.ErrNotFound)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		it, err := tx.InboxItem("p1", p1[0])
		ok(t, "InboxItem", err)
		same(t, "acknowledged item", it, acked)
		same(t, "Inbox without acknowledged items", inboxSeqs(tx, 0, 10, false), p1[1:])
		same(t, "Inbox with acknowledged items", inboxSeqs(tx, 0, 10, true), p1)
		return nil
	})
}
