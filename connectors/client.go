package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// Config configures a Client.
type Config struct {
	// Server is the broker's base URL, e.g. "https://broker.example". Required.
	Server string
	// Identity signs every request. Required.
	Identity *Identity
	// HTTPClient sends the requests. Default: a client with no overall
	// timeout (http.Client.Timeout would cut off a caseload sync that
	// takes minutes, however well it progresses), only a connection's own:
	// 30 s to connect, 10 s for the TLS handshake. A request is bounded by
	// Timeout or SyncTimeout instead, through its context. A client passed
	// here that has its own Timeout bounds every request, the sync
	// included, by that as well: that is the caller's choice (set it to
	// zero, or above SyncTimeout, for large caseloads).
	HTTPClient *http.Client
	// Timeout bounds one attempt of a request: from sending it until its
	// answer is read (a retry gets as long again), and each fetch of the
	// broker's configuration and keys. An attempt that runs out of it
	// fails with an error that matches context.DeadlineExceeded and is not
	// retried: the broker may still be working on it. An inbox long-poll
	// gets its Wait on top. Default 60 s; negative means no bound but
	// ctx's.
	Timeout time.Duration
	// SyncTimeout bounds one attempt of a full-caseload sync (Sync,
	// SyncWith, the dry run included) in place of Timeout. The broker
	// answers a sync only once it has applied all of it, and a national
	// partner's caseload (UWV, a school board: 100,000 to 500,000 lines)
	// goes at a few hundred lines a second, so half an hour or more is
	// normal. It bounds a Backup's download (a store of gigabytes) too.
	// Default 2 hours; negative means no bound but ctx's.
	SyncTimeout time.Duration
	// MaxRetries is how often an idempotent request is retried on a network
	// error, a 5xx or a 429. Default 3; negative means none.
	MaxRetries int
	// Backoff is the first retry's delay; it doubles each retry, with
	// jitter. Default 200 ms.
	Backoff time.Duration
	// Logger receives retry notes. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock used for token times. Default time.Now.
	Now func() time.Time
}

// The defaults of Config.Timeout and Config.SyncTimeout.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultSyncTimeout = 2 * time.Hour
)

// newTransport is the default clients' transport, set as Go's default
// one: a connection is dialled within 30 s and its TLS handshake done
// within 10 s; TCP keep-alives every 30 s keep a connection that waits
// for a long sync's answer open through NATs and firewalls; idle
// connections close after 90 s. There is deliberately no
// ResponseHeaderTimeout: a sync's headers come only once all of it is
// applied.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("connectors: server %q is not an http(s) URL", c.Server)
	}
	c.Server = strings.TrimRight(c.Server, "/")
	if c.Identity == nil || c.Identity.signer == nil {
		return errors.New("connectors: an identity is required")
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: newTransport()}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.SyncTimeout == 0 {
		c.SyncTimeout = DefaultSyncTimeout
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = 200 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Client talks to one broker as one identity. It is safe for concurrent use.
type Client struct {
	cfg Config

	mu       sync.Mutex
	brokerID string
	verifier *protocol.ResponseVerifier
}

// New returns a client. It contacts the broker only when the first request
// is made.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg}, nil
}

// Identity returns the client's identity.
func (c *Client) Identity() *Identity { return c.cfg.Identity }

// Request is one API call.
type Request struct {
	Method string
	// Path is the path and query, e.g. "/v1/involvements?status=active".
	Path string
	// Body is sent as is; ContentType defaults to application/json when a
	// body is set.
	Body []byte
	// BodyStream, when set, is sent instead of Body without holding it in
	// memory (a caseload sync of hundreds of megabytes). It is read twice
	// per attempt: once to hash it for the token, once to send it.
	BodyStream  io.ReadSeeker
	ContentType string
	// Purpose is the purpose code (doelbinding) the request is made for;
	// required for every request that discloses personal data.
	Purpose string
	// Idempotent lets a POST be retried; GET, PUT, DELETE always may be.
	Idempotent bool
	// Header holds extra headers (If-Match, Accept).
	Header http.Header
	// Timeout bounds each attempt in place of Config.Timeout (a sync, a
	// long-poll); 0 means Config.Timeout, negative no bound but ctx's.
	Timeout time.Duration
}

// Response is a verified answer of the broker.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	RequestID string
}

// ProblemError is an RFC 9457 problem document the broker answered with.
type ProblemError struct {
	Status    int             `json:"status"`
	Type      string          `json:"type"`
	Title     string          `json:"title"`
	Detail    string          `json:"detail"`
	Code      string          `json:"code"`
	RequestID string          `json:"request_id"`
	Reasons   []string        `json:"reasons,omitempty"`
	Field     string          `json:"field,omitempty"`
	Report    json.RawMessage `json:"report,omitempty"`
	// RetryAfter is the Retry-After header's delay, when one was sent.
	RetryAfter time.Duration `json:"-"`
}

