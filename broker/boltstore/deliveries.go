package boltstore

import (
	"fmt"

	"github.com/ketenbrug/ketenbrug/broker"
	"go.etcd.io/bbolt"
)

// Deliveries calls fn for every pending delivery, by id.
func (r *readTx) Deliveries(fn func(broker.Delivery) error) error {
	return r.tx.Bucket(bucketDeliveries).ForEach(func(k, raw []byte) error {
		d, err := deliveries.decode(k, raw)
		if err != nil {
			return err
		}
		return fn(d)
	})
}

// Delivery returns the pending delivery with id.
func (r *readTx) Delivery(id string) (broker.Delivery, error) {
	return deliveries.get(r.tx, []byte(id))
}

// PutDelivery stores d under its id.
func (w *writeTx) PutDelivery(d broker.Delivery) error {
	if d.ID == "" || d.Partner == "" {
		return fmt.Errorf("boltstore: delivery without id or partner: %w", broker.ErrInvalid)
	}
	return deliveries.put(w.tx, []byte(d.ID), &d)
}

// DeleteDelivery removes the pending delivery id.
func (w *writeTx) DeleteDelivery(id string) error {
	return deleteKey(w.tx, bucketDeliveries, "delivery", id)
}

// DeadLetters calls fn for every dead letter, by id.
func (r *readTx) DeadLetters(fn func(broker.DeadLetter) error) error {
	return r.tx.Bucket(bucketDeadLetters).ForEach(func(k, raw []byte) error {
		d, err := deadLetters.decode(k, raw)
		if err != nil {
			return err
		}
		return fn(d)
	})
}

// DeadLetter returns the dead letter with id.
func (r *readTx) DeadLetter(id string) (broker.DeadLetter, error) {
	return deadLetters.get(r.tx, []byte(id))
}

// PutDeadLetter stores d under its id.
func (w *writeTx) PutDeadLetter(d broker.DeadLetter) error {
	if d.ID == "" || d.Partner == "" {
		return fmt.Errorf("boltstore: dead letter without id or partner: %w", broker.ErrInvalid)
	}
	return deadLetters.put(w.tx, []byte(d.ID), &d)
}

// DeleteDeadLetter removes dead letter id.
func (w *writeTx) DeleteDeadLetter(id string) error {
	return deleteKey(w.tx, bucketDeadLetters, "dead letter", id)
}

// deleteKey removes key from bucket; an absent key matches
// broker.ErrNotFound.
func deleteKey(tx *bbolt.Tx, bucket []byte, what, key string) error {
	b := tx.Bucket(bucket)
	if b.Get([]byte(key)) == nil {
		return fmt.Errorf("%s %q: %w", what, key, broker.ErrNotFound)
	}
	return b.Delete([]byte(key))
}
