package main

import (
	"context"
	"log/slog"
	"time"
)

// retentionInterval is how often the audit trail is checked for entries
// past their retention period.
const retentionInterval = time.Hour

// keepAuditRetention purges audit entries older than the active policy's
// audit_retention_days and removes involvements that ended longer ago than
// its involvement_retention_days, at start and then every interval, until
// ctx ends.
// The period is policy data, so a privacy officer changes it by policy
// version, four eyes and all. Purging goes a whole checkpoint segment at a
// time and leaves a signed anchor, so the rest of the chain still verifies.
func keepAuditRetention(ctx context.Context, sys *System, interval time.Duration, log *slog.Logger) {
	for {
		if days := sys.Policy.Settings().AuditRetentionDays; days > 0 {
			before := time.Now().UTC().AddDate(0, 0, -days)
			n, err := sys.Audit.Purge(ctx, before)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("audit retention: purge failed", "error", err)
			case n > 0:
				log.Info("audit retention: purged entries past the retention period", "entries", n, "before", before.Format(time.DateOnly))
			}
		}
		// Ended involvements past involvement_retention_days are removed
		// by the broker's own service, each removal audited.
		if days := sys.Policy.Settings().InvolvementRetentionDays; days > 0 {
			n, err := sys.Service.PurgeEndedInvolvements(ctx, days)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("involvement retention: purge failed", "error", err)
			case n > 0:
				log.Info("involvement retention: removed ended involvements past the retention period", "involvements", n, "days", days)
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
