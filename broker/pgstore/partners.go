package pgstore

import "github.com/ketenbrug/ketenbrug/broker"

// Partner returns the partner with id.
func (r *readTx) Partner(id string) (broker.Partner, error) {
	if !key(id) {
		return broker.Partner{}, notFound("partner", id)
	}
	return get[broker.Partner](r, "partner", id, "SELECT value FROM partners WHERE id = $1", id)
}

// Partners returns every partner, ordered by id.
func (r *readTx) Partners() ([]broker.Partner, error) {
	return values[broker.Partner](r, "partners", "SELECT value FROM partners ORDER BY id")
}

// PutPartner creates or replaces p, keyed by p.ID.
func (w *writeTx) PutPartner(p broker.Partner) error {
	if p.ID == "" || !key(p.ID) {
		return invalid("partner without a usable id")
	}
	raw, err := encode("partner", &p)
	if err != nil {
		return err
	}
	_, err = w.exec("put partner", `INSERT INTO partners (id, value) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value`, p.ID, raw)
	return err
}
