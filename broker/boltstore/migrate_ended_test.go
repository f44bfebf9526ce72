package boltstore

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestMigrateEndedInvolvements writes involvements in the layout of
// schema 8 (no index of ended ones), opens the file with this binary and
// finds the ended ones in the index, by the day they ended, and the index
// following later writes.
func TestMigrateEndedInvolvements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := open(path, Config{}, migrations()[:8])
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	inv := func(ref, status, end string) broker.Involvement {
		return broker.Involvement{ID: "i-" + ref, Partner: "p1", Ref: ref, Subject: broker.Pseudonym("s-" + ref),
			Status: status, End: end, CreatedAt: t0, UpdatedAt: t0, Revision: 1}
	}
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		for _, v := range []broker.Involvement{inv("active", broker.InvolvementActive, ""),
			inv("with-end", broker.InvolvementEnded, "2026-01-31"), inv("without-end", broker.InvolvementEnded, "")} {
			if err := involvements.put(tx, involvementKey(v.Partner, v.Ref), &v); err != nil {
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
	endedRefs := func() []string {
		var got []string
		mustView(t, s, func(tx broker.ReadTx) error {
			return tx.EndedInvolvements("2026-12-31", broker.EndedCursor{}, func(v broker.Involvement) error {
				got = append(got, v.EndedOn()+" "+v.Ref)
				return nil
			})
		})
		return got
	}
	if got, want := endedRefs(), []string{"2026-01-31 with-end", "2026-03-02 without-end"}; !slices.Equal(got, want) {
		t.Fatalf("ended involvements after the migration: %q, want %q", got, want)
	}
	if err := s.Update(func(tx broker.Tx) error { return tx.DeleteInvolvement("p1", "with-end") }); err != nil {
		t.Fatal(err)
	}
	if got, want := endedRefs(), []string{"2026-03-02 without-end"}; !slices.Equal(got, want) {
		t.Fatalf("after a migrated one was removed: %q, want %q", got, want)
	}
}
