package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// testTransactions: a Tx reads its own writes; a failed or panicking Update
// keeps nothing and returns fn's error unchanged; View returns fn's error
// unchanged; a returned value belongs to the caller.
func testTransactions(t *testing.T, s broker.Store) {
	err := s.Update(func(tx broker.Tx) error {
		if err := tx.PutPartner(partner("p-gone")); err != nil {
			return err
		}
		if err := tx.PutConsent(consent("c-gone", "s1")); err != nil {
			return err
		}
		if _, err := tx.Partner("p-gone"); err != nil {
			t.Errorf("a Tx does not read its own write: %v", err)
		}
		return errRollback
	})
	is(t, "Update whose fn failed", err, errRollback)

	func() {
		defer func() {
			if recover() == nil {
				t.Error("Update swallowed fn's panic")
			}
		}()
		_ = s.Update(func(tx broker.Tx) error {
			if err := tx.PutPartner(partner("p-panic")); err != nil {
				return err
			}
			panic("storetest: fn panics")
		})
	}()

	view(t, s, func(tx broker.ReadTx) error {
		for _, id := range []string{"p-gone", "p-panic"} {
			_, err := tx.Partner(id)
			is(t, "partner "+id+" written by a rolled-back Update", err, broker.ErrNotFound)
		}
		cs, err := tx.ConsentsOf("s1")
		ok(t, "ConsentsOf", err)
		if len(cs) != 0 {
			t.Errorf("a rolled-back Update left consents indexed: %v", ids(cs, consentID))
		}
		return nil
	})

	// The store still writes after a rollback and a panic.
	update(t, s, func(tx broker.Tx) error { return tx.PutPartner(partner("p1")) })

	err = s.View(func(broker.ReadTx) error { return errRollback })
	is(t, "View whose fn failed", err, errRollback)

	// The caller owns what it reads.
	view(t, s, func(tx broker.ReadTx) error {
		p, err := tx.Partner("p1")
		ok(t, "Partner", err)
		p.Municipalities[0] = "changed"
		p.JWKS[0] = 'X'
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		p, err := tx.Partner("p1")
		ok(t, "Partner", err)
		same(t, "partner after its copy was changed", p, partner("p1"))
		return nil
	})
}

// testSnapshot: a read transaction sees one state, not a write committed
// while it runs.
func testSnapshot(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error { return tx.PutPartner(partner("p1")) })
	view(t, s, func(tx broker.ReadTx) error {
		before, err := tx.Partners()
		ok(t, "Partners", err)
		done := make(chan error, 1)
		go func() {
			done <- s.Update(func(tx broker.Tx) error { return tx.PutPartner(partner("p2")) })
		}()
		ok(t, "concurrent Update", <-done)
		after, err := tx.Partners()
		ok(t, "Partners", err)
		same(t, "partners in one read transaction, before and after a concurrent commit",
			ids(after, partnerID), ids(before, partnerID))
		if _, err := tx.Partner("p2"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("a read transaction sees a later commit: %v", err)
		}
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		ps, err := tx.Partners()
		ok(t, "Partners", err)
		same(t, "partners after the commit", ids(ps, partnerID), []string{"p1", "p2"})
		return nil
	})
}

// testBackup: Backup writes something and counts it right. What a backup
// holds is the implementation's format; restoring it is its own test.
func testBackup(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error { return tx.PutPartner(partner("p1")) })
	var buf bytes.Buffer
	n, err := s.Backup(&buf)
	ok(t, "Backup", err)
	if n <= 0 || n != int64(buf.Len()) {
		t.Errorf("Backup returned %d, wrote %d bytes", n, buf.Len())
	}
}
