package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ActionInvolvementPurge names, in the audit trail, the removal of an ended
// involvement whose retention period has passed.
const ActionInvolvementPurge = "involvement.purge"

// PurgeEndedInvolvements removes every involvement that ended more than
// days days ago (by its end date, or, without one, the day it was marked
// ended), one audit entry per removal, written in the same transaction.
// The broker holds a signal that a partner serves a person, not a history
// of who was ever helped: the retention period is policy data
// (involvement_retention_days, default two years, after the Verwijsindex's
// cap), so a privacy officer changes it by policy version. days <= 0
// removes nothing. It returns how many were removed.
func (s *Service) PurgeEndedInvolvements(ctx context.Context, days int) (int, error) {
	if days <= 0 {
		return 0, nil
	}
	cutoff := s.now().AddDate(0, 0, -days).Format(dateLayout)
	n := 0
	// A page at a time, each in a read transaction of its own, from the
	// stores' index of ended involvements by their end day: a national
	// store holds tens of millions of involvements in a file larger than
	// memory; reading them all each hour, or holding one read
	// transaction over them (bbolt cannot grow its file while a reader
	// holds the old mapping, so every audited request waited), is what
	// this avoids.
	for after := (EndedCursor{}); ; {
		due, err := s.endedPage(cutoff, after)
		if err != nil {
			return n, fmt.Errorf("involvement retention: %w", err)
		}
		for i := range due {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			removed, err := s.purgeInvolvement(ctx, &due[i], cutoff, days)
			if err != nil {
				return n, fmt.Errorf("involvement retention: %w", err)
			}
			if removed {
				n++
			}
		}
		if len(due) < retentionPage {
			return n, nil
		}
		after = due[len(due)-1].EndedCursor()
	}
}

// retentionPage is how many due involvements one read transaction of the
// retention sweep reads.
var retentionPage = 1000

// endedPage reads up to retentionPage involvements that ended before
// cutoff, after position after.
func (s *Service) endedPage(cutoff string, after EndedCursor) (due []Involvement, err error) {
	err = s.cfg.Store.View(func(tx ReadTx) error {
		err := tx.EndedInvolvements(cutoff, after, func(v Involvement) error {
			due = append(due, v)
			if len(due) == retentionPage {
				return io.EOF // the page is full: the store's walks stop at io.EOF
			}
			return nil
		})
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	})
	return due, err
}

// purgeInvolvement removes v, ended before cutoff, in its own audited
// transaction; removed is false when it was registered again meanwhile or
// is gone.
func (s *Service) purgeInvolvement(ctx context.Context, v *Involvement, cutoff string, days int) (removed bool, err error) {
	// The broker itself removes it (no caller, as with the audit trail's
	// own purge); the detail names whose involvement it was.
	e := s.auditEntry(nil, EventChange, ActionInvolvementPurge)
	e.Object, e.Subjects = "involvement:"+v.ID, []Pseudonym{v.Subject}
	e.Detail = map[string]string{"partner": v.Partner, "ended": v.EndedOn(), "retention_days": fmt.Sprint(days)}
	err = s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		cur, err := tx.Involvement(v.Partner, v.Ref)
		if err != nil {
			return err
		}
		// Registered again since it was read: keep it.
		if cur.Revision != v.Revision || !endedBefore(&cur, cutoff) {
			return errUnchanged
		}
		return tx.DeleteInvolvement(v.Partner, v.Ref)
	}))
	switch {
	case errors.Is(err, errUnchanged), errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// endedBefore reports whether v is ended, on a day before cutoff
// (YYYY-MM-DD).
func endedBefore(v *Involvement, cutoff string) bool {
	day := v.EndedOn()
	return day != "" && day < cutoff
}

// EndedOn is the day v ended — its end date, or without one the day it
// was last changed (UTC) — and "" while it is not ended. The stores index
// ended involvements by it (EndedInvolvements), so it must depend on the
// stored involvement alone.
func (v *Involvement) EndedOn() string {
	switch {
	case v.Status != InvolvementEnded:
		return ""
	case v.End != "":
		return v.End
	}
	return v.UpdatedAt.UTC().Format(time.DateOnly)
}

// EndedCursor is v's position in the ended involvements' order, to resume
// a walk of EndedInvolvements after it.
func (v *Involvement) EndedCursor() EndedCursor {
	return EndedCursor{Day: v.EndedOn(), Partner: v.Partner, Ref: v.Ref}
}
