package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ketenbrug/ketenbrug/broker"
)

// ErrNotEmpty means Import was asked to fill a database that already
// holds a region: a migration never merges two.
var ErrNotEmpty = errors.New("pgstore: the database already holds a broker's state")

// importBatch is how many rows the Importer sends per round trip.
const importBatch = 1000

// Importer writes a whole region into an empty database, rows as they
// were: audit records under their own sequence numbers (a purged log
// starts above 1, which AppendAudit would refuse), decisions and inbox
// items under theirs. Its methods match boltstore.Exporter, so that
// bbolt's export feeds it directly (ketenbrug migrate).
type Importer struct {
	tx          pgx.Tx
	ctx         context.Context
	batch       *pgx.Batch
	maxDecision uint64
	maxInbox    uint64
}

// Import runs fill with an Importer in one transaction that holds the
// writer lock, and commits when fill returns nil: a migration lands whole
// or not at all. The database must hold no region yet (ErrNotEmpty).
func (s *Store) Import(fill func(*Importer) error) error {
	return s.Update(func(btx broker.Tx) error {
		tx := btx.(*writeTx)
		var rows int64
		if err := tx.tx.QueryRow(tx.ctx, `SELECT (SELECT count(*) FROM partners) + (SELECT count(*) FROM audit)
			+ (SELECT seq FROM audit_head) + (SELECT count(*) FROM involvements)`).Scan(&rows); err != nil {
			return dbErr("check empty", err)
		}
		if rows != 0 {
			return ErrNotEmpty
		}
		im := &Importer{tx: tx.tx, ctx: tx.ctx, batch: &pgx.Batch{}}
		if err := fill(im); err != nil {
			return err
		}
		return im.flush()
	})
}

func (im *Importer) queue(q string, args ...any) error {
	im.batch.Queue(q, args...)
	if im.batch.Len() >= importBatch {
		return im.flush()
	}
	return nil
}

func (im *Importer) flush() error {
	if im.batch.Len() == 0 {
		return nil
	}
	b := im.batch
	im.batch = &pgx.Batch{}
	if err := im.tx.SendBatch(im.ctx, b).Close(); err != nil {
		return dbErr("import", err)
	}
	return nil
}

// row queues an INSERT of v's JSON as the value column after keys.
func (im *Importer) row(table, columns string, v any, keys ...any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("pgstore: import %s: %w", table, err)
	}
	params := ""
	for i := range len(keys) + 1 {
		if i > 0 {
			params += ", "
		}
		params += fmt.Sprintf("$%d", i+1)
	}
	return im.queue("INSERT INTO "+table+" ("+columns+", value) VALUES ("+params+")", append(keys, raw)...)
}

func (im *Importer) Partner(p broker.Partner) error { return im.row("partners", "id", &p, p.ID) }
func (im *Importer) Consent(c broker.Consent) error {
	return im.row("consents", "id, subject", &c, c.ID, string(c.Subject))
}
func (im *Importer) Restriction(r broker.Restriction) error {
	return im.row("restrictions", "id, subject", &r, r.ID, string(r.Subject))
}
func (im *Importer) PolicyVersion(v broker.PolicyVersion) error {
	return im.row("policy_versions", "id", &v, v.ID)
}
func (im *Importer) Decision(d broker.DecisionRecord) error {
	im.maxDecision = max(im.maxDecision, d.Seq)
	return im.row("decisions", "seq", &d, int64(d.Seq))
}

// AuditRecord keeps raw byte for byte under seq, indexed under subjects.
func (im *Importer) AuditRecord(seq uint64, raw []byte, subjects []broker.Pseudonym) error {
	// raw may be the exporter's memory, valid only during the call; the
	// batch sends it later.
	if err := im.queue("INSERT INTO audit (seq, raw) VALUES ($1, $2)", int64(seq), bytes.Clone(raw)); err != nil {
		return err
	}
	terms := make([]string, 0, len(subjects))
	for _, s := range subjects {
		if s != "" {
			terms = append(terms, string(s))
		}
	}
	slices.Sort(terms)
	terms = slices.Compact(terms)
	if len(terms) == 0 {
		return nil
	}
	return im.queue("INSERT INTO audit_subjects (subject, seq) SELECT unnest($1::text[]), $2", terms, int64(seq))
}

