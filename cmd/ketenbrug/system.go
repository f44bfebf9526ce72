package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/audit"
	"github.com/ketenbrug/ketenbrug/broker/console"
	"github.com/ketenbrug/ketenbrug/broker/httpapi"
	"github.com/ketenbrug/ketenbrug/broker/webhook"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
	"github.com/ketenbrug/ketenbrug/policy"
	"github.com/ketenbrug/ketenbrug/rego"
)

// defaultBundle is the built-in policy bundle (a test build swaps it, see
// brokenbundle.go).
var defaultBundle fs.FS = rego.Bundle

// SystemConfig is what a broker process is made of.
type SystemConfig struct {
	// DataDir holds the store, the broker key and the pseudonym secret.
	DataDir string
	// Store names the store when it is not the bbolt file in DataDir
	// (PostgreSQL, store.go).
	Store StoreConfig
	// ID is the broker's id, the audience of request tokens.
	ID string
	// FourEyes requires a second privacy officer to approve policies.
	FourEyes bool
	// PolicyTimeout bounds one policy decision.
	PolicyTimeout time.Duration
	// Logger receives operational logs.
	Logger *slog.Logger
	// Webhook tunes the push of inbox items to partners' webhooks
	// (attempts, backoff); zero values take the defaults.
	Webhook webhook.Settings
	// Limits bound each partner's request rate and long-polls; zero values
	// take the defaults (httpapi.Limits).
	Limits httpapi.Limits
	// Timeouts bound how long the HTTP server waits for a client; zero
	// values take the defaults (ServerTimeouts).
	Timeouts ServerTimeouts
	// SyncMaxEndFraction is the share of a partner's live involvements
	// one sync may end without allow_mass_end (broker.SyncEndLimit); 0
	// takes the default, 0.10.
	SyncMaxEndFraction float64
	// UnusualVolume is how many overviews one caller may ask within an
	// hour before ketenbrug_unusual_volume_total counts an alert; 0: off.
	UnusualVolume int
	// Console serves the web console (login through the partners' own
	// OpenID Connect providers) at /console/ on the same server.
	Console bool
	// PublicURL is the broker's external base URL, the base of the
	// console's redirect URI at the providers. Required with Console.
	PublicURL string
	// SessionIdle and SessionMax end a console session unused for, or
	// older than, this long; zero takes the defaults (30 min, 12 h).
	SessionIdle, SessionMax time.Duration
	// ConsoleDemoLogin accepts the console's one-time demo sign-in links
	// (loopback only; ketenbrug demo --keep).
	ConsoleDemoLogin bool
	// LoginSecrets is the directory of the client-secret files of
	// partners' logins; default <data>/login-secrets (mode 0700).
	LoginSecrets string
}

// ServerTimeouts keep slow or idle clients (slowloris) from holding
// connections.
type ServerTimeouts struct {
	// ReadHeader bounds reading a request's headers. Default 10s.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included. Default 5m: a
	// large caseload sync streams for a while.
	Read time.Duration
	// Write bounds writing the response, from the end of the headers.
	// Default 5m; it must exceed the longest inbox long-poll (60s).
	Write time.Duration
	// Idle bounds a keep-alive connection between requests. Default 2m.
	Idle time.Duration
}

// withDefaults fills zero values and refuses negative ones.
func (t ServerTimeouts) withDefaults() (ServerTimeouts, error) {
	if t.ReadHeader < 0 || t.Read < 0 || t.Write < 0 || t.Idle < 0 {
		return t, errors.New("server timeouts must not be negative")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&t.ReadHeader, 10*time.Second)
	def(&t.Read, 5*time.Minute)
	def(&t.Write, 5*time.Minute)
	def(&t.Idle, 2*time.Minute)
	if t.Write <= broker.MaxInboxWait {
		return t, fmt.Errorf("the write timeout %s must exceed the longest inbox long-poll (%s)", t.Write, broker.MaxInboxWait)
	}
	return t, nil
}

// System is a wired broker: every concrete part, built once.
type System struct {
	Config   SystemConfig
	Store    systemStore
	Audit    *audit.Log
	Policy   *policy.Engine
	Service  *broker.Service
	Handler  http.Handler
	Registry *prometheus.Registry
	// Console is the web console when Config.Console is set.
	Console *console.Handler
	// Retention applies the active policy's retention periods; serve
	// runs it.
	Retention *broker.Retention
	// Webhooks pushes inbox items to partners' webhooks; it runs from
	// CreateSystem until Close.
	Webhooks *webhook.Deliverer
	// Made lists the files created on the way (a fresh data directory).
	Made []string

	stopWebhooks func()
	stopRefresh  func()
}

