package broker

import (
	"context"
	"errors"
	"fmt"
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
	var due []Involvement
	err := s.cfg.Store.View(func(tx ReadTx) error {
		ps, err := tx.Partners()
		if err != nil {
			return err
		}
		for _, p := range ps {
			if err := tx.PartnerInvolvements(p.ID, "", func(v Involvement) error {
				if endedBefore(&v, cutoff) {
					due = append(due, v)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("involvement retention: %w", err)
	}
	n := 0
	for i := range due {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		v := &due[i]
		// The broker itself removes it (no caller, as with the audit
		// trail's own purge); the detail names whose involvement it was.
		e := s.auditEntry(nil, EventChange, ActionInvolvementPurge)
		e.Object, e.Subjects = "involvement:"+v.ID, []Pseudonym{v.Subject}
		e.Detail = map[string]string{"partner": v.Partner, "ended": endDay(v), "retention_days": fmt.Sprint(days)}
		err := s.commit(ctx, e, nil, noItems(func(tx Tx) error {
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
			continue
		case err != nil:
			return n, fmt.Errorf("involvement retention: %w", err)
		}
		n++
	}
	return n, nil
}

// endedBefore reports whether v is ended, on a day before cutoff
// (YYYY-MM-DD).
func endedBefore(v *Involvement, cutoff string) bool {
	return v.Status == InvolvementEnded && endDay(v) < cutoff
}

// endDay is the day v ended: its end date, or the day it was last changed.
func endDay(v *Involvement) string {
	if v.End != "" {
		return v.End
	}
	return v.UpdatedAt.UTC().Format(time.DateOnly)
}
