package boltstore

import (
	"bytes"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Buckets of schema version 2.
var (
	bucketInvolvements          = []byte("involvements")            // partner ‖ 0 ‖ ref → broker.Involvement (binary since schema 3, codec.go)
	bucketInvolvementsBySubject = []byte("involvements_by_subject") // pseudonym ‖ 0 ‖ partner ‖ 0 ‖ ref → ∅
	bucketHouseholds            = []byte("households")              // municipality ‖ 0 ‖ id → broker.Household
	bucketHouseholdsByMember    = []byte("households_by_member")    // pseudonym ‖ 0 ‖ household key → ∅
	bucketInbox                 = []byte("inbox")                   // partner ‖ 0 ‖ seq → broker.InboxItem
	bucketInvolvementsEnded     = []byte("involvements_ended")      // ended day ‖ 0 ‖ partner ‖ 0 ‖ ref → ∅ (schema 9)
)

var (
	involvements          = table[broker.Involvement]{bucket: bucketInvolvements, what: "involvement", bin: involvementCodec{}}
	involvementsBySubject = index{bucket: bucketInvolvementsBySubject, byPseudonym: true}
	involvementsEnded     = index{bucket: bucketInvolvementsEnded}
	households            = table[broker.Household]{bucket: bucketHouseholds, what: "household", bin: householdCodec{}}
	householdsByMember    = index{bucket: bucketHouseholdsByMember, byPseudonym: true}
	inbox                 = table[broker.InboxItem]{bucket: bucketInbox, what: "inbox item"}
)

// involvementKey is partner ‖ 0 ‖ ref: a partner's involvements are one
// contiguous range in ref order.
func involvementKey(partner, ref string) []byte {
	k := make([]byte, 0, len(partner)+1+len(ref))
	k = append(k, partner...)
	k = append(k, 0)
	return append(k, ref...)
}

// Involvement returns the involvement partner registered under ref.
func (r *readTx) Involvement(partner, ref string) (broker.Involvement, error) {
	return involvements.get(r.tx, involvementKey(partner, ref))
}

// InvolvementsOf returns every involvement of subject, ordered by partner
// and ref.
func (r *readTx) InvolvementsOf(subject broker.Pseudonym) ([]broker.Involvement, error) {
	var out []broker.Involvement
	err := involvementsBySubject.scan(r.tx, string(subject), func(key []byte) error {
		v, err := involvements.get(r.tx, key)
		if err != nil {
			return fmt.Errorf("boltstore: involvement index names a missing involvement: %v", err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// PartnerInvolvements calls fn for partner's involvements in ref order,
// after ref after; fn stops the scan with io.EOF, which is returned.
func (r *readTx) PartnerInvolvements(partner, after string, fn func(broker.Involvement) error) error {
	prefix := involvementKey(partner, "")
	c := r.tx.Bucket(bucketInvolvements).Cursor()
	k, raw := c.Seek(involvementKey(partner, after))
	if after != "" && k != nil && bytes.Equal(k, involvementKey(partner, after)) {
		k, raw = c.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, raw = c.Next() {
		v, err := involvements.decode(k, raw)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// EndedInvolvements calls fn for the ended involvements whose end day is
// before before, in the index's order (day, partner, ref), after position
// after; fn stops the walk with io.EOF, which is returned.
func (r *readTx) EndedInvolvements(before string, after broker.EndedCursor, fn func(broker.Involvement) error) error {
	c := r.tx.Bucket(bucketInvolvementsEnded).Cursor()
	var k []byte
	if after == (broker.EndedCursor{}) {
		k, _ = c.First()
	} else {
		from := endedKey(after.Day, after.Partner, after.Ref)
		if k, _ = c.Seek(from); k != nil && bytes.Equal(k, from) {
			k, _ = c.Next()
		}
	}
	for ; k != nil; k, _ = c.Next() {
		day, target, ok := bytes.Cut(k, []byte{0})
		if !ok {
			return fmt.Errorf("boltstore: corrupt ended-involvement index key %q", k)
		}
		if string(day) >= before {
			return nil
		}
		v, err := involvements.get(r.tx, target)
		if err != nil {
			return fmt.Errorf("boltstore: ended-involvement index names a missing involvement: %v", err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

func endedKey(day, partner, ref string) []byte {
	k := make([]byte, 0, len(day)+1+len(partner)+1+len(ref))
	k = append(k, day...)
	k = append(k, 0)
	return append(k, involvementKey(partner, ref)...)
}

// indexEnded brings the ended-involvement index from old's end day to
// v's ("" where either is not ended).
func indexEnded(tx *bbolt.Tx, key []byte, old, v *broker.Involvement) error {
	was, now := old.EndedOn(), v.EndedOn()
	if was == now {
		return nil
	}
	if was != "" {
		if err := involvementsEnded.remove(tx, was, key); err != nil {
			return err
		}
	}
	if now != "" {
		return involvementsEnded.add(tx, now, key)
	}
	return nil
}

// PutInvolvement stores v and keeps the subject index in step.
func (w *writeTx) PutInvolvement(v broker.Involvement) error {
	if v.Partner == "" || v.Ref == "" || v.Subject == "" || v.ID == "" {
		return fmt.Errorf("boltstore: involvement without partner, ref, subject or id: %w", broker.ErrInvalid)
	}
	key := involvementKey(v.Partner, v.Ref)
	old, err := involvements.get(w.tx, key)
	switch {
	case err == nil && old.Subject != v.Subject:
		if err := involvementsBySubject.remove(w.tx, string(old.Subject), key); err != nil {
			return err
		}
		fallthrough
	case errors.Is(err, broker.ErrNotFound):
		if err := involvementsBySubject.add(w.tx, string(v.Subject), key); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	if err := indexEnded(w.tx, key, &old, &v); err != nil {
		return err
	}
	return involvements.put(w.tx, key, &v)
}

// DeleteInvolvement removes partner's involvement ref and its index entry
// (retention of ended involvements). A missing one is ErrNotFound.
func (w *writeTx) DeleteInvolvement(partner, ref string) error {
	key := involvementKey(partner, ref)
	old, err := involvements.get(w.tx, key)
	if err != nil {
		return err
	}
	if err := involvementsBySubject.remove(w.tx, string(old.Subject), key); err != nil {
		return err
	}
	if err := indexEnded(w.tx, key, &old, &broker.Involvement{}); err != nil {
		return err
	}
	return w.tx.Bucket(bucketInvolvements).Delete(key)
}

// householdKey is the key of household id in municipality: household ids
// are a namespace per municipality (municipality ‖ 0x00 ‖ id), so that one
// municipality's ids neither clash with nor reveal another's.
func householdKey(municipality, id string) []byte {
	k := make([]byte, 0, len(municipality)+1+len(id))
	k = append(k, municipality...)
	k = append(k, 0)
	return append(k, id...)
}

// Household returns household id of municipality.
func (r *readTx) Household(municipality, id string) (broker.Household, error) {
	return households.get(r.tx, householdKey(municipality, id))
}

// MunicipalityHouseholds calls fn for municipality's households in id
// order, after after: the key's 0x00 after the municipality keeps
// "gem-a" from walking into "gem-ab".
func (r *readTx) MunicipalityHouseholds(municipality, after string, fn func(broker.Household) error) error {
	prefix := householdKey(municipality, "")
	c := r.tx.Bucket(bucketHouseholds).Cursor()
	k, raw := c.Seek(householdKey(municipality, after))
	if after != "" && k != nil && bytes.Equal(k, householdKey(municipality, after)) {
		k, raw = c.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, raw = c.Next() {
		h, err := households.decode(k, raw)
		if err != nil {
			return err
		}
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

// HouseholdsOf returns the households subject is a member of, by id.
func (r *readTx) HouseholdsOf(subject broker.Pseudonym) ([]broker.Household, error) {
	var out []broker.Household
	err := householdsByMember.scan(r.tx, string(subject), func(id []byte) error {
		h, err := households.get(r.tx, id)
		if err != nil {
			return fmt.Errorf("boltstore: member index names a missing household: %v", err)
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// PutHousehold stores h and brings the member index in step with its
// members: removed members lose their entry, new ones get one.
func (w *writeTx) PutHousehold(h broker.Household) error {
	if h.ID == "" || h.Municipality == "" {
		return fmt.Errorf("boltstore: household without id or municipality: %w", broker.ErrInvalid)
	}
	key := householdKey(h.Municipality, h.ID)
	old, err := households.get(w.tx, key)
	if err != nil && !errors.Is(err, broker.ErrNotFound) {
		return err
	}
	now := map[broker.Pseudonym]bool{}
	for _, m := range h.Members {
		now[m.Subject] = true
	}
	for _, m := range old.Members {
		if !now[m.Subject] {
			if err := householdsByMember.remove(w.tx, string(m.Subject), key); err != nil {
				return err
			}
		}
	}
	for s := range now {
		if err := householdsByMember.add(w.tx, string(s), key); err != nil {
			return err
		}
	}
	return households.put(w.tx, key, &h)
}

func inboxKey(partner string, seq uint64) []byte {
	k := make([]byte, 0, len(partner)+9)
	k = append(k, partner...)
	k = append(k, 0)
	return append(k, u64(seq)...)
}

// Inbox returns up to limit of partner's items after seq after.
func (r *readTx) Inbox(partner string, after uint64, limit int, withAcked bool) ([]broker.InboxItem, error) {
	prefix := inboxKey(partner, 0)[:len(partner)+1]
	c := r.tx.Bucket(bucketInbox).Cursor()
	var out []broker.InboxItem
	for k, raw := c.Seek(inboxKey(partner, after+1)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, raw = c.Next() {
		it, err := inbox.decode(k, raw)
		if err != nil {
			return nil, err
		}
		if it.AckedAt != nil && !withAcked {
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// InboxItem returns partner's item seq.
func (r *readTx) InboxItem(partner string, seq uint64) (broker.InboxItem, error) {
	return inbox.get(r.tx, inboxKey(partner, seq))
}

// AppendInbox stores item under the next sequence number of the inbox
// bucket (one sequence for all partners, so ids never repeat).
func (w *writeTx) AppendInbox(item broker.InboxItem) (broker.InboxItem, error) {
	if item.Partner == "" {
		return item, fmt.Errorf("boltstore: inbox item without partner: %w", broker.ErrInvalid)
	}
	b := w.tx.Bucket(bucketInbox)
	seq, err := b.NextSequence()
	if err != nil {
		return item, err
	}
	item.Seq = seq
	return item, inbox.put(w.tx, inboxKey(item.Partner, seq), &item)
}

// PutInboxItem replaces a stored item.
func (w *writeTx) PutInboxItem(item broker.InboxItem) error {
	key := inboxKey(item.Partner, item.Seq)
	if w.tx.Bucket(bucketInbox).Get(key) == nil {
		return fmt.Errorf("inbox item %d: %w", item.Seq, broker.ErrNotFound)
	}
	return inbox.put(w.tx, key, &item)
}
