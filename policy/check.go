package policy

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Entrypoint is the one question the broker asks.
const Entrypoint = "data.ketenbrug.decision"

var entrypointRef = ast.MustParseRef(Entrypoint)

// testTimeout bounds one Rego test, as opa test does by default.
const testTimeout = 5 * time.Second

// refusedBuiltins are built-in functions a policy may not call: they reach
// the network or the process environment, which a policy deciding about
// personal data has no business with (and which would make its decisions
// impossible to replay in a dry-run).
var refusedBuiltins = []string{"http.send", "net.lookup_ip_addr", "opa.runtime"}

var capabilities = func() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(slices.Clone(c.Builtins), func(b *ast.Builtin) bool {
		return slices.Contains(refusedBuiltins, b.Name)
	})
	c.AllowNet = []string{}
	return c
}()

// loaded is a bundle read and compiled for evaluation.
type loaded struct {
	modules  map[string]*ast.Module
	data     map[string]any
	compiler *ast.Compiler
	store    storage.Store
	settings Settings
}

// load reads a tar.gz OPA bundle and compiles it strictly, as Rego v1, for
// evaluation. Errors match broker.ErrInvalid; notes explain them.
func load(ctx context.Context, raw []byte) (*loaded, []string, error) {
	b, err := bundle.NewReader(bytes.NewReader(raw)).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotations(true).
		WithCapabilities(capabilities).
		WithSizeLimitBytes(MaxBundleSize).
		WithSkipBundleVerification(true).
		Read()
	if err != nil {
		return nil, []string{err.Error()}, fmt.Errorf("%w: policy bundle: %v", broker.ErrInvalid, err)
	}
	if rv := b.RegoVersion(ast.RegoV1); rv != ast.RegoV1 {
		return nil, []string{"the bundle must be Rego v1"}, fmt.Errorf("%w: policy bundle: not Rego v1", broker.ErrInvalid)
	}
	if len(b.WasmModules) > 0 {
		return nil, []string{"Wasm modules are not supported"}, fmt.Errorf("%w: policy bundle: Wasm modules", broker.ErrInvalid)
	}
	if len(b.Modules) == 0 {
		return nil, []string{"the bundle has no Rego modules"}, fmt.Errorf("%w: policy bundle: no Rego modules", broker.ErrInvalid)
	}
	l := &loaded{modules: make(map[string]*ast.Module, len(b.Modules)), data: b.Data}
	var notes []string
	for _, mf := range b.Modules {
		if mf.Parsed.RegoVersion() != ast.RegoV1 {
			notes = append(notes, mf.Path+": not Rego v1")
		}
		l.modules[mf.Path] = mf.Parsed
	}
	if len(notes) > 0 {
		return nil, notes, fmt.Errorf("%w: policy bundle: modules not in Rego v1", broker.ErrInvalid)
	}
	if l.data == nil {
		l.data = map[string]any{}
	}
	l.store = inmem.NewFromObjectWithOpts(l.data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	c, err := compile(ctx, l.store, l.modules, false)
	if err != nil {
		return nil, compileNotes(err), err
	}
	l.compiler = c
	if len(c.GetRulesExact(entrypointRef)) == 0 {
		return nil, []string{"the entrypoint " + Entrypoint + " is not defined"},
			fmt.Errorf("%w: policy bundle: no rule %s", broker.ErrInvalid, Entrypoint)
	}
	l.settings = settingsOf(l.data)
	return l, nil, nil
}

// newCompiler returns the strict compiler every bundle is compiled with.
func newCompiler(ctx context.Context, store storage.Store, txn storage.Transaction, forTests bool) *ast.Compiler {
	return ast.NewCompiler().
		WithStrict(true).
		WithDefaultRegoVersion(ast.RegoV1).
		WithCapabilities(capabilities).
		WithEnablePrintStatements(forTests).
		WithPathConflictsCheck(storage.NonEmpty(ctx, store, txn))
}

func compile(ctx context.Context, store storage.Store, modules map[string]*ast.Module, forTests bool) (*ast.Compiler, error) {
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Abort(ctx, txn)
	c := newCompiler(ctx, store, txn, forTests)
	if c.Compile(modules); c.Failed() {
		return nil, fmt.Errorf("%w: policy bundle does not compile: %w", broker.ErrInvalid, c.Errors)
	}
	return c, nil
}

func compileNotes(err error) []string {
	var errs ast.Errors
	if errors.As(err, &errs) {
		notes := make([]string, 0, len(errs))
		for _, e := range errs {
			notes = append(notes, e.Error())
		}
		return notes
	}
	return []string{err.Error()}
}

// prepare prepares the entrypoint query of l, once per version.
func prepare(ctx context.Context, l *loaded) (rego.PreparedEvalQuery, error) {
	return rego.New(
		rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(entrypointRef)))),
		rego.Compiler(l.compiler),
		rego.Store(l.store),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	).PrepareForEval(ctx)
}

