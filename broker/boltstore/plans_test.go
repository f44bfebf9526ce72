package boltstore

import (
	"errors"
	"slices"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

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
