package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// TestMigrateToPostgres: a bbolt region moves to PostgreSQL with one
// command; the counts and the audit chain are checked, a second run into
// the same database is refused, and a broker started on PostgreSQL with
// the same data directory finds everything.
func TestMigrateToPostgres(t *testing.T) {
	url := testPostgresURL(t)
	dir := t.TempDir()
	ctx := context.Background()
	sys, err := CreateSystem(ctx, SystemConfig{DataDir: dir, ID: testBrokerID, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	_, pub, err := connectors.NewIdentity(operatorID, "operator", string(broker.RoleOperator), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sys.Service.EnsureOperator(ctx, broker.Partner{ID: operatorID, Name: "Operator",
		Sector: broker.SectorOther, Roles: []broker.Role{broker.RoleOperator}, Level: broker.MaxLevel, JWKS: pub}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	inv := broker.Involvement{ID: "i1", Partner: "schuldhulp", Ref: "r1", Subject: "s1", Service: "schuldhulp", Start: "2026-01-01"}
	// Follow-ups are put into the store directly, every field set: the
	// one live, the other closed, so that the columns PostgreSQL finds
	// them by (lead, coordinator, household, live) are checked as well as
	// the value. Times in another zone and to the nanosecond: a copy that
	// normalised them (to UTC, or to timestamptz's microseconds) would not
	// arrive byte for byte.
	amsterdam := time.FixedZone("CET", 3600)
	followup := broker.Followup{ID: "f1", Municipality: "gem-test", Household: "h1", Purpose: "integrale-ondersteuning",
		Partner: "schuldhulp", Involvements: []string{"i1"}, Subjects: []broker.Pseudonym{"s1"},
		Coordinator: broker.Actor{Partner: "gem-test", Sub: "c"}, Lead: broker.Actor{Partner: "wijkteam", Sub: "l"},
		Due: "2026-03-16", State: broker.FollowupContacted, Escalations: 1,
		Contact: &broker.FollowupContact{With: "schuldhulp", On: "2026-03-10"},
		Steps: []broker.FollowupStep{
			{Step: broker.FollowupStepOpen, State: broker.FollowupOpen, At: now, By: broker.Actor{Partner: "broker"}, Detail: "wijkteam"},
			{Step: broker.FollowupStepContact, State: broker.FollowupContacted, At: now.Add(time.Hour).In(amsterdam),
				By: broker.Actor{Partner: "wijkteam", Sub: "l"}, Detail: "schuldhulp"},
		},
		CreatedAt: now, UpdatedAt: now.Add(time.Hour + 123456789).In(amsterdam), Revision: 2}
	closedFollowup := broker.Followup{ID: "f2", Municipality: "gem-test", Household: "h1", Partner: "zorg",
		Coordinator: broker.Actor{Partner: "gem-test", Sub: "c"}, Lead: broker.Actor{Partner: "wijkteam", Sub: "l"},
		State: broker.FollowupClosed, Outcome: "geen-contact-nodig", CreatedAt: now, UpdatedAt: now, Revision: 2}
	if err := sys.Store.Update(func(tx broker.Tx) error {
		return errors.Join(
			tx.PutConsent(broker.Consent{ID: "c1", Subject: "s1", Purpose: "integrale-ondersteuning", RecordedAt: now}),
			tx.PutRestriction(broker.Restriction{ID: "r1", Subject: "s1", Kind: "objection", RecordedAt: now}),
			tx.PutInvolvement(inv),
			tx.PutHousehold(broker.Household{Municipality: "gem-test", ID: "h1", Members: []broker.Member{{Subject: "s1"}, {Subject: "s2"}}}),
			tx.PutAssignment(broker.Assignment{ID: "a1", Giver: broker.Actor{Partner: "gem-test", Sub: "c"}, Recipient: "schuldhulp"}),
			tx.PutFollowup(followup),
			tx.PutFollowup(closedFollowup),
			tx.PutPlan(broker.Plan{Municipality: "gem-test", Household: "h1", Version: 1}),
			tx.PutPlan(broker.Plan{Municipality: "gem-test", Household: "h1", Version: 2}),
			tx.PutDelivery(broker.Delivery{ID: "d1", Partner: "schuldhulp", NextAt: now}),
			tx.PutDeadLetter(broker.DeadLetter{Delivery: broker.Delivery{ID: "x1", Partner: "schuldhulp"}}),
			tx.PutDecision(broker.DecisionRecord{RequestID: "q1", Time: now}),
			func() error {
				_, err := tx.AppendInbox(broker.InboxItem{Partner: "schuldhulp", Kind: "match", Created: now})
				return err
			}(),
		)
	}); err != nil {
		t.Fatal(err)
	}
	if err := sys.Store.PutSession(broker.ConsoleSession{IDHash: "aa", Partner: operatorID, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := sys.Close(); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := migrate(ctx, &out, migrateOptions{from: dir, to: StoreConfig{URL: url}}); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	if !strings.Contains(out.String(), "counts equal; audit chain intact") {
		t.Errorf("migrate said: %s", out.String())
	}
	if err := migrate(ctx, &out, migrateOptions{from: dir, to: StoreConfig{URL: url}}); !errors.Is(err, errMigrate) {
		t.Errorf("a second migrate into the same database: %v, want a refusal", err)
	}

	pgSys, err := CreateSystem(ctx, SystemConfig{DataDir: dir, ID: testBrokerID, Logger: discardLogger(), Store: StoreConfig{URL: url}})
	if err != nil {
		t.Fatalf("a broker on the migrated database: %v", err)
	}
	defer pgSys.Close()
	if _, err := pgSys.Service.LookupPartner(operatorID); err != nil {
		t.Errorf("the operator after the migration: %v", err)
	}
	if err := pgSys.Store.View(func(tx broker.ReadTx) error {
		got, err := tx.Involvement("schuldhulp", "r1")
		if err != nil || got.ID != inv.ID {
			t.Errorf("involvement after the migration: %+v, %v", got, err)
		}
		hs, err := tx.HouseholdsOf("s2")
		if err != nil || len(hs) != 1 {
			t.Errorf("HouseholdsOf after the migration: %v, %v", hs, err)
		}
		p, err := tx.Plan("gem-test", "h1")
		if err != nil || p.Version != 2 {
			t.Errorf("plan after the migration: version %d, %v", p.Version, err)
		}
		f, err := tx.Followup("f1")
		if err != nil {
			t.Errorf("follow-up after the migration: %v", err)
		} else if got, want := mustJSON(t, f), mustJSON(t, followup); !bytes.Equal(got, want) {
			t.Errorf("follow-up after the migration:\n got %s\nwant %s", got, want)
		}
		var live, led, household []string
		collect := func(ids *[]string) func(broker.Followup) error {
			return func(f broker.Followup) error { *ids = append(*ids, f.ID); return nil }
		}
		if err := errors.Join(tx.LiveFollowups("", collect(&live)), tx.PartnerFollowups("wijkteam", collect(&led)),
			tx.HouseholdFollowups("gem-test", "h1", collect(&household))); err != nil {
			t.Errorf("finding follow-ups after the migration: %v", err)
		}
		if strings.Join(live, ",") != "f1" || strings.Join(led, ",") != "f1,f2" || strings.Join(household, ",") != "f1,f2" {
			t.Errorf("follow-ups after the migration: live %v, led by wijkteam %v, of h1 %v; want f1, f1 f2, f1 f2",
				live, led, household)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The sequences go on after the migrated ones.
	if err := pgSys.Store.Update(func(tx broker.Tx) error {
		it, err := tx.AppendInbox(broker.InboxItem{Partner: "schuldhulp", Kind: "match", Created: now})
		if err == nil && it.Seq != 2 {
			t.Errorf("the first inbox item after the migration has seq %d, want 2", it.Seq)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := pgSys.Audit.Verify(ctx)
	if err != nil || !rep.OK {
		t.Errorf("the audit chain on the migrated database: %+v, %v", rep, err)
	}
}
