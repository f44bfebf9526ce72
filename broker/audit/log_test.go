package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestConfigValidate(t *testing.T) {
	store, _ := testStore(t)
	signer := testSigner(t, "k")
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"defaults", Config{Store: store, Signer: signer}, false},
		{"no store", Config{Signer: signer}, true},
		{"no signer", Config{Store: store}, true},
		{"negative batch", Config{Store: store, Signer: signer, MaxBatch: -1}, true},
		{"negative queue", Config{Store: store, Signer: signer, MaxQueue: -1}, true},
		{"negative checkpoint count", Config{Store: store, Signer: signer, CheckpointEvery: -1}, true},
		{"negative checkpoint interval", Config{Store: store, Signer: signer, CheckpointInterval: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (tt.cfg.MaxBatch != DefaultMaxBatch || tt.cfg.MaxQueue != DefaultMaxQueue ||
				tt.cfg.CheckpointEvery != DefaultCheckpointEvery || tt.cfg.CheckpointInterval != DefaultCheckpointInterval ||
				tt.cfg.Logger == nil || tt.cfg.Now == nil) {
				t.Errorf("defaults not filled: %+v", tt.cfg)
			}
		})
	}
}

func TestRecordValidation(t *testing.T) {
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store})
	tests := []struct {
		name  string
		edit  func(*broker.AuditEntry)
		field string
	}{
		{"no event", func(e *broker.AuditEntry) { e.Event = "" }, "event"},
		{"checkpoint is reserved", func(e *broker.AuditEntry) { e.Event = broker.EventCheckpoint }, "event"},
		{"purge is reserved", func(e *broker.AuditEntry) { e.Event = broker.EventPurge }, "event"},
		{"no action", func(e *broker.AuditEntry) { e.Action = "" }, "action"},
		{"no decision", func(e *broker.AuditEntry) { e.Decision = "" }, "decision"},
		{"odd decision", func(e *broker.AuditEntry) { e.Decision = "maybe" }, "decision"},
		{"time out of range", func(e *broker.AuditEntry) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entry(1)
			tt.edit(&e)
			_, err := l.Record(context.Background(), e, nil)
			var ve *broker.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || !errors.Is(err, broker.ErrInvalid) {
				t.Errorf("Record = %v, want a validation error on %s", err, tt.field)
			}
		})
	}
	if r := mustVerify(t, l); r.Entries != 0 {
		t.Errorf("refused entries were written: %d", r.Entries)
	}
}

func TestRecordSealsAndReads(t *testing.T) {
	store, _ := testStore(t)
	now := time.Date(2026, 11, 22, 20, 0, 0, 123, time.FixedZone("CET", 3600))
	l := testLog(t, Config{Store: store, Now: func() time.Time { return now }})

	var prev string
	for i := range 30 {
		e := entry(i)
		if i == 0 {
			e.Time = time.Time{} // the log's clock fills it in
		}
		got := mustRecord(t, l, e, nil)
		if got.Seq != uint64(i+1) || got.PrevHash != prev || len(got.Hash) != 64 || got.Time.Location() != time.UTC {
			t.Fatalf("entry %d sealed as seq %d prev %q hash %q time %v", i, got.Seq, got.PrevHash, got.Hash, got.Time)
		}
		if i == 0 && !got.Time.Equal(now) {
			t.Errorf("zero time became %v, want %v", got.Time, now)
		}
		prev = got.Hash
	}
	wantOK(t, mustVerify(t, l))

	all, err := l.Entries(context.Background(), 0, 0)
	if err != nil || len(all) != 30 {
		t.Fatalf("Entries(0, default) = %d, %v", len(all), err)
	}
	page, _ := l.Entries(context.Background(), 11, 5)
	if len(page) != 5 || page[0].Seq != 11 || page[4].Seq != 15 {
		t.Errorf("Entries(11, 5) = seqs %d..%d (%d)", page[0].Seq, page[len(page)-1].Seq, len(page))
	}
	want := entry(11) // seq 12
	got := page[1]
	if got.RequestID != want.RequestID || !got.Time.Equal(want.Time) || got.Disclosed[0].Involvement != "inv-1" ||
		got.Hash == "" || got.PrevHash != page[0].Hash {
		t.Errorf("decoded entry 12 = %+v", got)
	}

	mine, err := l.BySubject(context.Background(), "p:subject-03")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, e := range mine {
		seqs = append(seqs, e.Seq)
	}
	if fmt.Sprint(seqs) != "[4 11 18 25]" {
		t.Errorf("BySubject(p:subject-03) = %v", seqs)
	}
	if none, err := l.BySubject(context.Background(), "p:nobody"); err != nil || len(none) != 0 {
		t.Errorf("BySubject(p:nobody) = %v, %v", none, err)
	}
}

