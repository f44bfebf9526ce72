package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/pflag"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/broker/pgstore"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// StoreConfig says where the broker's state lives (issue 20). The zero
// value is the embedded default: the bbolt file in the data directory.
// Either way the broker key and the pseudonym secret stay files in the
// data directory (or a mounted secret), never in the database.
type StoreConfig struct {
	// URL is "" for bbolt, or a PostgreSQL URL (postgres://host/db?…)
	// for a store several brokers share. It must not hold a password.
	URL string
	// PasswordFile holds the PostgreSQL password (a mounted secret; its
	// first line). Without it the password comes from PGPASSWORD or
	// PGPASSFILE (~/.pgpass), as libpq takes them.
	PasswordFile string
	// Refresh is how often a broker on PostgreSQL reloads what it keeps
	// in memory (the partner registry, the active policy version), so
	// that a change made at another broker is in force here within it.
	// Default DefaultStoreRefresh.
	Refresh time.Duration
}

// DefaultStoreRefresh is StoreConfig.Refresh's default: a key bound or a
// policy approved at one broker is in force at all within two seconds,
// at the cost of reading the partner table (hundreds of rows) that often.
const DefaultStoreRefresh = 2 * time.Second

// defaultPoolConns is the PostgreSQL connections one broker keeps at most
// unless the URL says (pool_max_conns): pgxpool's own default (the number
// of CPUs, at least 4) would make requests queue for a connection behind
// a few slow ones on a small machine; 16 stays well inside PostgreSQL's
// default max_connections of 100 for a handful of brokers.
const defaultPoolConns = 16

// register adds --store and --store-password-file to fl.
func (s *StoreConfig) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.URL, "store", envOr("KETENBRUG_STORE", ""), "where the broker's state lives: empty for the bbolt file in --data; postgres://HOST[:PORT]/DB?sslmode=verify-full for PostgreSQL, which several brokers may share. "+
		"Never a password in it: PGPASSWORD, PGPASSFILE or --store-password-file (env KETENBRUG_STORE)")
	refresh, _ := time.ParseDuration(envOr("KETENBRUG_STORE_REFRESH", DefaultStoreRefresh.String()))
	fl.DurationVar(&s.Refresh, "store-refresh", refresh, "with PostgreSQL: how often this broker picks up partners and policy versions changed at another broker (env KETENBRUG_STORE_REFRESH)")
	fl.StringVar(&s.PasswordFile, "store-password-file", envOr("KETENBRUG_STORE_PASSWORD_FILE", ""), "file holding the PostgreSQL password, such as a mounted secret (env KETENBRUG_STORE_PASSWORD_FILE)")
}

// made names the store init made, for its list of what it created.
func (s StoreConfig) made() string {
	if s.URL == "" {
		return storeFile + " (the bbolt store, schema and built-in policy)"
	}
	return "the schema and built-in policy in PostgreSQL at " + redactedHost(s.URL)
}

// systemStore is what CreateSystem needs of a store: the broker's state,
// the console's sessions, and the binding to the data directory's secrets.
// boltstore and pgstore both have it.
type systemStore interface {
	broker.Store
	broker.SessionStore
	Bind(fingerprint string) (bool, error)
}

