package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// The crash harness also binds person keys (issue 15): the operator,
// itself a verified person since init, binds fresh persons to one partner
// while the broker is killed. A person key lives inside the partner record
// with an audit entry beside it, so a torn write would show as a person
// that was acknowledged but is gone, or one present with other keys or
// roles than were sent.

// crashPersonPartner is the partner the persons are bound to.
const crashPersonPartner = "crash-persons"

// crashPersonsPerRound caps the person keys written per kill round: each
// rewrites the whole partner record, and the harness is about surviving
// kills, not about partners with thousands of persons.
const crashPersonsPerRound = 20

// personLedger records the person keys the harness bound: the kids sent
// per person, and which binds were acknowledged.
type personLedger struct {
	sent  map[string][]string
	acked map[string]bool
}

func newPersonLedger() personLedger {
	return personLedger{sent: map[string][]string{}, acked: map[string]bool{}}
}

// writePersonKeys binds fresh persons to crashPersonPartner as the
// operator until ctx ends or the round's cap is reached.
func writePersonKeys(ctx context.Context, op *connectors.Client, l *crashLedger, round int) {
	for n := 0; n < crashPersonsPerRound && ctx.Err() == nil; n++ {
		person := fmt.Sprintf("crash-p-r%02d-%02d", round, n)
		_, pub, err := connectors.NewIdentity(crashPersonPartner, person, string(broker.RoleProfessional), "EdDSA")
		if err != nil {
			l.unexpected(err)
			return
		}
		l.mu.Lock()
		l.persons.sent[person] = broker.KeyIDs(pub)
		l.mu.Unlock()
		if _, err := op.PutPersonKey(ctx, crashPersonPartner, person, []string{string(broker.RoleProfessional)}, pub); err != nil {
			l.unexpected(err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		l.mu.Lock()
		l.persons.acked[person] = true
		l.mu.Unlock()
	}
}

// verifyPersons checks the persons bound to crashPersonPartner against the
// ledger (l.mu held): every acknowledged one present, every present one
// sent and whole. It returns how many acknowledged binds it checked.
func verifyPersons(t *testing.T, p *crashParties, l *crashLedger, round int) int {
	t.Helper()
	keys, err := p.op.PersonKeys(context.Background(), crashPersonPartner)
	if err != nil {
		t.Fatalf("round %d: listing person keys: %v", round, err)
	}
	present := map[string]bool{}
	for _, k := range keys {
		present[k.Person] = true
		kids, ok := l.persons.sent[k.Person]
		if !ok {
			t.Errorf("round %d: person %s was never bound", round, k.Person)
			continue
		}
		if !slices.Equal(broker.KeyIDs(k.JWKS), kids) || !slices.Equal(k.Roles, []broker.Role{broker.RoleProfessional}) ||
			k.Status != broker.PartnerActive {
			t.Errorf("round %d: person key %s is half there: %+v", round, k.Person, k)
		}
		// No change without its audit entry (readAudit ran in verifyCollab).
		if len(l.collab.auditIndex["person:"+k.Person]) == 0 {
			t.Errorf("round %d: person key %s is bound without its audit entry", round, k.Person)
		}
	}
	checked := 0
	for person, acked := range l.persons.acked {
		if acked {
			checked++
			if !present[person] {
				t.Errorf("round %d: acknowledged person key %s is lost", round, person)
			}
		}
	}
	return checked
}
