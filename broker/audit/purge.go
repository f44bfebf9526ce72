package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// errNothingToPurge stops a purge that another purge already did.
var errNothingToPurge = errors.New("audit: nothing to purge")

// Purge removes the entries older than before, a whole checkpoint segment at
// a time: everything before the newest checkpoint older than before goes,
// and that checkpoint becomes the first entry kept. Entries after it stay
// even when they are older than before, so retention errs on keeping.
//
// The removal itself is recorded: a purge entry, appended to the chain,
// signs the first kept entry's seq and prev_hash (the anchor), so Verify
// accepts the shortened chain while a removal without one is reported. It
// returns how many entries were removed; 0 when no checkpoint is old
// enough.
func (l *Log) Purge(ctx context.Context, before time.Time) (int, error) {
	cut, err := l.purgePoint(ctx, before)
	if err != nil || cut == 0 {
		return 0, err
	}
	var removed int
	r := &request{
		entry: broker.AuditEntry{Event: broker.EventPurge, Action: "audit.purge", Decision: broker.DecisionAllow},
		done:  make(chan result, 1),
	}
	r.prepare = func(tx broker.Tx, e *broker.AuditEntry, _ chainHead) error {
		raw, err := tx.AuditGet(cut)
		if errors.Is(err, broker.ErrNotFound) {
			return errNothingToPurge
		}
		if err != nil {
			return err
		}
		var first struct {
			PrevHash string `json:"prev_hash"`
		}
		if err := json.Unmarshal(raw, &first); err != nil {
			return fmt.Errorf("audit: decode entry %d: %w", cut, err)
		}
		n, err := tx.PurgeAudit(cut)
		if err != nil {
			return err
		}
		if n == 0 {
			return errNothingToPurge
		}
		sig, err := l.cfg.Signer.Sign(purgePayload(cut, first.PrevHash))
		if err != nil {
			return fmt.Errorf("audit: sign purge: %w", err)
		}
		removed = n // assigned, not added: this may run more than once
		e.Time = l.cfg.Now()
		e.Detail = map[string]string{
			DetailFirstSeq: strconv.FormatUint(cut, 10), DetailAnchorHash: first.PrevHash,
			DetailRemoved: strconv.Itoa(n), DetailBefore: before.UTC().Format(time.RFC3339Nano),
			DetailKeyID: l.cfg.Signer.KeyID(), DetailSignature: sig,
		}
		return nil
	}
	res, err := l.submit(ctx, r)
	if err == nil {
		err = res.err
	}
	if errors.Is(err, errNothingToPurge) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	l.log.Info("audit entries purged", slog.Int("removed", removed), slog.Uint64("first_kept", cut))
	return removed, nil
}

// purgePoint finds the newest checkpoint older than before that has
// entries ahead of it, or 0.
func (l *Log) purgePoint(ctx context.Context, before time.Time) (uint64, error) {
	var cut, first uint64
	n := 0
	err := l.cfg.Store.View(func(tx broker.ReadTx) error {
		return tx.AuditRaw(0, func(seq uint64, raw []byte) error {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if first == 0 {
				first = seq
			}
			var e struct {
				Event string    `json:"event"`
				Time  time.Time `json:"time"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("audit: decode entry %d: %w", seq, err)
			}
			if !e.Time.Before(before) {
				return io.EOF
			}
			if e.Event == broker.EventCheckpoint {
				cut = seq
			}
			return nil
		})
	})
	if err != nil || cut <= first {
		return 0, err
	}
	return cut, nil
}
