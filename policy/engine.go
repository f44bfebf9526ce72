package policy

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Defaults of Config.
const (
	DefaultTimeout   = 100 * time.Millisecond
	DefaultCacheSize = 16
	// prepareTimeout bounds compiling and preparing one version; it does not
	// depend on the caller's deadline, so that a short request never leaves
	// a half-prepared version in the cache.
	prepareTimeout = time.Minute
)

// Config configures an Engine.
type Config struct {
	// Logger receives policy failures and activations; never input
	// documents. Default slog.Default().
	Logger *slog.Logger
	// Timeout bounds one decision; a decision that takes longer denies
	// with policy_error. Default DefaultTimeout.
	Timeout time.Duration
	// Default is the default policy bundle as a file system (rego.Bundle):
	// it is packed, compiled, tested and made active by New. Required.
	Default fs.FS
	// CacheSize bounds the number of versions kept prepared (the active
	// one is always kept). Default DefaultCacheSize.
	CacheSize int
	// Workers bounds the evaluations that run at once (the rest queue);
	// see workers.go. Default twice GOMAXPROCS, at least 4.
	Workers int
}

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Default == nil {
		errs = append(errs, errors.New("policy: Default (the default bundle) is required"))
	}
	switch {
	case c.Timeout < 0 || c.Timeout > time.Minute:
		errs = append(errs, errors.New("policy: Timeout must be between 0 (default) and one minute"))
	case c.Timeout == 0:
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.CacheSize < 0:
		errs = append(errs, errors.New("policy: CacheSize must not be negative"))
	case c.CacheSize == 0:
		c.CacheSize = DefaultCacheSize
	}
	if c.Workers < 0 {
		errs = append(errs, errors.New("policy: Workers must not be negative"))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return errors.Join(errs...)
}

// Engine is the OPA engine behind broker.PolicyEngine. It keeps each
// version's query prepared (compiled once, evaluated many times), swaps the
// active version atomically, and fails closed: any error, timeout, undefined
// or malformed answer is a denial with reason policy_error plus an error
// matching broker.ErrPolicy. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	active atomic.Pointer[version]

	builtinBundle []byte
	builtinReport broker.PolicyReport

	mu    sync.Mutex
	cache map[string]*entry
	lru   list.List // of *entry, most recently used first

	// workers evaluate; see workers.go.
	workers *workers
}

var _ broker.PolicyEngine = (*Engine)(nil)

// version is one prepared policy version.
type version struct {
	id       string
	pq       rego.PreparedEvalQuery
	compiler *ast.Compiler
	settings Settings
	// description is what the register of processing is made of.
	description broker.PolicyDescription
	// opts are the evaluation options every decision under this version
	// shares: one read transaction on the version's store (which is never
	// written, so it is safe to share) and no metrics.
	opts []rego.EvalOption
}

func newVersion(ctx context.Context, id string, l *loaded, pq rego.PreparedEvalQuery) (*version, error) {
	txn, err := l.store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	desc, err := describe(ctx, id, l)
	if err != nil {
		return nil, err
	}
	return &version{id: id, pq: pq, compiler: l.compiler, settings: l.settings, description: desc,
		opts: []rego.EvalOption{rego.EvalTransaction(txn), rego.EvalMetrics(metrics.NoOp())}}, nil
}

// entry is a cache slot; done is closed when v or err is set.
type entry struct {
	id   string
	done chan struct{}
	v    *version
	err  error
	elem *list.Element
}

