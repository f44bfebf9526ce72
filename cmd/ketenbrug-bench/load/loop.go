package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// Op is an operation of the mix.
type Op int

// The operations of the mix.
const (
	Overview Op = iota // a coordinator reads a household's overview
	Upsert             // a chain partner's connector updates an involvement
	Consent            // a coordinator records a consent
	NumOps
)

// OpNames names the operations, as --mix and the report spell them.
var OpNames = [NumOps]string{"overview", "upsert", "consent"}

// Mix is the share of each operation, in percent (or any weights).
type Mix [NumOps]int

// ParseMix reads "overview=80,upsert=15,consent=5" or, by position,
// "80,15,5".
func ParseMix(s string) (Mix, error) {
	var mix Mix
	total := 0
	for i, p := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			name, val = "", name
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(val), "%"))
		if err != nil || n < 0 {
			return mix, fmt.Errorf("--mix: %q is not a percentage", p)
		}
		idx := i
		if name != "" {
			idx = slices.Index(OpNames[:], strings.TrimSpace(name))
		}
		if idx < 0 || idx >= int(NumOps) {
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

// pick chooses the operation for the random value r.
func (m Mix) pick(r uint64) Op {
	total := 0
	for _, v := range m {
		total += v
	}
	n := int(r % uint64(total))
	for op := range NumOps {
		if n < m[op] {
			return op
		}
		n -= m[op]
	}
	return NumOps - 1
}

// Config is what a run of the loop is told.
type Config struct {
	// Seed makes the request sequence of each client.
	Seed uint64
	// Clients is the number of concurrent partner identities, each in a
	// closed loop.
	Clients int
	// Duration bounds the run; Requests, when above 0, stops it sooner.
	Duration time.Duration
	Requests int
	Mix      Mix
	// VerifyEvery checks the signature of every n-th response of a client
	// (0: never).
	VerifyEvery int
}

// Loop is the closed loop of a run: its clients keep their keep-alive
// connections from the warm-up to the run, until Close.
type Loop struct {
	t       *Target
	c       Config
	http    *http.Client
	clients []*client
	writers []int // chain partners that signed the accepted covenant

	issued atomic.Int64 // requests begun in the measured run
	stopAt atomic.Int64 // unix nanoseconds at which the run ends
}

// New prepares a loop of c.Clients clients against t.
func New(t *Target, c Config) (*Loop, error) {
	if c.Clients < 1 {
		return nil, errors.New("a load needs at least one client")
	}
	l := &Loop{t: t, c: c, http: NewHTTPClient(c.Clients)}
	// Partners that may write: chain partners that signed the accepted
	// covenant (the others are refused, as they should be).
	for i, p := range t.Dataset.ChainPartners() {
		if p.Covenant == dataset.Covenant {
			l.writers = append(l.writers, i)
		}
	}
	if len(l.writers) == 0 {
		return nil, errors.New("the data set has no chain partner that signed the covenant")
	}
	for k := range c.Clients {
		l.clients = append(l.clients, l.newClient(k))
	}
	return l, nil
}

// Close closes the loop's keep-alive connections: the soak test counts
// goroutines after a load, and a broker outlives a run.
func (l *Loop) Close() { l.http.CloseIdleConnections() }

// Warm sends n requests per client, not counted: caches filled,
// connections open.
func (l *Loop) Warm(ctx context.Context, n int) {
	l.stopAt.Store(time.Now().Add(time.Minute).UnixNano())
	l.all(ctx, func(c *client) { c.loop(ctx, n) })
}

// Run runs the measured load for Config.Duration (or Config.Requests) and
// returns its figures.
func (l *Loop) Run(ctx context.Context) *Result {
	l.issued.Store(0)
	begin := time.Now()
	l.stopAt.Store(begin.Add(l.c.Duration).UnixNano())
	l.all(ctx, func(c *client) { c.loop(ctx, 0) })
	return l.result(time.Since(begin))
}

// all runs f for every client at once and waits for them.
func (l *Loop) all(ctx context.Context, f func(*client)) {
	var wg sync.WaitGroup
	for _, c := range l.clients {
		wg.Go(func() { f(c) })
	}
	wg.Wait()
}

// client is one partner identity of the loop: a coordinator of one
// municipality, who also writes as one chain partner's connector.
type client struct {
	l      *Loop
	k      int
	muni   int    // index of its municipality
	writer int    // index of its chain partner
	sub    string // the coordinator's sub
	lat    [NumOps][]time.Duration
	status [NumOps]map[string]int64
	bad    int64 // response signatures that did not verify
}

func (l *Loop) newClient(k int) *client {
	ds := l.t.Dataset
	return &client{l: l, k: k, muni: k % len(ds.Municipalities()), writer: l.writers[k%len(l.writers)],
		sub: "regisseur-bench-" + strconv.Itoa(k)}
}

// loop sends requests until the run ends, or, with warm above 0, sends
// warm requests without counting them.
func (c *client) loop(ctx context.Context, warm int) {
	for n := uint64(0); ctx.Err() == nil; n++ {
		if warm > 0 && int(n) >= warm || warm == 0 && !c.l.more() {
			return
		}
		r := dataset.Uint64(c.l.c.Seed+uint64(c.k)<<32, n)
		op := c.l.c.Mix.pick(r)
		verify := c.l.c.VerifyEvery > 0 && int(n)%c.l.c.VerifyEvery == 0
		begin := time.Now()
		status, sigOK, err := c.l.t.Do(ctx, c.l.http, c.request(op, r), verify)
		if warm > 0 {
			continue
		}
		if err != nil && ctx.Err() != nil {
			return
		}
		c.record(op, time.Since(begin), status, sigOK, err)
	}
}

// more reports whether the measured run goes on, counting the request
// about to begin.
func (l *Loop) more() bool {
	if l.c.Requests > 0 && l.issued.Add(1) > int64(l.c.Requests) {
		return false
	}
	return time.Now().UnixNano() < l.stopAt.Load()
}

// UpsertPath is the path of the loop's involvement upsert of ref; the
// crypto ceiling signs tokens for it too, so that both sign the same
// claims. (The loop signs with its own light client rather than the SDK,
// which checks every response's signature: the loop checks every 50th.)
func UpsertPath(ref string) string { return connectors.InvolvementPath(ref) }

// request builds operation op for the random value r.
func (c *client) request(op Op, r uint64) Request {
	ds := c.l.t.Dataset
	muni := ds.Municipalities()[c.muni]
	switch op {
	case Upsert:
		wp := ds.ChainPartners()[c.writer]
		j, _ := ds.InvolvementOf(c.writer, int(r>>20))
		v := ds.Involvement(j)
		v.Input.Contact.Name = "Medewerker " + strconv.Itoa(int(r>>40%1000)) // a real change
		body, _ := json.Marshal(v.Input)
		return Request{Partner: wp.ID, Sub: "connector", Role: broker.RoleConnector, Method: http.MethodPut,
			Path: UpsertPath(v.Ref), Purpose: dataset.Purpose, Body: body}
	case Consent:
		h, _ := ds.HouseholdOf(c.muni, int(r>>20))
		hh := ds.Household(h)
		mem := hh.Members[int(r>>50)%len(hh.Members)]
		by := broker.GivenBySelf
		if mem.Role == broker.MemberChild {
			by = broker.GivenByParent
		}
		body, _ := json.Marshal(map[string]any{"bsn": mem.BSN, "purpose": dataset.Purpose,
			"sectors": []broker.Sector{broker.SectorYouth, broker.SectorEducation}, "given_by": by,
			"evidence": "bench", "explicit": true, "not_conditional": true})
		return Request{Partner: muni.ID, Sub: c.sub, Role: broker.RoleCoordinator, Method: http.MethodPost,
			Path: connectors.ConsentsPath(), Purpose: dataset.Purpose, Body: body}
	default:
		h, _ := ds.HouseholdOf(c.muni, int(r>>20))
		return Request{Partner: muni.ID, Sub: c.sub, Role: broker.RoleCoordinator, Method: http.MethodGet,
			Path: connectors.HouseholdOverviewPath(dataset.HouseholdID(h)), Purpose: dataset.Purpose}
	}
}

// record counts one request: its latency and its status ("network" for a
// transport error).
func (c *client) record(op Op, d time.Duration, status int, sigOK bool, err error) {
	key := strconv.Itoa(status)
	if err != nil {
		key = "network"
	}
	if !sigOK {
		c.bad++
	}
	c.lat[op] = append(c.lat[op], d)
	if c.status[op] == nil {
		c.status[op] = map[string]int64{}
	}
	c.status[op][key]++
}

// Result holds the figures of a measured run.
type Result struct {
	Elapsed time.Duration
	Ops     [NumOps]*OpStats
	// BadSigs counts response signatures that did not verify.
	BadSigs int64
}

// result merges the clients' counts, and resets them for a next run.
func (l *Loop) result(elapsed time.Duration) *Result {
	res := &Result{Elapsed: elapsed}
	for op := range NumOps {
		var lat []time.Duration
		by := map[string]int64{}
		for _, c := range l.clients {
			lat = append(lat, c.lat[op]...)
			for k, v := range c.status[op] {
				by[k] += v
			}
		}
		res.Ops[op] = NewOpStats(OpNames[op], lat, elapsed)
		res.Ops[op].ByStatus = by
		for k, v := range by {
			if k[0] != '2' {
				res.Ops[op].Errors += v
			}
		}
	}
	for _, c := range l.clients {
		res.BadSigs += c.bad
		c.lat, c.status, c.bad = [NumOps][]time.Duration{}, [NumOps]map[string]int64{}, 0
	}
	return res
}

// OpStats are the figures of one operation: latencies in milliseconds.
type OpStats struct {
	Name               string
	Count              int64
	ByStatus           map[string]int64
	Errors             int64
	RPS                float64
	P50, P95, P99, Max float64
}

// NewOpStats computes the rate and latency quantiles of lat (sorted in
// place) over elapsed.
func NewOpStats(name string, lat []time.Duration, elapsed time.Duration) *OpStats {
	o := &OpStats{Name: name, Count: int64(len(lat)), ByStatus: map[string]int64{}}
	o.RPS = float64(o.Count) / elapsed.Seconds()
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return float64(lat[max(0, min(i, len(lat)-1))]) / 1e6
	}
	o.P50, o.P95, o.P99, o.Max = q(0.50), q(0.95), q(0.99), q(1)
	return o
}