// openStore opens the store cfg.Store names.
func openStore(ctx context.Context, cfg SystemConfig, dir *dataDir) (systemStore, error) {
	if cfg.Store.URL == "" {
		st, err := boltstore.Open(dir.file(storeFile), boltstore.Config{Logger: cfg.Logger})
		if err != nil {
			return nil, storeOpenError(cfg.DataDir, dir.file(storeFile), err)
		}
		return st, nil
	}
	pc, err := postgresConfig(cfg.Store)
	if err != nil {
		return nil, err
	}
	st, err := pgstore.OpenConfig(ctx, pc, pgstore.Config{Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("opening the PostgreSQL store at %s: %s", redactedHost(cfg.Store.URL), oneLine(err.Error()))
	}
	return st, nil
}

// startRefresh runs sys.Service.Refresh every cfg.Refresh while the store
// is shared (PostgreSQL), and relays other brokers' inbox signals to the
// service, and returns what stops both; with bbolt, one
// process per file, there is nothing to pick up and it does nothing.
func startRefresh(sys *System) (stop func()) {
	cfg := sys.Config.Store
	if cfg.URL == "" {
		return func() {}
	}
	every := cfg.Refresh
	if every <= 0 {
		every = DefaultStoreRefresh
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if pg, ok := sys.Store.(*pgstore.Store); ok {
		// A long-poll held here wakes for an item another broker wrote.
		wg.Go(func() { pg.Listen(ctx, sys.Service.InboxArrived) })
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := sys.Service.Refresh(ctx); err != nil && ctx.Err() == nil {
					sys.Config.Logger.Warn("refreshing partners and policy from the shared store failed; retrying",
						"error", err, "every", every.String())
				}
			}
		}
	}()
	return func() { cancel(); <-done; wg.Wait() }
}

// runExclusive runs fn until ctx ends; on PostgreSQL only while this
// broker holds the database-wide lock name, so that work such as webhook
// delivery is done by one broker of the region at a time (and taken over
// by another when it stops), not once per broker.
func runExclusive(ctx context.Context, st systemStore, name string, fn func(context.Context) error) {
	if pg, ok := st.(*pgstore.Store); ok {
		pg.Exclusive(ctx, name, fn)
		return
	}
	_ = fn(ctx)
}

// sharedReplay is the request tokens' replay cache for st: on PostgreSQL
// the one in the database, so that a token used at one broker is refused
// at every other (issue 20); nil, httpapi's in-memory cache, for bbolt's
// one process.
func sharedReplay(st systemStore) protocol.ReplayCache {
	// The fallible form: a database outage answers 503, not "replayed".
	var _ protocol.FallibleReplayCache = (*pgstore.ReplayCache)(nil)
	if pg, ok := st.(*pgstore.Store); ok {
		return pg.ReplayCache(nil)
	}
	return nil
}

// keywordPassword finds a password in a key=value DSN.
var keywordPassword = regexp.MustCompile(`(^|\s)password\s*=`)

// postgresConfig parses s.URL into a pool configuration with the password
// from s.PasswordFile, refusing a URL that carries a password itself: a
// command line is visible to every user of the machine (ps) and ends up in
// shell histories and unit files.
func postgresConfig(s StoreConfig) (*pgxpool.Config, error) {
	if !strings.HasPrefix(s.URL, "postgres://") && !strings.HasPrefix(s.URL, "postgresql://") {
		return nil, errors.New("--store: use postgres://HOST[:PORT]/DATABASE?sslmode=verify-full, or leave it empty for the bbolt store in --data")
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return nil, errors.New("--store: the PostgreSQL URL does not parse")
	}
	if _, has := u.User.Password(); has || u.Query().Has("password") || keywordPassword.MatchString(s.URL) {
		return nil, errors.New("--store: the URL holds a password; put it in PGPASSWORD, PGPASSFILE or --store-password-file, never on the command line")
	}
	pc, err := pgxpool.ParseConfig(s.URL)
	if err != nil {
		return nil, fmt.Errorf("--store: %s", oneLine(err.Error()))
	}
	if !u.Query().Has("pool_max_conns") {
		pc.MaxConns = defaultPoolConns
	}
	if s.PasswordFile != "" {
		raw, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--store-password-file: %w", err)
		}
		pw, _, _ := strings.Cut(string(raw), "\n")
		pc.ConnConfig.Password = strings.TrimSuffix(pw, "\r")
	}
	return pc, nil
}

// redactedHost names the server of a PostgreSQL URL for an error message:
// host and database only.
func redactedHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the --store URL"
	}
	return u.Host + u.Path
}
