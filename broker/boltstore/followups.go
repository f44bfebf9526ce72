package boltstore

import (
	"bytes"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Buckets of schema version 8: match follow-ups.
//
//	followups              id → broker.Followup
//	followups_by_partner   partner ‖ 0x00 ‖ id → ∅ (the lead's and the coordinator's partner)
//	followups_by_household municipality ":" household ‖ 0x00 ‖ id → ∅
//	followups_live         id → ∅ (open or contacted)
var (
	bucketFollowups            = []byte("followups")
	bucketFollowupsByPartner   = []byte("followups_by_partner")
	bucketFollowupsByHousehold = []byte("followups_by_household")
	bucketFollowupsLive        = []byte("followups_live")
)

var (
	followups            = table[broker.Followup]{bucket: bucketFollowups, what: "follow-up"}
	followupsByPartner   = index{bucket: bucketFollowupsByPartner}
	followupsByHousehold = index{bucket: bucketFollowupsByHousehold}
)

// createFollowupBuckets is a migration: match follow-ups.
func createFollowupBuckets(tx *bbolt.Tx) error {
	return createBuckets(tx, bucketFollowups, bucketFollowupsByPartner, bucketFollowupsByHousehold, bucketFollowupsLive)
}

// householdTerm is a household's index term: ids never hold ':'.
func householdTerm(municipality, household string) string { return municipality + ":" + household }

// Followup returns the follow-up with id.
func (r *readTx) Followup(id string) (broker.Followup, error) {
	return followups.get(r.tx, []byte(id))
}

// PartnerFollowups calls fn, by id, for every follow-up whose lead or
// coordinator acts for partner.
func (r *readTx) PartnerFollowups(partner string, fn func(broker.Followup) error) error {
	if partner == "" {
		return nil
	}
	return r.followupsOf(followupsByPartner, partner, fn)
}

// HouseholdFollowups calls fn, by id, for every follow-up about the
// household.
func (r *readTx) HouseholdFollowups(municipality, household string, fn func(broker.Followup) error) error {
	if municipality == "" || household == "" {
		return nil
	}
	return r.followupsOf(followupsByHousehold, householdTerm(municipality, household), fn)
}

func (r *readTx) followupsOf(ix index, term string, fn func(broker.Followup) error) error {
	return ix.scan(r.tx, term, func(id []byte) error {
		f, err := followups.get(r.tx, id)
		if err != nil {
			return fmt.Errorf("boltstore: follow-up index names a missing follow-up: %v", err)
		}
		return fn(f)
	})
}

// LiveFollowups calls fn, by id, for every live follow-up after after.
func (r *readTx) LiveFollowups(after string, fn func(broker.Followup) error) error {
	c := r.tx.Bucket(bucketFollowupsLive).Cursor()
	k, _ := c.Seek([]byte(after))
	if k != nil && bytes.Equal(k, []byte(after)) {
		k, _ = c.Next()
	}
	for ; k != nil; k, _ = c.Next() {
		f, err := followups.get(r.tx, k)
		if err != nil {
			return fmt.Errorf("boltstore: live follow-up index names a missing follow-up: %v", err)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// PutFollowup stores f and keeps its three indexes in step.
func (w *writeTx) PutFollowup(f broker.Followup) error {
	if f.ID == "" || f.Municipality == "" || f.Household == "" || f.Lead.Partner == "" || f.Coordinator.Partner == "" {
		return fmt.Errorf("boltstore: follow-up without id, household, lead or coordinator: %w", broker.ErrInvalid)
	}
	// Every index term is checked before the first write: the caller's
	// transaction goes on after an error, and an entry added before a
	// later term was refused would name a follow-up never stored.
	for _, term := range []string{householdTerm(f.Municipality, f.Household), f.Lead.Partner, f.Coordinator.Partner} {
		k, err := indexKey(term, []byte(f.ID))
		if err != nil {
			return fmt.Errorf("boltstore: follow-up %s: %w", f.ID, err)
		}
		if len(k) > bbolt.MaxKeySize {
			return fmt.Errorf("boltstore: follow-up id too long: %w", broker.ErrInvalid)
		}
	}
	id := []byte(f.ID)
	old, err := followups.get(w.tx, id)
	switch {
	case err == nil:
		if old.Municipality != f.Municipality || old.Household != f.Household {
			return fmt.Errorf("boltstore: follow-up %s: %w: its household cannot change", f.ID, broker.ErrConflict)
		}
		for _, p := range []string{old.Lead.Partner, old.Coordinator.Partner} {
			if p != f.Lead.Partner && p != f.Coordinator.Partner {
				if err := followupsByPartner.remove(w.tx, p, id); err != nil {
					return err
				}
			}
		}
	case errors.Is(err, broker.ErrNotFound):
		if err := followupsByHousehold.add(w.tx, householdTerm(f.Municipality, f.Household), id); err != nil {
			return err
		}
	default:
		return err
	}
	for _, p := range []string{f.Lead.Partner, f.Coordinator.Partner} {
		if err := followupsByPartner.add(w.tx, p, id); err != nil {
			return err
		}
	}
	live := w.tx.Bucket(bucketFollowupsLive)
	if f.Live() {
		err = live.Put(id, nil)
	} else {
		err = live.Delete(id)
	}
	if err != nil {
		return err
	}
	return followups.put(w.tx, id, &f)
}
