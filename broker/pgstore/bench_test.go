package pgstore

import (
	"fmt"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// BenchmarkUpdate: one write transaction (writer lock, one involvement,
// commit) against the test server: the floor of a write request's store
// cost on PostgreSQL.
func BenchmarkUpdate(b *testing.B) {
	s := openBench(b)
	i := 0
	for b.Loop() {
		i++
		if err := s.Update(func(tx broker.Tx) error {
			return tx.PutInvolvement(broker.Involvement{ID: fmt.Sprint(i), Partner: "p1", Ref: fmt.Sprint(i), Subject: "s1"})
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkView: one read transaction with one lookup by key.
func BenchmarkView(b *testing.B) {
	s := openBench(b)
	if err := s.Update(func(tx broker.Tx) error {
		return tx.PutInvolvement(broker.Involvement{ID: "1", Partner: "p1", Ref: "r1", Subject: "s1"})
	}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := s.View(func(tx broker.ReadTx) error { _, err := tx.Involvement("p1", "r1"); return err }); err != nil {
			b.Fatal(err)
		}
	}
}

func openBench(b *testing.B) *Store { return openTest(b, freshDatabase(b), Config{}) }
