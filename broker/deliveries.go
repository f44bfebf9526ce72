package broker

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Webhook push of inbox items. An item for a partner that registered a
// webhook (Partner.Webhook) gets a delivery job, written in the same
// transaction as the item and the change that made it, so that nothing a
// client was told happened can be lost for delivery. A deliverer (package
// broker/webhook) sends each due job, signed by the broker; a 2xx answer
// acknowledges the item, a failure is retried with backoff, and after the
// last attempt the job becomes a dead letter the operator can list and
// retry. A dead-lettered item stays in the inbox, so the partner's
// long-poll still gets it.

// Delivery is wire.Delivery: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type Delivery = wire.Delivery

// DeadLetter is wire.DeadLetter: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type DeadLetter = wire.DeadLetter

// WebhookDelivery is a due delivery with what to send: the inbox item as
// its recipient sees it (InboxView), to the partner's webhook.
type WebhookDelivery struct {
	Delivery
	URL  string
	Body []byte
}

// DeadLetterList is wire.DeadLetterList: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type DeadLetterList = wire.DeadLetterList

// webhookBell is the inbox bell's key for the deliverer; it is no valid
// partner id, so it never rings a partner's long-poll.
const webhookBell = "#webhooks"

// DeliveryBell returns a channel closed when new deliveries may be due.
func (s *Service) DeliveryBell() <-chan struct{} { return s.bell.wait(webhookBell) }

// enqueueDelivery adds a delivery job for it (already stored, with its
// Seq) when its partner registered a webhook.
func (s *Service) enqueueDelivery(tx DeliveryWriter, it *InboxItem) (bool, error) {
	p, err := s.LookupPartner(it.Partner)
	if err != nil || p.Webhook == "" || p.Status != PartnerActive {
		return false, nil
	}
	d := Delivery{ID: newID("d"), Partner: it.Partner, Seq: it.Seq, Kind: it.Kind, NextAt: it.Created, CreatedAt: it.Created}
	return true, tx.PutDelivery(d)
}

// webhookCaller is the broker itself, acting as the deliverer.
func (s *Service) webhookCaller() *Caller {
	return &Caller{Partner: Partner{ID: s.cfg.ID}, Sub: "webhook"}
}

