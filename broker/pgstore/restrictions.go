package pgstore

import "github.com/ketenbrug/ketenbrug/broker"

// Restriction returns the restriction or objection with id.
func (r *readTx) Restriction(id string) (broker.Restriction, error) {
	if !key(id) {
		return broker.Restriction{}, notFound("restriction", id)
	}
	return get[broker.Restriction](r, "restriction", id, "SELECT value FROM restrictions WHERE id = $1", id)
}

// RestrictionsOf returns every restriction and objection of subject, by id.
func (r *readTx) RestrictionsOf(subject broker.Pseudonym) ([]broker.Restriction, error) {
	if !key(string(subject)) {
		return nil, nil
	}
	return values[broker.Restriction](r, "restrictions", "SELECT value FROM restrictions WHERE subject = $1 ORDER BY id", string(subject))
}

// PutRestriction creates or replaces v; its subject column moves with it.
func (w *writeTx) PutRestriction(v broker.Restriction) error {
	if v.ID == "" || v.Subject == "" || !key(v.ID, string(v.Subject)) {
		return invalid("restriction without a usable id or subject")
	}
	raw, err := encode("restriction", &v)
	if err != nil {
		return err
	}
	_, err = w.exec("put restriction", `INSERT INTO restrictions (id, subject, value) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET subject = EXCLUDED.subject, value = EXCLUDED.value`, v.ID, string(v.Subject), raw)
	return err
}
