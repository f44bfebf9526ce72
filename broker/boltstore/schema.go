package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"

	"go.etcd.io/bbolt"
)

// A migration moves the store from schema version n to n+1. migrations()[n]
// is that step; the length of the list is the version this binary writes.
// Steps run inside the one transaction that also records the new version,
// so a crash mid-way leaves the old version intact.
type migration func(tx *bbolt.Tx) error

// migrations returns the schema history, oldest first. Append to it; never
// edit or reorder a released step.
func migrations() []migration {
	return []migration{
		// 0 → 1: the initial layout (see the package documentation).
		func(tx *bbolt.Tx) error {
			return createBuckets(tx, bucketPartners, bucketConsents, bucketConsentsBySubject,
				bucketPolicyVersions, bucketDecisions, bucketAudit, bucketAuditBySubject)
		},
		// 1 → 2: involvements, households and inboxes.
		func(tx *bbolt.Tx) error {
			return createBuckets(tx, bucketInvolvements, bucketInvolvementsBySubject,
				bucketHouseholds, bucketHouseholdsByMember, bucketInbox)
		},
		// 2 → 3: involvements in the binary codec (codec.go), a third of
		// the bytes and one allocation to decode. Rows are re-encoded in
		// the migration's transaction; JSON rows would still be read.
		migrateInvolvementsToBinary,
		// 3 → 4: assignments, plans and webhook deliveries (collaboration.go).
		createCollaborationBuckets,
		// 4 → 5: household ids become a namespace per municipality
		// (households, their member index, plans and plan versions keyed
		// by municipality ‖ 0x00 ‖ id).
		migrateHouseholdKeys,
		// 5 → 6: console sessions (sessions.go).
		createSessionBuckets,
		// 6 → 7: restrictions and objections (restrictions.go).
		createRestrictionBuckets,
		// 7 → 8: match follow-ups (followups.go).
		createFollowupBuckets,
		// 8 → 9: ended involvements indexed by their end day
		// (involvements.go), so that the retention sweep reads only those
		// due rather than every involvement each hour.
		indexEndedInvolvements,
	}
}

func createBuckets(tx *bbolt.Tx, names ...[]byte) error {
	for _, n := range names {
		if _, err := tx.CreateBucketIfNotExists(n); err != nil {
			return fmt.Errorf("create bucket %s: %w", n, err)
		}
	}
	return nil
}

// SchemaVersion returns the schema version of the open store.
func (s *Store) SchemaVersion() (int, error) {
	var v uint64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		v, err = schemaVersion(tx)
		return err
	})
	if err != nil {
		return 0, s.beginErr(err)
	}
	return int(v), nil
}

func schemaVersion(tx *bbolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil // a new, empty file
	}
	raw := meta.Get(keySchema)
	if raw == nil {
		return 0, nil
	}
	if len(raw) != 8 {
		return 0, fmt.Errorf("boltstore: corrupt schema version (%d bytes)", len(raw))
	}
	return binary.BigEndian.Uint64(raw), nil
}

// migrate brings the file to len(steps), or refuses a newer one. An
// up-to-date file is only read, so opening costs no fsync.
func migrate(db *bbolt.DB, steps []migration, log *slog.Logger) error {
	target := uint64(len(steps))
	var current uint64
	if err := db.View(func(tx *bbolt.Tx) error {
		var err error
		current, err = schemaVersion(tx)
		return err
	}); err != nil {
		return err
	}
	if current > target {
		return fmt.Errorf("%w: file has version %d, this binary knows up to %d", ErrSchemaTooNew, current, target)
	}
	if current == target {
		return nil
	}
	return db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("boltstore: create meta bucket: %w", err)
		}
		// Another process cannot interleave (file lock), but read again
		// inside the writing transaction anyway.
		from, err := schemaVersion(tx)
		if err != nil {
			return err
		}
		for v := from; v < target; v++ {
			if err := steps[v](tx); err != nil {
				return fmt.Errorf("boltstore: migrate schema %d to %d: %w", v, v+1, err)
			}
			log.Info("store schema migrated", slog.Uint64("from", v), slog.Uint64("to", v+1))
		}
		return meta.Put(keySchema, u64(target))
	})
}

// createCollaborationBuckets is the migration 3 → 4.
func createCollaborationBuckets(tx *bbolt.Tx) error {
	return createBuckets(tx, bucketAssignments, bucketAssignmentsByPartner, bucketPlans, bucketPlanVersions,
		bucketDeliveries, bucketDeadLetters)
}

// indexEndedInvolvements creates the ended-involvement index and fills it
// from the involvements stored. It reads every involvement once, in the
// migration's one transaction, and puts the index keys in key order: bbolt
// splits a transaction's nodes only at commit, so keys put in random order
// into a new bucket each shift a growing node (quadratic: 7 minutes for
// 600,000 keys), while keys in order append to it.
func indexEndedInvolvements(tx *bbolt.Tx) error {
	if err := createBuckets(tx, bucketInvolvementsEnded); err != nil {
		return err
	}
	var keys [][]byte
	c := tx.Bucket(bucketInvolvements).Cursor()
	for k, raw := c.First(); k != nil; k, raw = c.Next() {
		v, err := involvements.decode(k, raw)
		if err != nil {
			return err
		}
		if day := v.EndedOn(); day != "" {
			ik, err := indexKey(day, k)
			if err != nil {
				return err
			}
			keys = append(keys, ik)
		}
	}
	slices.SortFunc(keys, bytes.Compare)
	b := tx.Bucket(bucketInvolvementsEnded)
	b.FillPercent = appendFill
	for _, k := range keys {
		if err := b.Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}