func TestApplyCommitsWithEntry(t *testing.T) {
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store})
	mustRecord(t, l, entry(1), func(tx broker.Tx) error {
		return tx.PutPartner(broker.Partner{ID: "kredietbank", Name: "Kredietbank"})
	})
	boom := errors.New("policy version unknown")
	_, err := l.Record(context.Background(), entry(2), func(tx broker.Tx) error {
		if err := tx.PutPartner(broker.Partner{ID: "uwv", Name: "UWV"}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("Record with failing apply = %v, want apply's error as is", err)
	}
	_ = store.View(func(tx broker.ReadTx) error {
		if _, err := tx.Partner("kredietbank"); err != nil {
			t.Errorf("applied change missing: %v", err)
		}
		if _, err := tx.Partner("uwv"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("change of a failed record was written: %v", err)
		}
		return nil
	})
	if r := mustVerify(t, l); r.Entries != 1 {
		t.Errorf("%d entries, want 1", r.Entries)
	}
}

func TestGroupCommit(t *testing.T) {
	store, _ := testStore(t)
	cs := &countingStore{Store: store}
	l := testLog(t, Config{Store: cs, CheckpointEvery: 1000})
	const writers, each = 64, 200
	var wg sync.WaitGroup
	seqs := make([][]uint64, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := entry(w*each + i)
				e.Partner = fmt.Sprintf("partner-%d", w)
				got, err := l.Record(context.Background(), e, nil)
				if err != nil {
					t.Error(err)
					return
				}
				seqs[w] = append(seqs[w], got.Seq)
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	const records = writers * each
	seen := map[uint64]bool{}
	for w := range writers {
		for i, s := range seqs[w] {
			if seen[s] {
				t.Fatalf("seq %d handed out twice", s)
			}
			seen[s] = true
			if i > 0 && s <= seqs[w][i-1] {
				t.Fatalf("writer %d: seq %d after %d", w, s, seqs[w][i-1])
			}
		}
	}
	r := mustVerify(t, l)
	wantOK(t, r)
	st := l.Stats()
	if st.Records != records || uint64(r.Entries) != st.Records+st.Checkpoints || r.Checkpoints != int(st.Checkpoints) {
		t.Errorf("stats %+v, report %d entries %d checkpoints; want %d records", st, r.Entries, r.Checkpoints, records)
	}
	if st.Checkpoints < records/1000 {
		t.Errorf("%d checkpoints for %d records every 1000", st.Checkpoints, records)
	}
	updates := cs.updates.Load()
	t.Logf("%d records in %d transactions (%.1f per commit)", records, updates, float64(records)/float64(updates))
	if updates > records/8 {
		t.Errorf("%d transactions for %d records: group commit is not batching", updates, records)
	}
	// Every writer's entries are there and findable.
	page, _ := l.Entries(context.Background(), 0, MaxPage)
	per := map[string]int{}
	for _, e := range page {
		per[e.Partner]++
	}
	rest, _ := l.Entries(context.Background(), uint64(MaxPage+1), MaxPage)
	for _, e := range rest {
		per[e.Partner]++
	}
	for w := range writers {
		if n := per[fmt.Sprintf("partner-%d", w)]; n != each {
			t.Errorf("partner-%d has %d entries, want %d", w, n, each)
		}
	}
}

func TestApplyErrorIsolation(t *testing.T) {
	store, _ := testStore(t)
	cs := &countingStore{Store: store}
	l := testLog(t, Config{Store: cs})
	g := newGate()
	first := make(chan error, 1)
	go func() { _, err := l.Record(context.Background(), entry(0), g.apply); first <- err }()
	<-g.entered

	// While the writer is held, queue a batch in which two records fail:
	// one with an error, one with a panic.
	const n = 10
	var runs [n]atomic.Int32
	errs := make([]error, n)
	got := make([]broker.AuditEntry, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got[i], errs[i] = l.Record(context.Background(), entry(i+1), func(tx broker.Tx) error {
				runs[i].Add(1)
				if err := tx.PutPartner(broker.Partner{ID: fmt.Sprintf("p%d", i)}); err != nil {
					return err
				}
				switch i {
				case 3:
					return fmt.Errorf("record %d refused", i)
				case 7:
					panic("record 7 exploded")
				}
				return nil
			})
		})
	}
	waitQueued(t, l, n)
	close(g.release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i := range n {
		switch i {
		case 3:
			if errs[i] == nil || errs[i].Error() != "record 3 refused" {
				t.Errorf("record 3: %v, want its apply error", errs[i])
			}
		case 7:
			if errs[i] == nil || errors.Is(errs[i], broker.ErrAuditFailed) {
				t.Errorf("record 7: %v, want the panic as an error", errs[i])
			}
		default:
			if errs[i] != nil || got[i].Seq == 0 {
				t.Errorf("record %d: %v (seq %d)", i, errs[i], got[i].Seq)
			}
		}
	}
	if r := runs[9].Load(); r < 2 {
		t.Logf("record 9's apply ran %d times (batch split differently)", r)
	}
	_ = store.View(func(tx broker.ReadTx) error {
		for i := range n {
			_, err := tx.Partner(fmt.Sprintf("p%d", i))
			if (i == 3 || i == 7) != errors.Is(err, broker.ErrNotFound) {
				t.Errorf("partner p%d: %v", i, err)
			}
		}
		return nil
	})
	r := mustVerify(t, l)
	wantOK(t, r)
	if r.Entries != 1+n-2 {
		t.Errorf("%d entries, want %d", r.Entries, 1+n-2)
	}
	if st := l.Stats(); st.Retries < 2 {
		t.Errorf("Retries = %d, want at least 2", st.Retries)
	}
}

func TestCommitFailure(t *testing.T) {
	store, _ := testStore(t)
	cs := &countingStore{Store: store}
	l := testLog(t, Config{Store: cs})
	for i := range 3 {
		mustRecord(t, l, entry(i), nil)
	}
	cs.fail.Store(true)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := l.Record(context.Background(), entry(100+i), func(tx broker.Tx) error {
				return tx.PutPartner(broker.Partner{ID: fmt.Sprintf("lost-%d", i)})
			})
			if !errors.Is(err, broker.ErrAuditFailed) {
				t.Errorf("Record during a failing commit = %v, want ErrAuditFailed", err)
			}
		})
	}
	wg.Wait()
	cs.fail.Store(false)
	got := mustRecord(t, l, entry(3), nil)
	if got.Seq != 4 {
		t.Errorf("first entry after the failure has seq %d, want 4", got.Seq)
	}
	r := mustVerify(t, l)
	wantOK(t, r)
	if r.Entries != 4 {
		t.Errorf("%d entries, want 4", r.Entries)
	}
	_ = store.View(func(tx broker.ReadTx) error {
		ps, _ := tx.Partners()
		if len(ps) != 0 {
			t.Errorf("changes of failed records were written: %d partners", len(ps))
		}
		return nil
	})
	if l.Stats().Failures == 0 {
		t.Error("no failure counted")
	}
}

