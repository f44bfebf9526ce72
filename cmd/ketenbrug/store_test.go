package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// testPostgresURL creates an empty database on the server
// KETENBRUG_TEST_POSTGRES names (see broker/pgstore), dropped when the
// test ends, and returns a --store URL for it. Without the variable the
// test skips, except under CI=true, where it fails.
func testPostgresURL(t *testing.T) string {
	t.Helper()
	dsn := requirePostgres(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer func() { _ = admin.Close(ctx) }()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "ketenbrug_cmd_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = admin.Close(ctx) }()
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	cc := admin.Config()
	q := url.Values{"host": {cc.Host}, "port": {fmt.Sprint(cc.Port)}, "user": {cc.User}, "sslmode": {"disable"}}
	return "postgres:///" + name + "?" + q.Encode()
}

// requirePostgres returns KETENBRUG_TEST_POSTGRES; without it the test
// skips, except under CI=true, where it fails.
func requirePostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("KETENBRUG_TEST_POSTGRES")
	if dsn == "" {
		msg := "KETENBRUG_TEST_POSTGRES is not set: this test needs a real PostgreSQL (bash .ci/postgres starts one)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

// TestStoreURLRefusesPasswords: a password never comes from --store.
func TestStoreURLRefusesPasswords(t *testing.T) {
	for _, u := range []string{
		"postgres://kb:secret@db.example/region",
		"postgres://kb@db.example/region?password=secret",
		"postgresql://db.example/region?sslmode=verify-full&password=secret",
	} {
		_, err := postgresConfig(StoreConfig{URL: u})
		if err == nil || !strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "secret") {
			t.Errorf("postgresConfig(%q) = %v, want a refusal that does not repeat the password", u, err)
		}
	}
	if _, err := postgresConfig(StoreConfig{URL: "host=db.example dbname=region"}); err == nil {
		t.Error("a key=value DSN was taken; --store wants a postgres:// URL")
	}
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pc, err := postgresConfig(StoreConfig{URL: "postgres://kb@db.example/region", PasswordFile: file})
	if err != nil || pc.ConnConfig.Password != "s3cret" || pc.MaxConns != defaultPoolConns {
		t.Errorf("postgresConfig with a password file: %v, password %q, max conns %d", err, pc.ConnConfig.Password, pc.MaxConns)
	}
}

// TestTwoBrokersOnPostgres: two brokers, each with a data directory of
// its own holding the same broker key and pseudonym secret, serve one
// region from one PostgreSQL database: what one writes the other reads,
// and their audit records form one chain that verifies at both.
func TestTwoBrokersOnPostgres(t *testing.T) {
	store := testPostgresURL(t)
	const refresh = 50 * time.Millisecond
	b1, b2 := twoBrokersOnPostgres(t, store, refresh, nil)
	// The operator init registered is the one at both brokers.
	op2 := b2.client(t, b1.operatorID)
	ctx := context.Background()

	b1.register(t, "schuldhulp", broker.SectorDebt, []broker.Role{broker.RoleConnector}, newTestKey(t, "EdDSA"))
	// Broker 2 knows it once it refreshed; well within a second here.
	var p broker.Partner
	known := func(c *connectors.Client, id string) bool {
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(refresh) {
			if c.JSON(ctx, http.MethodGet, "/v1/partners/"+id, "", nil, &p) == nil && p.ID == id {
				return true
			}
		}
		return false
	}
	if !known(op2, "schuldhulp") {
		t.Fatal("a partner registered at broker 1 is unknown at broker 2 after 2s")
	}
	operators := []*connectors.Client{b1.operator, op2}
	for i := range 6 {
		// Alternate the brokers, so that each appends its audit record
		// onto a head the other one moved.
		id := fmt.Sprintf("school-%d", i)
		if err := operators[i%2].JSON(ctx, http.MethodPost, "/v1/partners", "", map[string]any{
			"id": id, "name": id, "sector": broker.SectorEducation, "roles": []broker.Role{broker.RoleConnector},
			"level": 2, "municipalities": []string{"gem-test"}, "covenant": "2026-1",
			"jwks": jwksOf(t, newTestKey(t, "EdDSA")),
		}, nil); err != nil {
			t.Fatalf("registering %s at broker %d: %v", id, i%2+1, err)
		}
	}
	if !known(b1.operator, "school-5") {
		t.Fatal("a partner registered at broker 2 is unknown at broker 1 after 2s")
	}
	for n, tb := range []*testBroker{b1, b2} {
		rep, err := tb.sys.Audit.Verify(ctx)
		if err != nil || !rep.OK {
			t.Errorf("the audit chain at broker %d: %+v, %v", n+1, rep, err)
		}
	}
}

// TestReplayAcrossBrokers: a request token used at broker 1 is refused
// at broker 2 of the same region: the replay cache is the database's.
func TestReplayAcrossBrokers(t *testing.T) {
	store := testPostgresURL(t)
	const refresh = 50 * time.Millisecond
	b1, b2 := twoBrokersOnPostgres(t, store, refresh, nil)
	key := newTestKey(t, "EdDSA")
	b1.register(t, "schuldhulp", broker.SectorDebt, []broker.Role{broker.RoleConnector}, key)
	const whoami = "/v1/whoami"
	// Wait until broker 2 knows the partner, with tokens of their own.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(refresh) {
		resp, _ := b2.send(t, http.MethodGet, whoami, key.sign(t, "schuldhulp", "connector", http.MethodGet, whoami, nil), nil, nil)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker 2 does not know the partner after 2s: %d", resp.StatusCode)
		}
	}
	tok := key.sign(t, "schuldhulp", "connector", http.MethodGet, whoami, nil)
	if resp, body := b1.send(t, http.MethodGet, whoami, tok, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("first use at broker 1: %d %s", resp.StatusCode, body)
	}
	resp, body := b2.send(t, http.MethodGet, whoami, tok, nil, nil)
	expectProblem(t, resp, body, http.StatusUnauthorized, "token_"+protocol.ReasonReplayed)
}

