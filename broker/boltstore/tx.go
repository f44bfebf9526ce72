package boltstore

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// readTx implements broker.ReadTx over a bbolt transaction.
type readTx struct {
	tx  *bbolt.Tx
	cfg *Config
}

// writeTx implements broker.Tx; bbolt's write transaction also reads.
type writeTx struct {
	readTx
}

var (
	_ broker.ReadTx = (*readTx)(nil)
	_ broker.Tx     = (*writeTx)(nil)
)

// Partner returns the partner with id.
func (r *readTx) Partner(id string) (broker.Partner, error) {
	return partners.get(r.tx, []byte(id))
}

// Partners returns every partner, ordered by id.
func (r *readTx) Partners() ([]broker.Partner, error) {
	return partners.all(r.tx)
}

// PutPartner creates or replaces p, keyed by p.ID.
func (w *writeTx) PutPartner(p broker.Partner) error {
	if p.ID == "" {
		return fmt.Errorf("boltstore: partner without id: %w", broker.ErrInvalid)
	}
	return partners.put(w.tx, []byte(p.ID), &p)
}

// Consent returns the consent with id.
func (r *readTx) Consent(id string) (broker.Consent, error) {
	return consents.get(r.tx, []byte(id))
}

// ConsentsOf returns every consent of subject, withdrawn ones included,
// ordered by consent id.
func (r *readTx) ConsentsOf(subject broker.Pseudonym) ([]broker.Consent, error) {
	var out []broker.Consent
	err := consentsBySubject.scan(r.tx, string(subject), func(id []byte) error {
		c, err := consents.get(r.tx, id)
		if err != nil {
			// An index entry without its consent is a bug, not an absent
			// object: do not let it read as ErrNotFound.
			return fmt.Errorf("boltstore: consent index names missing consent %q: %v", id, err)
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// PutConsent creates or replaces c, keyed by c.ID, and keeps the subject
// index in step when the subject changes.
func (w *writeTx) PutConsent(c broker.Consent) error {
	if c.ID == "" || c.Subject == "" {
		return fmt.Errorf("boltstore: consent without id or subject: %w", broker.ErrInvalid)
	}
	id := []byte(c.ID)
	old, err := consents.get(w.tx, id)
	switch {
	case err == nil && old.Subject != c.Subject:
		if err := consentsBySubject.remove(w.tx, string(old.Subject), id); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, broker.ErrNotFound):
		return err
	}
	if err := consents.put(w.tx, id, &c); err != nil {
		return err
	}
	return consentsBySubject.add(w.tx, string(c.Subject), id)
}

// PolicyVersion returns the policy version with id.
func (r *readTx) PolicyVersion(id string) (broker.PolicyVersion, error) {
	return policyVersions.get(r.tx, []byte(id))
}

// PolicyVersions returns every policy version, bundles included, in upload
// order (oldest first).
func (r *readTx) PolicyVersions() ([]broker.PolicyVersion, error) {
	vs, err := policyVersions.all(r.tx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(vs, func(a, b broker.PolicyVersion) int {
		return cmp.Or(a.UploadedAt.Compare(b.UploadedAt), cmp.Compare(a.ID, b.ID))
	})
	return vs, nil
}

// PutPolicyVersion creates or replaces v, keyed by v.ID.
func (w *writeTx) PutPolicyVersion(v broker.PolicyVersion) error {
	if v.ID == "" {
		return fmt.Errorf("boltstore: policy version without id: %w", broker.ErrInvalid)
	}
	return policyVersions.put(w.tx, []byte(v.ID), &v)
}

// ActivePolicy returns the active policy version id, "" when none was
// activated.
func (r *readTx) ActivePolicy() (string, error) {
	return string(r.tx.Bucket(bucketMeta).Get(keyActivePolicy)), nil
}

// SetActivePolicy points at a stored policy version; "" returns to the
// embedded default. An unknown id matches broker.ErrNotFound.
func (w *writeTx) SetActivePolicy(id string) error {
	meta := w.tx.Bucket(bucketMeta)
	if id == "" {
		return meta.Delete(keyActivePolicy)
	}
	if w.tx.Bucket(bucketPolicyVersions).Get([]byte(id)) == nil {
		return fmt.Errorf("policy version %q: %w", id, broker.ErrNotFound)
	}
	return meta.Put(keyActivePolicy, []byte(id))
}

// RecentDecisions returns up to n of the newest decision records, newest
// first.
func (r *readTx) RecentDecisions(n int) ([]broker.DecisionRecord, error) {
	if n <= 0 {
		return nil, nil
	}
	out := make([]broker.DecisionRecord, 0, min(n, r.cfg.DecisionCapacity))
	c := r.tx.Bucket(bucketDecisions).Cursor()
	for k, _ := c.Last(); k != nil && len(out) < n; k, _ = c.Prev() {
		d, err := decisions.get(r.tx, k)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// PutDecision stores r under the next sequence number (r.Seq is assigned
// by the store) and drops the oldest records beyond the configured
// capacity.
func (w *writeTx) PutDecision(r broker.DecisionRecord) error {
	b := w.tx.Bucket(bucketDecisions)
	b.FillPercent = appendFill
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("boltstore: decision sequence: %w", err)
	}
	r.Seq = seq
	if err := decisions.put(w.tx, u64(seq), &r); err != nil {
		return err
	}
	// Keys are contiguous (only the oldest are ever removed), so the count
	// is newest − oldest + 1 and trimming needs no scan of the ring.
	limit := uint64(w.cfg.DecisionCapacity)
	c := b.Cursor()
	for k, _ := c.First(); k != nil && seq-binary.BigEndian.Uint64(k)+1 > limit; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return fmt.Errorf("boltstore: trim decisions: %w", err)
		}
	}
	return nil
}
