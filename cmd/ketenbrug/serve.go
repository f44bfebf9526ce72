package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/httpapi"
	"github.com/ketenbrug/ketenbrug/broker/webhook"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// brokerFlags are the flags of commands that run a broker.
type brokerFlags struct {
	data          string
	store         StoreConfig
	id            string
	fourEyes      bool
	policyTimeout time.Duration
	logLevel      string
	webhook       webhook.Settings
	limits        limitFlags
	timeouts      ServerTimeouts
	syncMaxEnd    float64
	unusualVolume int
	loginSecrets  string
}

// limitFlags are the per-partner limits as flags: a rate of 0 means
// unlimited.
type limitFlags struct {
	rate      float64
	burst     int
	longPolls int
	failRate  float64
	failBurst int
}

func (l limitFlags) limits() (httpapi.Limits, error) {
	if l.rate < 0 || l.burst < 0 || l.longPolls < 0 || l.failRate < 0 || l.failBurst < 0 {
		return httpapi.Limits{}, errors.New("--partner-rate, --partner-burst, --long-polls and --auth-failure-* must not be negative")
	}
	lim := httpapi.Limits{PartnerRate: rate.Limit(l.rate), PartnerBurst: l.burst, LongPolls: l.longPolls,
		AuthFailureRate: rate.Limit(l.failRate), AuthFailureBurst: l.failBurst}
	if l.rate == 0 {
		lim.PartnerRate = rate.Inf
	}
	if l.failRate == 0 {
		lim.AuthFailureRate = rate.Inf
	}
	return lim, nil
}