// runTests runs the bundle's own tests with OPA's tester, as opa test does.
func runTests(ctx context.Context, l *loaded) (broker.PolicyReport, error) {
	rep := broker.PolicyReport{Tests: []broker.PolicyTest{}}
	store := inmem.NewFromObjectWithOpts(l.data, inmem.OptRoundTripOnWrite(false))
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return rep, err
	}
	defer store.Abort(ctx, txn)
	runner := tester.NewRunner().
		SetCompiler(newCompiler(ctx, store, txn, true)).
		SetStore(store).
		SetModules(l.modules).
		SetDefaultRegoVersion(ast.RegoV1).
		CapturePrintOutput(true).
		SetTimeout(testTimeout)
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		return rep, fmt.Errorf("%w: policy tests do not compile: %w", broker.ErrInvalid, err)
	}
	for r := range ch {
		t := broker.PolicyTest{Package: strings.TrimPrefix(r.Package, "data."), Name: r.Name,
			Pass: r.Pass(), Millis: float64(r.Duration.Microseconds()) / 1000}
		switch {
		case r.Skip:
			continue
		case r.Error != nil:
			rep.Errored++
			t.Error = r.Error.Error()
		case r.Fail:
			rep.Failed++
			t.Error = "failed"
			if r.Location != nil {
				t.Error = "failed: " + r.Location.String()
			}
		default:
			rep.Passed++
		}
		rep.Tests = append(rep.Tests, t)
	}
	slices.SortFunc(rep.Tests, func(a, b broker.PolicyTest) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.Name, b.Name))
	})
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	return rep, nil
}

// check is Check without an engine: load, compile, prepare, run the tests.
func check(ctx context.Context, raw []byte) (*loaded, rego.PreparedEvalQuery, broker.PolicyReport, error) {
	var pq rego.PreparedEvalQuery
	l, notes, err := load(ctx, raw)
	if err != nil {
		return nil, pq, broker.PolicyReport{Tests: []broker.PolicyTest{}, Notes: notes}, err
	}
	if pq, err = prepare(ctx, l); err != nil {
		err = fmt.Errorf("%w: policy bundle: preparing %s: %w", broker.ErrInvalid, Entrypoint, err)
		return nil, pq, broker.PolicyReport{Tests: []broker.PolicyTest{}, Notes: []string{err.Error()}}, err
	}
	rep, err := runTests(ctx, l)
	rep.Notes = append(rep.Notes, annotationNotes(l)...)
	switch {
	case err != nil:
		rep.Notes = append(rep.Notes, err.Error())
		return nil, pq, rep, err
	case len(rep.Tests) == 0:
		rep.Notes = append(rep.Notes, "the bundle has no tests (test_* rules); every rule needs one")
		return nil, pq, rep, fmt.Errorf("%w: policy bundle has no tests", broker.ErrInvalid)
	case rep.Failed > 0 || rep.Errored > 0:
		return nil, pq, rep, fmt.Errorf("%w: policy tests: %d failed, %d errored, %d passed",
			broker.ErrInvalid, rep.Failed, rep.Errored, rep.Passed)
	}
	failures, err := smoke(ctx, pq)
	if err != nil {
		return nil, pq, rep, err
	}
	if len(failures) > 0 {
		slices.Sort(failures)
		rep.Notes = append(rep.Notes, failures...)
		return nil, pq, rep, fmt.Errorf("%w: the policy fails on %d sample inputs (smoke test)", broker.ErrInvalid, len(failures))
	}
	return l, pq, rep, nil
}

