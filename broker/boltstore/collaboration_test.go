package boltstore

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestAssignments(t *testing.T) {
	s := openTest(t, Config{})
	a := broker.Assignment{ID: "a-1", Household: "hh-1", Type: "intake", Giver: broker.Actor{Partner: "gem-a", Sub: "c"},
		Recipient: "cjg", Status: broker.AssignmentProposed}
	b := broker.Assignment{ID: "a-2", Household: "hh-1", Type: "intake", Giver: broker.Actor{Partner: "cjg", Sub: "p"},
		Recipient: "school", Status: broker.AssignmentProposed}
	mustUpdate(t, s, func(tx broker.Tx) error {
		if err := tx.PutAssignment(a); err != nil {
			return err
		}
		return tx.PutAssignment(b)
	})
	// A step rewrites it; its partners cannot change.
	a.Status, a.Revision = broker.AssignmentAccepted, 2
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.PutAssignment(a) })
	moved := a
	moved.Recipient = "uwv"
	if err := s.Update(func(tx broker.Tx) error { return tx.PutAssignment(moved) }); !errors.Is(err, broker.ErrConflict) {
		t.Errorf("changing the recipient: %v", err)
	}
	if err := s.Update(func(tx broker.Tx) error { return tx.PutAssignment(broker.Assignment{ID: "a-3"}) }); !errors.Is(err, broker.ErrInvalid) {
		t.Errorf("an assignment without partners: %v", err)
	}
	of := func(partner string) []string {
		var ids []string
		mustView(t, s, func(tx broker.ReadTx) error {
			return tx.PartnerAssignments(partner, func(a broker.Assignment) error {
				ids = append(ids, a.ID+":"+a.Status)
				return nil
			})
		})
		return ids
	}
	if got := of("cjg"); !slices.Equal(got, []string{"a-1:accepted", "a-2:proposed"}) {
		t.Errorf("the CJG's: %v", got)
	}
	if got := of("gem-a"); !slices.Equal(got, []string{"a-1:accepted"}) {
		t.Errorf("gem-a's: %v", got)
	}
	if got := of("uwv"); len(got) != 0 {
		t.Errorf("uwv's: %v", got)
	}
	mustView(t, s, func(tx broker.ReadTx) error {
		if _, err := tx.Assignment("a-9"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("a missing assignment: %v", err)
		}
		n := 0
		err := tx.PartnerAssignments("cjg", func(broker.Assignment) error { n++; return io.EOF })
		if !errors.Is(err, io.EOF) || n != 1 {
			t.Errorf("stopping a scan: %v after %d", err, n)
		}
		return nil
	})
}