// CreateSystem builds the broker from its parts: it is the one place where
// concrete types meet. On an empty data directory it creates the broker's
// key, pseudonym secret and store.
func CreateSystem(ctx context.Context, cfg SystemConfig) (sys *System, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if !broker.ValidID(cfg.ID) {
		return nil, fmt.Errorf("broker id %q: use lower-case letters, digits, '.', '_' and '-'", cfg.ID)
	}
	if cfg.Timeouts, err = cfg.Timeouts.withDefaults(); err != nil {
		return nil, err
	}
	dir, made, err := prepareDataDir(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	// built, not sys: a failed start returns a nil *System, and what was
	// built so far must still be closed.
	built := &System{Config: cfg, Made: made}
	defer func() {
		if err != nil {
			_ = built.Close()
		}
	}()
	sys = built
	spool, err := prepareSpoolDir(dir, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if sys.Store, err = openStore(ctx, cfg, dir); err != nil {
		return nil, err
	}
	if err := bindStore(sys.Store, dir); err != nil {
		return nil, err
	}
	edKey, kid, err := dir.ed25519Key()
	if err != nil {
		return nil, err
	}
	auditSigner, err := audit.NewEd25519Signer(kid, edKey, nil)
	if err != nil {
		return nil, err
	}
	if sys.Audit, err = audit.New(audit.Config{Store: sys.Store, Signer: auditSigner, Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	if sys.Policy, err = policy.New(policy.Config{Logger: cfg.Logger, Timeout: cfg.PolicyTimeout, Default: defaultBundle}); err != nil {
		return nil, fmt.Errorf("the built-in policy bundle fails its tests or does not compile, so no decision could be trusted; "+
			"this build is broken: use a released ketenbrug binary (%s)", oneLine(err.Error()))
	}
	pseudonyms, err := broker.NewPseudonymizer(dir.secret)
	if err != nil {
		return nil, err
	}
	if cfg.LoginSecrets == "" {
		cfg.LoginSecrets = filepath.Join(cfg.DataDir, "login-secrets")
		if err := os.MkdirAll(cfg.LoginSecrets, 0o700); err != nil {
			return nil, fmt.Errorf("login-secrets directory: %w", err)
		}
	}
	volume, unusual := newVolumeAlert(cfg.UnusualVolume, cfg.Logger)
	var watcher broker.OverviewWatcher
	if volume != nil {
		watcher = volume
	}
	if sys.Service, err = broker.New(ctx, broker.Config{
		ID: cfg.ID, Store: sys.Store, Audit: sys.Audit, AuditReader: sys.Audit, Policy: sys.Policy,
		Pseudonyms: pseudonyms, CheckJWKS: httpapi.CheckJWKS, FourEyes: cfg.FourEyes, Logger: cfg.Logger,
		SyncMaxEndFraction: cfg.SyncMaxEndFraction, LoginSecrets: broker.SecretDir(cfg.LoginSecrets),
		OverviewWatcher: watcher,
	}); err != nil {
		return nil, err
	}
	sys.Retention = &broker.Retention{Periods: sys.Policy, Audit: sys.Audit, Involvements: sys.Service, Log: cfg.Logger}
	_, bundle, report := sys.Policy.Builtin()
	if err := sys.Service.RecordBuiltinPolicy(ctx, bundle, report); err != nil {
		return nil, err
	}
	signer, err := protocol.NewSigner(dir.brokerKey)
	if err != nil {
		return nil, err
	}
	pub, err := protocol.PublicSet(dir.brokerKey)
	if err != nil {
		return nil, err
	}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		return nil, err
	}
	sys.Registry = prometheus.NewRegistry()
	sys.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	sys.Registry.MustRegister(unusual)
	if sys.Handler, err = httpapi.New(httpapi.Config{
		Broker: sys.Service, Signer: signer, PublicJWKS: pubJSON, Registry: sys.Registry, Logger: cfg.Logger,
		Limits: cfg.Limits, SpoolDir: spool, Build: buildInfo(), Replay: sharedReplay(sys.Store),
		WriteTimeout: cfg.Timeouts.Write, // the server's (newHTTPServer): a sync that progresses moves its deadline
	}); err != nil {
		return nil, err
	}
	if err := registerBuildInfo(sys.Registry, buildInfo()); err != nil {
		return nil, err
	}
	if cfg.Console {
		// The console shares the server (and its TLS) with the API;
		// everything outside /console/ stays the API's.
		con, err := console.New(console.Config{Broker: sys.Service, Sessions: sys.Store, PublicURL: cfg.PublicURL,
			IdleTimeout: cfg.SessionIdle, AbsoluteTimeout: cfg.SessionMax, Logger: cfg.Logger, DemoLogin: cfg.ConsoleDemoLogin})
		if err != nil {
			return nil, err
		}
		sys.Console = con
		mux := http.NewServeMux()
		mux.Handle("/console/", con)
		mux.Handle("/", sys.Handler)
		sys.Handler = mux
	}
	if sys.Webhooks, err = webhook.New(webhook.Config{Settings: cfg.Webhook, Source: sys.Service, Signer: signer,
		BrokerID: cfg.ID, Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runExclusive(runCtx, sys.Store, "webhooks", sys.Webhooks.Run) }()
	sys.stopWebhooks = func() { cancel(); <-done }
	sys.stopRefresh = startRefresh(sys)
	return sys, nil
}

// Close stops the webhook deliverer and the audit writer (flushing what
// waits) and closes the store.
func (s *System) Close() error {
	if s == nil {
		return nil
	}
	if s.stopRefresh != nil {
		s.stopRefresh()
		s.stopRefresh = nil
	}
	if s.stopWebhooks != nil {
		s.stopWebhooks()
		s.stopWebhooks = nil
	}
	var errs []error
	if s.Audit != nil {
		errs = append(errs, s.Audit.Close())
	}
	if s.Store != nil {
		errs = append(errs, s.Store.Close())
	}
	return errors.Join(errs...)
}

// bindStore refuses a store made with another broker key or pseudonym
// secret than the data directory holds (a restore with the wrong files, a
// key copied from another broker): pseudonyms would silently stop matching
// and checkpoints would be signed by a stranger. A store without a binding
// (made before bindings) is bound now.
func bindStore(st systemStore, dir *dataDir) error {
	fp, err := dir.binding()
	if err != nil {
		return err
	}
	ok, err := st.Bind(fp)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the broker key or pseudonym secret in %s is not the one %s was made with: put back the files backed up with this store, or restore the store that belongs to these", dir.path, storeFile)
	}
	return nil
}
