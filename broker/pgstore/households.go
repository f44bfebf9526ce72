package pgstore

import (
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/ketenbrug/ketenbrug/broker"
)

// Household returns household id of municipality.
func (r *readTx) Household(municipality, id string) (broker.Household, error) {
	if !key(municipality, id) {
		return broker.Household{}, notFound("household", municipality+"/"+id)
	}
	return get[broker.Household](r, "household", municipality+"/"+id,
		"SELECT value FROM households WHERE municipality = $1 AND id = $2", municipality, id)
}

// HouseholdsOf returns the households subject is a member of, by
// municipality, then id.
func (r *readTx) HouseholdsOf(subject broker.Pseudonym) ([]broker.Household, error) {
	if !key(string(subject)) {
		return nil, nil
	}
	return values[broker.Household](r, "households", `SELECT h.value FROM household_members m
		JOIN households h ON h.municipality = m.municipality AND h.id = m.id
		WHERE m.subject = $1 ORDER BY m.municipality, m.id`, string(subject))
}

// MunicipalityHouseholds calls fn for municipality's households in id
// order, after id after. The municipality is a column of its own, so no
// prefix of it matches another municipality.
func (r *readTx) MunicipalityHouseholds(municipality, after string, fn func(broker.Household) error) error {
	if !key(municipality, after) {
		return nil
	}
	return walk(fn, func(last *broker.Household) ([]broker.Household, error) {
		from := after
		if last != nil {
			from = last.ID
		}
		return values[broker.Household](r, "households",
			"SELECT value FROM households WHERE municipality = $1 AND id > $2 ORDER BY id LIMIT $3", municipality, from, pageSize)
	})
}

// PutHousehold creates or replaces h and makes its member rows those of
// its current members.
func (w *writeTx) PutHousehold(h broker.Household) error {
	if h.ID == "" || h.Municipality == "" || !key(h.Municipality, h.ID) {
		return invalid("household without a usable id or municipality")
	}
	members := make([]string, 0, len(h.Members))
	for _, m := range h.Members {
		// boltstore's member index refuses an empty term too.
		if m.Subject == "" || !key(string(m.Subject)) {
			return invalid("household member without a usable subject")
		}
		members = append(members, string(m.Subject))
	}
	slices.Sort(members)
	members = slices.Compact(members)
	raw, err := encode("household", &h)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO households (municipality, id, value) VALUES ($1, $2, $3)
		ON CONFLICT (municipality, id) DO UPDATE SET value = EXCLUDED.value`, h.Municipality, h.ID, raw)
	b.Queue("DELETE FROM household_members WHERE municipality = $1 AND id = $2 AND NOT (subject = ANY($3::text[]))",
		h.Municipality, h.ID, members)
	b.Queue(`INSERT INTO household_members (subject, municipality, id) SELECT unnest($3::text[]), $1, $2
		ON CONFLICT DO NOTHING`, h.Municipality, h.ID, members)
	if err := w.tx.SendBatch(w.ctx, b).Close(); err != nil {
		return dbErr("put household", err)
	}
	return nil
}
