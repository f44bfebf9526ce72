package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// migrateHouseholdKeys is the migration 4 → 5. Until schema 4 a household
// was stored under its bare id, one namespace for the whole region: a
// coordinator who chose an id that another municipality had taken was told
// so, which revealed the other municipality's household. From schema 5 the
// key is municipality ‖ 0x00 ‖ id. The rows are rewritten in the migration's
// transaction; plans and plan versions follow their household, and the
// member index is rebuilt.
func migrateHouseholdKeys(tx *bbolt.Tx) error {
	// Old household id → its municipality, from the households themselves.
	municipalityOf := map[string]string{}
	type row struct{ old, new []byte }
	var moved []row
	hb := tx.Bucket(bucketHouseholds)
	if err := hb.ForEach(func(k, raw []byte) error {
		h, err := households.decode(k, raw)
		if err != nil {
			return err
		}
		if h.Municipality == "" || bytes.IndexByte(k, 0) >= 0 {
			return fmt.Errorf("household %q has no municipality or is already migrated", k)
		}
		municipalityOf[string(k)] = h.Municipality
		moved = append(moved, row{bytes.Clone(k), householdKey(h.Municipality, h.ID)})
		return nil
	}); err != nil {
		return err
	}
	for _, r := range moved {
		raw := bytes.Clone(hb.Get(r.old))
		if err := hb.Delete(r.old); err != nil {
			return err
		}
		if err := hb.Put(r.new, raw); err != nil {
			return err
		}
	}
	if err := rebuildMemberIndex(tx); err != nil {
		return err
	}
	if err := rekeyPlans(tx, municipalityOf); err != nil {
		return err
	}
	return rekeyPlanVersions(tx, municipalityOf)
}

// rebuildMemberIndex recreates households_by_member from the households.
func rebuildMemberIndex(tx *bbolt.Tx) error {
	if err := tx.DeleteBucket(bucketHouseholdsByMember); err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketHouseholdsByMember); err != nil {
		return err
	}
	return tx.Bucket(bucketHouseholds).ForEach(func(k, raw []byte) error {
		h, err := households.decode(k, raw)
		if err != nil {
			return err
		}
		for _, m := range h.Members {
			if err := householdsByMember.add(tx, string(m.Subject), bytes.Clone(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// rekeyPlans moves each current plan from the bare household id to the
// household key.
func rekeyPlans(tx *bbolt.Tx, municipalityOf map[string]string) error {
	b := tx.Bucket(bucketPlans)
	var olds [][]byte
	if err := b.ForEach(func(k, _ []byte) error {
		olds = append(olds, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range olds {
		raw := bytes.Clone(b.Get(k))
		p, err := plans.decode(k, raw)
		if err != nil {
			return err
		}
		m := p.Municipality
		if m == "" {
			m = municipalityOf[string(k)]
		}
		if m == "" {
			return fmt.Errorf("plan of household %q: %w: no municipality", k, broker.ErrInvalid)
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		if err := b.Put(householdKey(m, string(k)), raw); err != nil {
			return err
		}
	}
	return nil
}

// rekeyPlanVersions moves every kept plan version from household id ‖ 0x00
// ‖ version to household key ‖ 0x00 ‖ version.
func rekeyPlanVersions(tx *bbolt.Tx, municipalityOf map[string]string) error {
	b := tx.Bucket(bucketPlanVersions)
	type row struct{ old, new, raw []byte }
	var rows []row
	if err := b.ForEach(func(k, raw []byte) error {
		if len(k) < 9 || k[len(k)-9] != 0 {
			return fmt.Errorf("plan version key %q: %w", k, broker.ErrInvalid)
		}
		id := string(k[:len(k)-9])
		p, err := planVersions.decode(k, raw)
		if err != nil {
			return err
		}
		m := p.Municipality
		if m == "" {
			m = municipalityOf[id]
		}
		if m == "" {
			return fmt.Errorf("plan version of household %q: %w: no municipality", id, broker.ErrInvalid)
		}
		version := binary.BigEndian.Uint64(k[len(k)-8:])
		rows = append(rows, row{bytes.Clone(k), planVersionKey(householdKey(m, id), version), bytes.Clone(raw)})
		return nil
	}); err != nil {
		return err
	}
	for _, r := range rows {
		if err := b.Delete(r.old); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := b.Put(r.new, r.raw); err != nil {
			return err
		}
	}
	return nil
}
