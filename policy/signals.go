package policy

import (
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ketenbrug/ketenbrug/broker"
)

var rSignals = ast.StringTerm("signals")

// parseSignals reads the answer to a bulk match-signal question
// (broker.SignalQuestion): signals, an object from household ids to
// objects from recipients to objects from candidate ids to arrays (or
// sets) of field names, each naming only what the question asked about.
// It is nil when the question was not a bulk one, when the decision denies
// (a denial shows nothing) or when the policy did not answer in bulk (no
// signals key): the broker then asks per line.
func parseSignals(obj ast.Object, allow bool, in *broker.DecisionInput) (broker.SignalAnswers, error) {
	sig := obj.Get(rSignals)
	if sig == nil || !allow || in == nil || in.SignalQuestion == nil {
		return nil, nil
	}
	groups := map[string]*broker.SignalGroup{}
	for i := range in.Signals {
		groups[in.Signals[i].Household.ID] = &in.Signals[i]
	}
	out := broker.SignalAnswers{}
	err := eachKey(sig, "signals", func(hid string, v *ast.Term) error {
		g, ok := groups[hid]
		if !ok {
			return fmt.Errorf("decision.signals names household %q, which is not asked about", hid)
		}
		byRecipient := map[string]map[string][]string{}
		out[hid] = byRecipient
		return eachKey(v, "signals["+hid+"]", func(r string, v *ast.Term) error {
			if !slices.Contains(g.Recipients, r) {
				return fmt.Errorf("decision.signals[%s] names %q, which is not a recipient", hid, r)
			}
			shown := map[string][]string{}
			byRecipient[r] = shown
			return eachKey(v, "signals["+hid+"]["+r+"]", func(id string, v *ast.Term) error {
				if !slices.ContainsFunc(g.Candidates, func(c broker.Candidate) bool { return c.ID == id }) {
					return fmt.Errorf("decision.signals[%s][%s] names %q, which is not a candidate", hid, r, id)
				}
				fields, err := stringList("signals["+hid+"]["+r+"]["+id+"]", v)
				shown[id] = fields
				return err
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachKey calls f for each key of object t, a string.
func eachKey(t *ast.Term, name string, f func(string, *ast.Term) error) error {
	o, ok := t.Value.(ast.Object)
	if !ok {
		return fmt.Errorf("decision.%s has type %s, want object", name, ast.ValueName(t.Value))
	}
	return o.Iter(func(k, v *ast.Term) error {
		s, ok := k.Value.(ast.String)
		if !ok {
			return fmt.Errorf("decision.%s has a key of type %s, want string", name, ast.ValueName(k.Value))
		}
		return f(string(s), v)
	})
}
