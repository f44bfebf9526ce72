package pgstore

import "github.com/ketenbrug/ketenbrug/broker"

// RecentDecisions returns up to n of the newest decision records, newest
// first.
func (r *readTx) RecentDecisions(n int) ([]broker.DecisionRecord, error) {
	if n <= 0 {
		return nil, nil
	}
	return values[broker.DecisionRecord](r, "decisions", "SELECT value FROM decisions ORDER BY seq DESC LIMIT $1",
		min(n, r.cfg.DecisionCapacity))
}

// next advances counter name and returns its new value. Under the writer
// lock the row is never contended; its row lock would serialise two
// writers anyway.
func (w *writeTx) next(name string) (uint64, error) {
	var n int64
	if err := w.tx.QueryRow(w.ctx, "UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value", name).Scan(&n); err != nil {
		return 0, dbErr("counter "+name, err)
	}
	return uint64(n), nil
}

// PutDecision stores r under the next sequence number and drops the
// oldest records beyond the configured capacity. The counter has no gaps,
// so the records kept are exactly those above seq − capacity.
func (w *writeTx) PutDecision(r broker.DecisionRecord) error {
	seq, err := w.next("decisions")
	if err != nil {
		return err
	}
	r.Seq = seq
	raw, err := encode("decision record", &r)
	if err != nil {
		return err
	}
	if _, err := w.exec("put decision", "INSERT INTO decisions (seq, value) VALUES ($1, $2)", int64(seq), raw); err != nil {
		return err
	}
	_, err = w.exec("trim decisions", "DELETE FROM decisions WHERE seq <= $1", int64(seq)-int64(w.cfg.DecisionCapacity))
	return err
}
