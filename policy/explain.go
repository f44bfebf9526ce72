package policy

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/lineage"

	"github.com/ketenbrug/ketenbrug/broker"
)

// explainTimeout bounds an explained decision: tracing is slow, and a
// what-if question is not on the hot path.
const explainTimeout = 5 * time.Second

// maxTraceLines bounds Explanation.Trace.
const maxTraceLines = 200

// Explanation tells why a version decided as it did, for the what-if CLI
// (ketenbrug policy explain).
type Explanation struct {
	// Version is the policy version that decided.
	Version string `json:"version"`
	// Rules are the documented rules (those with a METADATA title) that
	// held, in the order they first held: the denials with their legal
	// basis, the grants and the purposes' bases.
	Rules []ExplainedRule `json:"rules"`
	// Trace is a condensed OPA trace: the policy's rules that held, with
	// their locations, at most 200 lines.
	Trace string `json:"trace"`
	// Notes are the messages the policy emitted with trace(), with the
	// path of rules that led to them.
	Notes string `json:"notes,omitempty"`
}

// ExplainedRule is one documented rule that held.
type ExplainedRule struct {
	Rule     string `json:"rule"` // e.g. data.ketenbrug.deny
	Title    string `json:"title"`
	Basis    string `json:"basis,omitempty"`
	Location string `json:"location"`
}

// String renders the explanation for a terminal.
func (x Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy version %s\n", x.Version)
	if len(x.Rules) > 0 {
		b.WriteString("rules that held:\n")
		for _, r := range x.Rules {
			fmt.Fprintf(&b, "  %-28s %s", r.Location, r.Title)
			if r.Basis != "" {
				fmt.Fprintf(&b, " [%s]", r.Basis)
			}
			b.WriteByte('\n')
		}
	}
	if x.Notes != "" {
		b.WriteString("notes:\n")
		b.WriteString(x.Notes)
	}
	if x.Trace != "" {
		b.WriteString("trace:\n")
		b.WriteString(x.Trace)
	}
	return b.String()
}

// Explain answers a policy question under version id (the active version
// when id is ""), like DecideWith, and explains the answer. It fails closed
// like Decide; the explanation is as complete as the evaluation got.
func (e *Engine) Explain(ctx context.Context, id string, bundle []byte, in *broker.DecisionInput) (broker.Decision, Explanation, error) {
	v := e.active.Load()
	if id != "" && id != v.id {
		var err error
		if v, err = e.version(id, bundle); err != nil {
			d, err := e.fail(ctx, id, in, err)
			return d, Explanation{Version: id, Rules: []ExplainedRule{}}, err
		}
	}
	x := Explanation{Version: v.id, Rules: []ExplainedRule{}}
	if in == nil {
		d, err := e.fail(ctx, v.id, in, fmt.Errorf("no input document"))
		return d, x, err
	}
	buf := topdown.NewBufferTracer()
	rs, evalErr := e.eval(ctx, v, in, explainTimeout, rego.EvalQueryTracer(buf))
	x.Rules, x.Trace = explainRules(v.compiler, *buf)
	if notes := lineage.Notes(*buf); len(notes) > 0 {
		var nb bytes.Buffer
		topdown.PrettyTraceWithLocation(&nb, notes)
		x.Notes = nb.String()
	}
	if evalErr != nil {
		d, err := e.fail(ctx, v.id, in, evalErr)
		return d, x, err
	}
	d, err := e.result(ctx, v, in, rs)
	return d, x, err
}

// explainRules lists the documented rules that held and renders the
// condensed trace of all rules that held.
func explainRules(c *ast.Compiler, trace []*topdown.Event) ([]ExplainedRule, string) {
	as := c.GetAnnotationSet()
	rules := []ExplainedRule{}
	seen := map[string]bool{}
	var exits []*topdown.Event
	for _, ev := range trace {
		if ev.Op != topdown.ExitOp || !ev.HasRule() {
			continue
		}
		r, ok := ev.Node.(*ast.Rule)
		if !ok || r.Module == nil || strings.HasSuffix(r.Module.Package.Path.String(), "_test") {
			continue
		}
		exits = append(exits, ev)
		loc := r.Location.String()
		if seen[loc] {
			continue
		}
		seen[loc] = true
		for _, a := range as.GetRuleScope(r) {
			if a.Title == "" {
				continue
			}
			er := ExplainedRule{Rule: r.Module.Package.Path.String() + "." + r.Head.Ref().String(),
				Title: a.Title, Location: loc}
			er.Basis, _ = a.Custom["basis"].(string)
			rules = append(rules, er)
			break
		}
	}
	var tb bytes.Buffer
	topdown.PrettyTraceWithLocation(&tb, exits)
	lines := strings.SplitAfter(tb.String(), "\n")
	if len(lines) > maxTraceLines {
		more := len(lines) - maxTraceLines
		lines = append(lines[:maxTraceLines], fmt.Sprintf("... %d more lines\n", more))
	}
	return rules, strings.Join(lines, "")
}

// ExplainText is Explain with the explanation as text, for the broker's
// what-if endpoint.
func (e *Engine) ExplainText(ctx context.Context, id string, bundle []byte, in *broker.DecisionInput) (broker.Decision, string, error) {
	d, x, err := e.Explain(ctx, id, bundle, in)
	return d, x.String(), err
}
