package broker_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// setWebhook has the operator register url as partner's webhook.
func (e *invEnv) setWebhook(partner, url string) {
	e.t.Helper()
	p, err := e.svc.LookupPartner(partner)
	if err != nil {
		e.t.Fatal(err)
	}
	q := *p
	q.Webhook = url
	if _, err := e.svc.UpdatePartner(e.ctx, e.operator, q); err != nil {
		e.t.Fatal(err)
	}
}

// The delivery job is written with the item; an item acknowledged through
// the inbox is not pushed; a failed last attempt is a dead letter the
// operator lists and retries; a delivered one counts as acknowledged.
func TestWebhookDeliveryJobs(t *testing.T) {
	e := newInvEnv(t)
	e.newFamily("hh-1")
	e.setLevel("gem-a", 3)
	e.setLevel("kredietbank", 3)
	e.setWebhook("kredietbank", "https://kredietbank.example/ketenbrug")
	bell := e.svc.DeliveryBell()

	a, err := e.give("hh-1")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-bell:
	case <-time.After(time.Second):
		t.Fatal("the deliverer was not woken")
	}
	due, _, err := e.svc.DueWebhookDeliveries(e.ctx, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %+v, %v", due, err)
	}
	d := due[0]
	var body broker.InboxView
	if err := json.Unmarshal(d.Body, &body); err != nil || body.Assignment == nil || body.Assignment.ID != a.ID ||
		d.URL != "https://kredietbank.example/ketenbrug" || d.Partner != "kredietbank" || d.Kind != broker.InboxAssignment {
		t.Fatalf("delivery %+v: %s", d, d.Body)
	}
	e.noBSN("a webhook body", body)

	// A failed attempt is retried later: not due now.
	if err := e.svc.WebhookFailed(e.ctx, d, "status 503", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, next, err := e.svc.DueWebhookDeliveries(e.ctx, 10)
	if err != nil || len(due) != 0 || next.IsZero() {
		t.Fatalf("after a failed attempt: %+v, next %s, %v", due, next, err)
	}
	// The last attempt failed: a dead letter, audited; the item stays in
	// the inbox.
	d.Attempts = 7
	before := e.head()
	if err := e.svc.WebhookFailed(e.ctx, d, "connection refused", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeadLetters(e.ctx, e.coordinator("gem-a", "")); !errors.Is(err, broker.ErrForbidden) {
		t.Errorf("a coordinator lists dead letters: %v", err)
	}
	dead, err := e.svc.DeadLetters(e.ctx, e.operator)
	if err != nil || len(dead.DeadLetters) != 1 || dead.DeadLetters[0].Attempts != 8 || dead.DeadLetters[0].LastError != "connection refused" {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	if items := e.assignmentItems("kredietbank", broker.RoleConnector, a.ID); len(items) != 1 {
		t.Fatalf("the item left the inbox: %+v", items)
	}
	audited := false
	for _, en := range e.entriesSince(before) {
		audited = audited || en.Action == "webhook.dead-letter" && en.Detail["to"] == "kredietbank"
	}
	if !audited {
		t.Error("the dead letter is not audited")
	}
	// The operator retries it; delivered, it counts as acknowledged.
	if _, err := e.svc.RetryDeadLetter(e.ctx, e.operator, dead.DeadLetters[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RetryDeadLetter(e.ctx, e.operator, dead.DeadLetters[0].ID); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("retrying twice: %v", err)
	}
	due, _, err = e.svc.DueWebhookDeliveries(e.ctx, 10)
	if err != nil || len(due) != 1 || due[0].Attempts != 0 {
		t.Fatalf("after the retry: %+v, %v", due, err)
	}
	if err := e.svc.WebhookDelivered(e.ctx, due[0]); err != nil {
		t.Fatal(err)
	}
	if items := e.assignmentItems("kredietbank", broker.RoleConnector, a.ID); len(items) != 0 {
		t.Fatalf("a delivered item is still unacknowledged: %+v", items)
	}

	// An item the connector acknowledged through the inbox is not pushed.
	b, err := e.give("hh-1")
	if err != nil {
		t.Fatal(err)
	}
	items := e.assignmentItems("kredietbank", broker.RoleConnector, b.ID)
	if len(items) != 1 {
		t.Fatal(items)
	}
	if _, err := e.svc.AckInbox(e.ctx, e.connector("kredietbank"), items[0].ID); err != nil {
		t.Fatal(err)
	}
	if due, _, err := e.svc.DueWebhookDeliveries(e.ctx, 10); err != nil || len(due) != 0 {
		t.Fatalf("an acknowledged item is due: %+v, %v", due, err)
	}
	// Nor is anything for a partner that dropped its webhook.
	c, err := e.give("hh-1")
	if err != nil {
		t.Fatal(err)
	}
	e.setWebhook("kredietbank", "")
	if due, _, err := e.svc.DueWebhookDeliveries(e.ctx, 10); err != nil || len(due) != 0 {
		t.Fatalf("due without a webhook: %+v, %v", due, err)
	}
	if items := e.assignmentItems("kredietbank", broker.RoleConnector, c.ID); len(items) != 1 {
		t.Fatalf("the item is not in the inbox: %+v", items)
	}
}
