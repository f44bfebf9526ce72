// Package storetest is the conformance suite of the broker's store
// contract (broker.Store, the interfaces ReadTx and Tx are composed of, and
// broker.SessionStore). Every store implementation runs it from its own
// tests, so bbolt today and PostgreSQL later are held to one behaviour:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) broker.Store {
//			s := open(t) // a new, empty store; closed by t.Cleanup
//			return s
//		})
//	}
//
// The suite tests behaviour through the interfaces only — round trips, the
// ErrNotFound sentinel, the stated orders, that a rolled-back write leaves
// nothing, that a read transaction is a snapshot, that household ids are a
// namespace per municipality — never how a store lays out its data.
// Values are compared by their JSON encoding, so times must come back as
// the same instant in UTC; the fixtures use whole seconds, which every
// database keeps.
package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Run runs the whole suite, each test on a store of its own from open.
// open returns a new, empty store and arranges its closing with t.Cleanup.
// The store must also implement broker.SessionStore, which the console
// needs.
func Run(t *testing.T, open func(t *testing.T) broker.Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, broker.Store)
	}{
		{"Transactions", testTransactions},
		{"Snapshot", testSnapshot},
		{"Backup", testBackup},
		{"Partners", testPartners},
		{"Consents", testConsents},
		{"Restrictions", testRestrictions},
		{"PolicyVersions", testPolicyVersions},
		{"Decisions", testDecisions},
		{"Audit", testAudit},
		{"AuditPurge", testAuditPurge},
		{"Involvements", testInvolvements},
		{"EndedInvolvements", testEndedInvolvements},
		{"Households", testHouseholds},
		{"Inbox", testInbox},
		{"Assignments", testAssignments},
		{"Followups", testFollowups},
		{"Plans", testPlans},
		{"Deliveries", testDeliveries},
		{"Sessions", testSessions},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// t0 is the fixtures' clock: UTC, whole seconds.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func update(t *testing.T, s broker.Store, fn func(broker.Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, s broker.Store, fn func(broker.ReadTx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

// same reports got ≠ want by their JSON encodings.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// is reports err not matching target.
func is(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want one matching %v", what, err, target)
	}
}

// ok fails the test on err.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// ids returns the key of each item, in order.
func ids[T any](items []T, key func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, key(it))
	}
	return out
}

// walk collects what a walk (a method taking fn) visits.
func walk[T any](t *testing.T, what string, run func(fn func(T) error) error) []T {
	t.Helper()
	var out []T
	ok(t, what, run(func(v T) error { out = append(out, v); return nil }))
	return out
}

// stopsAtEOF checks that a walk stops at fn's io.EOF and returns it, after
// one visit, when it has at least two items to visit.
func stopsAtEOF[T any](t *testing.T, what string, run func(fn func(T) error) error) {
	t.Helper()
	n := 0
	err := run(func(T) error { n++; return io.EOF })
	is(t, what+" stopped by fn", err, io.EOF)
	if n != 1 {
		t.Errorf("%s: fn called %d times after it stopped the walk, want 1", what, n)
	}
}

// errRollback is the error an Update's fn fails with to roll back.
var errRollback = errors.New("storetest: roll back")
