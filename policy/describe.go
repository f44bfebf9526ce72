package policy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/ketenbrug/ketenbrug/broker"
)

// describe reads what the register of processing (AVG art. 30) is made of
// from a compiled bundle: its policy data and, per purpose, the legal basis
// its rule's METADATA names (data.ketenbrug.purpose_basis). The register is
// generated from the same rules that decide, so the two cannot drift apart.
func describe(ctx context.Context, id string, l *loaded) (broker.PolicyDescription, error) {
	d := broker.PolicyDescription{Version: id, PurposeBases: map[string]string{}}
	cfg, err := json.Marshal(l.data["ketenbrug_config"])
	if err != nil {
		return d, fmt.Errorf("policy: describing %s: %w", short(id), err)
	}
	d.Config = cfg
	rs, err := rego.New(rego.Query("data.ketenbrug.purpose_basis"), rego.Compiler(l.compiler), rego.Store(l.store)).Eval(ctx)
	if err != nil {
		return d, fmt.Errorf("policy: describing %s: %w", short(id), err)
	}
	if len(rs) == 1 && len(rs[0].Expressions) == 1 {
		if m, ok := rs[0].Expressions[0].Value.(map[string]any); ok {
			for k, v := range m {
				if s, ok := v.(string); ok {
					d.PurposeBases[k] = s
				}
			}
		}
	}
	return d, nil
}

// Describe returns the description of the active policy version, for the
// register of processing.
func (e *Engine) Describe() broker.PolicyDescription { return e.active.Load().description }
