package pgstore

import (
	"fmt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Plan returns the current (highest) version of the household's plan.
func (r *readTx) Plan(municipality, household string) (broker.Plan, error) {
	if !key(municipality, household) {
		return broker.Plan{}, notFound("plan", municipality+"/"+household)
	}
	return get[broker.Plan](r, "plan", municipality+"/"+household, `SELECT value FROM plan_versions
		WHERE municipality = $1 AND household = $2 ORDER BY version DESC LIMIT 1`, municipality, household)
}

// PlanVersion returns one stored version of the household's plan.
func (r *readTx) PlanVersion(municipality, household string, version uint64) (broker.Plan, error) {
	v, ok := seqArg(version)
	what := fmt.Sprintf("%s/%s v%d", municipality, household, version)
	if !ok || !key(municipality, household) {
		return broker.Plan{}, notFound("plan version", what)
	}
	return get[broker.Plan](r, "plan version", what, `SELECT value FROM plan_versions
		WHERE municipality = $1 AND household = $2 AND version = $3`, municipality, household, v)
}

// PlanVersions calls fn for every version of the household's plan, oldest
// first.
func (r *readTx) PlanVersions(municipality, household string, fn func(broker.Plan) error) error {
	if !key(municipality, household) {
		return nil
	}
	return walk(fn, func(last *broker.Plan) ([]broker.Plan, error) {
		var after int64
		if last != nil {
			after = int64(last.Version)
		}
		return values[broker.Plan](r, "plan versions", `SELECT value FROM plan_versions
			WHERE municipality = $1 AND household = $2 AND version > $3 ORDER BY version LIMIT $4`,
			municipality, household, after, pageSize)
	})
}

// PutPlan stores p as the household's next plan version; any other
// version fails with ErrPreconditionFailed (the plan's optimistic lock).
func (w *writeTx) PutPlan(p broker.Plan) error {
	if p.Household == "" || p.Municipality == "" || p.Version == 0 || !key(p.Municipality, p.Household) {
		return invalid("plan without a usable household, municipality or version")
	}
	var cur int64
	if err := w.tx.QueryRow(w.ctx, `SELECT coalesce(max(version), 0) FROM plan_versions
		WHERE municipality = $1 AND household = $2`, p.Municipality, p.Household).Scan(&cur); err != nil {
		return dbErr("read plan", err)
	}
	if v, ok := seqArg(p.Version); !ok || v != cur+1 {
		return fmt.Errorf("pgstore: plan of %s: %w: version %d follows %d", p.Household, broker.ErrPreconditionFailed, p.Version, cur)
	}
	raw, err := encode("plan", &p)
	if err != nil {
		return err
	}
	_, err = w.exec("put plan", "INSERT INTO plan_versions (municipality, household, version, value) VALUES ($1, $2, $3, $4)",
		p.Municipality, p.Household, int64(p.Version), raw)
	return err
}
