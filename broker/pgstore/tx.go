package pgstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ketenbrug/ketenbrug/broker"
)

// readTx implements broker.ReadTx over a pgx transaction.
type readTx struct {
	tx  pgx.Tx
	ctx context.Context
	cfg *Config
}

// writeTx implements broker.Tx; its reads run in the same transaction.
type writeTx struct {
	readTx
}

var (
	_ broker.ReadTx = (*readTx)(nil)
	_ broker.Tx     = (*writeTx)(nil)
)

// pageSize is how many rows a walk reads per query. A walk reads in pages
// (keyset pagination on its order) instead of holding a cursor open,
// because fn may read through the same transaction, and one connection
// cannot run a query while another's rows are still streaming. Pages of
// one transaction see one state: a View is a snapshot, and an Update holds
// the writer lock.
const pageSize = 500

// key reports whether s can be a key: PostgreSQL's text holds neither a
// NUL byte nor invalid UTF-8, and a statement that tried would abort the
// whole transaction. A lookup of such a key finds nothing; a put fails
// with ErrInvalid, before any statement.
func key(s ...string) bool {
	for _, k := range s {
		if strings.IndexByte(k, 0) >= 0 || !utf8.ValidString(k) {
			return false
		}
	}
	return true
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("pgstore: "+format+": %w", append(args, broker.ErrInvalid)...)
}

func notFound(what string, k any) error {
	return fmt.Errorf("%s %q: %w", what, fmt.Sprint(k), broker.ErrNotFound)
}

func encode(what string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pgstore: encode %s: %w", what, err)
	}
	return raw, nil
}

// get decodes the one value q selects; no row is ErrNotFound.
func get[T any](r *readTx, what string, k any, q string, args ...any) (T, error) {
	var v T
	var raw []byte
	if err := r.tx.QueryRow(r.ctx, q, args...).Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return v, notFound(what, k)
		}
		return v, dbErr("read "+what, err)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("pgstore: decode %s %q: %w", what, fmt.Sprint(k), err)
	}
	return v, nil
}

