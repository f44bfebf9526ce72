package boltstore

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ketenbrug/ketenbrug/broker"
)

func planVersionKey(household []byte, version uint64) []byte {
	k := make([]byte, 0, len(household)+9)
	k = append(k, household...)
	k = append(k, 0)
	return append(k, u64(version)...)
}

// Plan returns the current version of the plan of household id of
// municipality.
func (r *readTx) Plan(municipality, household string) (broker.Plan, error) {
	return plans.get(r.tx, householdKey(municipality, household))
}

// PlanVersion returns version of the household's plan.
func (r *readTx) PlanVersion(municipality, household string, version uint64) (broker.Plan, error) {
	return planVersions.get(r.tx, planVersionKey(householdKey(municipality, household), version))
}

// PlanVersions calls fn for every version of the household's plan, oldest
// first.
func (r *readTx) PlanVersions(municipality, household string, fn func(broker.Plan) error) error {
	hk := householdKey(municipality, household)
	prefix := planVersionKey(hk, 0)[:len(hk)+1]
	c := r.tx.Bucket(bucketPlanVersions).Cursor()
	for k, raw := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, raw = c.Next() {
		p, err := planVersions.decode(k, raw)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// PutPlan stores p as the current version and keeps it under its version,
// which must follow the current one.
func (w *writeTx) PutPlan(p broker.Plan) error {
	if p.Household == "" || p.Municipality == "" || p.Version == 0 {
		return fmt.Errorf("boltstore: plan without household, municipality or version: %w", broker.ErrInvalid)
	}
	key := householdKey(p.Municipality, p.Household)
	cur, err := plans.get(w.tx, key)
	switch {
	case errors.Is(err, broker.ErrNotFound):
		cur = broker.Plan{}
	case err != nil:
		return err
	}
	if p.Version != cur.Version+1 {
		return fmt.Errorf("boltstore: plan of %s: %w: version %d follows %d", p.Household, broker.ErrPreconditionFailed,
			p.Version, cur.Version)
	}
	b := w.tx.Bucket(bucketPlanVersions)
	b.FillPercent = appendFill
	if err := planVersions.put(w.tx, planVersionKey(key, p.Version), &p); err != nil {
		return err
	}
	return plans.put(w.tx, key, &p)
}
