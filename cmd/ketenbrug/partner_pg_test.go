package main

import (
	"context"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A broker's copy of the partners lags the others' writes by up to a
// refresh period. A partner change made at broker 2 from its stale copy —
// registration fields, the organisation's keys, the status — must not undo
// what broker 1 wrote meanwhile (here a person key): each change is applied
// again to the stored partner inside the write transaction.
func TestPartnerChangesAcrossBrokersKeepEachOther(t *testing.T) {
	store := testPostgresURL(t)
	// A refresh far longer than the test: broker 2's copy stays stale.
	const refresh = time.Hour
	b1, b2 := twoBrokersOnPostgres(t, store, refresh, func(b *testBroker) {
		b.register(t, "schuldhulp", broker.SectorDebt, []broker.Role{broker.RoleConnector, broker.RoleProfessional}, newTestKey(t, "EdDSA"))
	})
	op2 := b2.client(t, b1.operatorID)
	ctx := context.Background()

	// Broker 1 binds a person key; broker 2 does not know it yet.
	if _, err := b1.operator.PutPersonKey(ctx, "schuldhulp", "anna", []string{string(broker.RoleProfessional)}, jwksOf(t, newTestKey(t, "EdDSA"))); err != nil {
		t.Fatal(err)
	}
	// Broker 2 changes the registration, rotates the organisation's keys
	// and suspends the partner, each from its stale copy.
	if _, err := op2.UpdatePartner(ctx, "schuldhulp", map[string]any{"id": "schuldhulp", "name": "Schuldhulp Eemland", "sector": broker.SectorDebt,
		"roles": []broker.Role{broker.RoleConnector, broker.RoleProfessional}, "level": 2, "municipalities": []string{"gem-test"}, "covenant": "2026-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := op2.SetPartnerKeys(ctx, "schuldhulp", jwksOf(t, newTestKey(t, "EdDSA"))); err != nil {
		t.Fatal(err)
	}
	if _, err := op2.SuspendPartner(ctx, "schuldhulp"); err != nil {
		t.Fatal(err)
	}
	// What is stored holds all four changes.
	var stored broker.Partner
	if err := b1.sys.Store.View(func(tx broker.ReadTx) error {
		var err error
		stored, err = tx.Partner("schuldhulp")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(stored.Persons) != 1 || stored.Persons[0].Person != "anna" || stored.Name != "Schuldhulp Eemland" ||
		stored.Status != broker.PartnerSuspended || stored.Revision != 5 {
		t.Fatalf("stored after the changes at two brokers: persons %v, name %q, status %s, revision %d",
			stored.Persons, stored.Name, stored.Status, stored.Revision)
	}
}
