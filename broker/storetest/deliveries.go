package storetest

import (
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func testDeliveries(t *testing.T, s broker.Store) {
	delivery := func(id string) broker.Delivery {
		return broker.Delivery{ID: id, Partner: "p1", Seq: 7, Kind: "match", Attempts: 1, NextAt: at(1),
			LastError: "503", CreatedAt: t0}
	}
	dead := func(id string) broker.DeadLetter {
		return broker.DeadLetter{Delivery: delivery(id), URL: "https://p1.example/hook", DeadAt: at(60)}
	}
	update(t, s, func(tx broker.Tx) error {
		for _, id := range []string{"d2", "d1", "d3"} {
			ok(t, "PutDelivery", tx.PutDelivery(delivery(id)))
			ok(t, "PutDeadLetter", tx.PutDeadLetter(dead("x"+id)))
		}
		is(t, "PutDelivery without id", tx.PutDelivery(delivery("")), broker.ErrInvalid)
		noPartner := delivery("d9")
		noPartner.Partner = ""
		is(t, "PutDelivery without partner", tx.PutDelivery(noPartner), broker.ErrInvalid)
		is(t, "PutDeadLetter without id", tx.PutDeadLetter(dead("")), broker.ErrInvalid)
		ok(t, "DeleteDelivery", tx.DeleteDelivery("d3"))
		is(t, "DeleteDelivery of one not stored", tx.DeleteDelivery("d3"), broker.ErrNotFound)
		ok(t, "DeleteDeadLetter", tx.DeleteDeadLetter("xd3"))
		is(t, "DeleteDeadLetter of one not stored", tx.DeleteDeadLetter("xd3"), broker.ErrNotFound)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		d, err := tx.Delivery("d1")
		ok(t, "Delivery", err)
		same(t, "Delivery", d, delivery("d1"))
		_, err = tx.Delivery("d3")
		is(t, "Delivery deleted", err, broker.ErrNotFound)
		l, err := tx.DeadLetter("xd1")
		ok(t, "DeadLetter", err)
		same(t, "DeadLetter", l, dead("xd1"))
		_, err = tx.DeadLetter("d1")
		is(t, "DeadLetter with a pending delivery's id", err, broker.ErrNotFound)
		same(t, "Deliveries, by id", ids(walk(t, "Deliveries", tx.Deliveries), func(d broker.Delivery) string { return d.ID }),
			[]string{"d1", "d2"})
		same(t, "DeadLetters, by id", ids(walk(t, "DeadLetters", tx.DeadLetters), func(d broker.DeadLetter) string { return d.ID }),
			[]string{"xd1", "xd2"})
		stopsAtEOF(t, "Deliveries", tx.Deliveries)
		stopsAtEOF(t, "DeadLetters", tx.DeadLetters)
		return nil
	})
}