// A head moved behind the log's back (another writer) fails one batch,
// after which the log continues from the store's head.
func TestHeadFollowsOtherWriter(t *testing.T) {
	// Another writer on the same store (a second broker on PostgreSQL,
	// issue 20) appends between two of this log's records: the next
	// record chains onto the store's head, without a failed request.
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store})
	first := mustRecord(t, l, entry(0), nil)
	other := first
	other.Seq, other.Time, other.RequestID = first.Seq+1, other.Time.Add(time.Second), "elsewhere"
	raw, _ := seal(&other, chainHead{first.Seq, first.Hash})
	if err := store.Update(func(tx broker.Tx) error { return tx.AppendAudit(other.Seq, other.Hash, raw, nil) }); err != nil {
		t.Fatal(err)
	}
	if got := mustRecord(t, l, entry(1), nil); got.Seq != other.Seq+1 || got.PrevHash != other.Hash {
		t.Errorf("after another writer: seq %d prev %q, want %d %q", got.Seq, got.PrevHash, other.Seq+1, other.Hash)
	}
	wantOK(t, mustVerify(t, l))
}

func TestClose(t *testing.T) {
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store})
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := range 200 {
		wg.Go(func() {
			_, err := l.Record(context.Background(), entry(i), nil)
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, ErrClosed):
				t.Errorf("Record during Close = %v", err)
			}
		})
	}
	time.Sleep(time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	_, err := l.Record(context.Background(), entry(1), nil)
	if !errors.Is(err, ErrClosed) || !errors.Is(err, broker.ErrUnavailable) {
		t.Errorf("Record after Close = %v, want ErrClosed (ErrUnavailable)", err)
	}
	r := mustVerify(t, l)
	wantOK(t, r)
	if int64(r.Entries) != ok.Load()+1 {
		t.Errorf("%d entries for %d successful records + final checkpoint", r.Entries, ok.Load())
	}
	last, _ := l.Entries(context.Background(), r.LastSeq, 1)
	if len(last) != 1 || last[0].Event != broker.EventCheckpoint {
		t.Errorf("the chain does not end with a checkpoint: %+v", last)
	}
}

