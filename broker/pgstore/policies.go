package pgstore

import (
	"cmp"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/ketenbrug/ketenbrug/broker"
)

// PolicyVersion returns the policy version with id, bundle included.
func (r *readTx) PolicyVersion(id string) (broker.PolicyVersion, error) {
	if !key(id) {
		return broker.PolicyVersion{}, notFound("policy version", id)
	}
	return get[broker.PolicyVersion](r, "policy version", id, "SELECT value FROM policy_versions WHERE id = $1", id)
}

// PolicyVersions returns every policy version in upload order. They are
// few, so Go sorts them, by the exact instant (a timestamptz column would
// round to microseconds), then id.
func (r *readTx) PolicyVersions() ([]broker.PolicyVersion, error) {
	vs, err := values[broker.PolicyVersion](r, "policy versions", "SELECT value FROM policy_versions ORDER BY id")
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
	if v.ID == "" || !key(v.ID) {
		return invalid("policy version without a usable id")
	}
	raw, err := encode("policy version", &v)
	if err != nil {
		return err
	}
	_, err = w.exec("put policy version", `INSERT INTO policy_versions (id, value) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value`, v.ID, raw)
	return err
}

// ActivePolicy returns the active version id, "" when none was activated.
func (r *readTx) ActivePolicy() (string, error) {
	var id string
	err := r.tx.QueryRow(r.ctx, "SELECT value FROM meta WHERE key = 'active_policy'").Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", dbErr("read active policy", err)
	}
	return id, nil
}

// SetActivePolicy points at a stored policy version; "" returns to the
// embedded default.
func (w *writeTx) SetActivePolicy(id string) error {
	if id == "" {
		_, err := w.exec("clear active policy", "DELETE FROM meta WHERE key = 'active_policy'")
		return err
	}
	if !key(id) {
		return notFound("policy version", id)
	}
	var exists bool
	if err := w.tx.QueryRow(w.ctx, "SELECT EXISTS (SELECT 1 FROM policy_versions WHERE id = $1)", id).Scan(&exists); err != nil {
		return dbErr("read policy version", err)
	}
	if !exists {
		return notFound("policy version", id)
	}
	_, err := w.exec("set active policy", `INSERT INTO meta (key, value) VALUES ('active_policy', $1)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, id)
	return err
}