func TestPlanVersions(t *testing.T) {
	s := openTest(t, Config{})
	put := func(p broker.Plan) error { return s.Update(func(tx broker.Tx) error { return tx.PutPlan(p) }) }
	plan := func(household string, v uint64) broker.Plan {
		return broker.Plan{Household: household, Municipality: "gem-a", Version: v, Status: broker.PlanOpen, Change: "v" + string(rune('0'+v))}
	}
	if err := put(plan("hh-1", 2)); !errors.Is(err, broker.ErrPreconditionFailed) {
		t.Fatalf("version 2 first: %v", err)
	}
	for v := uint64(1); v <= 3; v++ {
		if err := put(plan("hh-1", v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := put(plan("hh-10", 1)); err != nil { // a household id that shares a prefix
		t.Fatal(err)
	}
	if err := put(plan("hh-1", 3)); !errors.Is(err, broker.ErrPreconditionFailed) {
		t.Fatalf("version 3 again: %v", err)
	}
	if err := put(broker.Plan{Household: "hh-1", Municipality: "gem-a"}); !errors.Is(err, broker.ErrInvalid) {
		t.Fatalf("version 0: %v", err)
	}
	mustView(t, s, func(tx broker.ReadTx) error {
		cur, err := tx.Plan("gem-a", "hh-1")
		if err != nil || cur.Version != 3 {
			t.Errorf("current: %+v, %v", cur, err)
		}
		v2, err := tx.PlanVersion("gem-a", "hh-1", 2)
		if err != nil || v2.Change != "v2" {
			t.Errorf("version 2: %+v, %v", v2, err)
		}
		if _, err := tx.Plan("gem-a", "hh-2"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("no plan: %v", err)
		}
		var versions []uint64
		if err := tx.PlanVersions("gem-a", "hh-1", func(p broker.Plan) error {
			versions = append(versions, p.Version)
			return nil
		}); err != nil {
			return err
		}
		if !slices.Equal(versions, []uint64{1, 2, 3}) {
			t.Errorf("versions %v", versions)
		}
		// Household ids are a namespace per municipality: the same id
		// elsewhere has no plan.
		if _, err := tx.Plan("gem-b", "hh-1"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("plan of hh-1 in another municipality: %v", err)
		}
		return nil
	})
}

func TestDeliveriesAndDeadLetters(t *testing.T) {
	s := openTest(t, Config{})
	now := time.Now().UTC()
	d := broker.Delivery{ID: "d-1", Partner: "cjg", Seq: 4, Kind: broker.InboxAssignment, NextAt: now, CreatedAt: now}
	mustUpdate(t, s, func(tx broker.Tx) error {
		if err := tx.PutDelivery(d); err != nil {
			return err
		}
		return tx.PutDelivery(broker.Delivery{ID: "d-2", Partner: "school", Seq: 5, NextAt: now})
	})
	if err := s.Update(func(tx broker.Tx) error { return tx.PutDelivery(broker.Delivery{ID: "d-3"}) }); !errors.Is(err, broker.ErrInvalid) {
		t.Errorf("a delivery without a partner: %v", err)
	}
	// The last attempt failed: the job becomes a dead letter in one transaction.
	mustUpdate(t, s, func(tx broker.Tx) error {
		if err := tx.DeleteDelivery("d-1"); err != nil {
			return err
		}
		return tx.PutDeadLetter(broker.DeadLetter{Delivery: d, URL: "https://cjg.example/hook", DeadAt: now})
	})
	if err := s.Update(func(tx broker.Tx) error { return tx.DeleteDelivery("d-1") }); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	mustView(t, s, func(tx broker.ReadTx) error {
		var ids []string
		if err := tx.Deliveries(func(d broker.Delivery) error { ids = append(ids, d.ID); return nil }); err != nil {
			return err
		}
		if !slices.Equal(ids, []string{"d-2"}) {
			t.Errorf("pending %v", ids)
		}
		var dead []broker.DeadLetter
		if err := tx.DeadLetters(func(d broker.DeadLetter) error { dead = append(dead, d); return nil }); err != nil {
			return err
		}
		if len(dead) != 1 || dead[0].ID != "d-1" || dead[0].URL == "" || dead[0].Seq != 4 {
			t.Errorf("dead letters %+v", dead)
		}
		if _, err := tx.DeadLetter("d-1"); err != nil {
			t.Errorf("dead letter d-1: %v", err)
		}
		if _, err := tx.Delivery("d-1"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("delivery d-1: %v", err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.DeleteDeadLetter("d-1") })
	if err := s.Update(func(tx broker.Tx) error { return tx.DeleteDeadLetter("d-1") }); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("deleting a dead letter twice: %v", err)
	}
}

// A store of schema 3 gains the collaboration buckets when it is opened.
func TestMigrationToCollaboration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ketenbrug.db")
	log := slog.New(slog.DiscardHandler)
	old, err := open(path, Config{Logger: log}, migrations()[:3])
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(); v != len(migrations()) || v < 4 {
		t.Fatalf("schema %d", v)
	}
	mustUpdate(t, s, func(tx broker.Tx) error {
		return tx.PutPlan(broker.Plan{Household: "hh-1", Municipality: "gem-a", Version: 1, Status: broker.PlanOpen})
	})
}
