package pgstore

import "github.com/ketenbrug/ketenbrug/broker"

// Deliveries calls fn for every pending delivery, by id.
func (r *readTx) Deliveries(fn func(broker.Delivery) error) error {
	return walk(fn, func(last *broker.Delivery) ([]broker.Delivery, error) {
		after := ""
		if last != nil {
			after = last.ID
		}
		return values[broker.Delivery](r, "deliveries", "SELECT value FROM deliveries WHERE id > $1 ORDER BY id LIMIT $2", after, pageSize)
	})
}

// Delivery returns the pending delivery with id.
func (r *readTx) Delivery(id string) (broker.Delivery, error) {
	if !key(id) {
		return broker.Delivery{}, notFound("delivery", id)
	}
	return get[broker.Delivery](r, "delivery", id, "SELECT value FROM deliveries WHERE id = $1", id)
}

// PutDelivery creates or replaces d.
func (w *writeTx) PutDelivery(d broker.Delivery) error {
	if d.ID == "" || d.Partner == "" || !key(d.ID) {
		return invalid("delivery without a usable id or partner")
	}
	raw, err := encode("delivery", &d)
	if err != nil {
		return err
	}
	_, err = w.exec("put delivery", `INSERT INTO deliveries (id, value) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value`, d.ID, raw)
	return err
}

// DeleteDelivery removes the pending delivery id.
func (w *writeTx) DeleteDelivery(id string) error {
	return w.deleteByID("deliveries", "delivery", id)
}

// DeadLetters calls fn for every dead letter, by id.
func (r *readTx) DeadLetters(fn func(broker.DeadLetter) error) error {
	return walk(fn, func(last *broker.DeadLetter) ([]broker.DeadLetter, error) {
		after := ""
		if last != nil {
			after = last.ID
		}
		return values[broker.DeadLetter](r, "dead letters", "SELECT value FROM dead_letters WHERE id > $1 ORDER BY id LIMIT $2", after, pageSize)
	})
}

// DeadLetter returns the dead letter with id.
func (r *readTx) DeadLetter(id string) (broker.DeadLetter, error) {
	if !key(id) {
		return broker.DeadLetter{}, notFound("dead letter", id)
	}
	return get[broker.DeadLetter](r, "dead letter", id, "SELECT value FROM dead_letters WHERE id = $1", id)
}

// PutDeadLetter creates or replaces d.
func (w *writeTx) PutDeadLetter(d broker.DeadLetter) error {
	if d.ID == "" || d.Partner == "" || !key(d.ID) {
		return invalid("dead letter without a usable id or partner")
	}
	raw, err := encode("dead letter", &d)
	if err != nil {
		return err
	}
	_, err = w.exec("put dead letter", `INSERT INTO dead_letters (id, value) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value`, d.ID, raw)
	return err
}

// DeleteDeadLetter removes dead letter id.
func (w *writeTx) DeleteDeadLetter(id string) error {
	return w.deleteByID("dead_letters", "dead letter", id)
}

// deleteByID removes row id of table; none is ErrNotFound.
func (w *writeTx) deleteByID(table, what, id string) error {
	if !key(id) {
		return notFound(what, id)
	}
	n, err := w.exec("delete "+what, "DELETE FROM "+table+" WHERE id = $1", id)
	if err == nil && n == 0 {
		return notFound(what, id)
	}
	return err
}