func TestContextCancel(t *testing.T) {
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Record(ctx, entry(0), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Record with a cancelled context = %v", err)
	}

	// Cancelled while queued: not written.
	g := newGate()
	done := make(chan error, 1)
	go func() { _, err := l.Record(context.Background(), entry(1), g.apply); done <- err }()
	<-g.entered
	ctx, cancel = context.WithCancel(context.Background())
	queued := make(chan error, 1)
	go func() {
		_, err := l.Record(ctx, entry(2), func(broker.Tx) error {
			t.Error("apply of a cancelled record ran")
			return nil
		})
		queued <- err
	}()
	waitQueued(t, l, 1)
	cancel()
	if err := <-queued; !errors.Is(err, context.Canceled) {
		t.Errorf("Record cancelled while queued = %v", err)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Cancelled while its batch commits: reported truthfully, as written.
	ctx, cancel = context.WithCancel(context.Background())
	got, err := l.Record(ctx, entry(3), func(broker.Tx) error { cancel(); return nil })
	if err != nil || got.Seq == 0 {
		t.Errorf("Record cancelled during its commit = %v (seq %d), want success", err, got.Seq)
	}
	r := mustVerify(t, l)
	wantOK(t, r)
	if r.Entries != 2 {
		t.Errorf("%d entries, want 2", r.Entries)
	}
}

func TestBackPressure(t *testing.T) {
	store, _ := testStore(t)
	l := testLog(t, Config{Store: store, MaxQueue: 2, MaxBatch: 1})
	g := newGate()
	go func() { _, _ = l.Record(context.Background(), entry(0), g.apply) }()
	<-g.entered
	results := make(chan error, 2)
	for i := range 2 {
		go func() { _, err := l.Record(context.Background(), entry(i+1), nil); results <- err }()
	}
	waitQueued(t, l, 2)
	// The queue is full: a caller waits, and gives up when its context
	// ends, having written nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := l.Record(ctx, entry(9), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Record on a full queue = %v, want to wait until its deadline", err)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Error("Record on a full queue did not wait")
	}
	// A patient caller gets through once there is room.
	waiting := make(chan error, 1)
	go func() { _, err := l.Record(context.Background(), entry(10), nil); waiting <- err }()
	close(g.release)
	for range 2 {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	if err := <-waiting; err != nil {
		t.Error(err)
	}
	r := mustVerify(t, l)
	wantOK(t, r)
	if r.Entries != 4 {
		t.Errorf("%d entries, want 4", r.Entries)
	}
}

func TestReopenContinuesChain(t *testing.T) {
	store, _ := testStore(t)
	l1 := testLog(t, Config{Store: store})
	for i := range 5 {
		mustRecord(t, l1, entry(i), nil)
	}
	if err := l1.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := testLog(t, Config{Store: store})
	if got := mustRecord(t, l2, entry(5), nil); got.Seq != 7 { // 5 entries and Close's checkpoint
		t.Errorf("first entry after reopen has seq %d, want 7", got.Seq)
	}
	wantOK(t, mustVerify(t, l2))
}