// DueWebhookDeliveries returns up to limit deliveries that are due now,
// oldest first, with what to send, and when the next one not yet due is
// (zero when none). Jobs whose item was acknowledged meanwhile (through
// the inbox) or whose partner no longer has a webhook are dropped: the item
// stays in the inbox.
func (s *Service) DueWebhookDeliveries(_ context.Context, limit int) ([]WebhookDelivery, time.Time, error) {
	now := s.now()
	var due []Delivery
	var next time.Time
	err := s.cfg.Store.View(func(tx ReadTx) error {
		return tx.Deliveries(func(d Delivery) error {
			if d.NextAt.After(now) {
				if next.IsZero() || d.NextAt.Before(next) {
					next = d.NextAt
				}
				return nil
			}
			due = append(due, d)
			return nil
		})
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	slices.SortFunc(due, func(a, b Delivery) int { return cmp.Or(a.NextAt.Compare(b.NextAt), cmp.Compare(a.Seq, b.Seq)) })
	var out []WebhookDelivery
	var drop []string
	err = s.cfg.Store.View(func(tx ReadTx) error {
		for _, d := range due {
			if len(out) == limit {
				if next.IsZero() || d.NextAt.Before(next) {
					next = d.NextAt
				}
				continue
			}
			p, err := s.LookupPartner(d.Partner)
			if err != nil || p.Webhook == "" || p.Status != PartnerActive {
				drop = append(drop, d.ID)
				continue
			}
			it, err := tx.InboxItem(d.Partner, d.Seq)
			if errors.Is(err, ErrNotFound) || err == nil && it.AckedAt != nil {
				drop = append(drop, d.ID)
				continue
			}
			if err != nil {
				return err
			}
			body, err := json.Marshal(inboxView(&it))
			if err != nil {
				return err
			}
			out = append(out, WebhookDelivery{Delivery: d, URL: p.Webhook, Body: body})
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(drop) > 0 {
		if err := s.cfg.Store.Update(func(tx Tx) error {
			for _, id := range drop {
				if err := tx.DeleteDelivery(id); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, time.Time{}, err
		}
	}
	return out, next, nil
}

// WebhookDelivered records that d was delivered (the webhook answered
// 2xx): the job ends and the item counts as acknowledged. Audited.
func (s *Service) WebhookDelivered(ctx context.Context, d WebhookDelivery) error {
	e := s.auditEntry(s.webhookCaller(), EventChange, "webhook.deliver")
	e.Object = "inbox:" + d.Partner + "/" + strconv.FormatUint(d.Seq, 10)
	e.Detail = map[string]string{"to": d.Partner, "delivery": d.ID, "kind": d.Kind, "attempt": strconv.Itoa(d.Attempts + 1)}
	return s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		if err := tx.DeleteDelivery(d.ID); err != nil {
			return err
		}
		it, err := tx.InboxItem(d.Partner, d.Seq)
		if err != nil {
			return err
		}
		if it.AckedAt == nil {
			now := s.now()
			it.AckedAt = &now
			return tx.PutInboxItem(it)
		}
		return nil
	}))
}

// WebhookFailed records a failed attempt of d: the job is tried again at
// retryAt, or, when retryAt is zero (the last attempt), becomes a dead
// letter, which is audited. The item stays in the inbox either way.
func (s *Service) WebhookFailed(ctx context.Context, d WebhookDelivery, cause string, retryAt time.Time) error {
	if len(cause) > 500 {
		cause = cause[:500]
	}
	job := d.Delivery
	job.Attempts++
	job.LastError = cause
	if !retryAt.IsZero() {
		job.NextAt = retryAt
		err := s.cfg.Store.Update(func(tx Tx) error {
			if _, err := tx.Delivery(job.ID); err != nil {
				return err // delivered or retried meanwhile
			}
			return tx.PutDelivery(job)
		})
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	dead := DeadLetter{Delivery: job, URL: d.URL, DeadAt: s.now()}
	e := s.auditEntry(s.webhookCaller(), EventChange, "webhook.dead-letter")
	e.Object = "inbox:" + d.Partner + "/" + strconv.FormatUint(d.Seq, 10)
	e.Detail = map[string]string{"to": d.Partner, "delivery": d.ID, "kind": d.Kind, "attempts": strconv.Itoa(job.Attempts)}
	return s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		if err := tx.DeleteDelivery(job.ID); err != nil {
			return err
		}
		return tx.PutDeadLetter(dead)
	}))
}

// DeadLetters lists the deliveries that gave up, oldest first. Operators
// only.
func (s *Service) DeadLetters(_ context.Context, c *Caller) (DeadLetterList, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return DeadLetterList{}, err
	}
	out := DeadLetterList{DeadLetters: []DeadLetter{}}
	err := s.cfg.Store.View(func(tx ReadTx) error {
		return tx.DeadLetters(func(d DeadLetter) error {
			out.DeadLetters = append(out.DeadLetters, d)
			return nil
		})
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return DeadLetterList{}, err
	}
	slices.SortFunc(out.DeadLetters, func(a, b DeadLetter) int {
		return cmp.Or(a.DeadAt.Compare(b.DeadAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RetryDeadLetter puts dead letter id back in the queue with fresh
// attempts, e.g. after the partner fixed its webhook. Operators only;
// audited.
func (s *Service) RetryDeadLetter(ctx context.Context, c *Caller, id string) (Delivery, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return Delivery{}, err
	}
	if !ValidID(id) {
		return Delivery{}, invalid("id", "not a dead letter id")
	}
	e := s.auditEntry(c, EventChange, "webhook.retry")
	e.Object = "dead-letter:" + id
	var out Delivery
	err := s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		dl, err := tx.DeadLetter(id)
		if err != nil {
			return err
		}
		out = dl.Delivery
		out.Attempts, out.NextAt, out.LastError = 0, s.now(), ""
		if err := tx.DeleteDeadLetter(id); err != nil {
			return err
		}
		return tx.PutDelivery(out)
	}))
	if err != nil {
		return Delivery{}, err
	}
	s.bell.ring(webhookBell)
	return out, nil
}
