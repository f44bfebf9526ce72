package policy

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A bundle's own tests can pass while the bundle fails on what the broker
// really asks: a rule that errs on an input shape the tests never built, a
// comprehension that takes longer than the deadline on a household of
// real size, a decision document the broker cannot read. So before a
// version is stored, it decides every sample input below — one per kind of
// question the broker asks (overviews at each level, match signals,
// assignments, plans, consents, writes) — within the decision deadline.
// Any error, timeout, undefined or malformed answer refuses the bundle,
// naming the sample; denials are fine (the policy may refuse anything).
// The samples are production data, not test data: samples/golden holds the
// inputs the default bundle's golden tests also decide (their expected
// decisions stay in testdata/golden), samples/extra the questions those do
// not cover.

//go:embed samples/golden/*.input.json samples/extra/*.input.json
var samples embed.FS

// errSmokeTimeout is a sample decided too slowly.
var errSmokeTimeout = errors.New("no decision within the deadline")

// smokeTimeout bounds one sample decision at push time: the production
// deadline, with room for a cold first evaluation.
const smokeTimeout = 4 * DefaultTimeout

// sampleInputs returns the embedded sample inputs by name.
func sampleInputs() (map[string]*broker.DecisionInput, error) {
	files, err := fs.Glob(samples, "samples/*/*.input.json")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*broker.DecisionInput, len(files))
	for _, f := range files {
		raw, err := samples.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var in broker.DecisionInput
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("sample %s: %w", f, err)
		}
		out[strings.TrimSuffix(path.Base(f), ".input.json")] = &in
	}
	return out, nil
}

// smoke decides every sample input with pq and returns a note per sample
// the bundle fails on.
func smoke(ctx context.Context, pq rego.PreparedEvalQuery) ([]string, error) {
	ins, err := sampleInputs()
	if err != nil {
		return nil, err
	}
	var notes []string
	for _, name := range slices.Sorted(maps.Keys(ins)) {
		in := ins[name]
		if err := smokeOne(ctx, pq, in); err != nil {
			notes = append(notes, fmt.Sprintf("the policy fails on the sample input %q (%s): %v", name, in.Action, err))
			if errors.Is(err, errSmokeTimeout) {
				break // one too slow is enough; the rest would take as long
			}
		}
	}
	return notes, nil
}

func smokeOne(ctx context.Context, pq rego.PreparedEvalQuery, in *broker.DecisionInput) error {
	ctx, cancel := context.WithTimeout(ctx, smokeTimeout)
	defer cancel()
	in.Now = time.Now().UTC().Format(time.RFC3339)
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(inputValue(in)))
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("%w (%s)", errSmokeTimeout, smokeTimeout)
	case err != nil:
		return err
	case len(rs) == 0 || len(rs[0].Expressions) == 0:
		return errUndefined
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return errors.New("not a decision document")
	}
	_, err = parseDecision(t, in)
	return err
}