// values decodes every value q selects (one json column), in its order.
// It reads all rows before decoding, so the connection is free again.
func values[T any](r *readTx, what string, q string, args ...any) ([]T, error) {
	rows, err := r.tx.Query(r.ctx, q, args...)
	if err != nil {
		return nil, dbErr("read "+what, err)
	}
	raws, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, dbErr("read "+what, err)
	}
	out := make([]T, 0, len(raws))
	for _, raw := range raws {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("pgstore: decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// walk calls fn for each value of the pages fetch returns: fetch gets the
// last value of the previous page (nil for the first) and returns up to
// pageSize values after it. fn's error stops the walk and is returned.
func walk[T any](fn func(T) error, fetch func(last *T) ([]T, error)) error {
	var last *T
	for {
		page, err := fetch(last)
		if err != nil {
			return err
		}
		for _, v := range page {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		last = &page[len(page)-1]
	}
}

// exec runs a statement and returns how many rows it touched.
func (w *writeTx) exec(what, q string, args ...any) (int64, error) {
	tag, err := w.tx.Exec(w.ctx, q, args...)
	if err != nil {
		return 0, dbErr(what, err)
	}
	return tag.RowsAffected(), nil
}

// seqArg turns a uint64 sequence number into the bigint it is stored as;
// ok is false beyond bigint's range, where nothing is stored.
func seqArg(n uint64) (int64, bool) {
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

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

// AuditHead returns the last appended sequence number and its hash.
func (r *readTx) AuditHead() (uint64, string, error) {
	var seq int64
	var hash string
	if err := r.tx.QueryRow(r.ctx, "SELECT seq, hash FROM audit_head").Scan(&seq, &hash); err != nil {
		return 0, "", dbErr("read audit head", err)
	}
	return uint64(seq), hash, nil
}

type auditRow struct {
	seq uint64
	raw []byte
}

// AuditRaw calls fn with every record from seq from on, in order; io.EOF
// from fn ends the walk with nil.
func (r *readTx) AuditRaw(from uint64, fn func(seq uint64, raw []byte) error) error {
	start, ok := seqArg(from)
	if !ok {
		return nil
	}
	err := walk(func(a auditRow) error { return fn(a.seq, a.raw) }, func(last *auditRow) ([]auditRow, error) {
		after := start - 1
		if last != nil {
			after = int64(last.seq)
		}
		rows, err := r.tx.Query(r.ctx, "SELECT seq, raw FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2", after, pageSize)
		if err != nil {
			return nil, dbErr("read audit", err)
		}
		page, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (auditRow, error) {
			var a auditRow
			var seq int64
			err := row.Scan(&seq, &a.raw)
			a.seq = uint64(seq)
			return a, err
		})
		if err != nil {
			return nil, dbErr("read audit", err)
		}
		return page, nil
	})
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// AuditSeqsOf returns the sequence numbers of the records about subject,
// ascending.
func (r *readTx) AuditSeqsOf(subject broker.Pseudonym) ([]uint64, error) {
	if !key(string(subject)) {
		return nil, nil
	}
	rows, err := r.tx.Query(r.ctx, "SELECT seq FROM audit_subjects WHERE subject = $1 ORDER BY seq", string(subject))
	if err != nil {
		return nil, dbErr("read audit index", err)
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, dbErr("read audit index", err)
	}
	out := make([]uint64, len(seqs))
	for i, s := range seqs {
		out[i] = uint64(s)
	}
	return out, nil
}

// AuditGet returns a copy of the record stored under seq.
func (r *readTx) AuditGet(seq uint64) ([]byte, error) {
	s, ok := seqArg(seq)
	if !ok {
		return nil, notFound("audit record", seq)
	}
	var raw []byte
	err := r.tx.QueryRow(r.ctx, "SELECT raw FROM audit WHERE seq = $1", s).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("audit record", seq)
	}
	if err != nil {
		return nil, dbErr("read audit", err)
	}
	return raw, nil
}

// AppendAudit stores raw under seq, which must follow the head. The head
// row is read FOR UPDATE: the chain head is locked in the appending
// transaction, so even a writer that bypassed the writer lock could not
// extend the same head twice. The three writes go in one round trip.
func (w *writeTx) AppendAudit(seq uint64, hash string, raw []byte, subjects []broker.Pseudonym) error {
	if hash == "" || len(raw) == 0 || !key(hash) {
		return invalid("audit record without hash or bytes")
	}
	terms := make([]string, 0, len(subjects))
	for _, s := range subjects {
		if s == "" {
			continue
		}
		if !key(string(s)) {
			return invalid("unusable audit subject")
		}
		terms = append(terms, string(s))
	}
	slices.Sort(terms)
	terms = slices.Compact(terms)
	var head int64
	if err := w.tx.QueryRow(w.ctx, "SELECT seq FROM audit_head FOR UPDATE").Scan(&head); err != nil {
		return dbErr("lock audit head", err)
	}
	if s, ok := seqArg(seq); !ok || s != head+1 {
		return fmt.Errorf("pgstore: audit seq %d does not follow head %d: %w", seq, head, broker.ErrConflict)
	}
	b := &pgx.Batch{}
	b.Queue("INSERT INTO audit (seq, raw) VALUES ($1, $2)", int64(seq), raw)
	b.Queue("UPDATE audit_head SET seq = $1, hash = $2", int64(seq), hash)
	if len(terms) > 0 {
		b.Queue("INSERT INTO audit_subjects (subject, seq) SELECT unnest($1::text[]), $2", terms, int64(seq))
	}
	if err := w.tx.SendBatch(w.ctx, b).Close(); err != nil {
		return dbErr("append audit", err)
	}
	return nil
}

// PurgeAudit removes the records with seq < before and their subject
// index rows; the head row is untouched.
func (w *writeTx) PurgeAudit(before uint64) (int, error) {
	b, ok := seqArg(before)
	if !ok {
		b = math.MaxInt64
	}
	if _, err := w.exec("purge audit index", "DELETE FROM audit_subjects WHERE seq < $1", b); err != nil {
		return 0, err
	}
	n, err := w.exec("purge audit", "DELETE FROM audit WHERE seq < $1", b)
	return int(n), err
}

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

// PutInvolvement creates or replaces v; its subject column moves with it.
func (w *writeTx) PutInvolvement(v broker.Involvement) error {
	if v.Partner == "" || v.Ref == "" || v.Subject == "" || v.ID == "" || !key(v.Partner, v.Ref, string(v.Subject)) {
		return invalid("involvement without a usable partner, ref, subject or id")
	}
	raw, err := encode("involvement", &v)
	if err != nil {
		return err
	}
	_, err = w.exec("put involvement", `INSERT INTO involvements (partner, ref, subject, value) VALUES ($1, $2, $3, $4)
		ON CONFLICT (partner, ref) DO UPDATE SET subject = EXCLUDED.subject, value = EXCLUDED.value`,
		v.Partner, v.Ref, string(v.Subject), raw)
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

// Assignment returns the assignment with id.
func (r *readTx) Assignment(id string) (broker.Assignment, error) {
	if !key(id) {
		return broker.Assignment{}, notFound("assignment", id)
	}
	return get[broker.Assignment](r, "assignment", id, "SELECT value FROM assignments WHERE id = $1", id)
}

// PartnerAssignments calls fn, by id, for every assignment partner gave
// or received.
func (r *readTx) PartnerAssignments(partner string, fn func(broker.Assignment) error) error {
	if !key(partner) {
		return nil
	}
	return walk(fn, func(last *broker.Assignment) ([]broker.Assignment, error) {
		after := ""
		if last != nil {
			after = last.ID
		}
		return values[broker.Assignment](r, "assignments", `SELECT value FROM assignments
			WHERE (giver = $1 OR recipient = $1) AND id > $2 ORDER BY id LIMIT $3`, partner, after, pageSize)
	})
}

// PutAssignment creates or replaces a; its partners never change.
func (w *writeTx) PutAssignment(a broker.Assignment) error {
	if a.ID == "" || a.Giver.Partner == "" || a.Recipient == "" || !key(a.ID, a.Giver.Partner, a.Recipient) {
		return invalid("assignment without a usable id, giver or recipient")
	}
	var giver, recipient string
	err := w.tx.QueryRow(w.ctx, "SELECT giver, recipient FROM assignments WHERE id = $1", a.ID).Scan(&giver, &recipient)
	switch {
	case err == nil && (giver != a.Giver.Partner || recipient != a.Recipient):
		return fmt.Errorf("pgstore: assignment %s: %w: its partners cannot change", a.ID, broker.ErrConflict)
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return dbErr("read assignment", err)
	}
	raw, err := encode("assignment", &a)
	if err != nil {
		return err
	}
	_, err = w.exec("put assignment", `INSERT INTO assignments (id, giver, recipient, value) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value`, a.ID, a.Giver.Partner, a.Recipient, raw)
	return err
}

// Plan returns the current (highest) version of the household's plan.
func (r *readTx) Plan(municipality, household string) (broker.Plan, error) {
	if !key(municipality, household) {
		return broker.Plan{}, notFound("plan", municipality+"/"+household)
	}
	return get[broker.Plan](r, "plan", municipality+"/"+household, `SELECT value FROM plan_versions
		WHERE municipality = $1 AND household = $2 ORDER BY version DESC LIMIT 1`, municipality, household)
}

// PlanVersion returns one stored version of the household's plan.
func (r *readTx) PlanVersion(municipality, household string, version uint64) (broker.Plan, error) {
	v, ok := seqArg(version)
	what := fmt.Sprintf("%s/%s v%d", municipality, household, version)
	if !ok || !key(municipality, household) {
		return broker.Plan{}, notFound("plan version", what)
	}
	return get[broker.Plan](r, "plan version", what, `SELECT value FROM plan_versions
		WHERE municipality = $1 AND household = $2 AND version = $3`, municipality, household, v)
}

// PlanVersions calls fn for every version of the household's plan, oldest
// first.
func (r *readTx) PlanVersions(municipality, household string, fn func(broker.Plan) error) error {
	if !key(municipality, household) {
		return nil
	}
	return walk(fn, func(last *broker.Plan) ([]broker.Plan, error) {
		var after int64
		if last != nil {
			after = int64(last.Version)
		}
		return values[broker.Plan](r, "plan versions", `SELECT value FROM plan_versions
			WHERE municipality = $1 AND household = $2 AND version > $3 ORDER BY version LIMIT $4`,
			municipality, household, after, pageSize)
	})
}

// PutPlan stores p as the household's next plan version; any other
// version fails with ErrPreconditionFailed (the plan's optimistic lock).
func (w *writeTx) PutPlan(p broker.Plan) error {
	if p.Household == "" || p.Municipality == "" || p.Version == 0 || !key(p.Municipality, p.Household) {
		return invalid("plan without a usable household, municipality or version")
	}
	var cur int64
	if err := w.tx.QueryRow(w.ctx, `SELECT coalesce(max(version), 0) FROM plan_versions
		WHERE municipality = $1 AND household = $2`, p.Municipality, p.Household).Scan(&cur); err != nil {
		return dbErr("read plan", err)
	}
	if v, ok := seqArg(p.Version); !ok || v != cur+1 {
		return fmt.Errorf("pgstore: plan of %s: %w: version %d follows %d", p.Household, broker.ErrPreconditionFailed, p.Version, cur)
	}
	raw, err := encode("plan", &p)
	if err != nil {
		return err
	}
	_, err = w.exec("put plan", "INSERT INTO plan_versions (municipality, household, version, value) VALUES ($1, $2, $3, $4)",
		p.Municipality, p.Household, int64(p.Version), raw)
	return err
}

// Deliveries calls fn for every pending delivery, by id.
func (r *readTx) Deliveries(fn func(broker.Delivery) error) error {
	return walk(fn, func(last *broker.Delivery) ([]broker.Delivery, error) {
		after := ""
		if last != nil {
			after = last.ID
		}
		return values[broker.Delivery](r, "deliveries", "SELECT value FROM deliveries WHERE id > $1 ORDER BY id LIMIT $2", after, pageSize)
	})
}

// Delivery returns the pending delivery with id.
func (r *readTx) Delivery(id string) (broker.Delivery, error) {
	if !key(id) {
		return broker.Delivery{}, notFound("delivery", id)
	}
	return get[broker.Delivery](r, "delivery", id, "SELECT value FROM deliveries WHERE id = $1", id)
}

// PutDelivery creates or replaces d.
func (w *writeTx) PutDelivery(d broker.Delivery) error {
	if d.ID == "" || d.Partner == "" || !key(d.ID) {
		return invalid("delivery without a usable id or partner")
	}
	raw, err := encode("delivery", &d)
	if err != nil {
		return err
	}
	_, err = w.exec("put delivery", `INSERT INTO deliveries (id, value) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value`, d.ID, raw)
	return err
}

// DeleteDelivery removes the pending delivery id.
func (w *writeTx) DeleteDelivery(id string) error {
	return w.deleteByID("deliveries", "delivery", id)
}

// DeadLetters calls fn for every dead letter, by id.
func (r *readTx) DeadLetters(fn func(broker.DeadLetter) error) error {
	return walk(fn, func(last *broker.DeadLetter) ([]broker.DeadLetter, error) {
		after := ""
		if last != nil {
			after = last.ID
		}
		return values[broker.DeadLetter](r, "dead letters", "SELECT value FROM dead_letters WHERE id > $1 ORDER BY id LIMIT $2", after, pageSize)
	})
}

// DeadLetter returns the dead letter with id.
func (r *readTx) DeadLetter(id string) (broker.DeadLetter, error) {
	if !key(id) {
		return broker.DeadLetter{}, notFound("dead letter", id)
	}
	return get[broker.DeadLetter](r, "dead letter", id, "SELECT value FROM dead_letters WHERE id = $1", id)
}

// PutDeadLetter creates or replaces d.
func (w *writeTx) PutDeadLetter(d broker.DeadLetter) error {
	if d.ID == "" || d.Partner == "" || !key(d.ID) {
		return invalid("dead letter without a usable id or partner")
	}
	raw, err := encode("dead letter", &d)
	if err != nil {
		return err
	}
	_, err = w.exec("put dead letter", `INSERT INTO dead_letters (id, value) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value`, d.ID, raw)
	return err
}

// DeleteDeadLetter removes dead letter id.
func (w *writeTx) DeleteDeadLetter(id string) error {
	return w.deleteByID("dead_letters", "dead letter", id)
}

// deleteByID removes row id of table; none is ErrNotFound.
func (w *writeTx) deleteByID(table, what, id string) error {
	if !key(id) {
		return notFound(what, id)
	}
	n, err := w.exec("delete "+what, "DELETE FROM "+table+" WHERE id = $1", id)
	if err == nil && n == 0 {
		return notFound(what, id)
	}
	return err
}
