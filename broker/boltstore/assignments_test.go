package boltstore

import (
	"errors"
	"io"
	"slices"
	"testing"

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
