package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/audit"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
)

func ExampleLog_Record() {
	dir, _ := os.MkdirTemp("", "ketenbrug")
	defer os.RemoveAll(dir)
	store, _ := boltstore.Open(filepath.Join(dir, "ketenbrug.db"), boltstore.Config{})
	defer store.Close()
	signer, _ := audit.NewEd25519Signer("broker-2026", ed25519.NewKeyFromSeed(make([]byte, 32)), nil)
	log, err := audit.New(audit.Config{Store: store, Signer: signer})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer log.Close() // before the store: Close signs a last checkpoint

	// A change and its audit entry commit together, or not at all.
	e := broker.AuditEntry{
		Event: broker.EventChange, Action: "partner.register", Decision: broker.DecisionAllow,
		Partner: "gem-leusden", Sub: "beheer", Role: broker.RoleOperator, Object: "partner:kredietbank",
	}
	sealed, err := log.Record(context.Background(), e, func(tx broker.Tx) error {
		return tx.PutPartner(broker.Partner{ID: "kredietbank", Name: "Kredietbank"})
	})
	fmt.Println(sealed.Seq, len(sealed.Hash), err)

	report, _ := log.Verify(context.Background())
	fmt.Println(report.OK, report.Entries)
	// Output:
	// 1 64 <nil>
	// true 1
}

func ExampleVerifyChain() {
	dir, _ := os.MkdirTemp("", "ketenbrug")
	defer os.RemoveAll(dir)
	store, _ := boltstore.Open(filepath.Join(dir, "ketenbrug.db"), boltstore.Config{})
	defer store.Close()
	signer, _ := audit.NewEd25519Signer("broker-2026", ed25519.NewKeyFromSeed(make([]byte, 32)), nil)
	log, _ := audit.New(audit.Config{Store: store, Signer: signer})
	for i := range 3 {
		_, _ = log.Record(context.Background(), broker.AuditEntry{
			Time: time.Date(2026, 11, 22, 19, i, 0, 0, time.UTC), Event: broker.EventDisclosure,
			Action: broker.ActionHouseholdOverview, Decision: broker.DecisionAllow,
			Subjects: []broker.Pseudonym{"p:3f9a"},
		}, nil)
	}
	_ = log.Close() // appends a signed checkpoint

	// Archive the chain, and check it elsewhere with the public key only.
	var archive bytes.Buffer
	n, _ := log.Export(context.Background(), &archive, 0)
	report, _ := audit.VerifyChain(context.Background(), &archive, signer.PublicKeys())
	fmt.Println(n, report.OK, report.Checkpoints)
	// Output: 4 true 1
}
