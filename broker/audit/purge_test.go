package audit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func day(n int) time.Time        { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
func seqsOf(es []broker.AuditEntry) (out []uint64) {
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestPurge(t *testing.T) {
	signer := testSigner(t, "broker-2026")
	store, path := testStore(t)
	clk := &clock{}
	l := testLog(t, Config{Store: store, Signer: signer, CheckpointEvery: 5, Now: clk.Now})
	// One record a day: checkpoints at seq 6 (day 4), 12 (day 9), 18 (day
	// 14) and 24 (day 19).
	for i := range 20 {
		clk.Set(day(i))
		e := entry(i)
		e.Time = time.Time{}
		mustRecord(t, l, e, nil)
	}
	ctx := context.Background()

	if n, err := l.Purge(ctx, day(3)); err != nil || n != 0 {
		t.Errorf("Purge before the first checkpoint = %d, %v; want nothing", n, err)
	}

	// Entries before day 12: the newest checkpoint before it is 12 (day 9),
	// so seqs 1–11 go and 12–17 stay although 13 and 14 are older.
	clk.Set(day(20))
	n, err := l.Purge(ctx, day(12))
	if err != nil || n != 11 {
		t.Fatalf("Purge(day 12) = %d, %v; want 11", n, err)
	}
	r := mustVerify(t, l)
	wantOK(t, r)
	if r.FirstSeq != 12 || r.LastSeq != 25 {
		t.Errorf("after purge the chain runs %d–%d, want 12–25", r.FirstSeq, r.LastSeq)
	}
	last, _ := l.Entries(ctx, 25, 1)
	if p := last[0]; p.Event != broker.EventPurge || p.Detail[DetailFirstSeq] != "12" || p.Detail[DetailRemoved] != "11" ||
		p.Detail[DetailBefore] != day(12).Format(time.RFC3339Nano) || p.Time != day(20) {
		t.Errorf("purge entry %+v", p)
	}
	// The subject index forgot the purged entries too.
	mine, err := l.BySubject(ctx, "p:subject-03")
	if err != nil {
		t.Fatal(err)
	}
	// Records 3, 10 and 17 are about subject 03: seqs 4, 13 and 21.
	if got := fmt.Sprint(seqsOf(mine)); got != "[13 21]" {
		t.Errorf("BySubject after purge = %s, want [13 21]", got)
	}

	// Purging again moves the anchor; the chain still verifies.
	clk.Set(day(40))
	if n, err := l.Purge(ctx, day(30)); err != nil || n != 12 {
		t.Fatalf("second Purge = %d, %v; want 12", n, err)
	}
	r = mustVerify(t, l)
	wantOK(t, r)
	if r.FirstSeq != 24 || r.LastSeq != 26 || r.Entries != 3 {
		t.Errorf("after the second purge: %+v", r)
	}
	if n, err := l.Purge(ctx, day(30)); err != nil || n != 0 {
		t.Errorf("repeated Purge = %d, %v; want nothing", n, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	// Removing more by hand is found: the anchor no longer matches.
	tamper(t, path, func(audit, _ *bbolt.Bucket) error { return audit.Delete(key(24)) })
	s2, err := boltstore.Open(path, boltstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	l2 := testLog(t, Config{Store: s2, Signer: signer})
	r = mustVerify(t, l2)
	if r.OK || len(r.Problems) != 1 || r.Problems[0].Kind != KindRemoved || r.Problems[0].Seq != 24 {
		t.Errorf("after removing the anchored entry: %+v", r.Problems)
	}
}

func TestForgedPurgeAnchor(t *testing.T) {
	signer := testSigner(t, "broker-2026")
	path := chainFile(t, signer)
	// An attacker removes 1–11 and writes their own purge entry, which
	// they cannot sign.
	tamper(t, path, func(audit, meta *bbolt.Bucket) error {
		for s := uint64(1); s < 12; s++ {
			if err := audit.Delete(key(s)); err != nil {
				return err
			}
		}
		first, head := get(t, audit, 12), get(t, audit, 24)
		sig, _ := testSigner(t, "attacker").Sign(purgePayload(12, first.PrevHash))
		p := broker.AuditEntry{Time: day(30), Event: broker.EventPurge, Action: "audit.purge", Decision: broker.DecisionAllow,
			Detail: map[string]string{DetailFirstSeq: "12", DetailAnchorHash: first.PrevHash, DetailKeyID: "broker-2026", DetailSignature: sig}}
		return setHead(meta, reseal(t, audit, 25, p, chainHead{head.Seq, head.Hash}))
	})
	r := verifyFile(t, path, signer)
	var got []string
	for _, p := range r.Problems {
		got = append(got, fmt.Sprintf("%d:%s", p.Seq, p.Kind))
	}
	if fmt.Sprint(got) != "[25:bad-signature 11:removed]" {
		t.Errorf("problems %v", r.Problems)
	}
}
