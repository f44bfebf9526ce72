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
