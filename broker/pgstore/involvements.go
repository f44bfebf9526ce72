package pgstore

import "github.com/ketenbrug/ketenbrug/broker"

// Involvement returns the involvement partner registered under ref.
func (r *readTx) Involvement(partner, ref string) (broker.Involvement, error) {
	if !key(partner, ref) {
		return broker.Involvement{}, notFound("involvement", partner+"/"+ref)
	}
	return get[broker.Involvement](r, "involvement", partner+"/"+ref,
		"SELECT value FROM involvements WHERE partner = $1 AND ref = $2", partner, ref)
}

// InvolvementsOf returns every involvement of subject, by partner and ref.
func (r *readTx) InvolvementsOf(subject broker.Pseudonym) ([]broker.Involvement, error) {
	if !key(string(subject)) {
		return nil, nil
	}
	return values[broker.Involvement](r, "involvements",
		"SELECT value FROM involvements WHERE subject = $1 ORDER BY partner, ref", string(subject))
}

// PartnerInvolvements calls fn for partner's involvements in ref order,
// after ref after.
func (r *readTx) PartnerInvolvements(partner, after string, fn func(broker.Involvement) error) error {
	if !key(partner, after) {
		return nil
	}
	return walk(fn, func(last *broker.Involvement) ([]broker.Involvement, error) {
		from := after
		if last != nil {
			from = last.Ref
		}
		return values[broker.Involvement](r, "involvements",
			"SELECT value FROM involvements WHERE partner = $1 AND ref > $2 ORDER BY ref LIMIT $3", partner, from, pageSize)
	})
}

// EndedInvolvements calls fn for the ended involvements whose end day is
// before before, by end day, partner and ref, after position after.
func (r *readTx) EndedInvolvements(before string, after broker.EndedCursor, fn func(broker.Involvement) error) error {
	if !key(before, after.Day, after.Partner, after.Ref) {
		return nil
	}
	return walk(fn, func(last *broker.Involvement) ([]broker.Involvement, error) {
		from := after
		if last != nil {
			from = last.EndedCursor()
		}
		return values[broker.Involvement](r, "involvements",
			`SELECT value FROM involvements WHERE ended_on IS NOT NULL AND ended_on < $1
			AND (ended_on, partner, ref) > ($2, $3, $4) ORDER BY ended_on, partner, ref LIMIT $5`,
			before, from.Day, from.Partner, from.Ref, pageSize)
	})
}

// endedOn is v's ended_on column: NULL while it is not ended.
func endedOn(v *broker.Involvement) any {
	if day := v.EndedOn(); day != "" {
		return day
	}
	return nil
}

// PutInvolvement creates or replaces v; its subject column moves with it.
func (w *writeTx) PutInvolvement(v broker.Involvement) error {
	if v.Partner == "" || v.Ref == "" || v.Subject == "" || v.ID == "" || !key(v.Partner, v.Ref, string(v.Subject)) {
		return invalid("involvement without a usable partner, ref, subject or id")
	}
	raw, err := encode("involvement", &v)
	if err != nil {
		return err
	}
	_, err = w.exec("put involvement", `INSERT INTO involvements (partner, ref, subject, ended_on, value) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (partner, ref) DO UPDATE SET subject = EXCLUDED.subject, ended_on = EXCLUDED.ended_on, value = EXCLUDED.value`,
		v.Partner, v.Ref, string(v.Subject), endedOn(&v), raw)
	return err
}

// DeleteInvolvement removes partner's involvement ref.
func (w *writeTx) DeleteInvolvement(partner, ref string) error {
	if !key(partner, ref) {
		return notFound("involvement", partner+"/"+ref)
	}
	n, err := w.exec("delete involvement", "DELETE FROM involvements WHERE partner = $1 AND ref = $2", partner, ref)
	if err == nil && n == 0 {
		return notFound("involvement", partner+"/"+ref)
	}
	return err
}
