package broker_test

import (
	"errors"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A partner change is checked as a registration is: a webhook the broker
// may not call is refused on update too, and nothing is stored.
func TestUpdatePartnerChecksTheWebhook(t *testing.T) {
	e := newInvEnv(t)
	p, err := e.svc.LookupPartner("kredietbank")
	if err != nil {
		t.Fatal(err)
	}
	changed := *p
	changed.Webhook = "http://connector.example/hook"
	if _, err := e.svc.UpdatePartner(e.ctx, e.operator, changed); !errors.Is(err, broker.ErrInvalid) {
		t.Fatalf("a plain-http webhook on update: %v", err)
	}
	if p, _ := e.svc.LookupPartner("kredietbank"); p.Webhook != "" {
		t.Fatalf("stored webhook %q", p.Webhook)
	}
}
