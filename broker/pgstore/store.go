package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Errors of opening and using a store.
var (
	// ErrSchemaTooNew means the database was migrated by a newer Ketenbrug
	// whose schema this binary does not know; it is not used, so nothing
	// is misread or overwritten.
	ErrSchemaTooNew = errors.New("pgstore: database schema is newer than this binary")
	// ErrClosed means the store was closed. It matches broker.ErrUnavailable.
	ErrClosed = fmt.Errorf("pgstore: store closed: %w", broker.ErrUnavailable)
)

// DefaultDecisionCapacity is Config.DecisionCapacity's default, the same
// as boltstore's (see there for why).
const DefaultDecisionCapacity = 10_000

// maxAttempts bounds how often Update runs fn when PostgreSQL reports a
// serialization failure or a deadlock. With the writer lock neither
// should happen; the retry is there so that one never reaches a client
// as an error, which the contract allows (fn may run more than once).
const maxAttempts = 3

// idleInTransaction is the default idle_in_transaction_session_timeout
// of the store's sessions (OpenConfig), in milliseconds: 30 s.
const idleInTransaction = "30000"

// Lock keys of pg_advisory_lock. Advisory locks are per database, so two
// regions in two databases of one server never wait for each other.
const (
	// lockMigrate is held, session level, while Open migrates: two brokers
	// starting at once migrate one after the other, and the second finds
	// the work done.
	lockMigrate int64 = 0x6b62_6d69_6772 // "kbmigr"
	// lockWriter is held, transaction level, by every Update: writers run
	// one at a time across every broker on the database.
	lockWriter int64 = 0x6b62_7772_6974 // "kbwrit"
)

// Config configures a Store. The zero value is valid: Validate fills the
// defaults.
type Config struct {
	// DecisionCapacity is how many decision records PutDecision keeps.
	// Default DefaultDecisionCapacity.
	DecisionCapacity int
	// Logger receives operational logs (migrations). Default slog.Default().
	Logger *slog.Logger
}

// Validate checks cfg and fills its defaults.
func (c *Config) Validate() error {
	if c.DecisionCapacity < 0 {
		return errors.New("pgstore: DecisionCapacity must not be negative")
	}
	if c.DecisionCapacity == 0 {
		c.DecisionCapacity = DefaultDecisionCapacity
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Store is a broker.Store in a PostgreSQL database. It is safe for
// concurrent use, also by several processes on one database.
type Store struct {
	pool   *pgxpool.Pool
	cfg    Config
	closed atomic.Bool
}

var (
	_ broker.Store        = (*Store)(nil)
	_ broker.SessionStore = (*Store)(nil)
)

// Open connects to the database dsn names (a URL or key=value DSN as libpq
// takes it; the password may come from PGPASSWORD or PGPASSFILE, as with
// libpq) and brings its schema up to date.
func Open(ctx context.Context, dsn string, cfg Config) (*Store, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse errors repeat the DSN, password included.
		return nil, errors.New("pgstore: the PostgreSQL connection string does not parse")
	}
	return OpenConfig(ctx, pc, cfg)
}

// OpenConfig is Open with a parsed pool configuration, for a caller that
// sets what a DSN cannot (a password read from a file, a database name).
func OpenConfig(ctx context.Context, pc *pgxpool.Config, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	if _, set := pc.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		// A broker stalled inside an Update (frozen, cut off by the
		// network) would hold the writer lock, and so every broker's
		// writes, until TCP gave up on it; PostgreSQL ends such a
		// session after this, which releases its locks. The store's own
		// transactions are never idle that long.
		pc.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = idleInTransaction
	}
	if _, set := pc.ConnConfig.RuntimeParams["synchronous_commit"]; !set {
		// The contract: a commit is durable when Update returns. A server
		// whose default is off (set for bulk loads, or by mistake) would
		// acknowledge writes a crash then loses. With synchronous
		// replication, "on" also waits for the standby's flush; a URL may
		// ask for more (synchronous_commit=remote_apply).
		pc.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connect: %w", err)
	}
	if err := migrate(ctx, pool, cfg.Logger); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, cfg: cfg}, nil
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema step: migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("pgstore: migration file %s is not named NNNN_what.sql", e.Name())
		}
		sql, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(sql)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("pgstore: migration %s out of sequence (want version %d)", m.name, i+1)
		}
	}
	return out, nil
}

// migrate applies the steps the database lacks, each in its own
// transaction with its version row, under a session-level advisory lock
// so that brokers starting together do not race.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	steps, err := migrations()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("%w: pgstore: connect: %w", broker.ErrUnavailable, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockMigrate); err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	defer func() {
		// A failed unlock (a dropped connection) releases the lock anyway.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockMigrate)
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("pgstore: schema_migrations: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("pgstore: schema version: %w", err)
	}
	if have > len(steps) {
		return fmt.Errorf("%w: database at schema %d, this binary knows %d", ErrSchemaTooNew, have, len(steps))
	}
	for _, m := range steps[have:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("pgstore: migration %s: %w", m.name, err)
		}
		log.Info("pgstore: schema migrated", slog.String("step", m.name), slog.Int("version", m.version))
	}
	return nil
}

