// Package webhook pushes inbox items to the webhooks partners registered
// (Partner.Webhook), for the assignments and plan changes of ambition
// levels 3 and 4.
//
// The broker writes a delivery job in the same transaction as the inbox
// item it is for; a Deliverer sends the due jobs. Each request is a POST of
// the item as its recipient sees it (broker.InboxView, JSON), signed by the
// broker in the form of every response: a Ketenbrug-Signature header with
// a compact JWS (typ kb-resp+jwt) by the broker's key over iss (the broker),
// aud (the partner), iat, req (the delivery id, also sent as
// Ketenbrug-Delivery), status 200 and bsh (the body's hash). A partner
// verifies it with the SDK's response verifier (protocol.ResponseVerifier)
// as Response{RequestID: <Ketenbrug-Delivery>, Status: 200, BodyHash: …}.
//
// A 2xx answer delivers the item (the broker counts it as acknowledged).
// One partner's due deliveries are sent one after the other, oldest first;
// a retried one may arrive after a later one, so a receiver orders items by
// their id (the inbox sequence number).
// Anything else — a network error, a timeout, a redirect, another status —
// is retried with exponential backoff, up to MaxAttempts attempts; then the
// job becomes a dead letter, which the operator lists and can retry. The
// item stays in the inbox throughout, so a partner that long-polls still
// gets it: nothing is lost.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// Headers of a delivery.
const (
	// DeliveryHeader names the delivery; it is the signature's req claim.
	DeliveryHeader = protocol.DeliveryHeader
	// AttemptHeader counts the attempts of this delivery, from 1.
	AttemptHeader = protocol.DeliveryAttemptHeader
	// SignedStatus is the status claim of a delivery's signature.
	SignedStatus = protocol.DeliveryStatus
)

// Source is the broker's side of delivery: *broker.Service implements it.
type Source interface {
	// DueWebhookDeliveries returns up to limit due deliveries, and when the
	// next one not yet due is (zero when none).
	DueWebhookDeliveries(ctx context.Context, limit int) ([]broker.WebhookDelivery, time.Time, error)
	// WebhookDelivered records a delivery the webhook accepted.
	WebhookDelivered(ctx context.Context, d broker.WebhookDelivery) error
	// WebhookFailed records a failed attempt: retry at retryAt, or (zero)
	// give up and keep it as a dead letter.
	WebhookFailed(ctx context.Context, d broker.WebhookDelivery, cause string, retryAt time.Time) error
	// DeliveryBell is closed when new deliveries may be due.
	DeliveryBell() <-chan struct{}
}

// Signer signs a delivery as the broker signs its responses.
// *protocol.Signer implements it.
type Signer interface {
	SignResponse(c protocol.ResponseClaims) (string, error)
}

// Settings are the tunables an operator (or a test) sets.
type Settings struct {
	// MaxAttempts is how many times a delivery is tried before it becomes
	// a dead letter. Default 8.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; it doubles with
	// each further one. Default 10s.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts. Default 1h.
	MaxBackoff time.Duration
	// Timeout bounds one request. Default 10s.
	Timeout time.Duration
}

// Defaults of Settings: eight attempts over about 21 minutes
// (10s, 20s, 40s … 21m20s between them).
const (
	DefaultMaxAttempts = 8
	DefaultBackoff     = 10 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultTimeout     = 10 * time.Second
)

// Config configures a Deliverer.
type Config struct {
	Settings
	Source Source
	Signer Signer
	// BrokerID is the iss of the signatures.
	BrokerID string
	// Client sends the requests. Default: an http.Client with Timeout that
	// follows no redirects.
	Client *http.Client
	// Poll is how often due deliveries are looked for when nothing rings.
	// Default 30s.
	Poll time.Duration
	// Concurrency bounds the partners delivered to at once. Default 4.
	Concurrency int
	Logger      *slog.Logger
	Now         func() time.Time
}

// Validate checks cfg and fills its defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Source == nil || c.Signer == nil {
		errs = append(errs, errors.New("webhook: Source and Signer are required"))
	}
	if !broker.ValidID(c.BrokerID) {
		errs = append(errs, errors.New("webhook: BrokerID must be the broker's id"))
	}
	if c.MaxAttempts < 0 || c.Backoff < 0 || c.MaxBackoff < 0 || c.Timeout < 0 || c.Poll < 0 || c.Concurrency < 0 {
		errs = append(errs, errors.New("webhook: settings must not be negative"))
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxBackoff < c.Backoff {
		c.MaxBackoff = c.Backoff
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Poll == 0 {
		c.Poll = 30 * time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return errors.Join(errs...)
}

// Deliverer sends due deliveries until its context ends.
type Deliverer struct {
	cfg Config
	log *slog.Logger
}

// New validates cfg and returns a Deliverer; Run starts it.
func New(cfg Config) (*Deliverer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Deliverer{cfg: cfg, log: cfg.Logger}, nil
}

// batch is how many due deliveries one round takes.
const batch = 64

// Run delivers until ctx ends. A round sends every due delivery; then it
// waits for the next due time, the bell, or the poll interval.
func (d *Deliverer) Run(ctx context.Context) error {
	for {
		bell := d.cfg.Source.DeliveryBell()
		next, err := d.Round(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Error("webhook delivery round failed", slog.Any("error", err))
		}
		wait := d.cfg.Poll
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(d.cfg.Now()), time.Millisecond))
		}
		if err != nil {
			wait = min(wait, time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-bell:
		case <-t.C:
		}
		t.Stop()
	}
}

