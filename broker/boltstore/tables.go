package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Bucket names and meta keys. Read-only: bbolt wants []byte.
var (
	bucketMeta              = []byte("meta")
	bucketPartners          = []byte("partners")
	bucketConsents          = []byte("consents")
	bucketConsentsBySubject = []byte("consents_by_subject")
	bucketPolicyVersions    = []byte("policy_versions")
	bucketDecisions         = []byte("decisions")
	bucketAudit             = []byte("audit")
	bucketAuditBySubject    = []byte("audit_by_subject")

	keySchema       = []byte("schema")
	keyActivePolicy = []byte("active_policy")
	keyAuditHead    = []byte("audit_head")
)

// The entity tables. Read-only descriptors.
var (
	partners          = table[broker.Partner]{bucket: bucketPartners, what: "partner"}
	consents          = table[broker.Consent]{bucket: bucketConsents, what: "consent", bin: consentCodec{}}
	policyVersions    = table[broker.PolicyVersion]{bucket: bucketPolicyVersions, what: "policy version"}
	decisions         = table[broker.DecisionRecord]{bucket: bucketDecisions, what: "decision record"}
	consentsBySubject = index{bucket: bucketConsentsBySubject, byPseudonym: true}
)

// appendFill is the fill percentage for buckets whose keys only grow
// (sequence numbers): bbolt splits pages at FillPercent, and with
// increasing keys a half-full page is never filled later, so full pages
// halve the file and the pages written per commit.
const appendFill = 1.0

// writeFill is the fill percentage of the other buckets. bbolt writes a
// transaction's changed nodes at commit, splitting each into pages filled
// to FillPercent: at bbolt's default (0.5) a transaction that adds many
// keys to one node — a sync chunk, a bulk load, a migration — leaves every
// page it writes half empty, and the file twice the size of its data
// (885 bytes per involvement for the load tool's region, 2026-12-03).
// At 0.9 those pages are nearly full. Where later inserts land anywhere
// (the indexes by pseudonym) that is the wrong choice: see index.
const writeFill = 0.9

// filled returns tx's bucket name with its fill percentage set for this
// transaction (bbolt keeps one Bucket per name and transaction).
func filled(tx *bbolt.Tx, name []byte) *bbolt.Bucket {
	b := tx.Bucket(name)
	if b.FillPercent != appendFill {
		b.FillPercent = writeFill
	}
	return b
}

// table is a bucket of one entity type, values encoded as JSON.
//
// JSON keeps the file readable with the bbolt CLI and lets fields be added
// without a migration; decoding a partner costs a few microseconds (see
// BenchmarkPartnerGet). A table of millions of small rows uses a binary
// codec instead (bin; involvements since schema 3), without touching its
// callers.
type table[T any] struct {
	bucket []byte
	what   string // names the entity in errors
	// bin, when set, writes values in a binary form (codec.go); values
	// that start with '{' are still read as JSON.
	bin codec[T]
}

// get decodes the value under key; an absent key matches broker.ErrNotFound.
func (t table[T]) get(tx *bbolt.Tx, key []byte) (T, error) {
	raw := tx.Bucket(t.bucket).Get(key)
	if raw == nil {
		var v T
		return v, fmt.Errorf("%s %q: %w", t.what, key, broker.ErrNotFound)
	}
	return t.decode(key, raw)
}

// decode decodes one stored value (key names it in errors).
func (t table[T]) decode(key, raw []byte) (T, error) {
	var v T
	if t.bin != nil && len(raw) > 0 && raw[0] == t.bin.format() {
		if err := t.bin.decode(raw, &v); err != nil {
			return v, fmt.Errorf("boltstore: decode %s %q: %w", t.what, key, err)
		}
		return v, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("boltstore: decode %s %q: %w", t.what, key, err)
	}
	return v, nil
}

// put encodes v under key.
func (t table[T]) put(tx *bbolt.Tx, key []byte, v *T) error {
	var raw []byte
	if t.bin != nil {
		raw = t.bin.encode(nil, v)
	} else {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return fmt.Errorf("boltstore: encode %s: %w", t.what, err)
		}
	}
	if err := filled(tx, t.bucket).Put(key, raw); err != nil {
		return fmt.Errorf("boltstore: put %s: %w", t.what, err)
	}
	return nil
}

