package main

import (
	"context"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestAuditRetentionKeepsTheChainVerifiable(t *testing.T) {
	tb := newTestBroker(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Entries written now are younger than any retention period: the job
	// must remove nothing, and the chain must still verify afterwards.
	var before broker.AuditVerification
	var err error
	if before, err = tb.sys.Audit.Verify(ctx); err != nil || !before.OK {
		t.Fatalf("verify before: %+v %v", before, err)
	}
	done := make(chan struct{})
	go func() { tb.sys.Retention.Run(ctx, 10*time.Millisecond); close(done) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	after, err := tb.sys.Audit.Verify(context.Background())
	if err != nil || !after.OK {
		t.Fatalf("verify after: %+v %v", after, err)
	}
	if after.FirstSeq != before.FirstSeq {
		t.Errorf("young entries were purged: first seq %d -> %d", before.FirstSeq, after.FirstSeq)
	}
	if tb.sys.Policy.Settings().AuditRetentionDays <= 0 {
		t.Error("the default policy sets no audit retention period")
	}
	if days := tb.sys.Policy.Settings().InvolvementRetentionDays; days != 730 {
		t.Errorf("the default policy keeps ended involvements %d days, want 730", days)
	}
}
