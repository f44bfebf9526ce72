package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestMigrateOnce: brokers starting together on an empty database migrate
// it once (the advisory lock), and a reopen finds nothing to do.
func TestMigrateOnce(t *testing.T) {
	pc := freshDatabase(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*Store, n)
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = OpenConfig(context.Background(), pc.Copy(), Config{}) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("concurrent Open %d: %v", i, errs[i])
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	steps, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := stores[0].SchemaVersion()
	if err != nil || v != len(steps) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(steps))
	}
	var rows int
	if err := stores[0].pool.QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(steps) {
		t.Errorf("schema_migrations has %d rows, want %d: a step ran twice", rows, len(steps))
	}
	openTest(t, pc, Config{})
}

// TestSchemaTooNew: a database a newer binary migrated is refused.
func TestSchemaTooNew(t *testing.T) {
	pc := freshDatabase(t)
	s := openTest(t, pc, Config{})
	if _, err := s.pool.Exec(context.Background(), "INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')"); err != nil {
		t.Fatal(err)
	}
	_, err := OpenConfig(context.Background(), pc.Copy(), Config{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

// TestTwoBrokers: two stores on one database, as two brokers of a region:
// a write at one reads at the other, and appends to the audit chain from
// both, each reading the head in its own transaction as the audit log
// does, interleave into one gapless chain with no conflict.
func TestTwoBrokers(t *testing.T) {
	pc := freshDatabase(t)
	a, b := openTest(t, pc, Config{}), openTest(t, pc, Config{})
	if err := a.Update(func(tx broker.Tx) error {
		return tx.PutPartner(broker.Partner{ID: "p1", Name: "Schuldhulp"})
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.View(func(tx broker.ReadTx) error {
		p, err := tx.Partner("p1")
		if err == nil && p.Name != "Schuldhulp" {
			err = fmt.Errorf("partner %+v", p)
		}
		return err
	}); err != nil {
		t.Fatalf("a partner registered at broker 1, read at broker 2: %v", err)
	}

	const perWriter = 25
	stores := []*Store{a, b, a, b}
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*perWriter)
	for w, s := range stores {
		wg.Go(func() {
			for range perWriter {
				errs <- s.Update(func(tx broker.Tx) error {
					seq, _, err := tx.AuditHead()
					if err != nil {
						return err
					}
					return tx.AppendAudit(seq+1, fmt.Sprintf("h%d", seq+1), fmt.Appendf(nil, `{"w":%d}`, w),
						[]broker.Pseudonym{"s1"})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("append from two brokers: %v", err)
		}
	}
	want := uint64(len(stores) * perWriter)
	if err := a.View(func(tx broker.ReadTx) error {
		seq, hash, err := tx.AuditHead()
		if err != nil {
			return err
		}
		if seq != want || hash != fmt.Sprintf("h%d", want) {
			t.Errorf("head = %d %s, want %d", seq, hash, want)
		}
		next := uint64(1)
		return tx.AuditRaw(0, func(s uint64, _ []byte) error {
			if s != next {
				return fmt.Errorf("chain has %d where %d belongs", s, next)
			}
			next++
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAuditRawPages: a walk longer than a page visits every record once,
// in order, and fn may read through the same transaction meanwhile.
func TestAuditRawPages(t *testing.T) {
	s := openTest(t, freshDatabase(t), Config{})
	n := uint64(pageSize*2 + 7)
	if err := s.Update(func(tx broker.Tx) error {
		for seq := uint64(1); seq <= n; seq++ {
			if err := tx.AppendAudit(seq, "h", []byte("r"), nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(func(tx broker.ReadTx) error {
		next := uint64(3)
		if err := tx.AuditRaw(3, func(seq uint64, _ []byte) error {
			if seq != next {
				return fmt.Errorf("got %d, want %d", seq, next)
			}
			next++
			_, err := tx.AuditGet(seq) // a read inside the walk
			return err
		}); err != nil {
			return err
		}
		if next != n+1 {
			return fmt.Errorf("walk ended before %d, want after %d", next, n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestDecisionCapacity: the ring keeps the newest DecisionCapacity records.
func TestDecisionCapacity(t *testing.T) {
	s := openTest(t, freshDatabase(t), Config{DecisionCapacity: 3})
	for i := range 5 {
		if err := s.Update(func(tx broker.Tx) error {
			return tx.PutDecision(broker.DecisionRecord{RequestID: fmt.Sprint(i)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.View(func(tx broker.ReadTx) error {
		rs, err := tx.RecentDecisions(10)
		if err != nil {
			return err
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.RequestID)
		}
		if strings.Join(got, ",") != "4,3,2" {
			t.Errorf("RecentDecisions = %v, want the newest three, 4,3,2", got)
		}
		var rows int
		return s.pool.QueryRow(context.Background(), "SELECT count(*) FROM decisions").Scan(&rows)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestUnusableKeys: a key PostgreSQL cannot hold is refused or not found
// without a statement, so the transaction goes on and commits.
func TestUnusableKeys(t *testing.T) {
	s := openTest(t, freshDatabase(t), Config{})
	bad := "p\x00"
	if err := s.Update(func(tx broker.Tx) error {
		if err := tx.PutPartner(broker.Partner{ID: bad}); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("PutPartner with a NUL byte: %v, want ErrInvalid", err)
		}
		if _, err := tx.Partner("\xff"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("Partner of invalid UTF-8: %v, want ErrNotFound", err)
		}
		if err := tx.PutHousehold(broker.Household{Municipality: "gm0327", ID: "h1",
			Members: []broker.Member{{Subject: ""}}}); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("PutHousehold with a member without subject: %v, want ErrInvalid", err)
		}
		f := broker.Followup{ID: "f1", Municipality: "gm0327", Household: "h1",
			Lead: broker.Actor{Partner: bad}, Coordinator: broker.Actor{Partner: "p1"}}
		if err := tx.PutFollowup(f); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("PutFollowup with a NUL byte: %v, want ErrInvalid", err)
		}
		if err := tx.LiveFollowups(bad, func(broker.Followup) error { return nil }); err != nil {
			t.Errorf("LiveFollowups after a NUL byte: %v", err)
		}
		return tx.PutPartner(broker.Partner{ID: "p1"})
	}); err != nil {
		t.Fatalf("the transaction after refused keys: %v", err)
	}
}

// TestBackupAndBind: Backup copies every table from one snapshot; Bind
// records a fingerprint once and compares afterwards.
func TestBackupAndBind(t *testing.T) {
	s := openTest(t, freshDatabase(t), Config{})
	if err := s.Update(func(tx broker.Tx) error { return tx.PutPartner(broker.Partner{ID: "p-backup"}) }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	for _, table := range backupTables {
		if !strings.Contains(buf.String(), "-- table "+table+"\n") {
			t.Errorf("backup lacks table %s", table)
		}
	}
	if !strings.Contains(buf.String(), "p-backup") {
		t.Error("backup lacks the partner written")
	}
	for i, c := range []struct {
		fp   string
		want bool
	}{{"fp1", true}, {"fp1", true}, {"fp2", false}} {
		if got, err := s.Bind(c.fp); err != nil || got != c.want {
			t.Errorf("Bind %d (%s) = %v, %v; want %v", i, c.fp, got, err, c.want)
		}
	}
}

// TestBackupCoversEveryTable: a table a migration adds is in the backup
// unless it is left out on purpose, so a new stored object cannot go
// missing from backups unnoticed (the follow-ups table of migration 3
// first did).
func TestBackupCoversEveryTable(t *testing.T) {
	s := openTest(t, freshDatabase(t), Config{})
	// Left out: console sessions (Backup's comment says why) and the
	// replay cache, whose entries live only as long as the request
	// tokens they refuse.
	leftOut := map[string]bool{"console_sessions": true, "replay": true}
	if err := s.View(func(btx broker.ReadTx) error {
		tx := btx.(*readTx)
		rows, err := tx.tx.Query(tx.ctx, `SELECT table_name::text FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`)
		if err != nil {
			return err
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(tables) == 0 {
			t.Fatal("no tables found in the current schema")
		}
		for _, table := range tables {
			if !leftOut[table] && !slices.Contains(backupTables, table) {
				t.Errorf("table %s is not in backupTables", table)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f := broker.Followup{ID: "f-backup", Municipality: "gm0327", Household: "h1",
		Lead: broker.Actor{Partner: "p2"}, Coordinator: broker.Actor{Partner: "p1"}, State: broker.FollowupOpen}
	if err := s.Update(func(tx broker.Tx) error { return tx.PutFollowup(f) }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "-- table followups\n") || !strings.Contains(buf.String(), "f-backup") {
		t.Error("the backup lacks the follow-up written")
	}
}

// TestClosed: after Close every call fails with ErrClosed, which matches
// broker.ErrUnavailable.
func TestClosed(t *testing.T) {
	s, err := OpenConfig(context.Background(), freshDatabase(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"View":       s.View(func(broker.ReadTx) error { return nil }),
		"Update":     s.Update(func(broker.Tx) error { return nil }),
		"PutSession": s.PutSession(broker.ConsoleSession{IDHash: "aa"}),
	} {
		if !errors.Is(err, ErrClosed) || !errors.Is(err, broker.ErrUnavailable) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

// TestReplayCacheAcrossBrokers: a jti stored through one store is seen
// through another on the same database until it expires; of many
// concurrent uses of one jti across both, exactly one is first.
func TestReplayCacheAcrossBrokers(t *testing.T) {
	pc := freshDatabase(t)
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r1 := openTest(t, pc, Config{}).ReplayCache(clock)
	r2 := openTest(t, pc, Config{}).ReplayCache(clock)
	until := now.Add(time.Minute)
	if r1.CheckAndStore("p1", "jti-0123456789abcdef", until) {
		t.Fatal("a new jti counted as seen")
	}
	if !r2.CheckAndStore("p1", "jti-0123456789abcdef", until) {
		t.Fatal("a jti used at broker 1 was accepted at broker 2")
	}
	if r2.CheckAndStore("p2", "jti-0123456789abcdef", until) {
		t.Error("another issuer's same jti counted as seen")
	}
	if !r1.CheckAndStore("p1", "bad\x00jti-0123456789", until) {
		t.Error("a jti PostgreSQL cannot store was accepted")
	}
	now = until.Add(time.Second) // the token expired: its jti may be taken again
	if r2.CheckAndStore("p1", "jti-0123456789abcdef", now.Add(time.Minute)) {
		t.Error("an expired entry still counted as seen")
	}

	// A cache that cannot reach its database says so, and fails closed
	// where it cannot say.
	dead := openTest(t, pc, Config{})
	deadCache := dead.ReplayCache(clock)
	_ = dead.Close()
	if _, err := deadCache.CheckAndStoreErr("p1", "jti-dead-0123456789", now.Add(time.Minute)); !errors.Is(err, broker.ErrUnavailable) {
		t.Errorf("CheckAndStoreErr on a closed store: %v, want ErrUnavailable", err)
	}
	if !deadCache.CheckAndStore("p1", "jti-dead-0123456789", now.Add(time.Minute)) {
		t.Error("CheckAndStore on a closed store accepted the token")
	}

	var firsts atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if ![]*ReplayCache{r1, r2}[i%2].CheckAndStore("p1", "jti-race-0123456789", now.Add(time.Minute)) {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if firsts.Load() != 1 {
		t.Errorf("%d concurrent uses of one jti were first, want exactly 1", firsts.Load())
	}
}

// TestListenAcrossBrokers: an inbox item committed through one store is
// signalled to a listener on another; a rolled-back one is not.
func TestListenAcrossBrokers(t *testing.T) {
	pc := freshDatabase(t)
	a, b := openTest(t, pc, Config{}), openTest(t, pc, Config{})
	got := make(chan string, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Listen(ctx, func(p string) { got <- p }) }()
	t.Cleanup(func() { cancel(); <-done })
	appendItem := func(partner string, keep bool) {
		err := b.Update(func(tx broker.Tx) error {
			if _, err := tx.AppendInbox(broker.InboxItem{Partner: partner, Kind: "match"}); err != nil {
				return err
			}
			if !keep {
				return errors.New("roll back")
			}
			return nil
		})
		if keep && err != nil {
			t.Fatal(err)
		}
	}
	// LISTEN takes effect a moment after Listen starts: append until the
	// first signal arrives.
	deadline := time.After(5 * time.Second)
	for first := false; !first; {
		appendItem("p-first", true)
		select {
		case p := <-got:
			first = p == "p-first"
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("no inbox signal from the other store within 5s")
		}
	}
	appendItem("p-rolled-back", false)
	appendItem("p2", true)
	for {
		select {
		case p := <-got:
			switch p {
			case "p-rolled-back":
				t.Fatal("a rolled-back inbox item was signalled")
			case "p2":
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no signal for p2 within 5s")
		}
	}
}

// TestExclusive: of two brokers running the same exclusive work, one
// runs it at a time, and the other takes over when it stops.
func TestExclusive(t *testing.T) {
	pc := freshDatabase(t)
	stores := []*Store{openTest(t, pc, Config{}), openTest(t, pc, Config{})}
	var running, most atomic.Int32
	started := make(chan int, 4)
	cancels := make([]context.CancelFunc, 2)
	var wg sync.WaitGroup
	for i, s := range stores {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		wg.Go(func() {
			s.Exclusive(ctx, "webhooks", func(ctx context.Context) error {
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				started <- i
				<-ctx.Done()
				running.Add(-1)
				return nil
			})
		})
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	}()
	var first int
	select {
	case first = <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("neither broker ran the exclusive work")
	}
	time.Sleep(2 * reconnectWait) // the other tries meanwhile
	if most.Load() != 1 {
		t.Fatalf("%d brokers ran the exclusive work at once", most.Load())
	}
	cancels[first]()
	select {
	case next := <-started:
		if next == first {
			t.Fatal("the stopped broker ran again")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the other broker did not take over within 5s")
	}
	if most.Load() != 1 {
		t.Fatalf("%d brokers ran the exclusive work at once", most.Load())
	}
}

// TestSessionSettings: the store's sessions end a transaction left idle,
// so a frozen broker cannot keep the writer lock, and commit durably even
// on a server whose default is synchronous_commit = off (as the test
// cluster's is).
func TestSessionSettings(t *testing.T) {
	s := openTest(t, freshDatabase(t), Config{})
	for setting, want := range map[string]string{"idle_in_transaction_session_timeout": "30s", "synchronous_commit": "on"} {
		var v string
		if err := s.pool.QueryRow(context.Background(), "SHOW "+setting).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("%s = %s, want %s", setting, v, want)
		}
	}
}

// TestMigrateEndedInvolvements: schema 4 fills the ended_on column of the
// involvements stored before it, by the same rule as the stores' writes
// (broker.Involvement.EndedOn), so the retention sweep finds them.
func TestMigrateEndedInvolvements(t *testing.T) {
	pc := freshDatabase(t)
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, pc.ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	steps, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"); err != nil {
		t.Fatal(err)
	}
	for _, m := range steps[:3] {
		if _, err := conn.Exec(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	inv := func(ref, status, end string, updated time.Time) broker.Involvement {
		return broker.Involvement{ID: "i-" + ref, Partner: "p1", Ref: ref, Subject: broker.Pseudonym("s-" + ref),
			Status: status, End: end, CreatedAt: t0, UpdatedAt: updated, Revision: 1}
	}
	for _, v := range []broker.Involvement{
		inv("active", broker.InvolvementActive, "", t0),
		inv("with-end", broker.InvolvementEnded, "2026-01-31", t0),
		inv("without-end", broker.InvolvementEnded, "", t0),
		// 00:30 on 2 March in UTC+2 is 1 March in UTC.
		inv("zone", broker.InvolvementEnded, "", time.Date(2026, 3, 2, 0, 30, 0, 0, time.FixedZone("", 2*3600))),
	} {
		raw, err := encode("involvement", &v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO involvements (partner, ref, subject, value) VALUES ($1, $2, $3, $4)",
			v.Partner, v.Ref, string(v.Subject), raw); err != nil {
			t.Fatal(err)
		}
	}

	s := openTest(t, pc, Config{})
	var got []string
	if err := s.View(func(tx broker.ReadTx) error {
		return tx.EndedInvolvements("2026-12-31", broker.EndedCursor{}, func(v broker.Involvement) error {
			got = append(got, v.EndedOn()+" "+v.Ref)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-01-31 with-end", "2026-03-01 zone", "2026-03-02 without-end"}
	if !slices.Equal(got, want) {
		t.Errorf("ended involvements after the migration: %q, want %q", got, want)
	}
}
