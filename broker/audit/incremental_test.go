package audit

import (
	"context"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestVerifyNew: after a clean walk, VerifyNew reads only the entries
// added since and reports the whole chain's totals, as Verify does; an
// entry appended behind the log's back (one that does not link on from
// the verified head) is still found, and found again on the next call.
func TestVerifyNew(t *testing.T) {
	ctx := context.Background()
	store, _ := testStore(t)
	signer := testSigner(t, "broker-2026")
	l := testLog(t, Config{Store: store, Signer: signer, CheckpointEvery: 5})
	for i := range 10 {
		mustRecord(t, l, entry(i), nil)
	}
	first, err := l.VerifyNew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, first)
	if l.ver.walked != first.Entries {
		t.Fatalf("the first check read %d of %d records: it must walk them all", l.ver.walked, first.Entries)
	}
	for i := 10; i < 15; i++ {
		mustRecord(t, l, entry(i), nil)
	}
	got, err := l.VerifyNew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, got)
	if want := mustVerify(t, l); got.Entries != want.Entries || got.LastSeq != want.LastSeq ||
		got.FirstSeq != want.FirstSeq || got.Checkpoints != want.Checkpoints {
		t.Fatalf("incremental totals %+v, full walk %+v", got, want)
	}
	mustRecord(t, l, entry(15), nil)
	if _, err := l.VerifyNew(ctx); err != nil {
		t.Fatal(err)
	}
	if l.ver.walked > 2 { // the new entry, and a checkpoint after it at most
		t.Fatalf("the check after one new entry read %d records", l.ver.walked)
	}
	again, _ := l.VerifyNew(ctx)
	if l.ver.walked != 0 || !again.OK {
		t.Fatalf("nothing new: %d records read, %+v", l.ver.walked, again)
	}

	// Someone with write access to the store appends an entry of their
	// own, sealed in the right format and recorded as the head, but its
	// link does not lead back to the verified head.
	head, _, err := headOf(store)
	if err != nil {
		t.Fatal(err)
	}
	forged := entry(99)
	forged.Partner = "intruder"
	forged.Seq = head + 1
	raw, err := seal(&forged, chainHead{head - 1, strings.Repeat("0", hashLen)})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Update(func(tx broker.Tx) error { return tx.AppendAudit(head+1, forged.Hash, raw, nil) }); err != nil {
		t.Fatal(err)
	}
	for range 2 { // found, and found again: a problem is never remembered as verified
		bad, err := l.VerifyNew(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if bad.OK || len(bad.Problems) == 0 || bad.Problems[0].Seq != head {
			t.Fatalf("the forged entry was not found: %+v", bad)
		}
	}
	if full := mustVerify(t, l); full.OK {
		t.Fatal("the full walk does not find the forged entry")
	}
}

func headOf(s broker.Store) (seq uint64, hash string, err error) {
	err = s.View(func(tx broker.ReadTx) error {
		seq, hash, err = tx.AuditHead()
		return err
	})
	return seq, hash, err
}