// twoBrokersOnPostgres starts two in-process brokers of one region on the
// database store, refreshing their copies every refresh; before, when not
// nil, runs at broker 1 before broker 2 starts (so that broker 2's copy
// already holds what it did).
func twoBrokersOnPostgres(t *testing.T, store string, refresh time.Duration, before func(b1 *testBroker)) (b1, b2 *testBroker) {
	t.Helper()
	dir1, dir2 := t.TempDir(), t.TempDir()
	b1 = newTestBrokerWith(t, func(c *SystemConfig) { c.DataDir, c.Store = dir1, StoreConfig{URL: store, Refresh: refresh} })
	if before != nil {
		before(b1)
	}
	copySecrets(t, dir1, dir2)
	b2 = newTestBrokerWith(t, func(c *SystemConfig) { c.DataDir, c.Store = dir2, StoreConfig{URL: store, Refresh: refresh} })
	return b1, b2
}

// copySecrets gives a second broker's data directory the first one's
// broker key and pseudonym secret: brokers of one region share them (as
// files or a mounted secret), never through the database.
func copySecrets(t *testing.T, from, to string) {
	t.Helper()
	for _, f := range []string{brokerKeyFile, secretFile} {
		raw, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, f), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLongPollAcrossBrokers: a long-poll held at broker 2 wakes at once
// for an inbox item committed at broker 1 (LISTEN/NOTIFY), not at the
// end of its wait.
func TestLongPollAcrossBrokers(t *testing.T) {
	store := testPostgresURL(t)
	const refresh = 50 * time.Millisecond
	b1, b2 := twoBrokersOnPostgres(t, store, refresh, nil)
	key := newTestKey(t, "EdDSA")
	b1.register(t, "schuldhulp", broker.SectorDebt, []broker.Role{broker.RoleConnector}, key)
	client := b2.client(t, key.identity(t, "schuldhulp", "tester", broker.RoleConnector))
	ctx := context.Background()
	// Once broker 2 knows the partner, an empty inbox answers at once.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(refresh) {
		if client.JSON(ctx, http.MethodGet, "/v1/inbox", "", nil, nil) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("broker 2 does not know the partner after 2s")
		}
	}
	type page struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	got := make(chan page, 1)
	errs := make(chan error, 1)
	start := time.Now()
	go func() {
		var p page
		errs <- client.JSON(ctx, http.MethodGet, "/v1/inbox?wait=30s", "", nil, &p)
		got <- p
	}()
	time.Sleep(300 * time.Millisecond) // the long-poll is waiting at broker 2
	// The item as broker 1's service appends it: through its store.
	if err := b1.sys.Store.Update(func(tx broker.Tx) error {
		_, err := tx.AppendInbox(broker.InboxItem{Partner: "schuldhulp", Kind: "match", Created: time.Now().UTC(),
			Household: "h1", Ref: "r1", Subject: "s1"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatalf("long-poll at broker 2: %v", err)
	}
	p := <-got
	took := time.Since(start)
	t.Logf("the long-poll at broker 2 answered %s after it started (300ms before the item)", took)
	if took > 10*time.Second || len(p.Items) != 1 || p.Items[0].Kind != "match" {
		t.Fatalf("long-poll at broker 2 answered after %s with %+v, want the item at once", took, p)
	}
}

// TestWebhookOnceAcrossBrokers: two brokers on one database deliver a
// pending webhook once between them, not once each. Two guards hold it:
// a deliverer claims a due delivery in a write transaction before it
// sends (serialised across brokers), and on PostgreSQL the deliverer runs
// at one broker at a time (pgstore.Exclusive); either alone passes this.
func TestWebhookOnceAcrossBrokers(t *testing.T) {
	store := testPostgresURL(t)
	const refresh = 50 * time.Millisecond
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	b1, b2 := twoBrokersOnPostgres(t, store, refresh, nil)
	ctx := context.Background()
	if err := b1.operator.JSON(ctx, http.MethodPost, "/v1/partners", "", map[string]any{
		"id": "schuldhulp", "name": "Schuldhulp", "sector": broker.SectorDebt, "roles": []broker.Role{broker.RoleConnector},
		"level": 2, "municipalities": []string{"gem-test"}, "covenant": "2026-1",
		"jwks": jwksOf(t, newTestKey(t, "EdDSA")), "webhook": hook.URL,
	}, nil); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(refresh) {
		if _, err := b2.sys.Service.LookupPartner("schuldhulp"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("broker 2 does not know the partner after 2s")
		}
	}
	// An inbox item and its pending delivery, as the service writes them.
	now := time.Now().UTC()
	if err := b1.sys.Store.Update(func(tx broker.Tx) error {
		it, err := tx.AppendInbox(broker.InboxItem{Partner: "schuldhulp", Kind: "match", Created: now,
			Household: "h1", Ref: "r1", Subject: "s1"})
		if err != nil {
			return err
		}
		return tx.PutDelivery(broker.Delivery{ID: "d-once", Partner: "schuldhulp", Seq: it.Seq, Kind: it.Kind,
			NextAt: now, CreatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); calls.Load() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the webhook was not delivered within 5s")
		}
	}
	time.Sleep(2 * time.Second) // time for a second delivery, were there one
	if n := calls.Load(); n != 1 {
		t.Errorf("the webhook was called %d times, want once", n)
	}
}
