package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/ketenbrug/ketenbrug/connectors/protocol"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// MaxWebhookBody bounds the body of a webhook delivery the handler reads;
// an inbox item is a few kilobytes.
const MaxWebhookBody = 1 << 20

// ErrWebhookDelivery means a request to a webhook was not a delivery the
// broker signed for this partner; it was answered 401 and not handed over.
var ErrWebhookDelivery = errors.New("connectors: not a delivery signed by the broker")

// WebhookHandler serves the webhook URL a partner registered with the
// broker (partner add --webhook). Each delivery is a POST of one inbox item
// (wire.InboxView, JSON) with a Ketenbrug-Signature by the broker over
// the delivery id (Ketenbrug-Delivery), status 200 and the body's hash.
// The handler verifies it with the broker's published keys, then hands the
// item to deliver. A nil error answers 204, and the broker counts the item
// acknowledged; an error answers 503, and the broker tries again later
// with backoff, so deliver must be idempotent by item id (a retried item
// may also arrive after a later one). A request that does not verify is
// answered 401 and never reaches deliver.
func (c *Client) WebhookHandler(deliver func(context.Context, wire.InboxView) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "deliveries are POSTed", http.StatusMethodNotAllowed)
			return
		}
		it, err := c.ReadDelivery(r)
		if err != nil {
			c.cfg.Logger.Warn("webhook delivery refused", "error", err)
			http.Error(w, "delivery not verified", http.StatusUnauthorized)
			return
		}
		if err := deliver(r.Context(), it); err != nil {
			c.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "webhook delivery not handed over; the broker retries",
				slog.String("item", it.ID), slog.Any("error", err))
			http.Error(w, "not handed over", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// ReadDelivery reads and verifies one webhook delivery and returns its
// inbox item; errors match ErrWebhookDelivery.
func (c *Client) ReadDelivery(r *http.Request) (wire.InboxView, error) {
	var it wire.InboxView
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	if err != nil {
		return it, fmt.Errorf("%w: reading the body: %v", ErrWebhookDelivery, err)
	}
	if len(body) > MaxWebhookBody {
		return it, fmt.Errorf("%w: body larger than %d bytes", ErrWebhookDelivery, MaxWebhookBody)
	}
	token, id := r.Header.Get(protocol.SignatureHeader), r.Header.Get(protocol.DeliveryHeader)
	if token == "" || id == "" {
		return it, fmt.Errorf("%w: no %s or %s header", ErrWebhookDelivery, protocol.SignatureHeader, protocol.DeliveryHeader)
	}
	signed := protocol.Response{RequestID: id, Status: protocol.DeliveryStatus, BodyHash: protocol.BodyHash(body)}
	if err := c.verifySigned(r.Context(), token, signed); err != nil {
		return it, fmt.Errorf("%w: %v", ErrWebhookDelivery, err)
	}
	if err := json.Unmarshal(body, &it); err != nil || it.ID == "" {
		return it, fmt.Errorf("%w: the body is no inbox item", ErrWebhookDelivery)
	}
	return it, nil
}

// DeadLetters (operator) returns the webhook deliveries that failed their
// last attempt; their items are still in the inboxes.
func (c *Client) DeadLetters(ctx context.Context) ([]wire.DeadLetter, error) {
	var list wire.DeadLetterList
	err := c.JSON(ctx, http.MethodGet, "/v1/webhooks/dead-letters", "", nil, &list)
	return list.DeadLetters, err
}

// RetryDeadLetter (operator) queues dead letter id again with fresh
// attempts.
func (c *Client) RetryDeadLetter(ctx context.Context, id string) (wire.Delivery, error) {
	var d wire.Delivery
	err := c.JSON(ctx, http.MethodPost, route("/v1/webhooks/dead-letters/{}/retry", id), "", nil, &d)
	return d, err
}
