package policy

import (
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ketenbrug/ketenbrug/broker"
)

var (
	rAllow   = ast.StringTerm("allow")
	rReasons = ast.StringTerm("reasons")
	rBases   = ast.StringTerm("bases")
	rShow    = ast.StringTerm("show")
)

// errUndefined means the entrypoint produced no value for this input.
var errUndefined = errors.New("decision undefined")

// parseDecision reads the decision document the policy produced, checking
// its shape strictly: allow a boolean; reasons an array (or set) of
// non-empty strings, at least one when allow is false (an allow may carry
// reasons too: they are passed on, and the broker ignores them); bases, when
// present, an array (or set) of non-empty strings; show, when present, an
// object from candidate ids of the input to arrays (or sets) of field names.
// Other keys are ignored. A denial never shows anything.
func parseDecision(t *ast.Term, in *broker.DecisionInput) (broker.Decision, error) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return broker.Decision{}, fmt.Errorf("decision has type %s, want object", ast.ValueName(t.Value))
	}
	var d broker.Decision
	allow := obj.Get(rAllow)
	if allow == nil {
		return d, errors.New("decision has no allow")
	}
	b, ok := allow.Value.(ast.Boolean)
	if !ok {
		return d, fmt.Errorf("decision.allow has type %s, want boolean", ast.ValueName(allow.Value))
	}
	d.Allow = bool(b)

	reasons := obj.Get(rReasons)
	if reasons == nil {
		return d, errors.New("decision has no reasons")
	}
	var err error
	if d.Reasons, err = stringList("reasons", reasons); err != nil {
		return d, err
	}
	if !d.Allow && len(d.Reasons) == 0 {
		return d, errors.New("decision denies without a reason")
	}

	d.Bases = []string{}
	if bases := obj.Get(rBases); bases != nil {
		if d.Bases, err = stringList("bases", bases); err != nil {
			return d, err
		}
	}

	if d.Signals, err = parseSignals(obj, d.Allow, in); err != nil {
		return d, err
	}

	show := obj.Get(rShow)
	if show == nil {
		return d, nil
	}
	so, ok := show.Value.(ast.Object)
	if !ok {
		return d, fmt.Errorf("decision.show has type %s, want object", ast.ValueName(show.Value))
	}
	if so.Len() == 0 || !d.Allow {
		return d, nil
	}
	d.Show = make(map[string][]string, so.Len())
	err = so.Iter(func(k, v *ast.Term) error {
		id, ok := k.Value.(ast.String)
		if !ok {
			return fmt.Errorf("decision.show has a key of type %s, want string", ast.ValueName(k.Value))
		}
		if !isCandidate(in, string(id)) {
			return fmt.Errorf("decision.show names %q, which is not a candidate", string(id))
		}
		fields, err := stringList("show["+string(id)+"]", v)
		if err != nil {
			return err
		}
		d.Show[string(id)] = fields
		return nil
	})
	return d, err
}

func isCandidate(in *broker.DecisionInput, id string) bool {
	for i := range in.Candidates {
		if in.Candidates[i].ID == id {
			return true
		}
	}
	// A follow-up list shows follow-ups, by id.
	for i := range in.Followups {
		if in.Followups[i].ID == id {
			return true
		}
	}
	return false
}

// stringList reads an array or set of non-empty strings.
func stringList(name string, t *ast.Term) ([]string, error) {
	var out []string
	add := func(e *ast.Term) error {
		s, ok := e.Value.(ast.String)
		if !ok {
			return fmt.Errorf("decision.%s holds a value of type %s, want string", name, ast.ValueName(e.Value))
		}
		if s == "" {
			return fmt.Errorf("decision.%s holds an empty string", name)
		}
		out = append(out, string(s))
		return nil
	}
	switch v := t.Value.(type) {
	case *ast.Array:
		out = make([]string, 0, v.Len())
		for i := range v.Len() {
			if err := add(v.Elem(i)); err != nil {
				return nil, err
			}
		}
	case ast.Set:
		out = make([]string, 0, v.Len())
		if err := v.Sorted().Iter(add); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("decision.%s has type %s, want array of strings", name, ast.ValueName(t.Value))
	}
	return out, nil
}
