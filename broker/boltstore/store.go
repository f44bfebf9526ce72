package boltstore

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Errors of opening and using a store.
var (
	// ErrLocked means another process has the store file open; bbolt allows
	// one writer process per file.
	ErrLocked = errors.New("boltstore: store file is locked by another process")
	// ErrSchemaTooNew means the file was written by a newer Ketenbrug whose
	// schema this binary does not know; it is not opened, so nothing is
	// misread or overwritten.
	ErrSchemaTooNew = errors.New("boltstore: store schema is newer than this binary")
	// ErrDamaged means the file is not a bbolt database or fails its own
	// checks (a corrupt or truncated file, or another program's); it is
	// not opened.
	ErrDamaged = errors.New("boltstore: store file is damaged or not a bbolt database")
	// ErrClosed means the store was closed. It matches broker.ErrUnavailable.
	ErrClosed = fmt.Errorf("boltstore: store closed: %w", broker.ErrUnavailable)
)

// Defaults of Config.
const (
	DefaultDecisionCapacity = 10_000
	DefaultLockTimeout      = 2 * time.Second
	DefaultMmapSize         = 1 << 30
)

// Config configures a Store. The zero value is valid: Validate fills the
// defaults.
type Config struct {
	// DecisionCapacity is how many decision records PutDecision keeps; the
	// oldest beyond it are dropped. Default 10 000: ten times the broker's
	// default dry-run sample, so a privacy officer can replay a larger one,
	// while at a few KiB per record the ring stays in the tens of MiB.
	DecisionCapacity int
	// LockTimeout is how long Open waits for the file lock before failing
	// with ErrLocked. Default 2s: a restart's old process has time to let
	// go, a second `serve` on the same file fails at once with a clear
	// error instead of hanging.
	LockTimeout time.Duration
	// MmapSize is the initial size of bbolt's memory map in bytes. Default
	// 1 GiB. It costs address space, not memory or disk. bbolt remaps a
	// growing file only when no read transaction is open, so a map that
	// already covers the file keeps writers from waiting for a long reader
	// such as a hot backup or an audit verification. Set it above the
	// file's expected size (ls -l the store) for large regions.
	MmapSize int
	// Logger receives operational logs (migrations). Default slog.Default().
	Logger *slog.Logger
}

// Validate checks cfg and fills its defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.DecisionCapacity < 0 {
		errs = append(errs, errors.New("boltstore: DecisionCapacity must not be negative"))
	} else if c.DecisionCapacity == 0 {
		c.DecisionCapacity = DefaultDecisionCapacity
	}
	if c.LockTimeout < 0 {
		errs = append(errs, errors.New("boltstore: LockTimeout must not be negative"))
	} else if c.LockTimeout == 0 {
		c.LockTimeout = DefaultLockTimeout
	}
	if c.MmapSize < 0 {
		errs = append(errs, errors.New("boltstore: MmapSize must not be negative"))
	} else if c.MmapSize == 0 {
		c.MmapSize = DefaultMmapSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return errors.Join(errs...)
}

// Store is a broker.Store in one bbolt file. It is safe for concurrent
// use: any number of View transactions run alongside one Update at a time.
type Store struct {
	db  *bbolt.DB
	cfg Config
}

var _ broker.Store = (*Store)(nil)

// Open opens the store file at path, creating it with mode 0600 when it is
// absent (its directory must exist), and brings its schema up to date.
func Open(path string, cfg Config) (*Store, error) {
	return open(path, cfg, migrations())
}

// open is Open with the migration steps as a parameter, so tests can add a
// step.
func open(path string, cfg Config, steps []migration) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:         cfg.LockTimeout,
		InitialMmapSize: cfg.MmapSize,
		// The hashmap freelist allocates in O(1); the array default degrades
		// on a large, fragmented file (millions of involvements).
		FreelistType: bbolt.FreelistMapType,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, path, cfg.LockTimeout)
	}
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	if err := migrate(db, steps, cfg.Logger); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db, cfg: cfg}, nil
}

// View runs fn in a consistent read-only transaction. Errors from fn are
// returned as they are.
func (s *Store) View(fn func(broker.ReadTx) error) error {
	tx, err := s.db.Begin(false)
	if err != nil {
		return s.beginErr(err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(&readTx{tx: tx, cfg: &s.cfg})
}

// Update runs fn in a read-write transaction and commits it durably (fsync)
// when fn returns nil; otherwise, or when fn panics, nothing is written.
// Errors from fn are returned as they are; a failed commit matches
// broker.ErrUnavailable.
func (s *Store) Update(fn func(broker.Tx) error) error {
	tx, err := s.db.Begin(true)
	if err != nil {
		return s.beginErr(err)
	}
	// After a successful Commit this Rollback is a no-op (ErrTxClosed).
	defer func() { _ = tx.Rollback() }()
	if err := fn(&writeTx{readTx{tx: tx, cfg: &s.cfg}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: boltstore: commit: %w", broker.ErrUnavailable, err)
	}
	return nil
}

// Backup writes a consistent copy of the whole store to w, from one read
// transaction, while writers carry on. The copy is a valid store file.
func (s *Store) Backup(w io.Writer) (int64, error) {
	tx, err := s.db.Begin(false)
	if err != nil {
		return 0, s.beginErr(err)
	}
	defer func() { _ = tx.Rollback() }()
	n, err := tx.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("boltstore: backup: %w", err)
	}
	return n, nil
}

// Check verifies the file's page structure (every page reachable once, keys
// in order) and returns every inconsistency found, joined. It reads the
// whole file; it is for operators and tests, not for request paths.
func (s *Store) Check() error {
	tx, err := s.db.Begin(false)
	if err != nil {
		return s.beginErr(err)
	}
	defer func() { _ = tx.Rollback() }()
	var errs []error
	for err := range tx.Check() {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Path returns the store file's path.
func (s *Store) Path() string { return s.db.Path() }

// Close waits for open transactions and closes the file. Later calls
// return errors matching ErrClosed.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}

func (s *Store) beginErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return fmt.Errorf("%w: boltstore: begin: %w", broker.ErrUnavailable, err)
}