// New checks the default bundle (compiles it strictly and runs its tests)
// and makes it the active version.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	raw, err := Pack(cfg.Default)
	if err != nil {
		return nil, fmt.Errorf("policy: default bundle: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	defer cancel()
	l, pq, rep, err := check(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("policy: default bundle: %w (notes: %v)", err, rep.Notes)
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, cache: map[string]*entry{}, builtinBundle: raw, builtinReport: rep,
		workers: newWorkers(cfg.Workers)}
	v, err := newVersion(ctx, broker.PolicyID(raw), l, pq)
	if err != nil {
		return nil, err
	}
	e.put(v)
	e.active.Store(v)
	e.log.Info("policy: default bundle active", "version", short(v.id), "tests", rep.Passed)
	return e, nil
}

// Builtin returns the default bundle as packed (tar.gz), its version id and
// its test report, so that the broker can record it as the first version.
func (e *Engine) Builtin() (id string, bundle []byte, report broker.PolicyReport) {
	return broker.PolicyID(e.builtinBundle), slices.Clone(e.builtinBundle), e.builtinReport
}

// Active returns the active version's id.
func (e *Engine) Active() string { return e.active.Load().id }

// Settings returns the policy data the broker reads outside decisions, from
// the active version.
func (e *Engine) Settings() Settings { return e.active.Load().settings }

// Decide answers a policy question under the active version.
func (e *Engine) Decide(ctx context.Context, in *broker.DecisionInput) (broker.Decision, error) {
	return e.decide(ctx, e.active.Load(), in)
}

// DecideWith answers a policy question under the given version without
// activating it (dry-runs, explanations). The version is prepared once and
// kept in a bounded cache; version must be the id of bundle.
func (e *Engine) DecideWith(ctx context.Context, id string, bundle []byte, in *broker.DecisionInput) (broker.Decision, error) {
	v, err := e.version(id, bundle)
	if err != nil {
		return e.fail(ctx, id, in, err)
	}
	return e.decide(ctx, v, in)
}

// Activate makes version id (with its bundle) the one Decide uses. Requests
// under way finish under the version they started with; none is dropped.
// The bundle is compiled and prepared before the swap, so a version that
// cannot run never becomes active.
func (e *Engine) Activate(_ context.Context, id string, bundle []byte) error {
	v, err := e.version(id, bundle)
	if err != nil {
		return err
	}
	if old := e.active.Swap(v); old != v {
		e.log.Info("policy: version activated", "version", short(id), "previous", short(old.id))
	}
	return nil
}

// Check compiles a bundle strictly (Rego v1), requires the entrypoint
// data.ketenbrug.decision, and runs the bundle's own tests. A bundle that
// does not compile, has no tests, or fails or errors in one is refused with
// an error matching broker.ErrInvalid; the report says why. A bundle that
// passes stays prepared, so approving or dry-running it needs no second
// compilation.
func (e *Engine) Check(ctx context.Context, bundle []byte) (broker.PolicyReport, error) {
	l, pq, rep, err := check(ctx, bundle)
	if err != nil {
		return rep, err
	}
	v, err := newVersion(ctx, broker.PolicyID(bundle), l, pq)
	if err != nil {
		return rep, err
	}
	e.put(v)
	return rep, nil
}

// decide evaluates in under v, failing closed.
func (e *Engine) decide(ctx context.Context, v *version, in *broker.DecisionInput) (broker.Decision, error) {
	if in == nil {
		return e.fail(ctx, v.id, in, errors.New("no input document"))
	}
	rs, err := e.eval(ctx, v, in, e.cfg.Timeout)
	if err != nil {
		return e.fail(ctx, v.id, in, err)
	}
	return e.result(ctx, v, in, rs)
}

// eval evaluates in under v within limit (and ctx). Cancellation is handed
// to OPA directly (a timer and a context callback), which is cheaper than
// a context with a deadline: OPA would start a goroutine per evaluation to
// watch it.
func (e *Engine) eval(ctx context.Context, v *version, in *broker.DecisionInput, limit time.Duration, extra ...rego.EvalOption) (rego.ResultSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := topdown.NewCancel()
	if ctx.Done() != nil {
		defer context.AfterFunc(ctx, c.Cancel)()
	}
	opts := make([]rego.EvalOption, 0, len(v.opts)+2+len(extra))
	opts = append(opts, v.opts...)
	opts = append(opts, rego.EvalParsedInput(inputValue(in)), rego.EvalExternalCancel(c))
	opts = append(opts, extra...)
	var rs rego.ResultSet
	var err error
	// The limit counts from when a worker starts, not from the queue: it
	// bounds the policy's own cost. Waiting is bounded by ctx.
	werr := e.workers.do(ctx, func() {
		timer := time.AfterFunc(limit, c.Cancel)
		defer timer.Stop()
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("policy evaluation panicked: %v", p)
			}
		}()
		rs, err = v.pq.Eval(ctx, opts...)
	})
	if werr != nil {
		return nil, fmt.Errorf("waiting for a policy worker: %w", werr)
	}
	if err != nil && c.Cancelled() {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%w: %w", cerr, err)
		}
		return nil, fmt.Errorf("%w (limit %s): %w", context.DeadlineExceeded, limit, err)
	}
	return rs, err
}

