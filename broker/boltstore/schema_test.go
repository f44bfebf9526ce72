package boltstore

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

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

// A store of schema 7 gains the follow-up buckets (schema 8) when it is
// opened, and what it held before stays.
func TestMigrationToFollowups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ketenbrug.db")
	log := slog.New(slog.DiscardHandler)
	old, err := open(path, Config{Logger: log}, migrations()[:7])
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := old.SchemaVersion(); v != 7 {
		t.Fatalf("schema %d before the migration, want 7", v)
	}
	mustUpdate(t, old, func(tx broker.Tx) error {
		return tx.PutAssignment(broker.Assignment{ID: "a1", Giver: broker.Actor{Partner: "p1"}, Recipient: "p2"})
	})
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	// Exactly one step, 7 → 8, belongs to follow-ups.
	s, err := open(path, Config{Logger: log}, migrations()[:8])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(); v != 8 {
		t.Fatalf("schema %d after the migration, want 8", v)
	}
	f := broker.Followup{ID: "f1", Municipality: "gem-a", Household: "hh-1", Lead: broker.Actor{Partner: "p2"},
		Coordinator: broker.Actor{Partner: "p1"}, State: broker.FollowupOpen}
	mustUpdate(t, s, func(tx broker.Tx) error { return tx.PutFollowup(f) })
	mustView(t, s, func(tx broker.ReadTx) error {
		if _, err := tx.Assignment("a1"); err != nil {
			t.Errorf("the assignment stored at schema 7: %v", err)
		}
		var live []string
		err := tx.LiveFollowups("", func(f broker.Followup) error { live = append(live, f.ID); return nil })
		if err != nil || len(live) != 1 || live[0] != "f1" {
			t.Errorf("LiveFollowups after the migration: %v, %v", live, err)
		}
		return nil
	})
}
