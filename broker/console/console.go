package console

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Broker is what the console needs from the domain. *broker.Service
// implements it.
type Broker interface {
	LookupPartner(id string) (*broker.Partner, error)
	LoginPartners() []broker.LoginPartner
	ClientSecret(p *broker.Partner) (string, error)
	RecordLogin(ctx context.Context, c *broker.Caller, detail map[string]string) error
	RecordLoginRefused(ctx context.Context, partner, issuer, person, reason string)
	RecordLogout(ctx context.Context, c *broker.Caller, reason string) error
	RecordBSNInURL(ctx context.Context, c *broker.Caller, bsn string)

	// What the pages show and change: the same methods httpapi calls.
	Purposes(c *broker.Caller) ([]broker.PurposeChoice, error)
	AssignmentTypes() []broker.AssignmentType
	Directory(c *broker.Caller) []broker.DirectoryEntry
	Inbox(ctx context.Context, c *broker.Caller, after uint64, limit int, wait time.Duration) (broker.InboxPage, error)
	Household(ctx context.Context, c *broker.Caller, id string) (broker.HouseholdView, error)
	PutHousehold(ctx context.Context, c *broker.Caller, ref string, in broker.HouseholdInput) (broker.HouseholdView, error)
	HouseholdOverview(ctx context.Context, c *broker.Caller, id string) (broker.Overview, error)
	PersonOverview(ctx context.Context, c *broker.Caller, bsn, municipality string) (broker.Overview, error)
	RecordConsent(ctx context.Context, c *broker.Caller, bsn string, in broker.Consent) (broker.ConsentView, error)
	Consents(ctx context.Context, c *broker.Caller, bsn, reference string) (broker.ConsentList, error)
	WithdrawConsent(ctx context.Context, c *broker.Caller, id, reason string) (broker.ConsentView, error)
	GiveAssignment(ctx context.Context, c *broker.Caller, in broker.AssignmentInput) (broker.AssignmentView, error)
	StepAssignment(ctx context.Context, c *broker.Caller, id, step, text string) (broker.AssignmentView, error)
	Assignment(ctx context.Context, c *broker.Caller, id string) (broker.AssignmentView, error)
	Assignments(ctx context.Context, c *broker.Caller, q broker.AssignmentQuery) (broker.AssignmentList, error)
	Plan(ctx context.Context, c *broker.Caller, id string, version uint64) (broker.PlanView, error)
	PutPlan(ctx context.Context, c *broker.Caller, id string, ifMatch uint64, in broker.PlanInput) (broker.PlanView, error)
	SetAgreementStatus(ctx context.Context, c *broker.Caller, id, agreement string, ifMatch uint64, status string) (broker.PlanView, error)
	Followups(ctx context.Context, c *broker.Caller, q broker.FollowupQuery) (broker.FollowupList, error)
	Followup(ctx context.Context, c *broker.Caller, id string) (broker.FollowupView, error)
	StepFollowup(ctx context.Context, c *broker.Caller, id, step string, in broker.FollowupStepInput) (broker.FollowupView, error)

	// The privacy officer's pages (officer.go).
	Policies(ctx context.Context, c *broker.Caller) ([]broker.PolicyVersion, error)
	PolicyBundle(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	DryRun(ctx context.Context, c *broker.Caller, id string, n int) (broker.DryRunReport, error)
	ApprovePolicy(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	RejectPolicy(ctx context.Context, c *broker.Caller, id, comment string) (broker.PolicyVersion, error)
	RollbackPolicy(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	AuditEntries(ctx context.Context, c *broker.Caller, q broker.AuditQuery) (broker.AuditPage, error)
	VerifyAudit(ctx context.Context, c *broker.Caller) (broker.AuditVerification, error)
	VerifyAuditNew(ctx context.Context, c *broker.Caller) (broker.AuditVerification, error)
	SubjectAccess(ctx context.Context, c *broker.Caller, bsn, reference string) (broker.SubjectAccessReport, error)

	// The pilot's figures (statistics.go).
	Statistics(ctx context.Context, c *broker.Caller, q broker.StatisticsQuery) (broker.Statistics, error)
	RefuseAnalyst(ctx context.Context, c *broker.Caller, route string) error

	// The operator's pages (operator.go).
	Partners(ctx context.Context, c *broker.Caller) ([]broker.Partner, error)
	Partner(ctx context.Context, c *broker.Caller, id string) (broker.Partner, error)
	RegisterPartner(ctx context.Context, c *broker.Caller, p broker.Partner) (broker.Partner, error)
	UpdatePartner(ctx context.Context, c *broker.Caller, p broker.Partner) (broker.Partner, error)
	SetPartnerStatus(ctx context.Context, c *broker.Caller, id string, status broker.PartnerStatus) (broker.Partner, error)
	SetPartnerKeys(ctx context.Context, c *broker.Caller, id string, jwks json.RawMessage) (broker.Partner, error)
	PersonKeys(ctx context.Context, c *broker.Caller, partner string) ([]broker.PersonKey, error)
	PutPersonKey(ctx context.Context, c *broker.Caller, partner string, k broker.PersonKey) (broker.PersonKey, error)
	RemovePersonKey(ctx context.Context, c *broker.Caller, partner, person string) error
	SetPersonStatus(ctx context.Context, c *broker.Caller, partner, person string, status broker.PartnerStatus) (broker.PersonKey, error)
	LoginConfig(ctx context.Context, c *broker.Caller, partner string) (broker.LoginConfig, error)
	SetLoginConfig(ctx context.Context, c *broker.Caller, partner string, lc broker.LoginConfig) (broker.LoginConfig, error)
	RemoveLoginConfig(ctx context.Context, c *broker.Caller, partner string) error
	DeadLetters(ctx context.Context, c *broker.Caller) (broker.DeadLetterList, error)
	RetryDeadLetter(ctx context.Context, c *broker.Caller, id string) (broker.Delivery, error)
	Ready(ctx context.Context) error
}

// Defaults of Config.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	DefaultFreshLogin      = 5 * time.Minute
	DefaultLoginTimeout    = 10 * time.Minute
	DefaultMaxPending      = 10_000
)

// Config configures the console.
type Config struct {
	Broker   Broker
	Sessions broker.SessionStore
	// PublicURL is the broker's external base URL (scheme and host, as
	// browsers reach it); the providers redirect to PublicURL +
	// "/console/callback". An https URL makes the cookies Secure and
	// __Host- prefixed, also behind a TLS-terminating proxy.
	PublicURL string
	// IdleTimeout ends a session unused for this long. Default 30 min.
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after its login, used or
	// not. Default 12 h.
	AbsoluteTimeout time.Duration
	// FreshLogin is how recent the last authentication must be for an
	// action that needs a fresh login (Action with fresh). Default 5 min.
	FreshLogin time.Duration
	// LoginTimeout is how long a started login (its state, nonce and PKCE
	// verifier) waits for the provider's answer. Default 10 min.
	LoginTimeout time.Duration
	// MaxPending bounds the started logins held at once: starting one
	// needs no session, so memory must not grow with anonymous requests.
	// Default 10 000.
	MaxPending int
	// HTTPClient talks to the providers (discovery, keys, token
	// endpoint). Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// Logger receives operational logs, never a token or secret.
	Logger *slog.Logger
	// Now is the clock of sessions, started logins and ID tokens.
	Now func() time.Time
	// DemoLogin enables one-time sign-in links made by DemoLink, taken
	// only from loopback clients: for ketenbrug demo --keep and serve
	// --console-demo-login on a loopback address. Never in production.
	DemoLogin bool
}

// Validate checks cfg and fills the defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Broker == nil {
		errs = append(errs, errors.New("console: Broker is required"))
	}
	if c.Sessions == nil {
		errs = append(errs, errors.New("console: Sessions is required"))
	}
	u, err := url.Parse(c.PublicURL)
	switch {
	case c.PublicURL == "":
		errs = append(errs, errors.New("console: the broker's public URL is required (serve --public-url https://broker.regio.example), for the providers' redirect"))
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		errs = append(errs, fmt.Errorf("console: public URL %q: scheme and host only, such as https://broker.regio.example", c.PublicURL))
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if c.DemoLogin && (err != nil || !loopbackHost(u.Hostname())) {
		errs = append(errs, fmt.Errorf("console: demo sign-in only on a loopback address, not at %q", c.PublicURL))
	}
	def := func(d *time.Duration, v time.Duration, name string) {
		if *d < 0 {
			errs = append(errs, fmt.Errorf("console: %s must not be negative", name))
		}
		if *d == 0 {
			*d = v
		}
	}
	def(&c.IdleTimeout, DefaultIdleTimeout, "IdleTimeout")
	def(&c.AbsoluteTimeout, DefaultAbsoluteTimeout, "AbsoluteTimeout")
	def(&c.FreshLogin, DefaultFreshLogin, "FreshLogin")
	def(&c.LoginTimeout, DefaultLoginTimeout, "LoginTimeout")
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return errors.Join(errs...)
}

// loopbackHost reports whether host names this machine only.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler serves /console/.
type Handler struct {
	cfg       Config
	b         Broker
	log       *slog.Logger
	mux       *http.ServeMux
	pending   *pendingLogins
	providers *providers
	// secure: the console is reached over https, so cookies are Secure and
	// carry the __Host- prefix (which browsers accept on Secure cookies
	// only).
	secure bool
	// cop refuses cross-origin state-changing requests (Sec-Fetch-Site,
	// Origin), beside the session's CSRF token.
	cop *http.CrossOriginProtection
	// nav is the navigation, per role (Nav adds to it).
	nav []NavItem
	// demo holds the one-time demo sign-in links (Config.DemoLogin).
	demo *demoLinks
	// liveWait is how long the live inbox's question is held (live.go).
	liveWait time.Duration
}

// CSP is the Content-Security-Policy of every console answer: scripts
// and styles only from the console's own files (the one script is the
// live inbox's, static/inbox.js; never an inline script or style), its
// requests to the console only, forms posting to the console only, never
// in a frame.
const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// New returns the console's handler, to be mounted at /console/.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, b: cfg.Broker, log: cfg.Logger, mux: http.NewServeMux(),
		pending:   newPendingLogins(cfg.MaxPending),
		providers: newProviders(cfg.HTTPClient),
		secure:    strings.HasPrefix(cfg.PublicURL, "https://"),
		cop:       http.NewCrossOriginProtection(), demo: newDemoLinks(), liveWait: DefaultLiveWait}
	h.mux.HandleFunc("GET /console/static/{file}", serveStatic)
	h.mux.Handle("GET /console/login", h.handle(h.startLogin))
	h.mux.Handle("GET /console/callback", h.handle(h.callback))
	h.mux.Handle("POST /console/logout", h.handle(h.logout))
	h.mux.Handle("POST /console/role", h.handle(h.chooseRole))
	h.mux.Handle("/console/", h.handle(func(http.ResponseWriter, *http.Request) error { return errPageNotFound }))
	h.Action("GET /console/{$}", false, h.home)
	h.workPages()
	h.officerPages()
	h.operatorPages()
	h.operatorKeyPages()
	h.statisticsPages()
	if cfg.DemoLogin {
		h.mux.Handle("GET /console/demo", h.handle(h.demoLogin))
	}
	return h, nil
}

