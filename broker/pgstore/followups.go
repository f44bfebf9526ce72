package pgstore

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Followup returns the follow-up with id.
func (r *readTx) Followup(id string) (broker.Followup, error) {
	if !key(id) {
		return broker.Followup{}, notFound("follow-up", id)
	}
	return get[broker.Followup](r, "follow-up", id, "SELECT value FROM followups WHERE id = $1", id)
}

// PartnerFollowups calls fn, by id, for every follow-up whose lead or
// coordinator acts for partner.
func (r *readTx) PartnerFollowups(partner string, fn func(broker.Followup) error) error {
	if !key(partner) {
		return nil
	}
	return r.followups(fn, "(lead = $1 OR coordinator = $1)", partner)
}

// HouseholdFollowups calls fn, by id, for every follow-up about the
// household.
func (r *readTx) HouseholdFollowups(municipality, household string, fn func(broker.Followup) error) error {
	if !key(municipality, household) {
		return nil
	}
	return r.followups(fn, "municipality = $1 AND household = $2", municipality, household)
}

// LiveFollowups calls fn, by id, for every live follow-up after after.
func (r *readTx) LiveFollowups(after string, fn func(broker.Followup) error) error {
	// As in MunicipalityHouseholds: an after PostgreSQL cannot hold would
	// abort the whole transaction at the statement, and names no stored
	// id anyway.
	if !key(after) {
		return nil
	}
	return walk(fn, func(last *broker.Followup) ([]broker.Followup, error) {
		from := after
		if last != nil {
			from = last.ID
		}
		return values[broker.Followup](r, "followups",
			`SELECT value FROM followups WHERE live AND id > $1 ORDER BY id LIMIT $2`, from, pageSize)
	})
}

// followups pages through the follow-ups matching where (whose arguments
// are args, numbered from $1), by id.
func (r *readTx) followups(fn func(broker.Followup) error, where string, args ...any) error {
	n := len(args)
	q := fmt.Sprintf("SELECT value FROM followups WHERE %s AND id > $%d ORDER BY id LIMIT $%d", where, n+1, n+2)
	return walk(fn, func(last *broker.Followup) ([]broker.Followup, error) {
		after := ""
		if last != nil {
			after = last.ID
		}
		return values[broker.Followup](r, "followups", q, append(args[:n:n], after, pageSize)...)
	})
}

// PutFollowup creates or replaces f; its household never changes.
func (w *writeTx) PutFollowup(f broker.Followup) error {
	if f.ID == "" || f.Municipality == "" || f.Household == "" || f.Lead.Partner == "" || f.Coordinator.Partner == "" ||
		!key(f.ID, f.Municipality, f.Household, f.Lead.Partner, f.Coordinator.Partner) {
		return invalid("follow-up without a usable id, household, lead or coordinator")
	}
	var municipality, household string
	err := w.tx.QueryRow(w.ctx, "SELECT municipality, household FROM followups WHERE id = $1", f.ID).Scan(&municipality, &household)
	switch {
	case err == nil && (municipality != f.Municipality || household != f.Household):
		return fmt.Errorf("pgstore: follow-up %s: %w: its household cannot change", f.ID, broker.ErrConflict)
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return dbErr("read follow-up", err)
	}
	raw, err := encode("follow-up", &f)
	if err != nil {
		return err
	}
	_, err = w.exec("put follow-up", `INSERT INTO followups (id, municipality, household, lead, coordinator, live, value)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET lead = EXCLUDED.lead, coordinator = EXCLUDED.coordinator,
			live = EXCLUDED.live, value = EXCLUDED.value`,
		f.ID, f.Municipality, f.Household, f.Lead.Partner, f.Coordinator.Partner, f.Live(), raw)
	return err
}