// all decodes every value in key order.
func (t table[T]) all(tx *bbolt.Tx) ([]T, error) {
	var out []T
	err := tx.Bucket(t.bucket).ForEach(func(k, raw []byte) error {
		v, err := t.decode(k, raw)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// index maps a term (a pseudonym, a municipality id …) to keys of another
// bucket. Each entry is one key, term ‖ 0x00 ‖ target, with an empty value,
// so all targets of a term are one contiguous range: a lookup is one seek
// and a short scan, and adding or removing a target touches one leaf.
type index struct {
	bucket []byte
	// byPseudonym marks an index whose terms are pseudonyms: keyed by a
	// keyed hash, its inserts land anywhere in the tree. Filling its
	// pages to writeFill would leave a full page beside nearly every
	// insert, which then splits into a full page and a nearly empty one
	// (the subject index of 2,000,000 persons ended 38 % full, 169 bytes
	// per involvement); bbolt's own half-way split keeps room for the
	// next insert (69 % full, 90 bytes).
	byPseudonym bool
}

func indexKey(term string, target []byte) ([]byte, error) {
	if term == "" || len(term) > bbolt.MaxKeySize/2 || strings.IndexByte(term, 0) >= 0 {
		return nil, fmt.Errorf("boltstore: unusable index term: %w", broker.ErrInvalid)
	}
	k := make([]byte, 0, len(term)+1+len(target))
	k = append(k, term...)
	k = append(k, 0)
	return append(k, target...), nil
}

func (ix index) add(tx *bbolt.Tx, term string, target []byte) error {
	k, err := indexKey(term, target)
	if err != nil {
		return err
	}
	if ix.byPseudonym {
		return tx.Bucket(ix.bucket).Put(k, nil) // bbolt's default fill: see index
	}
	return filled(tx, ix.bucket).Put(k, nil)
}

func (ix index) remove(tx *bbolt.Tx, term string, target []byte) error {
	k, err := indexKey(term, target)
	if err != nil {
		return err
	}
	return tx.Bucket(ix.bucket).Delete(k)
}

// scan calls fn with each target of term, in key order. The slice is only
// valid during fn.
func (ix index) scan(tx *bbolt.Tx, term string, fn func(target []byte) error) error {
	prefix, err := indexKey(term, nil)
	if err != nil {
		return err
	}
	c := tx.Bucket(ix.bucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if err := fn(k[len(prefix):]); err != nil {
			return err
		}
	}
	return nil
}

// u64 encodes n as an 8-byte big-endian key, so keys sort numerically.
func u64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

// Buckets of schema version 4: levels 3 and 4 (assignments and the joint
// plan) and webhook delivery.
//
//	assignments            id → broker.Assignment
//	assignments_by_partner partner ‖ 0x00 ‖ assignment id → ∅ (the giver's partner and the recipient)
//	plans                  household key → broker.Plan (the current version)
//	plan_versions          household key ‖ 0x00 ‖ version → broker.Plan (every version, kept)
//	deliveries             id → broker.Delivery (pending webhook deliveries)
//	dead_letters           id → broker.DeadLetter
//
// A household key is municipality ‖ 0x00 ‖ household id (schema 5).
var (
	bucketAssignments          = []byte("assignments")
	bucketAssignmentsByPartner = []byte("assignments_by_partner")
	bucketPlans                = []byte("plans")
	bucketPlanVersions         = []byte("plan_versions")
	bucketDeliveries           = []byte("deliveries")
	bucketDeadLetters          = []byte("dead_letters")
)

var (
	assignments          = table[broker.Assignment]{bucket: bucketAssignments, what: "assignment"}
	assignmentsByPartner = index{bucket: bucketAssignmentsByPartner}
	plans                = table[broker.Plan]{bucket: bucketPlans, what: "plan"}
	planVersions         = table[broker.Plan]{bucket: bucketPlanVersions, what: "plan version"}
	deliveries           = table[broker.Delivery]{bucket: bucketDeliveries, what: "delivery"}
	deadLetters          = table[broker.DeadLetter]{bucket: bucketDeadLetters, what: "dead letter"}
)
