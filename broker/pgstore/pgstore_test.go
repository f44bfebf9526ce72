package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/storetest"
)

// envDSN names the server the tests use: a DSN whose user may create
// databases. bash .ci/postgres starts one and prints it; .ci/test sets it.
const envDSN = "KETENBRUG_TEST_POSTGRES"

// testServer returns the DSN of the test server, skipping the test when
// none is configured, except in CI (CI=true), where a skipped store suite
// would pass unnoticed, so it fails.
func testServer(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		msg := envDSN + " is not set: the PostgreSQL store's tests need a real server " +
			"(export " + envDSN + "=\"$(bash .ci/postgres)\" starts a throwaway one)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

// freshDatabase creates an empty database on the test server, dropped
// when the test ends, and returns a pool configuration for it. A database
// per test, not a schema: advisory locks are per database, so tests on one
// server never share the writer lock.
func freshDatabase(t testing.TB) *pgxpool.Config {
	t.Helper()
	dsn := testServer(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", envDSN, err)
	}
	defer func() { _ = admin.Close(ctx) }()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "ketenbrug_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connect to drop %s: %v", name, err)
			return
		}
		defer func() { _ = admin.Close(ctx) }()
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pc.ConnConfig.Database = name
	return pc
}

// openTest opens a store on pc, closed when the test ends.
func openTest(t testing.TB, pc *pgxpool.Config, cfg Config) *Store {
	t.Helper()
	s, err := OpenConfig(context.Background(), pc.Copy(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestConformance holds the PostgreSQL store to the store contract that
// every implementation shares, each test on a database of its own.
func TestConformance(t *testing.T) {
	testServer(t)
	storetest.Run(t, func(t *testing.T) broker.Store { return openTest(t, freshDatabase(t), Config{}) })
}
