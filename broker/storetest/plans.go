package storetest

import (
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func plan(municipality, household string, version uint64) broker.Plan {
	return broker.Plan{
		Household: household, Municipality: municipality, Purpose: "integrale-ondersteuning", Version: version,
		Status: "active", Coordinator: broker.Actor{Partner: municipality, Sub: "regisseur"},
		Goals:      []broker.Goal{{ID: "g1", Title: "Schulden stabiel"}},
		Agreements: []broker.Agreement{{ID: "a1", Goal: "g1", Partner: "p1", Action: "budgetbeheer"}},
		Change:     "version", ChangedBy: broker.Actor{Partner: municipality, Sub: "regisseur"},
		ChangedAt: at(int(version)), CreatedAt: t0,
	}
}

func planVersion(p broker.Plan) uint64 { return p.Version }

// testPlans: versions follow one another, and a plan is keyed by its
// household in its municipality.
func testPlans(t *testing.T, s broker.Store) {
	update(t, s, func(tx broker.Tx) error {
		is(t, "PutPlan of a new plan at version 2", tx.PutPlan(plan("gm0327", "h1", 2)), broker.ErrPreconditionFailed)
		ok(t, "PutPlan version 1", tx.PutPlan(plan("gm0327", "h1", 1)))
		is(t, "PutPlan of version 1 again", tx.PutPlan(plan("gm0327", "h1", 1)), broker.ErrPreconditionFailed)
		is(t, "PutPlan skipping a version", tx.PutPlan(plan("gm0327", "h1", 3)), broker.ErrPreconditionFailed)
		ok(t, "PutPlan version 2", tx.PutPlan(plan("gm0327", "h1", 2)))
		// The same household id in another municipality is another plan.
		ok(t, "PutPlan version 1 in another municipality", tx.PutPlan(plan("gm0307", "h1", 1)))
		is(t, "PutPlan without household", tx.PutPlan(plan("gm0327", "", 1)), broker.ErrInvalid)
		is(t, "PutPlan without municipality", tx.PutPlan(plan("", "h1", 1)), broker.ErrInvalid)
		is(t, "PutPlan without version", tx.PutPlan(plan("gm0327", "h3", 0)), broker.ErrInvalid)
		return nil
	})
	view(t, s, func(tx broker.ReadTx) error {
		p, err := tx.Plan("gm0327", "h1")
		ok(t, "Plan", err)
		same(t, "Plan, the current version", p, plan("gm0327", "h1", 2))
		p, err = tx.PlanVersion("gm0327", "h1", 1)
		ok(t, "PlanVersion", err)
		same(t, "PlanVersion 1", p, plan("gm0327", "h1", 1))
		_, err = tx.PlanVersion("gm0327", "h1", 3)
		is(t, "PlanVersion not stored", err, broker.ErrNotFound)
		p, err = tx.Plan("gm0307", "h1")
		ok(t, "Plan", err)
		same(t, "Plan of the same household id in another municipality", p, plan("gm0307", "h1", 1))
		_, err = tx.Plan("gm0344", "h1")
		is(t, "Plan of a municipality without one", err, broker.ErrNotFound)
		_, err = tx.PlanVersion("gm0307", "h1", 2)
		is(t, "PlanVersion of another municipality's version", err, broker.ErrNotFound)

		versions := func(m, h string) []uint64 {
			out := []uint64{}
			for _, p := range walk(t, "PlanVersions", func(fn func(broker.Plan) error) error { return tx.PlanVersions(m, h, fn) }) {
				out = append(out, planVersion(p))
			}
			return out
		}
		same(t, "PlanVersions, oldest first", versions("gm0327", "h1"), []uint64{1, 2})
		same(t, "PlanVersions in another municipality", versions("gm0307", "h1"), []uint64{1})
		same(t, "PlanVersions of a household without a plan", versions("gm0327", "h2"), []uint64{})
		stopsAtEOF(t, "PlanVersions", func(fn func(broker.Plan) error) error { return tx.PlanVersions("gm0327", "h1", fn) })
		return nil
	})
}