// annotationNotes names the rules that deny, or give a purpose's basis,
// without a legal basis (custom.basis) in their METADATA.
func annotationNotes(l *loaded) []string {
	var notes []string
	as := l.compiler.GetAnnotationSet()
	for _, m := range l.compiler.Modules {
		if strings.HasSuffix(m.Package.Path.String(), "_test") {
			continue
		}
		for _, r := range m.Rules {
			head := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				head = r.Head.Reference[0].String()
			}
			if head != "deny" && head != "purpose_basis" {
				continue
			}
			if !hasBasis(as.GetRuleScope(r)) {
				notes = append(notes, fmt.Sprintf("%s: rule %s has no legal basis (METADATA custom.basis)", r.Location, head))
			}
		}
	}
	slices.Sort(notes)
	return notes
}

func hasBasis(as []*ast.Annotations) bool {
	for _, a := range as {
		if b, ok := a.Custom["basis"].(string); ok && b != "" {
			return true
		}
	}
	return false
}

// Settings are policy data the broker reads outside decisions.
type Settings struct {
	// AuditRetentionDays is how long audit entries are kept
	// (data.ketenbrug_config.audit_retention_days); 0 when the bundle
	// does not say.
	AuditRetentionDays int `json:"audit_retention_days"`
	// InvolvementRetentionDays is how long an ended involvement is kept
	// before the broker removes it
	// (data.ketenbrug_config.involvement_retention_days); 0 when the
	// bundle does not say (then nothing is removed).
	InvolvementRetentionDays int `json:"involvement_retention_days"`
	// Covenant is the current covenant version
	// (data.ketenbrug_config.covenant.current); "" when the bundle does not
	// say.
	Covenant string `json:"covenant"`
	// RectificationNoticeDays is how far back the broker looks for the
	// partners that were shown a corrected or ended involvement (AVG
	// art. 19; data.ketenbrug_config.rectification_notice_days); 0 turns
	// the signals off, broker.DefaultRectificationNoticeDays when the
	// bundle does not say.
	RectificationNoticeDays int `json:"rectification_notice_days"`
	// InformResponsible names the partner that informs the person of a
	// registration or a disclosure under a statute purpose (AVG art. 14;
	// data.ketenbrug_config.inform.responsible): broker.InformCoordinator
	// (the default) or broker.InformMunicipality.
	InformResponsible string `json:"inform_responsible"`
}

func settingsOf(data map[string]any) Settings {
	var s Settings
	cfg, _ := data["ketenbrug_config"].(map[string]any)
	s.AuditRetentionDays = days(cfg["audit_retention_days"])
	s.InvolvementRetentionDays = days(cfg["involvement_retention_days"])
	if cov, ok := cfg["covenant"].(map[string]any); ok {
		s.Covenant, _ = cov["current"].(string)
	}
	// The broker reads these two from the description of the active
	// version (broker/notices.go), the same way.
	s.RectificationNoticeDays = broker.DefaultRectificationNoticeDays
	if v, ok := cfg["rectification_notice_days"]; ok {
		s.RectificationNoticeDays = days(v)
	}
	s.InformResponsible = broker.InformCoordinator
	if inf, ok := cfg["inform"].(map[string]any); ok && inf["responsible"] == broker.InformMunicipality {
		s.InformResponsible = broker.InformMunicipality
	}
	return s
}

// Test packs the policy directory dir and checks it as the broker does on
// upload (ketenbrug policy test DIR): it compiles strictly, needs the
// entrypoint, and runs the bundle's tests. The report lists every test;
// the error, matching broker.ErrInvalid, says why a bundle would be
// refused.
func Test(ctx context.Context, dir string) (broker.PolicyReport, error) {
	raw, err := PackDir(dir)
	if err != nil {
		return broker.PolicyReport{Tests: []broker.PolicyTest{}, Notes: []string{err.Error()}}, err
	}
	_, _, rep, err := check(ctx, raw)
	return rep, err
}

// days reads a positive number of days from policy data; 0 otherwise.
func days(v any) int {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil && i > 0 && i < 1<<31 {
			return int(i)
		}
	case float64:
		if n > 0 && n < 1<<31 {
			return int(n)
		}
	case int:
		return max(n, 0)
	}
	return 0
}