func (im *Importer) Involvement(v broker.Involvement) error {
	return im.row("involvements", "partner, ref, subject, ended_on", &v, v.Partner, v.Ref, string(v.Subject), endedOn(&v))
}

// Household keeps h and its member rows.
func (im *Importer) Household(h broker.Household) error {
	if err := im.row("households", "municipality, id", &h, h.Municipality, h.ID); err != nil {
		return err
	}
	members := make([]string, 0, len(h.Members))
	for _, m := range h.Members {
		members = append(members, string(m.Subject))
	}
	return im.queue(`INSERT INTO household_members (subject, municipality, id) SELECT unnest($3::text[]), $1, $2
		ON CONFLICT DO NOTHING`, h.Municipality, h.ID, members)
}

func (im *Importer) InboxItem(it broker.InboxItem) error {
	im.maxInbox = max(im.maxInbox, it.Seq)
	raw, err := json.Marshal(&it)
	if err != nil {
		return fmt.Errorf("pgstore: import inbox: %w", err)
	}
	return im.queue("INSERT INTO inbox (seq, partner, acked, value) VALUES ($1, $2, $3, $4)",
		int64(it.Seq), it.Partner, it.AckedAt != nil, raw)
}

func (im *Importer) Assignment(a broker.Assignment) error {
	return im.row("assignments", "id, giver, recipient", &a, a.ID, a.Giver.Partner, a.Recipient)
}

// Followup keeps f with the columns PutFollowup derives from it.
func (im *Importer) Followup(f broker.Followup) error {
	return im.row("followups", "id, municipality, household, lead, coordinator, live", &f,
		f.ID, f.Municipality, f.Household, f.Lead.Partner, f.Coordinator.Partner, f.Live())
}

func (im *Importer) PlanVersion(p broker.Plan) error {
	return im.row("plan_versions", "municipality, household, version", &p, p.Municipality, p.Household, int64(p.Version))
}
func (im *Importer) Delivery(d broker.Delivery) error { return im.row("deliveries", "id", &d, d.ID) }
func (im *Importer) DeadLetter(d broker.DeadLetter) error {
	return im.row("dead_letters", "id", &d, d.ID)
}
func (im *Importer) Session(s broker.ConsoleSession) error {
	return im.row("console_sessions", "id_hash", &s, s.IDHash)
}

// Meta sets the active policy, the audit head, the binding, and the
// counters to continue after the highest imported sequence numbers.
func (im *Importer) Meta(activePolicy string, auditSeq uint64, auditHash, binding string) error {
	if activePolicy != "" {
		if err := im.queue("INSERT INTO meta (key, value) VALUES ('active_policy', $1)", activePolicy); err != nil {
			return err
		}
	}
	if binding != "" {
		if err := im.queue("INSERT INTO meta (key, value) VALUES ('binding', $1)", binding); err != nil {
			return err
		}
	}
	if err := im.queue("UPDATE audit_head SET seq = $1, hash = $2", int64(auditSeq), auditHash); err != nil {
		return err
	}
	if err := im.queue("UPDATE counters SET value = $1 WHERE name = 'decisions'", int64(im.maxDecision)); err != nil {
		return err
	}
	return im.queue("UPDATE counters SET value = $1 WHERE name = 'inbox'", int64(im.maxInbox))
}

// Counts returns how many rows each table of the broker's objects holds,
// by the names boltstore's Counts uses, for checking a migration.
func (s *Store) Counts() (map[string]int, error) {
	tables := []string{"partners", "consents", "restrictions", "policy_versions", "decisions", "audit",
		"involvements", "households", "inbox", "assignments", "followups", "plan_versions", "deliveries", "dead_letters",
		"console_sessions"}
	out := map[string]int{}
	err := s.View(func(btx broker.ReadTx) error {
		tx := btx.(*readTx)
		for _, t := range tables {
			var n int
			if err := tx.tx.QueryRow(tx.ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
				return dbErr("count "+t, err)
			}
			out[t] = n
		}
		return nil
	})
	return out, err
}
