package broker

import (
	"context"
	"log/slog"
	"time"
)

// Retention keeps the broker within the retention periods of the active
// policy version: audit entries older than audit_retention_days are purged
// (a whole checkpoint segment at a time, leaving a signed anchor, so the
// rest of the chain still verifies), and involvements that ended longer
// ago than involvement_retention_days are removed, each removal audited
// (PurgeEndedInvolvements). The periods are policy data, so a privacy
// officer changes them by policy version, four eyes and all (AVG art. 5
// lid 1 sub e). A period of 0 keeps everything of its kind.
type Retention struct {
	// Periods are the active policy version's retention periods.
	Periods RetentionPeriods
	// Audit purges the audit trail.
	Audit AuditPurger
	// Involvements removes ended involvements.
	Involvements EndedInvolvementPurger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
}

// RetentionPeriods reads the retention periods, in days, of the active
// policy version (policy.Engine).
type RetentionPeriods interface {
	RetentionDays() (audit, involvements int)
}

// AuditPurger removes the audit entries recorded before a time
// (audit.Log.Purge) and reports how many.
type AuditPurger interface {
	Purge(ctx context.Context, before time.Time) (int, error)
}

// EndedInvolvementPurger removes involvements that ended more than days
// ago (*Service).
type EndedInvolvementPurger interface {
	PurgeEndedInvolvements(ctx context.Context, days int) (int, error)
}

// Once applies both periods once and reports what it removed. An error of
// one kind does not keep the other from being applied.
func (r *Retention) Once(ctx context.Context) (entries, involvements int, err error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	auditDays, involvementDays := r.Periods.RetentionDays()
	var aerr, ierr error
	if auditDays > 0 {
		entries, aerr = r.Audit.Purge(ctx, now().UTC().AddDate(0, 0, -auditDays))
	}
	if involvementDays > 0 {
		involvements, ierr = r.Involvements.PurgeEndedInvolvements(ctx, involvementDays)
	}
	if aerr != nil {
		return entries, involvements, aerr
	}
	return entries, involvements, ierr
}

// Run applies the periods at once and then every interval, until ctx ends;
// what it removes and what fails are logged.
func (r *Retention) Run(ctx context.Context, interval time.Duration) {
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	every(ctx, interval, func() {
		entries, involvements, err := r.Once(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("retention: purge failed", "error", err)
		}
		if entries > 0 {
			log.Info("retention: purged audit entries past the retention period", "entries", entries)
		}
		if involvements > 0 {
			log.Info("retention: removed ended involvements past the retention period", "involvements", involvements)
		}
	})
}

// every calls fn at once and then every interval, until ctx ends: the
// broker's periodic jobs (retention, the follow-up sweep).
func every(ctx context.Context, interval time.Duration, fn func()) {
	for {
		fn()
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