func (f *brokerFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", envOr("KETENBRUG_DATA", "./ketenbrug-data"), "data directory (env KETENBRUG_DATA)")
	f.store.register(fl)
	fl.StringVar(&f.id, "id", envOr("KETENBRUG_ID", "ketenbrug"), "broker id, the audience of request tokens (env KETENBRUG_ID)")
	fourEyes, _ := strconv.ParseBool(envOr("KETENBRUG_POLICY_FOUR_EYES", "true"))
	fl.BoolVar(&f.fourEyes, "policy-four-eyes", fourEyes, "a second privacy officer must approve a policy version (env KETENBRUG_POLICY_FOUR_EYES)")
	timeout, _ := time.ParseDuration(envOr("KETENBRUG_POLICY_TIMEOUT", "100ms"))
	fl.DurationVar(&f.policyTimeout, "policy-timeout", timeout, "deadline of one policy decision; past it the request is denied (env KETENBRUG_POLICY_TIMEOUT)")
	attempts, _ := strconv.Atoi(envOr("KETENBRUG_WEBHOOK_ATTEMPTS", strconv.Itoa(webhook.DefaultMaxAttempts)))
	fl.IntVar(&f.webhook.MaxAttempts, "webhook-attempts", attempts, "attempts of one webhook delivery before it is dead-lettered (env KETENBRUG_WEBHOOK_ATTEMPTS)")
	backoff, _ := time.ParseDuration(envOr("KETENBRUG_WEBHOOK_BACKOFF", webhook.DefaultBackoff.String()))
	fl.DurationVar(&f.webhook.Backoff, "webhook-backoff", backoff, "wait after a webhook's first failed attempt, doubling after each further one (env KETENBRUG_WEBHOOK_BACKOFF)")
	maxBackoff, _ := time.ParseDuration(envOr("KETENBRUG_WEBHOOK_MAX_BACKOFF", webhook.DefaultMaxBackoff.String()))
	fl.DurationVar(&f.webhook.MaxBackoff, "webhook-max-backoff", maxBackoff, "longest wait between webhook attempts (env KETENBRUG_WEBHOOK_MAX_BACKOFF)")
	hookTimeout, _ := time.ParseDuration(envOr("KETENBRUG_WEBHOOK_TIMEOUT", webhook.DefaultTimeout.String()))
	fl.DurationVar(&f.webhook.Timeout, "webhook-timeout", hookTimeout, "deadline of one webhook request (env KETENBRUG_WEBHOOK_TIMEOUT)")
	partnerRate, _ := strconv.ParseFloat(envOr("KETENBRUG_PARTNER_RATE", fmt.Sprint(float64(httpapi.DefaultPartnerRate))), 64)
	fl.Float64Var(&f.limits.rate, "partner-rate", partnerRate, "requests per second one partner may make, sustained; 0 for no limit (env KETENBRUG_PARTNER_RATE)")
	partnerBurst, _ := strconv.Atoi(envOr("KETENBRUG_PARTNER_BURST", strconv.Itoa(httpapi.DefaultPartnerBurst)))
	fl.IntVar(&f.limits.burst, "partner-burst", partnerBurst, "requests one partner may make at once after a quiet spell (env KETENBRUG_PARTNER_BURST)")
	failRate, _ := strconv.ParseFloat(envOr("KETENBRUG_AUTH_FAILURE_RATE", fmt.Sprint(float64(httpapi.DefaultAuthFailureRate))), 64)
	fl.Float64Var(&f.limits.failRate, "auth-failure-rate", failRate, "refused request tokens per second one client address may send before it gets 429 unverified; 0 for no limit (behind a proxy) (env KETENBRUG_AUTH_FAILURE_RATE)")
	failBurst, _ := strconv.Atoi(envOr("KETENBRUG_AUTH_FAILURE_BURST", strconv.Itoa(httpapi.DefaultAuthFailureBurst)))
	fl.IntVar(&f.limits.failBurst, "auth-failure-burst", failBurst, "refused request tokens one client address may send at once (env KETENBRUG_AUTH_FAILURE_BURST)")
	longPolls, _ := strconv.Atoi(envOr("KETENBRUG_LONG_POLLS", strconv.Itoa(httpapi.DefaultLongPolls)))
	fl.IntVar(&f.limits.longPolls, "long-polls", longPolls, "inbox long-polls one partner may hold open at once (env KETENBRUG_LONG_POLLS)")
	for _, d := range []struct {
		p          *time.Duration
		name, env  string
		def, usage string
	}{
		{&f.timeouts.ReadHeader, "read-header-timeout", "KETENBRUG_READ_HEADER_TIMEOUT", "10s", "longest wait for a request's headers"},
		{&f.timeouts.Read, "read-timeout", "KETENBRUG_READ_TIMEOUT", "5m", "longest wait for a whole request, body included"},
		{&f.timeouts.Write, "write-timeout", "KETENBRUG_WRITE_TIMEOUT", "5m", "longest time to write a response (must exceed the 60s long-poll)"},
		{&f.timeouts.Idle, "idle-timeout", "KETENBRUG_IDLE_TIMEOUT", "2m", "longest idle keep-alive connection"},
	} {
		v, _ := time.ParseDuration(envOr(d.env, d.def))
		fl.DurationVar(d.p, d.name, v, d.usage+" (env "+d.env+")")
	}
	maxEnd, _ := strconv.ParseFloat(envOr("KETENBRUG_SYNC_MAX_END_FRACTION", fmt.Sprint(broker.DefaultSyncMaxEndFraction)), 64)
	fl.Float64Var(&f.syncMaxEnd, "sync-max-end-fraction", maxEnd, "share of a partner's live involvements one full-caseload sync may end without allow_mass_end; at least 10 may always end, and never all of more than 10 (env KETENBRUG_SYNC_MAX_END_FRACTION)")
	volume, _ := strconv.Atoi(envOr("KETENBRUG_UNUSUAL_VOLUME", strconv.Itoa(DefaultUnusualVolume)))
	fl.IntVar(&f.unusualVolume, "unusual-volume", volume, "overviews one caller (partner and person) may ask within an hour before ketenbrug_unusual_volume_total counts an alert and a warning is logged; 0: off (env KETENBRUG_UNUSUAL_VOLUME)")
	fl.StringVar(&f.loginSecrets, "login-secrets", envOr("KETENBRUG_LOGIN_SECRETS", ""), "directory of the client-secret files of partners' console logins (partner login set --client-secret-file); default <data>/login-secrets (env KETENBRUG_LOGIN_SECRETS)")
	fl.StringVar(&f.logLevel, "log-level", envOr("KETENBRUG_LOG_LEVEL", "info"), "debug, info, warn or error (env KETENBRUG_LOG_LEVEL)")
}

