package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/broker/dataset"
	"github.com/ketenbrug/ketenbrug/broker/httpapi"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// benchConfig is what `ketenbrug bench` is told.
type benchConfig struct {
	persons, households, involvements int
	municipalities                    int
	seed                              uint64
	clients                           int
	duration                          time.Duration
	requests                          int
	mix                               string
	server                            string
	as                                string
	noSeed                            bool
	opa                               string
	peerDuration                      time.Duration
	jsonOut                           bool
	cpuprofile                        string
	verifyEvery                       int
}

func newBenchCommand() *cobra.Command {
	var c benchConfig
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test a broker with a seeded synthetic region and compare it with the crypto ceiling and OPA's REST API",
		Long: `bench seeds a broker with a deterministic synthetic data set (municipalities at levels 1-4,
chain partners of every sector, households, persons with valid BSNs, involvements and consents),
then runs a closed loop of concurrent partner identities against it over loopback HTTP with
keep-alive: every request carries a freshly signed request token, every response is signed by the
broker. By default the broker is its own, in this process, on a temporary data directory; the
data set is written straight into its store (synthetic data: no policy question, no audit entry).
With --server it talks to a running broker instead and seeds it through the API as the operator
named by --as.

In the same run it measures the crypto-only ceiling (requests per second this machine reaches
doing nothing but the three signatures a request needs, on all cores), the same overview decisions
through OPA's own REST API (OPA's server started in this process, or 'opa run --server' from
--opa), and through the broker's embedded engine. Everything listens on 127.0.0.1 only and every
phase is bounded in time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := runBench(cmd.Context(), cmd.ErrOrStderr(), c)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if c.jsonOut {
				res.printTable(cmd.ErrOrStderr())
				b, err := json.Marshal(res.summary())
				if err != nil {
					return err
				}
				fmt.Fprintln(out, string(b))
				return nil
			}
			res.printTable(out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&c.persons, "persons", dataset.DefaultPersons, "persons in the data set")
	fl.IntVar(&c.households, "households", 0, "households (default 30% of persons)")
	fl.IntVar(&c.involvements, "involvements", 0, "involvements (default 3 per person)")
	fl.IntVar(&c.municipalities, "municipalities", dataset.DefaultMunicipalities, "municipalities (levels 1-4 in turn)")
	fl.Uint64Var(&c.seed, "seed", 1, "seed of the data set and of the request mix")
	fl.IntVar(&c.clients, "clients", 64, "concurrent clients (partner identities), each in a closed loop")
	fl.DurationVar(&c.duration, "duration", 10*time.Second, "how long the load runs (at most 10m)")
	fl.IntVar(&c.requests, "requests", 0, "stop after this many requests (0: only --duration bounds the run)")
	fl.StringVar(&c.mix, "mix", "overview=80,upsert=15,consent=5", "operation mix in percent: household overview, involvement upsert, consent record")
	fl.StringVar(&c.server, "server", "", "load a running broker at this URL (loopback only) instead of an in-process one")
	fl.StringVar(&c.as, "as", "", "with --server: the operator's identity file, to register the data set's partners")
	fl.BoolVar(&c.noSeed, "no-seed", false, "with --server: the broker already holds this data set (same sizes and seed)")
	fl.StringVar(&c.opa, "opa", "", "an opa binary for the peer measurement ('opa run --server'); default: OPA's server package in this process")
	fl.DurationVar(&c.peerDuration, "peer-duration", 4*time.Second, "how long each comparison (crypto ceiling, OPA REST, embedded engine) runs")
	fl.BoolVar(&c.jsonOut, "json", false, "print one JSON object as the last line (the table goes to stderr)")
	fl.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the load phase to this file")
	fl.IntVar(&c.verifyEvery, "verify-every", 50, "verify the broker's response signature on every n-th response (0: never)")
	return cmd
}

// The operations of the mix.
const (
	opOverview = iota
	opUpsert
	opConsent
	numOps
)

var opNames = [numOps]string{"overview", "upsert", "consent"}

func parseMix(s string) ([numOps]int, error) {
	var mix [numOps]int
	parts := strings.Split(s, ",")
	total := 0
	for i, p := range parts {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			name, val = "", name
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(val), "%"))
		if err != nil || n < 0 {
			return mix, fmt.Errorf("--mix: %q is not a percentage", p)
		}
		idx := -1
		if name == "" {
			idx = i
		} else {
			idx = slices.Index(opNames[:], strings.TrimSpace(name))
		}
		if idx < 0 || idx >= numOps {
			return mix, fmt.Errorf("--mix: unknown operation in %q (overview, upsert, consent)", p)
		}
		mix[idx] = n
		total += n
	}
	if total == 0 {
		return mix, errors.New("--mix: no operation has a share")
	}
	return mix, nil
}

// benchTarget is the broker under load and what the clients need of it.
type benchTarget struct {
	url      string
	brokerID string
	ds       *dataset.Dataset
	signers  map[string]*protocol.Signer // partner id → signer with the data set's key
	brokerPK ed25519.PublicKey           // to verify responses (nil: not checked)
	// local only
	sys   *System
	dir   string
	stop  func() error
	proc  bool // CPU and memory are this process's
	store string
	// tokenLifetime is the lifetime of the load's request tokens (0: one
	// minute). The broker remembers every jti until its token expires, so
	// the soak test shortens it to reach a steady state sooner.
	tokenLifetime time.Duration
}

// benchResult holds every figure of a run.
type benchResult struct {
	Machine struct {
		CPU        string `json:"cpu"`
		Cores      int    `json:"cores"`
		GoVersion  string `json:"go"`
		GOMAXPROCS int    `json:"gomaxprocs"`
	} `json:"machine"`
	Mode         string        `json:"mode"`
	Persons      int           `json:"persons"`
	Households   int           `json:"households"`
	Involvements int           `json:"involvements"`
	Consents     int           `json:"consents"`
	SeedSeconds  float64       `json:"seed_s"`
	SeedRate     float64       `json:"seed_involvements_per_s"`
	StartupSecs  float64       `json:"startup_s"`
	StoreBytes   int64         `json:"store_bytes"`
	Clients      int           `json:"clients"`
	Elapsed      time.Duration `json:"-"`
	Ops          [numOps]*opStats
	CPUSeconds   float64 `json:"cpu_s"`
	CPUNote      string  `json:"cpu_note"`
	RSSMiB       float64 `json:"rss_mib"`
	RSSStartMiB  float64
	RSSEndMiB    float64
	RSSFileMiB   float64
	RSSAnonMiB   float64
	HeapMiB      float64 `json:"heap_mib"`
	BadSigs      int64   `json:"bad_signatures"`

	CryptoRPS       float64 `json:"crypto_ceiling_rps"`
	OPARPS          float64 `json:"opa_rest_rps"`
	OPAP50, OPAP99  float64
	OPAErrors       int64
	OPAKind         string
	OPAAgree        string
	OPANote         string
	EngineRPS       float64
	EngineP50       float64
	EngineP99       float64
	EngineCPUPerDec float64
	PeerInputs      int
}

type opStats struct {
	name      string
	count     int64
	lat       []time.Duration
	byStatus  map[string]int64
	errors    int64
	rps       float64
	p50, p95  float64
	p99, pmax float64
}

func (o *opStats) finish(elapsed time.Duration) {
	o.rps = float64(o.count) / elapsed.Seconds()
	slices.Sort(o.lat)
	q := func(p float64) float64 {
		if len(o.lat) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(o.lat)))) - 1
		return float64(o.lat[max(0, min(i, len(o.lat)-1))]) / 1e6
	}
	o.p50, o.p95, o.p99, o.pmax = q(0.50), q(0.95), q(0.99), q(1)
}

func runBench(ctx context.Context, progress io.Writer, c benchConfig) (*benchResult, error) {
	mix, err := parseMix(c.mix)
	if err != nil {
		return nil, err
	}
	if c.clients < 1 || c.clients > 4096 {
		return nil, errors.New("--clients must be 1-4096")
	}
	if c.duration <= 0 || c.duration > 10*time.Minute {
		return nil, errors.New("--duration must be between 0 and 10m")
	}
	if c.peerDuration <= 0 || c.peerDuration > 2*time.Minute {
		return nil, errors.New("--peer-duration must be between 0 and 2m")
	}
	ds, err := dataset.New(dataset.Config{Seed: c.seed, Persons: c.persons, Households: c.households,
		Involvements: c.involvements, Municipalities: c.municipalities})
	if err != nil {
		return nil, err
	}
	res := &benchResult{Clients: c.clients, Persons: ds.Persons(), Households: ds.Households(), Involvements: ds.Involvements()}
	res.Machine.CPU, res.Machine.Cores = cpuModel(), runtime.NumCPU()
	res.Machine.GoVersion, res.Machine.GOMAXPROCS = runtime.Version(), runtime.GOMAXPROCS(0)
	say := func(format string, args ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", args...) }

	var t *benchTarget
	if c.server == "" {
		res.Mode = "in-process"
		t, err = localTarget(ctx, ds, res, say)
	} else {
		res.Mode = "server " + c.server
		t, err = remoteTarget(ctx, ds, c, res, say)
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		if t.stop != nil {
			if err := t.stop(); err != nil {
				say("stopping the broker: %v", err)
			}
		}
		if t.dir != "" {
			os.RemoveAll(t.dir)
		}
	}()

	// The load.
	if err := runLoad(ctx, t, c, mix, res, say); err != nil {
		return nil, err
	}

	// The comparisons: crypto ceiling, OPA's REST API, the embedded engine.
	say("measuring the crypto-only ceiling for %s on %d cores", c.peerDuration, runtime.GOMAXPROCS(0))
	if res.CryptoRPS, err = cryptoCeiling(ctx, c.peerDuration); err != nil {
		return nil, err
	}
	inputs, decisions := peerInputs(t)
	res.PeerInputs = len(inputs)
	if len(inputs) == 0 {
		res.OPANote = "no overview decision records to replay (with --server the broker's records are not readable)"
		say("%s", res.OPANote)
		return res, nil
	}
	if err := opaPeer(ctx, c, inputs, decisions, res, say); err != nil {
		res.OPANote = "OPA peer failed: " + err.Error()
		say("%s", res.OPANote)
	}
	if t.sys != nil {
		say("deciding the same %d inputs with the embedded engine for %s", len(inputs), c.peerDuration)
		embeddedPeer(ctx, t.sys, inputs, c, res)
	}
	return res, nil
}

// localTarget seeds a fresh data directory and starts a broker on it in
// this process, listening on a loopback port.
func localTarget(ctx context.Context, ds *dataset.Dataset, res *benchResult, say func(string, ...any)) (*benchTarget, error) {
	dir, err := os.MkdirTemp("", "ketenbrug-bench-*")
	if err != nil {
		return nil, err
	}
	t := &benchTarget{dir: dir, ds: ds, proc: true}
	fail := func(err error) (*benchTarget, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	d, _, err := prepareDataDir(data)
	if err != nil {
		return fail(err)
	}
	pseudonyms, err := broker.NewPseudonymizer(d.secret)
	if err != nil {
		return fail(err)
	}
	t.store = d.file(storeFile)
	store, err := boltstore.Open(t.store, boltstore.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fail(err)
	}
	say("seeding %d persons, %d households, %d involvements straight into %s (synthetic: not audited)",
		ds.Persons(), ds.Households(), ds.Involvements(), t.store)
	st, err := dataset.Load(ctx, store, pseudonyms, ds, dataset.LoadOptions{})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	res.Consents = st.Consents
	res.SeedSeconds = st.Elapsed.Seconds()
	res.SeedRate = float64(st.Involvements) / st.Elapsed.Seconds()
	if fi, err := os.Stat(t.store); err == nil {
		res.StoreBytes = fi.Size()
	}
	say("seeded in %.1fs; store %.1f MiB (%.0f bytes per involvement)", res.SeedSeconds,
		float64(res.StoreBytes)/(1<<20), float64(res.StoreBytes)/float64(max(1, ds.Involvements())))

	// Start-up is what a restart of a broker with this data costs.
	runtime.GC()
	debug.FreeOSMemory()
	start := time.Now()
	log := slog.New(slog.DiscardHandler)
	tuneGC(log) // as serve does
	// No per-partner rate limit: the load tool concentrates its clients on
	// a few partners to measure the broker's capacity, not its limiter.
	sys, err := CreateSystem(ctx, SystemConfig{DataDir: data, ID: "ketenbrug-bench", FourEyes: true,
		PolicyTimeout: time.Second, Logger: log, Limits: httpapi.Limits{PartnerRate: rate.Inf}})
	if err != nil {
		return fail(err)
	}
	res.StartupSecs = time.Since(start).Seconds()
	t.sys = sys
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		sys.Close()
		return fail(err)
	}
	srv := newHTTPServer(sys.Handler, sys.Config.Timeouts, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.url, t.brokerID = "http://"+ln.Addr().String(), sys.Config.ID
	t.stop = func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return errors.Join(err, sys.Close())
	}
	pub, err := d.brokerKey.PublicKey()
	if err == nil {
		var raw ed25519.PublicKey
		if jwk.Export(pub, &raw) == nil {
			t.brokerPK = raw
		}
	}
	say("broker started in %.2fs at %s", res.StartupSecs, t.url)
	if t.signers, err = datasetSigners(ds); err != nil {
		t.stop()
		return fail(err)
	}
	return t, nil
}

// datasetSigners prepares a request signer for every partner of ds.
func datasetSigners(ds *dataset.Dataset) (map[string]*protocol.Signer, error) {
	out := map[string]*protocol.Signer{}
	for _, ps := range [][]dataset.Partner{ds.Municipalities(), ds.ChainPartners()} {
		for _, p := range ps {
			key, err := jwk.Import(p.Key)
			if err != nil {
				return nil, err
			}
			if err := key.Set(jwk.KeyIDKey, p.KeyID); err != nil {
				return nil, err
			}
			if err := key.Set(jwk.AlgorithmKey, jwa.EdDSA()); err != nil {
				return nil, err
			}
			if out[p.ID], err = protocol.NewSigner(key); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// remoteTarget prepares a running broker: it registers the data set's
// partners as the operator and seeds households, involvements (one
// full-caseload sync per partner) and consents through the API.
func remoteTarget(ctx context.Context, ds *dataset.Dataset, c benchConfig, res *benchResult, say func(string, ...any)) (*benchTarget, error) {
	if err := loopbackOnly(c.server); err != nil {
		return nil, err
	}
	t := &benchTarget{url: strings.TrimRight(c.server, "/"), ds: ds}
	var err error
	if t.signers, err = datasetSigners(ds); err != nil {
		return nil, err
	}
	var conf struct {
		ID string `json:"id"`
	}
	if err := getJSON(ctx, t.url+"/.well-known/ketenbrug-configuration", &conf); err != nil {
		return nil, err
	}
	t.brokerID = conf.ID
	if c.noSeed {
		return t, nil
	}
	if c.as == "" {
		return nil, errors.New("--server needs --as (the operator's identity file) to register the data set's partners, or --no-seed")
	}
	op, err := connectors.LoadIdentity(c.as)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	opc, err := connectors.New(connectors.Config{Server: t.url, Identity: op, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	for _, ps := range [][]dataset.Partner{ds.Municipalities(), ds.ChainPartners()} {
		for _, p := range ps {
			req := map[string]any{"id": p.ID, "name": p.Name, "sector": p.Sector, "roles": p.Roles, "level": p.Level,
				"municipalities": p.Municipalities, "covenant": p.Covenant, "jwks": p.JWKS}
			err := opc.JSON(ctx, http.MethodPost, "/v1/partners", "", req, nil)
			var pe *connectors.ProblemError
			if err != nil && !(errors.As(err, &pe) && pe.Status == http.StatusConflict) {
				return nil, fmt.Errorf("registering %s: %w", p.ID, err)
			}
		}
	}
	say("registered %d partners; seeding through the API", len(ds.Municipalities())+len(ds.ChainPartners()))
	cl := newBenchHTTPClient(16)
	// Households, 16 at a time.
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := int(next.Add(1) - 1); h < ds.Households() && firstErr.Load() == nil; h = int(next.Add(1) - 1) {
				hh := ds.Household(h)
				members := make([]broker.MemberInput, len(hh.Members))
				for k, m := range hh.Members {
					members[k] = broker.MemberInput{Label: m.Label, BSN: m.BSN, Role: m.Role, BirthYear: m.BirthYear, Shielded: m.Shielded}
				}
				body, _ := json.Marshal(broker.HouseholdInput{Municipality: hh.Municipality, Area: hh.Area,
					Coordinator: &hh.Coordinator, Members: members})
				st, err := t.send(ctx, cl, t.signers[hh.Municipality], hh.Municipality, "seed", broker.RoleCoordinator,
					http.MethodPut, "/v1/households/"+hh.ID, dataset.Purpose, body)
				if err == nil && st != http.StatusOK {
					err = fmt.Errorf("household %s: status %d", hh.ID, st)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return nil, *p
	}
	// Involvements: one full-caseload sync per partner.
	for pi, p := range ds.ChainPartners() {
		var buf bytes.Buffer
		_, count := ds.InvolvementOf(pi, 0)
		for k := range count {
			j, _ := ds.InvolvementOf(pi, k)
			v := ds.Involvement(j)
			line, _ := json.Marshal(struct {
				Ref string `json:"ref"`
				broker.InvolvementInput
			}{v.Ref, v.Input})
			buf.Write(line)
			buf.WriteByte('\n')
		}
		st, err := t.send(ctx, cl, t.signers[p.ID], p.ID, "connector", broker.RoleConnector,
			http.MethodPost, "/v1/involvements/sync", dataset.Purpose, buf.Bytes())
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("sync of %s: status %d", p.ID, st)
		}
		if err != nil && p.Covenant == dataset.Covenant {
			return nil, err
		}
	}
	// Consents (the live ones), 16 at a time.
	next.Store(0)
	var consents atomic.Int64
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < ds.Persons() && firstErr.Load() == nil; i = int(next.Add(1) - 1) {
				for _, k := range ds.Consents(i) {
					if k.Withdrawn != nil {
						continue
					}
					body, _ := json.Marshal(map[string]any{"bsn": ds.BSN(i), "purpose": k.Purpose, "all": k.AllSectors,
						"sectors": k.Sectors, "given_by": k.GivenBy, "evidence": k.Evidence, "valid_from": k.ValidFrom,
						"valid_until": k.ValidUntil, "explicit": k.Explicit, "not_conditional": k.NotConditional})
					st, err := t.send(ctx, cl, t.signers[k.RecordedBy.Partner], k.RecordedBy.Partner, "consulent",
						broker.RoleCoordinator, http.MethodPost, "/v1/consents", k.Purpose, body)
					if err == nil && st != http.StatusCreated {
						err = fmt.Errorf("consent of person %d: status %d", i, st)
					}
					if err != nil {
						firstErr.CompareAndSwap(nil, &err)
					}
					consents.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return nil, *p
	}
	res.Consents = int(consents.Load())
	res.SeedSeconds = time.Since(start).Seconds()
	res.SeedRate = float64(ds.Involvements()) / res.SeedSeconds
	say("seeded through the API in %.1fs", res.SeedSeconds)
	return t, nil
}

// loopbackOnly refuses a server that is not on this machine: the bench
// sends load only to loopback addresses.
func loopbackOnly(server string) error {
	u := strings.TrimPrefix(strings.TrimPrefix(server, "http://"), "https://")
	host, _, err := net.SplitHostPort(strings.SplitN(u, "/", 2)[0])
	if err != nil {
		return fmt.Errorf("--server %q: %w", server, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--server %q: the bench only loads brokers on a loopback address", server)
	}
	return nil
}

func getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func newBenchHTTPClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = conns*2, conns*2, 0
	tr.DisableCompression = true
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// send signs and sends one request and returns its status; the body is
// read and dropped.
func (t *benchTarget) send(ctx context.Context, cl *http.Client, s *protocol.Signer, partner, sub string, role broker.Role,
	method, path, purpose string, body []byte) (int, error) {
	st, _, _, err := t.do(ctx, cl, s, partner, sub, role, method, path, purpose, body, false)
	return st, err
}

// do sends one request; with verify it checks the response signature and
// reports whether it held.
func (t *benchTarget) do(ctx context.Context, cl *http.Client, s *protocol.Signer, partner, sub string, role broker.Role,
	method, path, purpose string, body []byte, verify bool) (status int, jti string, sigOK bool, err error) {
	now := time.Now()
	claims := protocol.Claims{Issuer: partner, Subject: sub, Audience: t.brokerID, IssuedAt: now,
		Expiry: now.Add(cmp.Or(t.tokenLifetime, time.Minute)), ID: protocol.NewJTI(), Method: method, URI: path, Role: string(role), Purpose: purpose}
	if len(body) > 0 {
		claims.BodyHash = protocol.BodyHash(body)
	}
	tok, err := s.SignRequest(claims)
	if err != nil {
		return 0, "", false, err
	}
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.url+path, rd)
	if err != nil {
		return 0, "", false, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, "", false, err
	}
	var respBody []byte
	if verify {
		respBody, err = io.ReadAll(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	if err != nil {
		return 0, "", false, err
	}
	sigOK = !verify || verifyResponseSig(t.brokerPK, resp.Header.Get(protocol.SignatureHeader), claims.ID, resp.StatusCode, respBody)
	return resp.StatusCode, claims.ID, sigOK, nil
}

// verifyResponseSig checks a Ketenbrug-Signature: an EdDSA JWS by the
// broker's key over the request's jti, the status and the body hash.
func verifyResponseSig(pub ed25519.PublicKey, tok string, jti string, status int, body []byte) bool {
	if pub == nil {
		return true
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := b64url(parts[2])
	if err != nil || !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
		return false
	}
	payload, err := b64url(parts[1])
	if err != nil {
		return false
	}
	var c struct {
		Req    string `json:"req"`
		Status int    `json:"status"`
		BSH    string `json:"bsh"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Req != jti || c.Status != status {
		return false
	}
	return len(body) == 0 || c.BSH == protocol.BodyHash(body)
}

