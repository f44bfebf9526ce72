// Package httpapi is the HTTP transport of the broker: gorilla/mux routes,
// the request-token authentication of the Ketenbrug protocol, body limits,
// signed responses, metrics, request logs, and the one map from domain errors
// to RFC 9457 problem documents. It holds no domain logic: every handler
// decodes, calls the Broker, and encodes.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// APIVersion is the version of the API this package serves.
const APIVersion = "v1"

// Default limits.
const (
	DefaultMaxBody       = 1 << 20  // bytes of a JSON request body
	DefaultMaxBundle     = 16 << 20 // bytes of an uploaded policy bundle
	RequestIDHeader      = "Ketenbrug-Request-Id"
	defaultReadyzTimeout = 2 * time.Second
)

// Config configures the HTTP API.
type Config struct {
	// Broker is the domain service behind the API.
	Broker Broker
	// Signer signs responses with the broker's key.
	Signer *protocol.Signer
	// PublicJWKS is the broker's public key set, served at
	// /.well-known/jwks.json.
	PublicJWKS json.RawMessage
	// Replay remembers request token ids. Default: in memory.
	Replay protocol.ReplayCache
	// StartedAt refuses tokens issued before it. Default: now.
	StartedAt time.Time
	// MaxBody limits JSON request bodies. Default DefaultMaxBody.
	MaxBody int64
	// MaxBundle limits uploaded policy bundles. Default DefaultMaxBundle.
	MaxBundle int64
	// MaxSync limits a full-caseload sync body. Default DefaultMaxSync.
	MaxSync int64
	// Registry receives the API's metrics. Default: a new registry.
	Registry *prometheus.Registry
	// Logger receives one line per request. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Build is the running build, published in the configuration document.
	Build protocol.BuildInfo
	// Limits bound each partner's requests and long-polls (limits.go).
	Limits Limits
	// SpoolDir receives a sync's upload (BSNs in clear) and a streamed
	// answer while a request lasts. Required: a directory that only its
	// owner may enter (mode 0700), inside the data directory — never the
	// system's temporary directory.
	SpoolDir string
	// WriteTimeout is the serving http.Server's WriteTimeout. Once a
	// sync's body is in, the sync moves its write deadline this far ahead
	// after every chunk it commits: a sync that keeps making progress is
	// answered however long it takes, one that stalls for this long is
	// still cut off. Zero: the server's deadlines are left alone.
	WriteTimeout time.Duration
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Broker == nil {
		errs = append(errs, errors.New("httpapi: Broker is required"))
	}
	if c.Signer == nil {
		errs = append(errs, errors.New("httpapi: Signer is required"))
	}
	if len(c.PublicJWKS) == 0 {
		errs = append(errs, errors.New("httpapi: PublicJWKS is required"))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.StartedAt.IsZero() {
		c.StartedAt = c.Now()
	}
	// iat is in whole seconds: a token made in the broker's first second
	// must not count as issued before the start.
	c.StartedAt = c.StartedAt.Truncate(time.Second)
	if c.Replay == nil {
		c.Replay = protocol.NewMemoryReplayCache()
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.MaxBundle <= 0 {
		c.MaxBundle = DefaultMaxBundle
	}
	if c.MaxSync <= 0 {
		c.MaxSync = DefaultMaxSync
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := checkSpoolDir(c.SpoolDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// api is the handler set; one per server.
type api struct {
	cfg      Config
	b        Broker
	log      *slog.Logger
	verifier *protocol.Verifier
	keys     *partnerKeys
	metrics  *metrics
	router   *mux.Router
	front    http.Handler // the router behind refusePath
	limits   *limiter
}

// New returns the broker's HTTP handler.
func New(cfg Config) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &api{cfg: cfg, b: cfg.Broker, log: cfg.Logger, keys: newPartnerKeys(cfg.Broker), limits: newLimiter(cfg.Limits)}
	v, err := protocol.NewVerifier(protocol.VerifierConfig{
		Audience: cfg.Broker.ID(), Keys: a.keys, Replay: cfg.Replay, NotBefore: cfg.StartedAt, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	a.verifier = v
	if a.metrics, err = newMetrics(cfg.Registry); err != nil {
		return nil, err
	}
	a.router = a.routes()
	// The router must never answer a path with a redirect to its cleaned
	// form (gorilla/mux's default 301): refusePath refuses such paths
	// instead, before routing.
	a.router.SkipClean(true)
	a.front = a.refusePath(a.router)
	return a, nil
}

// ServeHTTP gives every request an id, a signed response, a log line and
// metrics, and recovers from panics with a problem document.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &reqState{requestID: newRequestID(), route: "unmatched"}
	sw := &signedWriter{ResponseWriter: w, st: st, a: a}
	w.Header().Set(RequestIDHeader, st.requestID)
	defer func() {
		if rec := recover(); rec != nil {
			a.log.Error("panic serving request", "request_id", st.requestID, "panic", rec)
			sw.reset()
			a.writeProblem(sw, r, errors.New("panic"))
		}
		sw.finish()
		elapsed := time.Since(start)
		a.metrics.observe(st.route, r.Method, sw.status, elapsed)
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", st.requestID), slog.String("partner", st.partner),
			slog.String("role", st.role), slog.String("method", r.Method), slog.String("route", st.route),
			slog.Int("status", sw.status), slog.String("code", st.code),
			slog.Float64("ms", float64(elapsed.Microseconds())/1000))
	}()
	a.front.ServeHTTP(sw, r)
}

// errBadPath refuses a request target that is not in its one canonical
// form.
var errBadPath = &bodyError{status: http.StatusBadRequest, code: "bad_path",
	detail: "the path has a dot segment, an encoded slash or backslash, or an empty segment; send it in canonical form"}

// refusePath answers 400 bad_path, before routing and before any token is
// checked, to every request whose path is not canonical: a dot segment
// ("." or "..", also percent-encoded), an encoded slash ("%2F") or
// backslash ("%5C"), a backslash, or an empty segment ("//"). Such a path
// means one thing to the broker and another to a proxy, a log filter or
// an access rule in front of it; the broker neither cleans nor redirects
// it (the request token is bound to the target as sent, so a client must
// send the canonical form itself).
func (a *api) refusePath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if canonicalPath(r) {
			next.ServeHTTP(w, r)
			return
		}
		// Bind the refusal to the request's token, if it has a readable
		// one, as for a refused token.
		if st := stateOf(w); st != nil {
			if token, ok := bearer(r); ok {
				st.aud, st.jti = protocol.PeekRequest(token)
			}
		}
		a.writeProblem(w, r, errBadPath)
	})
}

// canonicalPath reports whether the request's path, as sent (the
// RequestURI of an origin-form request, else the escaped URL path; and
// RawPath) and as decoded (URL.Path), starts with "/" and has no dot
// segment, empty segment, backslash or encoded slash or backslash.
// Double-encoded forms ("%252e%252e") are refused too, since whatever
// decodes once more would see them.
func canonicalPath(r *http.Request) bool {
	sent := r.URL.EscapedPath()
	if strings.HasPrefix(r.RequestURI, "/") { // origin form: the path as sent
		sent, _, _ = strings.Cut(r.RequestURI, "?")
	}
	forms := []string{sent, r.URL.Path}
	if r.URL.RawPath != "" {
		forms = append(forms, r.URL.RawPath)
	}
	for _, p := range forms {
		if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, '\\') {
			return false
		}
		lower := strings.ToLower(p)
		if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") {
			return false
		}
		segs := strings.Split(lower[1:], "/")
		for i, seg := range segs {
			if seg == "" && i < len(segs)-1 { // "//"; a trailing "/" is a path of its own
				return false
			}
			if dots := strings.ReplaceAll(seg, "%2e", "."); dots == "." || dots == ".." {
				return false
			}
		}
	}
	return true
}

func newRequestID() string { return "r-" + strings.ToLower(rand.Text()[:20]) }

// reqState is what the request's handlers learn, for the log line, the
// metrics and the response signature.
type reqState struct {
	requestID string
	route     string
	partner   string
	role      string
	aud       string // audience of the response signature
	jti       string // the request token's jti, echoed as req
	code      string // problem code, when the answer is a problem
}

// stateOf returns the request state of w, if w is ours.
func stateOf(w http.ResponseWriter) *reqState {
	if sw, ok := w.(*signedWriter); ok {
		return sw.st
	}
	return nil
}

// routeNamer records the matched route template for logs and metrics, so
// metric labels stay bounded (never a raw path with ids in it).
func (a *api) routeNamer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := stateOf(w); st != nil {
			if route := mux.CurrentRoute(r); route != nil {
				if tpl, err := route.GetPathTemplate(); err == nil {
					st.route = tpl
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Ready is what /readyz asks.
func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), defaultReadyzTimeout)
	defer cancel()
	if err := a.b.Ready(ctx); err != nil {
		a.writeProblem(w, r, errors.Join(broker.ErrUnavailable, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
