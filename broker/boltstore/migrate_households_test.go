package boltstore

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestMigrateHouseholdKeys writes households and plans in the layout of
// schema 4 (bare ids, one namespace for the region), opens the file with
// this binary and finds them under their municipality, with the member
// index and every plan version intact.
func TestMigrateHouseholdKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := open(path, Config{}, migrations()[:4])
	if err != nil {
		t.Fatal(err)
	}
	hh := broker.Household{ID: "hh-1", Municipality: "gem-a",
		Members: []broker.Member{{Label: "moeder", Subject: "p:m", Role: "parent"}, {Label: "kind", Subject: "p:k", Role: "child"}}}
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		if err := households.put(tx, []byte(hh.ID), &hh); err != nil {
			return err
		}
		for _, m := range hh.Members {
			if err := householdsByMember.add(tx, string(m.Subject), []byte(hh.ID)); err != nil {
				return err
			}
		}
		for v := uint64(1); v <= 2; v++ {
			p := broker.Plan{Household: hh.ID, Municipality: hh.Municipality, Version: v, Status: broker.PlanOpen}
			if err := planVersions.put(tx, planVersionKey([]byte(hh.ID), v), &p); err != nil {
				return err
			}
			if err := plans.put(tx, []byte(hh.ID), &p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = open(path, Config{}, migrations())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustView(t, s, func(tx broker.ReadTx) error {
		h, err := tx.Household("gem-a", "hh-1")
		if err != nil || len(h.Members) != 2 {
			t.Errorf("household after migration: %+v, %v", h, err)
		}
		if _, err := tx.Household("gem-b", "hh-1"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("the same id in another municipality: %v", err)
		}
		hs, err := tx.HouseholdsOf("p:k")
		if err != nil || len(hs) != 1 || hs[0].ID != "hh-1" {
			t.Errorf("member index after migration: %+v, %v", hs, err)
		}
		if p, err := tx.Plan("gem-a", "hh-1"); err != nil || p.Version != 2 {
			t.Errorf("plan after migration: %+v, %v", p, err)
		}
		var versions []uint64
		if err := tx.PlanVersions("gem-a", "hh-1", func(p broker.Plan) error {
			versions = append(versions, p.Version)
			return nil
		}); err != nil || !slices.Equal(versions, []uint64{1, 2}) {
			t.Errorf("plan versions after migration: %v, %v", versions, err)
		}
		return nil
	})
	// A new household with the same id in another municipality is a
	// household of its own.
	mustUpdate(t, s, func(tx broker.Tx) error {
		return tx.PutHousehold(broker.Household{ID: "hh-1", Municipality: "gem-b",
			Members: []broker.Member{{Label: "vader", Subject: "p:v", Role: "parent"}}})
	})
	mustView(t, s, func(tx broker.ReadTx) error {
		a, errA := tx.Household("gem-a", "hh-1")
		b, errB := tx.Household("gem-b", "hh-1")
		if errA != nil || errB != nil || len(a.Members) != 2 || len(b.Members) != 1 {
			t.Errorf("two households hh-1: %+v %v / %+v %v", a, errA, b, errB)
		}
		return nil
	})
}