func b64url(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// runLoad runs the closed loop and fills res.Ops, CPU and memory.
func runLoad(ctx context.Context, t *benchTarget, c benchConfig, mix [numOps]int, res *benchResult, say func(string, ...any)) error {
	ds := t.ds
	cl := newBenchHTTPClient(c.clients)
	// The load's keep-alive connections end with it: the soak test counts
	// goroutines after a load, and a broker outlives a bench run.
	defer cl.CloseIdleConnections()
	total := 0
	for _, m := range mix {
		total += m
	}
	// Partners that may write: chain partners that signed the accepted
	// covenant (the others are refused, as they should be).
	var writers []int
	for i, p := range ds.ChainPartners() {
		if p.Covenant == dataset.Covenant {
			writers = append(writers, i)
		}
	}
	type clientState struct {
		lat     [numOps][]time.Duration
		status  [numOps]map[string]int64
		badSigs int64
	}
	states := make([]*clientState, c.clients)
	var issued atomic.Int64
	budget := int64(c.requests)
	var stopAt atomic.Int64
	worker := func(ctx context.Context, k int, st *clientState, warm int) {
		m := k % len(ds.Municipalities())
		muni := ds.Municipalities()[m]
		wp := ds.ChainPartners()[writers[k%len(writers)]]
		wpi := writers[k%len(writers)]
		sub := "regisseur-bench-" + strconv.Itoa(k)
		for n := uint64(0); ; n++ {
			if ctx.Err() != nil {
				return
			}
			if warm == 0 {
				if budget > 0 && issued.Add(1) > budget {
					return
				}
				if time.Now().UnixNano() >= stopAt.Load() {
					return
				}
			} else if int(n) >= warm {
				return
			}
			r := dataset.Uint64(c.seed+uint64(k)<<32, n)
			pick := int(r % uint64(total))
			op := 0
			for op = range numOps {
				if pick < mix[op] {
					break
				}
				pick -= mix[op]
			}
			var (
				status int
				err    error
				sigOK  = true
				verify = c.verifyEvery > 0 && int(n)%c.verifyEvery == 0
				begin  = time.Now()
			)
			switch op {
			case opOverview:
				h, _ := ds.HouseholdOf(m, int(r>>20))
				status, _, sigOK, err = t.do(ctx, cl, t.signers[muni.ID], muni.ID, sub, broker.RoleCoordinator,
					http.MethodGet, "/v1/households/"+dataset.HouseholdID(h)+"/involvements", dataset.Purpose, nil, verify)
			case opUpsert:
				j, _ := ds.InvolvementOf(wpi, int(r>>20))
				v := ds.Involvement(j)
				v.Input.Contact.Name = "Medewerker " + strconv.Itoa(int(r>>40%1000)) // a real change
				body, _ := json.Marshal(v.Input)
				status, _, sigOK, err = t.do(ctx, cl, t.signers[wp.ID], wp.ID, "connector", broker.RoleConnector,
					http.MethodPut, "/v1/involvements/"+v.Ref, dataset.Purpose, body, verify)
			case opConsent:
				h, _ := ds.HouseholdOf(m, int(r>>20))
				hh := ds.Household(h)
				mem := hh.Members[int(r>>50)%len(hh.Members)]
				by := broker.GivenBySelf
				if mem.Role == broker.MemberChild {
					by = broker.GivenByParent
				}
				body, _ := json.Marshal(map[string]any{"bsn": mem.BSN, "purpose": dataset.Purpose,
					"sectors": []broker.Sector{broker.SectorYouth, broker.SectorEducation}, "given_by": by,
					"evidence": "bench", "explicit": true, "not_conditional": true})
				status, _, sigOK, err = t.do(ctx, cl, t.signers[muni.ID], muni.ID, sub, broker.RoleCoordinator,
					http.MethodPost, "/v1/consents", dataset.Purpose, body, verify)
			}
			if warm > 0 {
				continue
			}
			d := time.Since(begin)
			key := strconv.Itoa(status)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				key = "network"
			}
			if !sigOK {
				st.badSigs++
			}
			st.lat[op] = append(st.lat[op], d)
			if st.status[op] == nil {
				st.status[op] = map[string]int64{}
			}
			st.status[op][key]++
		}
	}
	run := func(warm int) {
		var wg sync.WaitGroup
		for k := range c.clients {
			if states[k] == nil {
				states[k] = &clientState{}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				worker(ctx, k, states[k], warm)
			}()
		}
		wg.Wait()
	}
	say("warming up")
	stopAt.Store(time.Now().Add(time.Minute).UnixNano())
	run(4)

	// Reset the peak RSS, so it covers serving and not seeding.
	runtime.GC()
	debug.FreeOSMemory()
	if t.proc {
		// Writing 5 to clear_refs resets VmHWM to the current RSS.
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			say("cannot reset the peak RSS (%v): it includes seeding", err)
		}
		res.RSSStartMiB = float64(procStatusKB("VmRSS")) / 1024
	}
	var stopProf func()
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		stopProf = func() { pprof.StopCPUProfile(); f.Close() }
	}
	cpu0 := processCPU()
	var remoteCPU0 float64
	peakRemote := atomic.Int64{}
	samplerDone := make(chan struct{})
	if !t.proc {
		remoteCPU0, _ = scrapeProcess(ctx, t.url)
		go func() {
			tk := time.NewTicker(250 * time.Millisecond)
			defer tk.Stop()
			for {
				select {
				case <-samplerDone:
					return
				case <-tk.C:
					if _, rss := scrapeProcess(ctx, t.url); int64(rss) > peakRemote.Load() {
						peakRemote.Store(int64(rss))
					}
				}
			}
		}()
	}
	say("running %d clients for %s (mix %s)", c.clients, c.duration, c.mix)
	begin := time.Now()
	stopAt.Store(begin.Add(c.duration).UnixNano())
	run(0)
	res.Elapsed = time.Since(begin)
	if stopProf != nil {
		stopProf()
	}
	if t.proc {
		res.CPUSeconds = processCPU() - cpu0
		res.CPUNote = "process CPU: the broker and the load clients (signing, HTTP client) share this process"
		res.RSSMiB = float64(procStatusKB("VmHWM")) / 1024
		res.RSSEndMiB = float64(procStatusKB("VmRSS")) / 1024
		res.RSSFileMiB = float64(procStatusKB("RssFile")) / 1024
		res.RSSAnonMiB = float64(procStatusKB("RssAnon")) / 1024
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		res.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
	} else {
		close(samplerDone)
		cpu1, rss := scrapeProcess(ctx, t.url)
		res.CPUSeconds = cpu1 - remoteCPU0
		res.CPUNote = "the broker's process_cpu_seconds_total from /metrics"
		res.RSSMiB = float64(max(int64(rss), peakRemote.Load())) / (1 << 20)
	}
	for op := range numOps {
		o := &opStats{name: opNames[op], byStatus: map[string]int64{}}
		for _, st := range states {
			o.lat = append(o.lat, st.lat[op]...)
			for k, v := range st.status[op] {
				o.byStatus[k] += v
				if k[0] != '2' {
					o.errors += v
				}
			}
		}
		o.count = int64(len(o.lat))
		o.finish(res.Elapsed)
		res.Ops[op] = o
	}
	for _, st := range states {
		res.BadSigs += st.badSigs
	}
	return nil
}