// SchemaVersion returns the database's schema version.
func (s *Store) SchemaVersion() (int, error) {
	var v int
	err := s.pool.QueryRow(context.Background(), "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, s.dbErr("schema version", err)
	}
	return v, nil
}

// View runs fn in a REPEATABLE READ, READ ONLY transaction: every read in
// it sees the snapshot taken at its first statement, which is the
// contract's consistent view, and it never waits for a writer. fn's error
// is returned unchanged.
func (s *Store) View(fn func(broker.ReadTx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	ctx := context.Background()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return s.beginErr(err)
	}
	// A read-only transaction has nothing to commit; rolling back ends it.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return fn(&readTx{tx: tx, ctx: ctx, cfg: &s.cfg})
}

// Update runs fn in a READ COMMITTED transaction that first takes the
// writer lock (pg_advisory_xact_lock), so writers run one at a time across
// every broker on the database. Each statement after the lock sees every
// earlier writer's commit and no other writer runs meanwhile, so the
// transaction behaves as if the writers were serialised, without
// SERIALIZABLE's aborts and retries of whole requests. A serialization
// failure or deadlock (which the lock should prevent) runs fn again, up to
// maxAttempts times. A failed commit matches broker.ErrUnavailable.
func (s *Store) Update(fn func(broker.Tx) error) error {
	var err error
	for range maxAttempts {
		if err = s.update(fn); !retryable(err) {
			return err
		}
	}
	return err
}

func (s *Store) update(fn func(broker.Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	ctx := context.Background()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return s.beginErr(err)
	}
	// After a commit this is a no-op; on an error or a panic in fn it
	// discards everything fn wrote.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockWriter); err != nil {
		return s.dbErr("writer lock", err)
	}
	if err := fn(&writeTx{readTx{tx: tx, ctx: ctx, cfg: &s.cfg}}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%w: pgstore: commit: %w", broker.ErrUnavailable, err)
	}
	return nil
}

// retryable reports a serialization failure or deadlock anywhere in err's
// chain: PostgreSQL rolled the transaction back and running it again is
// the documented remedy.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// backupTables are the tables Backup copies, in an order a restore can
// load them (households before their members).
var backupTables = []string{
	"schema_migrations", "meta", "counters", "partners", "consents", "restrictions", "policy_versions",
	"decisions", "audit_head", "audit", "audit_subjects", "involvements", "households", "household_members",
	"inbox", "assignments", "followups", "plan_versions", "deliveries", "dead_letters",
}

// Backup writes a consistent logical copy of the broker's state to w, from
// one REPEATABLE READ snapshot, while writers carry on: for each table a
// line "-- table NAME" and its rows in COPY's text format (what psql's
// \copy FROM loads). Console sessions are left out: they are not part of
// the audited state, and a restored store should not carry live logins.
// For a whole database, pg_dump or a base backup is the operator's tool
// (see the README); this exists so the broker's own backup command works
// on either store.
func (s *Store) Backup(w io.Writer) (int64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	ctx := context.Background()
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, s.beginErr(err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	cw := &countingWriter{w: w}
	for _, table := range backupTables {
		if _, err := fmt.Fprintf(cw, "-- table %s\n", table); err != nil {
			return cw.n, fmt.Errorf("pgstore: backup: %w", err)
		}
		// COPY on the transaction's connection reads the transaction's
		// snapshot, so the tables agree with each other.
		if _, err := tx.Conn().PgConn().CopyTo(ctx, cw, "COPY "+table+" TO STDOUT"); err != nil {
			return cw.n, fmt.Errorf("pgstore: backup %s: %w", table, err)
		}
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Close waits for open transactions (the pool waits for every acquired
// connection) and closes the connections. Later calls return errors
// matching ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

// Bind records fingerprint as the store's binding when it has none, and
// otherwise reports whether it is the recorded one (see boltstore's Bind:
// the broker key and pseudonym secret stay files, and a broker started
// with others must not write to this database).
func (s *Store) Bind(fingerprint string) (bound bool, err error) {
	if s.closed.Load() {
		return false, ErrClosed
	}
	ctx := context.Background()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('binding', $1) ON CONFLICT DO NOTHING", fingerprint); err != nil {
			return err
		}
		var cur string
		if err := tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'binding'").Scan(&cur); err != nil {
			return err
		}
		bound = cur == fingerprint
		return nil
	})
	if err != nil {
		return false, s.dbErr("binding", err)
	}
	return bound, nil
}

func (s *Store) beginErr(err error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return fmt.Errorf("%w: pgstore: begin: %w", broker.ErrUnavailable, err)
}

// dbErr wraps a database error. One without a PostgreSQL error code (the
// connection failed, the server went away) matches broker.ErrUnavailable:
// the request may succeed when retried, at this broker or another.
func (s *Store) dbErr(what string, err error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return dbErr(what, err)
}

func dbErr(what string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Errorf("pgstore: %s: %w", what, err)
	}
	return fmt.Errorf("%w: pgstore: %s: %w", broker.ErrUnavailable, what, err)
}