func (e *Engine) result(ctx context.Context, v *version, in *broker.DecisionInput, rs rego.ResultSet) (broker.Decision, error) {
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return e.fail(ctx, v.id, in, errUndefined)
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return e.fail(ctx, v.id, in, fmt.Errorf("unexpected result type %T", rs[0].Expressions[0].Value))
	}
	d, err := parseDecision(t, in)
	if err != nil {
		return e.fail(ctx, v.id, in, err)
	}
	d.Version = v.id
	return d, nil
}

// fail returns the fail-closed denial and the error for the caller's log,
// and logs it here too.
func (e *Engine) fail(ctx context.Context, id string, in *broker.DecisionInput, cause error) (broker.Decision, error) {
	action := ""
	if in != nil {
		action = in.Action
	}
	e.log.LogAttrs(ctx, slog.LevelError, "policy: decision failed; denying",
		slog.String("version", short(id)), slog.String("action", action), slog.Any("error", cause))
	return broker.Decision{Allow: false, Reasons: []string{broker.ReasonPolicyError}, Bases: []string{}, Version: id},
		fmt.Errorf("%w: version %s: %w", broker.ErrPolicy, short(id), cause)
}

// version returns the prepared version id, preparing bundle on a miss.
// Concurrent callers for the same id wait for one preparation.
func (e *Engine) version(id string, bundle []byte) (*version, error) {
	if v := e.active.Load(); v != nil && v.id == id {
		return v, nil
	}
	e.mu.Lock()
	ent, ok := e.cache[id]
	if ok {
		e.lru.MoveToFront(ent.elem)
		e.mu.Unlock()
		<-ent.done
		return ent.v, ent.err
	}
	e.mu.Unlock()

	if id == "" || broker.PolicyID(bundle) != id {
		return nil, fmt.Errorf("%w: policy version %q is not the hash of its bundle", broker.ErrInvalid, short(id))
	}

	e.mu.Lock()
	if ent, ok := e.cache[id]; ok { // prepared meanwhile
		e.mu.Unlock()
		<-ent.done
		return ent.v, ent.err
	}
	ent = &entry{id: id, done: make(chan struct{})}
	e.insertLocked(ent)
	e.mu.Unlock()

	ent.v, ent.err = build(id, bundle)
	close(ent.done)
	if ent.err != nil {
		e.log.Warn("policy: version does not compile", "version", short(id), "error", ent.err)
	}
	return ent.v, ent.err
}

// build compiles and prepares a bundle without running its tests (Check
// ran them when the version was uploaded).
func build(id string, bundle []byte) (*version, error) {
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	defer cancel()
	l, _, err := load(ctx, bundle)
	if err != nil {
		return nil, err
	}
	pq, err := prepare(ctx, l)
	if err != nil {
		return nil, fmt.Errorf("%w: policy bundle: preparing %s: %w", broker.ErrInvalid, Entrypoint, err)
	}
	return newVersion(ctx, id, l, pq)
}

// put caches a prepared version.
func (e *Engine) put(v *version) {
	ent := &entry{id: v.id, done: make(chan struct{}), v: v}
	close(ent.done)
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.cache[v.id]; ok {
		e.lru.Remove(old.elem)
	}
	e.insertLocked(ent)
}

func (e *Engine) insertLocked(ent *entry) {
	e.cache[ent.id] = ent
	ent.elem = e.lru.PushFront(ent)
	for e.lru.Len() > e.cfg.CacheSize {
		old := e.lru.Back().Value.(*entry)
		e.lru.Remove(old.elem)
		delete(e.cache, old.id)
	}
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// RetentionDays returns the active version's retention periods in days
// (broker.RetentionPeriods): audit entries and ended involvements.
func (e *Engine) RetentionDays() (audit, involvements int) {
	s := e.Settings()
	return s.AuditRetentionDays, s.InvolvementRetentionDays
}