// processCPU returns this process's user and system CPU seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// procStatusKB reads a kB field of /proc/self/status (0 where there is
// none).
func procStatusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// scrapeProcess reads process_cpu_seconds_total and
// process_resident_memory_bytes from a broker's /metrics.
func scrapeProcess(ctx context.Context, url string) (cpu, rss float64) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	if err != nil {
		return 0, 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "process_cpu_seconds_total "); ok {
			cpu, _ = strconv.ParseFloat(v, 64)
		}
		if v, ok := strings.CutPrefix(line, "process_resident_memory_bytes "); ok {
			rss, _ = strconv.ParseFloat(v, 64)
		}
	}
	return cpu, rss
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

// cryptoCeiling measures requests per second on all cores doing only the
// signatures one request needs: the client signs its request token, the
// broker verifies it (with the replay cache) and signs its response.
func cryptoCeiling(ctx context.Context, d time.Duration) (float64, error) {
	ck, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		return 0, err
	}
	bk, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		return 0, err
	}
	client, err := protocol.NewSigner(ck)
	if err != nil {
		return 0, err
	}
	brokerSigner, err := protocol.NewSigner(bk)
	if err != nil {
		return 0, err
	}
	pub, err := ck.PublicKey()
	if err != nil {
		return 0, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return 0, err
	}
	ks, err := protocol.NewKeySet(set)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	v, err := protocol.NewVerifier(protocol.VerifierConfig{Audience: "ketenbrug-bench", Keys: protocol.StaticKeys{"p": ks}, Replay: protocol.NewMemoryReplayCache(),
		NotBefore: start.Add(-time.Minute)})
	if err != nil {
		return 0, err
	}
	body := []byte(`{"bsn":"123456782","service":"x"}`)
	var n atomic.Int64
	var firstErr atomic.Pointer[error]
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				now := time.Now()
				claims := protocol.Claims{Issuer: "p", Subject: "s", Audience: "ketenbrug-bench", IssuedAt: now,
					Expiry: now.Add(time.Minute), ID: protocol.NewJTI(), Method: http.MethodPut, URI: "/v1/involvements/x",
					Role: "connector", BodyHash: protocol.BodyHash(body)}
				tok, err := client.SignRequest(claims)
				if err == nil {
					_, err = v.Verify(ctx, tok, protocol.Request{Method: http.MethodPut, URI: "/v1/involvements/x",
						HasBody: true, BodyHash: protocol.BodyHash(body)})
				}
				if err == nil {
					_, err = brokerSigner.SignResponse(protocol.ResponseClaims{Issuer: "ketenbrug-bench", Audience: "p",
						IssuedAt: now, Request: claims.ID, Status: 200, BodyHash: protocol.BodyHash(body)})
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return 0, *p
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// peerInputs returns the input documents of the overview decisions the
// broker made during the load (its decision records), with its answers.
func peerInputs(t *benchTarget) ([]*broker.DecisionInput, []broker.Decision) {
	if t.sys == nil {
		return nil, nil
	}
	var recs []broker.DecisionRecord
	_ = t.sys.Store.View(func(tx broker.ReadTx) error {
		var err error
		recs, err = tx.RecentDecisions(2000)
		return err
	})
	var ins []*broker.DecisionInput
	var ds []broker.Decision
	for _, r := range recs {
		if r.Input != nil && r.Input.Action == broker.ActionHouseholdOverview {
			ins = append(ins, r.Input)
			ds = append(ds, r.Decision)
		}
	}
	return ins, ds
}

// embeddedPeer decides inputs through the broker's own engine, in
// process, at the bench's concurrency.
func embeddedPeer(ctx context.Context, sys *System, inputs []*broker.DecisionInput, c benchConfig, res *benchResult) {
	lat := make([][]time.Duration, c.clients)
	deadline := time.Now().Add(c.peerDuration)
	cpu0 := processCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for k := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				in := *inputs[i%len(inputs)]
				t0 := time.Now()
				_, _ = sys.Policy.Decide(ctx, &in)
				lat[k] = append(lat[k], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	o := &opStats{lat: all, count: int64(len(all))}
	o.finish(elapsed)
	res.EngineRPS, res.EngineP50, res.EngineP99 = o.rps, o.p50, o.p99
	if len(all) > 0 {
		res.EngineCPUPerDec = (processCPU() - cpu0) / float64(len(all)) * 1e6
	}
}

// summary is the JSON line: the figures the issue names, and the rest.
func (r *benchResult) summary() map[string]any {
	ov := r.Ops[opOverview]
	errs := int64(0)
	byStatus := map[string]map[string]int64{}
	ops := map[string]any{}
	for _, o := range r.Ops {
		errs += o.errors
		byStatus[o.name] = o.byStatus
		ops[o.name] = map[string]any{"requests": o.count, "rps": round(o.rps, 1), "p50_ms": round(o.p50, 3),
			"p95_ms": round(o.p95, 3), "p99_ms": round(o.p99, 3), "max_ms": round(o.pmax, 3), "errors": o.errors,
			"status": o.byStatus}
	}
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return round(a/b, 3)
	}
	return map[string]any{
		"overview_rps": round(ov.rps, 1), "overview_p50_ms": round(ov.p50, 3), "overview_p95_ms": round(ov.p95, 3),
		"overview_p99_ms": round(ov.p99, 3), "overview_max_ms": round(ov.pmax, 3),
		"errors": errs + r.BadSigs, "errors_by_status": byStatus, "bad_signatures": r.BadSigs,
		"crypto_ceiling_rps": round(r.CryptoRPS, 1), "ceiling_ratio": ratio(ov.rps, r.CryptoRPS),
		"opa_rest_rps": round(r.OPARPS, 1), "opa_rest_p50_ms": round(r.OPAP50, 3), "opa_rest_p99_ms": round(r.OPAP99, 3),
		"opa_rest_errors": r.OPAErrors, "opa_peer": r.OPAKind, "opa_agreement": r.OPAAgree, "opa_note": r.OPANote,
		"peer_ratio":   ratio(ov.rps, r.OPARPS),
		"embedded_rps": round(r.EngineRPS, 1), "embedded_p50_ms": round(r.EngineP50, 3), "embedded_p99_ms": round(r.EngineP99, 3),
		"embedded_cpu_us_per_decision": round(r.EngineCPUPerDec, 1), "peer_inputs": r.PeerInputs,
		"cpu_s": round(r.CPUSeconds, 2), "cpu_note": r.CPUNote, "rss_mib": round(r.RSSMiB, 1), "heap_mib": round(r.HeapMiB, 1),
		"rss_before_load_mib": round(r.RSSStartMiB, 1), "rss_end_mib": round(r.RSSEndMiB, 1),
		"rss_file_mib": round(r.RSSFileMiB, 1), "rss_anon_mib": round(r.RSSAnonMiB, 1),
		"startup_s": round(r.StartupSecs, 3), "seed_s": round(r.SeedSeconds, 2),
		"seed_involvements_per_s": round(r.SeedRate, 0), "store_bytes": r.StoreBytes,
		"store_bytes_per_involvement": ratio(float64(r.StoreBytes), float64(r.Involvements)),
		"persons":                     r.Persons, "households": r.Households, "involvements": r.Involvements, "consents": r.Consents,
		"clients": r.Clients, "duration_s": round(r.Elapsed.Seconds(), 2), "mode": r.Mode, "ops": ops,
		"machine": r.Machine,
	}
}

func round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

func (r *benchResult) printTable(w io.Writer) {
	fmt.Fprintf(w, "\nKetenbrug bench — %s, %d persons, %d households, %d involvements; %d clients for %.1fs\n",
		r.Mode, r.Persons, r.Households, r.Involvements, r.Clients, r.Elapsed.Seconds())
	fmt.Fprintf(w, "machine: %s, %d cores, %s\n\n", r.Machine.CPU, r.Machine.Cores, r.Machine.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\tstatuses\t")
	for _, o := range r.Ops {
		var st []string
		for k, v := range o.byStatus {
			st = append(st, fmt.Sprintf("%s:%d", k, v))
		}
		sort.Strings(st)
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%s\t\n", o.name, o.count, o.rps, o.p50, o.p95, o.p99, o.pmax,
			o.errors, strings.Join(st, " "))
	}
	tw.Flush()
	ov := r.Ops[opOverview].rps
	fmt.Fprintf(w, "\nbroker: %.1f CPU s over the run (%s)\n", r.CPUSeconds, r.CPUNote)
	fmt.Fprintf(w, "memory: peak RSS while loaded %.0f MiB (%.0f MiB before the load; at the end %.0f MiB: %.0f MiB anonymous, %.0f MiB file-backed: the binary and the mmapped store, page cache); Go heap in use %.0f MiB; start-up %.2fs\n",
		r.RSSMiB, r.RSSStartMiB, r.RSSEndMiB, r.RSSAnonMiB, r.RSSFileMiB, r.HeapMiB, r.StartupSecs)
	if r.SeedSeconds > 0 {
		fmt.Fprintf(w, "seeding: %.1fs (%.0f involvements/s), store %.1f MiB = %.0f bytes per involvement\n",
			r.SeedSeconds, r.SeedRate, float64(r.StoreBytes)/(1<<20), float64(r.StoreBytes)/float64(max(1, r.Involvements)))
	}
	if r.BadSigs > 0 {
		fmt.Fprintf(w, "RESPONSE SIGNATURES THAT DID NOT VERIFY: %d\n", r.BadSigs)
	}
	fmt.Fprintf(w, "crypto-only ceiling: %.0f req/s (client sign + broker verify + response sign, all cores); overview ÷ ceiling = %.3f\n",
		r.CryptoRPS, ov/max(r.CryptoRPS, 1e-9))
	if r.OPARPS > 0 {
		fmt.Fprintf(w, "OPA REST (%s), same bundle and %d recorded inputs: %.0f decisions/s, p50 %.2f ms, p99 %.2f ms, %d errors; agreement %s; overview ÷ OPA = %.3f\n",
			r.OPAKind, r.PeerInputs, r.OPARPS, r.OPAP50, r.OPAP99, r.OPAErrors, r.OPAAgree, ov/r.OPARPS)
	}
	if r.OPANote != "" {
		fmt.Fprintf(w, "OPA: %s\n", r.OPANote)
	}
	if r.EngineRPS > 0 {
		fmt.Fprintf(w, "embedded engine, same inputs in process: %.0f decisions/s, p50 %.3f ms, p99 %.3f ms, %.0f µs CPU per decision\n",
			r.EngineRPS, r.EngineP50, r.EngineP99, r.EngineCPUPerDec)
	}
}