func (e *ProblemError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, e.Code)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if len(e.Reasons) > 0 {
		fmt.Fprintf(&b, " (reasons: %s)", strings.Join(e.Reasons, ", "))
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

// ErrUnverifiedResponse means the response's Ketenbrug-Signature was missing
// or did not verify; its content must not be trusted.
var ErrUnverifiedResponse = errors.New("connectors: response signature did not verify")

// Do signs and sends req, retries it where that is safe, and verifies the
// response signature. A problem document comes back as *ProblemError.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	retryable := req.Idempotent || req.Method == http.MethodGet || req.Method == http.MethodPut ||
		req.Method == http.MethodDelete || req.Method == http.MethodHead
	attempts := 1
	if retryable && c.cfg.MaxRetries > 0 {
		attempts += c.cfg.MaxRetries
	}
	var lastErr error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			delay := c.cfg.Backoff << (i - 1)
			delay += time.Duration(rand.Int64N(int64(delay)/2 + 1))
			var pe *ProblemError
			if errors.As(lastErr, &pe) && pe.Status == http.StatusTooManyRequests {
				if ra := retryAfter(pe); ra > delay {
					delay = ra
				}
			}
			c.cfg.Logger.Debug("retrying broker request", "path", req.Path, "attempt", i+1, "after", delay, "error", lastErr)
			select {
			case <-ctx.Done():
				return nil, errors.Join(ctx.Err(), lastErr)
			case <-time.After(delay):
			}
		}
		resp, err := c.attempt(ctx, req)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if !retryable || !transient(err) {
			return nil, err
		}
	}
	return nil, lastErr
}

// attempt sends req once, within its timeout (Request.Timeout, or else
// Config.Timeout) and ctx's deadline, whichever ends first.
func (c *Client) attempt(ctx context.Context, req Request) (*Response, error) {
	// Discovery is part of the attempt, so that a broker that is
	// briefly unreachable at the first call is retried like any other.
	// It has its own bound (getPublic).
	if err := c.discover(ctx, false); err != nil {
		return nil, err
	}
	d := req.Timeout
	if d == 0 {
		d = c.cfg.Timeout
	}
	actx, cancel := bounded(ctx, d)
	defer cancel()
	resp, err := c.once(actx, req)
	if d > 0 && err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		// The attempt's own bound ran out, not the caller's ctx: say so.
		// The error still matches context.DeadlineExceeded (and a
		// *url.Error when the request was under way).
		err = fmt.Errorf("connectors: %s %s: no answer within %s: %w", req.Method, req.Path, d, err)
	}
	return resp, err
}

// withTimeout bounds ctx by Config.Timeout, when it is positive.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return bounded(ctx, c.cfg.Timeout)
}

// bounded bounds ctx by d, when it is positive.
func bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// transient reports whether err is worth a retry: network errors, 5xx
// and 429.
func transient(err error) bool {
	var pe *ProblemError
	if errors.As(err, &pe) {
		return pe.Status >= 500 || pe.Status == http.StatusTooManyRequests
	}
	var ue *unsignedStatusError
	if errors.As(err, &ue) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnverifiedResponse) {
		return false
	}
	return true
}

// unsignedStatusError is a 5xx or 429 answer whose signature did not
// verify: it comes from something in front of the broker (a proxy or load
// balancer while the broker restarts). Nothing in it is trusted, but an
// idempotent request may be sent again. It matches ErrUnverifiedResponse.
type unsignedStatusError struct {
	status int
	err    error
}

func (e *unsignedStatusError) Error() string {
	return fmt.Sprintf("status %d: %v", e.status, e.err)
}

func (e *unsignedStatusError) Unwrap() error { return e.err }

// retryAfter is the wait a 429 or 503 asked for in its Retry-After header.
func retryAfter(pe *ProblemError) time.Duration { return pe.RetryAfter }

// once sends req one time.
func (c *Client) once(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(c.cfg.Server + req.Path)
	if err != nil {
		return nil, fmt.Errorf("connectors: path %q: %w", req.Path, err)
	}
	now := c.cfg.Now()
	id := c.cfg.Identity
	claims := protocol.Claims{
		Issuer: id.Partner, Subject: id.Sub, Audience: c.brokerID,
		IssuedAt: now, Expiry: now.Add(60 * time.Second), ID: protocol.NewJTI(),
		Method: req.Method, URI: u.RequestURI(), Role: id.Role, Purpose: req.Purpose,
	}
	var reqBody io.Reader = bytes.NewReader(req.Body)
	size := int64(len(req.Body))
	switch {
	case req.BodyStream != nil:
		// Hash the whole stream first (the token binds it), then send it
		// from the start; a retry does the same again.
		if claims.BodyHash, size, err = hashStream(req.BodyStream); err != nil {
			return nil, fmt.Errorf("connectors: reading the body: %w", err)
		}
		reqBody = req.BodyStream
	case len(req.Body) > 0:
		claims.BodyHash = protocol.BodyHash(req.Body)
	}
	token, err := id.signer.SignRequest(claims)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), io.NopCloser(reqBody))
	if err != nil {
		return nil, err
	}
	hr.ContentLength = size
	if size == 0 {
		hr.Body = http.NoBody
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	if size > 0 {
		ct := req.ContentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	hresp, err := c.cfg.HTTPClient.Do(hr)
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(hresp.Body)
	if err != nil {
		return nil, err
	}
	if err := c.verify(ctx, hresp, claims.ID, body); err != nil {
		if hresp.StatusCode >= 500 || hresp.StatusCode == http.StatusTooManyRequests {
			return nil, &unsignedStatusError{status: hresp.StatusCode, err: err}
		}
		return nil, err
	}
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body,
		RequestID: hresp.Header.Get("Ketenbrug-Request-Id")}
	if hresp.StatusCode >= 400 {
		pe := &ProblemError{Status: hresp.StatusCode}
		if json.Unmarshal(body, pe) != nil || pe.Code == "" {
			pe.Code, pe.Detail = "http_error", strings.TrimSpace(string(body))
		}
		pe.Status = hresp.StatusCode
		if secs, err := strconv.Atoi(hresp.Header.Get("Retry-After")); err == nil && secs >= 0 {
			pe.RetryAfter = time.Duration(secs) * time.Second
		}
		return resp, pe
	}
	return resp, nil
}

