package pgstore

import "github.com/ketenbrug/ketenbrug/broker"

// Consent returns the consent with id.
func (r *readTx) Consent(id string) (broker.Consent, error) {
	if !key(id) {
		return broker.Consent{}, notFound("consent", id)
	}
	return get[broker.Consent](r, "consent", id, "SELECT value FROM consents WHERE id = $1", id)
}

// ConsentsOf returns every consent of subject, ordered by consent id.
func (r *readTx) ConsentsOf(subject broker.Pseudonym) ([]broker.Consent, error) {
	if !key(string(subject)) {
		return nil, nil
	}
	return values[broker.Consent](r, "consents", "SELECT value FROM consents WHERE subject = $1 ORDER BY id", string(subject))
}

// PutConsent creates or replaces c; its subject column moves with it.
func (w *writeTx) PutConsent(c broker.Consent) error {
	if c.ID == "" || c.Subject == "" || !key(c.ID, string(c.Subject)) {
		return invalid("consent without a usable id or subject")
	}
	raw, err := encode("consent", &c)
	if err != nil {
		return err
	}
	_, err = w.exec("put consent", `INSERT INTO consents (id, subject, value) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET subject = EXCLUDED.subject, value = EXCLUDED.value`, c.ID, string(c.Subject), raw)
	return err
}
