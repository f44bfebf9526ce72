package boltstore

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// keyBinding holds the fingerprint of the secrets the store was made with
// (the broker key and the pseudonym secret, which live beside it as files,
// never in it). A store started with another key or secret would go on
// silently — new pseudonyms not matching the stored ones, checkpoints
// signed by a stranger — so the wiring compares them at every start.
var keyBinding = []byte("binding")

// Bind records fingerprint as the store's binding when it has none, and
// otherwise reports whether it is the recorded one. The fingerprint must
// not allow recovering the secrets (a hash, an HMAC).
func (s *Store) Bind(fingerprint string) (bound bool, err error) {
	err = s.db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		cur := meta.Get(keyBinding)
		if cur == nil {
			bound = true
			return meta.Put(keyBinding, []byte(fingerprint))
		}
		bound = string(cur) == fingerprint
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("boltstore: binding: %w", s.beginErr(err))
	}
	return bound, nil
}