// ServeHTTP sets the headers every console answer carries and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// No script, no frames, no third-party anything; forms post to the
	// console only. Referrer-Policy keeps the callback's code out of any
	// Referer header.
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Accept-Language") // lang.go
	if bsn := bsnIn(r.URL); bsn != "" {
		h.refuseBSNInURL(w, r, bsn)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// ActionFunc is a console action of a logged-in person: c is the domain's
// caller (the verified person, via oidc:<issuer>, in the session's role).
type ActionFunc func(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error

// Action registers an action of the console at pattern (a ServeMux
// pattern under /console/). With fresh, the person's last authentication
// must be within Config.FreshLogin, else the browser is sent to log in
// again (max_age=0, prompt=login) and back. A form action (POST) must
// carry the session's CSRF token in the field "csrf".
func (h *Handler) Action(pattern string, fresh bool, fn ActionFunc) {
	h.mux.Handle(pattern, h.handle(func(w http.ResponseWriter, r *http.Request) error {
		s, p, err := h.session(r)
		if err != nil {
			return err
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := h.checkForm(r, s); err != nil {
				return err
			}
		}
		if fresh && !h.freshEnough(s) {
			return &freshLoginNeeded{partner: s.Partner, next: r.URL.Path}
		}
		c := s.Caller(p, newRequestID())
		if err := h.analystGate(r, c, pattern); err != nil {
			return &inRequest{err: err, id: c.RequestID}
		}
		if err := fn(w, r, c, s); err != nil {
			return &inRequest{err: err, id: c.RequestID}
		}
		return nil
	}))
}

// inRequest is an action's error with the request id its audit entries
// carry: the error page shows it, so that a person can quote it and a
// privacy officer or operator can find the request in the audit trail.
type inRequest struct {
	err error
	id  string
}

func (e *inRequest) Error() string { return e.err.Error() }
func (e *inRequest) Unwrap() error { return e.err }

// handle turns a handler that returns an error into an http.Handler: the
// one place where errors become pages (fail).
func (h *Handler) handle(fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if rec := recover(); rec != nil {
				h.log.Error("panic in the console", "panic", rec)
				h.fail(w, r, errors.New("panic"))
			}
		}()
		if err := fn(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

// newRequestID names one console request in audit entries.
func newRequestID() string { return "c-" + strings.ToLower(rand.Text()[:20]) }