// Round sends the deliveries due now (in batches, until none is due) and
// returns when the next one is due (zero: none pending).
func (d *Deliverer) Round(ctx context.Context) (time.Time, error) {
	for {
		due, next, err := d.cfg.Source.DueWebhookDeliveries(ctx, batch)
		if err != nil || len(due) == 0 {
			return next, err
		}
		// One partner's deliveries go one after the other, oldest first, so
		// that a webhook that is up gets them in order; partners in
		// parallel, up to Concurrency.
		var partners []string
		byPartner := map[string][]broker.WebhookDelivery{}
		for _, w := range due {
			if _, ok := byPartner[w.Partner]; !ok {
				partners = append(partners, w.Partner)
			}
			byPartner[w.Partner] = append(byPartner[w.Partner], w)
		}
		sem := make(chan struct{}, d.cfg.Concurrency)
		var wg sync.WaitGroup
		for _, p := range partners {
			if ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				for _, w := range byPartner[p] {
					if ctx.Err() != nil {
						return
					}
					d.deliver(ctx, w)
				}
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return time.Time{}, nil
		}
		if len(due) < batch {
			// Failed attempts were rescheduled; ask again for the next due time.
			_, next, err := d.cfg.Source.DueWebhookDeliveries(ctx, 0)
			return next, err
		}
	}
}

// deliver makes one attempt of w and records its outcome.
func (d *Deliverer) deliver(ctx context.Context, w broker.WebhookDelivery) {
	attempt := w.Attempts + 1
	err := d.send(ctx, w, attempt)
	if ctx.Err() != nil {
		return // shutting down: the job stays due and is sent after a restart
	}
	log := d.log.With(slog.String("delivery", w.ID), slog.String("partner", w.Partner), slog.Int("attempt", attempt))
	if err == nil {
		if rerr := d.cfg.Source.WebhookDelivered(ctx, w); rerr != nil {
			log.Error("recording a webhook delivery failed; it will be sent again", slog.Any("error", rerr))
			return
		}
		log.Info("webhook delivered", slog.String("kind", w.Kind))
		return
	}
	var retryAt time.Time
	var perm *permanentError
	if attempt < d.cfg.MaxAttempts && !errors.As(err, &perm) {
		retryAt = d.cfg.Now().Add(d.backoff(attempt))
	}
	if rerr := d.cfg.Source.WebhookFailed(ctx, w, err.Error(), retryAt); rerr != nil {
		log.Error("recording a failed webhook delivery failed", slog.Any("error", rerr))
		return
	}
	if retryAt.IsZero() {
		log.Warn("webhook delivery gave up: dead letter", slog.Any("error", err))
	} else {
		log.Info("webhook delivery failed; will retry", slog.Time("retry_at", retryAt), slog.Any("error", err))
	}
}

// backoff is the wait after failed attempt n (from 1): Backoff·2^(n-1),
// capped at MaxBackoff, plus up to a tenth of jitter.
func (d *Deliverer) backoff(n int) time.Duration {
	wait := d.cfg.Backoff
	for i := 1; i < n && wait < d.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, d.cfg.MaxBackoff)
	return wait + time.Duration(rand.Int64N(int64(wait)/10+1))
}

// permanentError is a failure no retry can mend (an unusable URL).
type permanentError struct{ error }

// send POSTs w once.
func (d *Deliverer) send(ctx context.Context, w broker.WebhookDelivery, attempt int) error {
	u, err := checkURL(w.URL)
	if err != nil {
		return &permanentError{err}
	}
	sig, err := d.cfg.Signer.SignResponse(protocol.ResponseClaims{Issuer: d.cfg.BrokerID, Audience: w.Partner,
		IssuedAt: d.cfg.Now(), Request: w.ID, Status: SignedStatus, BodyHash: protocol.BodyHash(w.Body)})
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, u.String(), bytes.NewReader(w.Body))
	if err != nil {
		return &permanentError{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ketenbrug-webhook/1")
	req.Header.Set(protocol.SignatureHeader, sig)
	req.Header.Set(DeliveryHeader, w.ID)
	req.Header.Set(AttemptHeader, strconv.Itoa(attempt))
	// Errors name the webhook's host only: a path may hold a secret.
	where := u.Scheme + "://" + u.Host
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return fmt.Errorf("POST %s: %w", where, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: status %d", where, resp.StatusCode)
	}
	return nil
}

// checkURL accepts an absolute https URL, or http to a loopback address
// (a connector on the same machine, and tests): a delivery holds personal
// data and never crosses a network unencrypted.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, errors.New("the webhook is not an absolute URL without credentials")
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return u, nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return u, nil
		}
		return nil, errors.New("the webhook uses http to a host that is not loopback: https is required")
	}
	return nil, errors.New("the webhook's scheme is not https")
}
