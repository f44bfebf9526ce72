package pgstore

import "github.com/ketenbrug/ketenbrug/broker"

// Inbox returns up to limit of partner's items after seq after.
func (r *readTx) Inbox(partner string, after uint64, limit int, withAcked bool) ([]broker.InboxItem, error) {
	a, ok := seqArg(after)
	if limit <= 0 || !ok || !key(partner) {
		return nil, nil
	}
	return values[broker.InboxItem](r, "inbox", `SELECT value FROM inbox
		WHERE partner = $1 AND seq > $2 AND ($3 OR NOT acked) ORDER BY seq LIMIT $4`, partner, a, withAcked, limit)
}

// InboxItem returns partner's item seq.
func (r *readTx) InboxItem(partner string, seq uint64) (broker.InboxItem, error) {
	s, ok := seqArg(seq)
	if !ok || !key(partner) {
		return broker.InboxItem{}, notFound("inbox item", seq)
	}
	return get[broker.InboxItem](r, "inbox item", seq, "SELECT value FROM inbox WHERE partner = $1 AND seq = $2", partner, s)
}

// AppendInbox stores item under the next number of the one inbox counter.
func (w *writeTx) AppendInbox(item broker.InboxItem) (broker.InboxItem, error) {
	if item.Partner == "" || !key(item.Partner) {
		return item, invalid("inbox item without a usable partner")
	}
	seq, err := w.next("inbox")
	if err != nil {
		return item, err
	}
	item.Seq = seq
	raw, err := encode("inbox item", &item)
	if err != nil {
		return item, err
	}
	if _, err := w.exec("append inbox", "INSERT INTO inbox (seq, partner, acked, value) VALUES ($1, $2, $3, $4)",
		int64(seq), item.Partner, item.AckedAt != nil, raw); err != nil {
		return item, err
	}
	// Delivered to every broker's Listen when, and only if, this
	// transaction commits: a long-poll at another broker wakes for it.
	_, err = w.exec("notify inbox", "SELECT pg_notify($1, $2)", inboxChannel, item.Partner)
	return item, err
}

// PutInboxItem replaces a stored item.
func (w *writeTx) PutInboxItem(item broker.InboxItem) error {
	s, ok := seqArg(item.Seq)
	if !ok || !key(item.Partner) {
		return notFound("inbox item", item.Seq)
	}
	raw, err := encode("inbox item", &item)
	if err != nil {
		return err
	}
	n, err := w.exec("put inbox item", "UPDATE inbox SET acked = $3, value = $4 WHERE partner = $1 AND seq = $2",
		item.Partner, s, item.AckedAt != nil, raw)
	if err == nil && n == 0 {
		return notFound("inbox item", item.Seq)
	}
	return err
}