// verify checks the response's Ketenbrug-Signature, refreshing the
// broker's keys once when it names a key not yet known (rotation).
func (c *Client) verify(ctx context.Context, hresp *http.Response, jti string, body []byte) error {
	token := hresp.Header.Get(protocol.SignatureHeader)
	if token == "" {
		return fmt.Errorf("%w: no %s header (status %d)", ErrUnverifiedResponse, protocol.SignatureHeader, hresp.StatusCode)
	}
	r := protocol.Response{RequestID: jti, Status: hresp.StatusCode}
	if len(body) > 0 {
		r.BodyHash = protocol.BodyHash(body)
	}
	return c.verifySigned(ctx, token, r)
}

// verifySigned checks a broker signature over r, refreshing the broker's
// keys once when it names a key not yet known (rotation).
func (c *Client) verifySigned(ctx context.Context, token string, r protocol.Response) error {
	if err := c.discover(ctx, false); err != nil {
		return err
	}
	for refreshed := false; ; refreshed = true {
		c.mu.Lock()
		v := c.verifier
		c.mu.Unlock()
		_, err := v.VerifyResponse(ctx, token, r)
		if err == nil {
			return nil
		}
		if refreshed || protocol.Reason(err) != protocol.ReasonUnknownKey {
			return fmt.Errorf("%w: %v", ErrUnverifiedResponse, err)
		}
		if err := c.discover(ctx, true); err != nil {
			return err
		}
	}
}

// discover fetches the broker's configuration and keys, once, or again
// when refresh is set.
func (c *Client) discover(ctx context.Context, refresh bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.verifier != nil && !refresh {
		return nil
	}
	var conf struct {
		ID      string `json:"id"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := c.getPublic(ctx, "/.well-known/ketenbrug-configuration", &conf); err != nil {
		return err
	}
	if conf.ID == "" || conf.JWKSURI == "" {
		return errors.New("connectors: broker configuration lacks id or jwks_uri")
	}
	var raw json.RawMessage
	if err := c.getPublic(ctx, conf.JWKSURI, &raw); err != nil {
		return err
	}
	ks, err := protocol.ParseKeySet(raw)
	if err != nil {
		return fmt.Errorf("connectors: broker keys: %w", err)
	}
	v, err := protocol.NewResponseVerifier(protocol.ResponseVerifierConfig{
		Broker: conf.ID, Partner: c.cfg.Identity.Partner, Keys: protocol.StaticKeys{conf.ID: ks}, Now: c.cfg.Now,
	})
	if err != nil {
		return err
	}
	c.brokerID, c.verifier = conf.ID, v
	return nil
}

// getPublic fetches a public document (relative to the server, or absolute).
func (c *Client) getPublic(ctx context.Context, ref string, out any) error {
	u := ref
	if strings.HasPrefix(ref, "/") {
		u = c.cfg.Server + ref
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	hresp, err := c.cfg.HTTPClient.Do(hr)
	if err != nil {
		return fmt.Errorf("connectors: reaching the broker: %w", err)
	}
	defer hresp.Body.Close()
	if hresp.StatusCode != http.StatusOK {
		return fmt.Errorf("connectors: GET %s: status %d", ref, hresp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(hresp.Body, 1<<20)).Decode(out)
}

// JSON sends in (if not nil) as JSON and decodes the answer into out (if
// not nil). purpose may be "" for requests that disclose nothing.
func (c *Client) JSON(ctx context.Context, method, path, purpose string, in, out any) error {
	req := Request{Method: method, Path: path, Purpose: purpose}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		req.Body = b
	}
	resp, err := c.Do(ctx, req)
	if err != nil {
		return err
	}
	if out != nil && len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return fmt.Errorf("connectors: decoding %s %s: %w", method, path, err)
		}
	}
	return nil
}

// BrokerID returns the broker's id once it was discovered.
func (c *Client) BrokerID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.brokerID
}

// hashStream hashes r from its start and leaves it at its start again.
func hashStream(r io.ReadSeeker) (string, int64, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return "", 0, err
	}
	h := protocol.NewBodyHasher()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return "", 0, err
	}
	if n == 0 {
		return "", 0, nil
	}
	return h.Sum(), n, nil
}