func (f *brokerFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), nil
}

func (f *brokerFlags) system(ctx context.Context, log *slog.Logger) (*System, error) {
	return f.systemWith(ctx, log, nil)
}

// systemWith is system with a last say over the configuration (serve's
// console flags).
func (f *brokerFlags) systemWith(ctx context.Context, log *slog.Logger, tune func(*SystemConfig) error) (*System, error) {
	limits, err := f.limits.limits()
	if err != nil {
		return nil, err
	}
	if f.unusualVolume < 0 {
		return nil, fmt.Errorf("--unusual-volume %d: use a number of overviews an hour, or 0 to turn the alert off", f.unusualVolume)
	}
	if f.syncMaxEnd <= 0 || f.syncMaxEnd > 1 {
		return nil, fmt.Errorf("--sync-max-end-fraction %v: use a share above 0 and at most 1, such as 0.10", f.syncMaxEnd)
	}
	cfg := SystemConfig{DataDir: f.data, Store: f.store, ID: f.id, FourEyes: f.fourEyes,
		PolicyTimeout: f.policyTimeout, Logger: log, Webhook: f.webhook, Limits: limits, Timeouts: f.timeouts,
		SyncMaxEndFraction: f.syncMaxEnd, LoginSecrets: f.loginSecrets, UnusualVolume: f.unusualVolume}
	if tune != nil {
		if err := tune(&cfg); err != nil {
			return nil, err
		}
	}
	return CreateSystem(ctx, cfg)
}

func newInitCommand() *cobra.Command {
	var f brokerFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a data directory: store, broker key, pseudonym secret and the operator's identity",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := f.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			made, err := initDataDir(cmd.Context(), &f, log)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(made) == 0 {
				fmt.Fprintf(out, "%s was already initialised; nothing changed\n", f.data)
				return nil
			}
			fmt.Fprintf(out, "initialised %s:\n", f.data)
			for _, m := range made {
				fmt.Fprintf(out, "  %s\n", m)
			}
			return nil
		},
	}
	f.register(cmd)
	onlyFlags(cmd, "data", "store", "store-password-file", "id", "log-level")
	return cmd
}

// onlyFlags hides every flag of cmd but names from its help: init shares
// serve's flags (it opens the same system) but only these mean anything
// to it. The others are still accepted, so a script that passes serve's
// flags to both keeps working.
func onlyFlags(cmd *cobra.Command, names ...string) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !slices.Contains(names, f.Name) {
			f.Hidden = true
		}
	})
}

// initDataDir prepares the data directory and registers the operator with
// a fresh identity file, when there is none yet.
func initDataDir(ctx context.Context, f *brokerFlags, log *slog.Logger) ([]string, error) {
	sys, err := f.system(ctx, log)
	if err != nil {
		return nil, err
	}
	defer sys.Close()
	made := sys.Made
	if _, err := sys.Service.LookupPartner(operatorID); err == nil {
		return made, nil
	}
	d := &dataDir{path: f.data}
	id, pub, err := connectors.NewIdentity(operatorID, "operator", string(broker.RoleOperator), "EdDSA")
	if err != nil {
		return nil, err
	}
	if _, _, err := sys.Service.EnsureOperator(ctx, broker.Partner{
		ID: operatorID, Name: "Regional operator (functioneel beheer)", Sector: broker.SectorOther,
		Roles: []broker.Role{broker.RoleOperator}, Level: broker.MaxLevel, JWKS: pub,
	}); err != nil {
		return nil, err
	}
	if err := id.WriteFile(d.file(operatorFile)); err != nil {
		return nil, fmt.Errorf("operator identity: %w", err)
	}
	made = append(made, f.store.made(),
		operatorFile+" (the operator's identity: partner \"operator\", role operator)")
	return made, nil
}

