package boltstore

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

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
