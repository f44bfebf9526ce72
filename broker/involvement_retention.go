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
	var partners []Partner
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		partners, err = tx.Partners()
		return err
	}); err != nil {
		return 0, fmt.Errorf("involvement retention: %w", err)
	}
	n := 0
	for _, p := range partners {
		// A page at a time, each in a read transaction of its own: one
		// transaction over a national store (tens of millions of
		// involvements, a file larger than memory) stayed open for minutes,
		// and bbolt cannot grow its file while a reader holds the old
		// mapping — every audited request waited for it.
		for after := ""; ; {
			due, last, err := s.endedPage(p.ID, after, cutoff)
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
			if last == "" {
				break
			}
			after = last
		}
	}
	return n, nil
}

// retentionPage is how many of a partner's involvements one read
// transaction of the retention sweep looks at.
var retentionPage = 1000

// endedPage reads up to retentionPage involvements of partner after
// reference after and returns those that ended before cutoff, and the last
// reference read ("" when the partner has no more).
func (s *Service) endedPage(partner, after, cutoff string) (due []Involvement, last string, err error) {
	err = s.cfg.Store.View(func(tx ReadTx) error {
		seen := 0
		err := tx.PartnerInvolvements(partner, after, func(v Involvement) error {
			if endedBefore(&v, cutoff) {
				due = append(due, v)
			}
			if seen++; seen == retentionPage {
				last = v.Ref
				return io.EOF // the page is full: the store's walks stop at io.EOF
			}
			return nil
		})
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	})
	return due, last, err
}

// purgeInvolvement removes v, ended before cutoff, in its own audited
// transaction; removed is false when it was registered again meanwhile or
// is gone.
func (s *Service) purgeInvolvement(ctx context.Context, v *Involvement, cutoff string, days int) (removed bool, err error) {
	// The broker itself removes it (no caller, as with the audit trail's
	// own purge); the detail names whose involvement it was.
	e := s.auditEntry(nil, EventChange, ActionInvolvementPurge)
	e.Object, e.Subjects = "involvement:"+v.ID, []Pseudonym{v.Subject}
	e.Detail = map[string]string{"partner": v.Partner, "ended": endDay(v), "retention_days": fmt.Sprint(days)}
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
	return v.Status == InvolvementEnded && endDay(v) < cutoff
}

// endDay is the day v ended: its end date, or the day it was last changed.
func endDay(v *Involvement) string {
	if v.End != "" {
		return v.End
	}
	return v.UpdatedAt.UTC().Format(time.DateOnly)
}