func newServeCommand() *cobra.Command {
	var f brokerFlags
	var listen, debugListen string
	var tlsFiles serverTLS
	var con consoleFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the broker's API (initialises an empty data directory first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := f.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if !isInitialised(f.data) {
				made, err := initDataDir(ctx, &f, log)
				if err != nil {
					return err
				}
				log.Info("initialised data directory", "dir", f.data, "made", made)
			}
			tuneGC(log)
			sys, err := f.systemWith(ctx, log, func(c *SystemConfig) error { return con.apply(c, listen, tlsFiles.cert != "") })
			if err != nil {
				return err
			}
			defer sys.Close()
			tlsConf, err := tlsFiles.config()
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			if tlsConf != nil {
				ln = tls.NewListener(ln, tlsConf)
			}
			log.Info("serving", "addr", ln.Addr().String(), "id", f.id, "data", f.data, "https", tlsConf != nil, "mutual_tls", tlsConf != nil && tlsConf.ClientCAs != nil)
			if _, err := startDebugListener(ctx, debugListen, log); err != nil {
				return err
			}
			// One broker of a region at a time on PostgreSQL (issue 20).
			go runExclusive(ctx, sys.Store, "retention", func(ctx context.Context) error {
				sys.Retention.Run(ctx, retentionInterval)
				return nil
			})
			// The follow-up sweep escalates and ends follow-ups: at one
			// broker at a time, so that no escalation is sent twice.
			go runExclusive(ctx, sys.Store, "followups", func(ctx context.Context) error {
				sys.Service.FollowupSweeper(ctx, followupSweepInterval)
				return nil
			})
			return serveUntilDone(ctx, sys, ln, log)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&listen, "listen", envOr("KETENBRUG_LISTEN", "127.0.0.1:8080"), "address to listen on (env KETENBRUG_LISTEN)")
	cmd.Flags().StringVar(&tlsFiles.cert, "tls-cert", envOr("KETENBRUG_TLS_CERT", ""), "PEM certificate (chain) to serve HTTPS with (env KETENBRUG_TLS_CERT)")
	cmd.Flags().StringVar(&tlsFiles.key, "tls-key", envOr("KETENBRUG_TLS_KEY", ""), "PEM key of --tls-cert (env KETENBRUG_TLS_KEY)")
	cmd.Flags().StringVar(&tlsFiles.clientCA, "client-ca", envOr("KETENBRUG_CLIENT_CA", ""), "PEM CA bundle: require client certificates that chain to it (mutual TLS) (env KETENBRUG_CLIENT_CA)")
	con.register(cmd)
	cmd.Flags().StringVar(&debugListen, "debug-listen", envOr("KETENBRUG_DEBUG_LISTEN", ""), "serve Go's profiler (pprof) on this loopback address; off when empty (env KETENBRUG_DEBUG_LISTEN)")
	return cmd
}

// newHTTPServer sets the timeouts that keep slow or idle clients from
// holding connections.
func newHTTPServer(h http.Handler, t ServerTimeouts, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone serves until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests in flight finish (their audit entries included),
// and returns.
func serveUntilDone(ctx context.Context, sys *System, ln net.Listener, log *slog.Logger) error {
	srv := newHTTPServer(sys.Handler, sys.Config.Timeouts, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveGCPercent is the garbage collector's target while serving, unless
// GOGC is set. The broker's live heap is small (tens of MiB even with a
// million persons: the store is memory-mapped, not on the heap) while
// every request allocates (OPA's evaluator most of all), so at Go's
// default of 100 the collector ran constantly under load: 8 % of the CPU
// in `ketenbrug bench`. At 400 the heap may grow to five times the live
// data before a cycle — still far below the 512 MiB budget — and the
// collector's share drops to a few per cent.
const serveGCPercent = 400

// retentionInterval is how often serve applies the retention periods.
const retentionInterval = time.Hour

// followupSweepInterval is how often serve sweeps the match follow-ups.
// Due dates are days, but a follow-up that ended with its involvements
// should leave the coordinator's list soon after, and a sweep with nothing
// to do reads only the live follow-ups.
const followupSweepInterval = time.Minute

// tuneGC applies serveGCPercent when the operator did not set GOGC.
func tuneGC(log *slog.Logger) {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(serveGCPercent)
	log.Debug("garbage collector target set", "gc_percent", serveGCPercent)
}
