package policy

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestFailClosed: whatever goes wrong in a policy, the answer is a denial
// with reason policy_error, and an error matching broker.ErrPolicy.
func TestFailClosed(t *testing.T) {
	e, err := New(Config{Default: defaultFS(t), Logger: quiet(), Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	in := &broker.DecisionInput{Action: broker.ActionHouseholdOverview, Now: "2026-11-22T19:00:00Z",
		Candidates: []broker.Candidate{{ID: "inv-1"}}}
	cases := map[string]string{
		"conflicting outputs": `decision := {"allow": true, "reasons": []} if input.action
decision := {"allow": false, "reasons": ["x"]} if input.action`,
		"division by zero": `decision := {"allow": 1 / (count(input.candidates) - 1) > 0, "reasons": []}`,
		"loops until the deadline": `decision := {"allow": ok, "reasons": []}
ok if {
	every i in numbers.range(1, 100000) {
		every j in numbers.range(1, 100000) {
			i + j > 0
		}
	}
}`,
		"undefined":               `decision := {"allow": true, "reasons": []} if input.never`,
		"not an object":           `decision := true`,
		"no allow":                `decision := {"reasons": []}`,
		"allow a string":          `decision := {"allow": "yes", "reasons": []}`,
		"no reasons":              `decision := {"allow": true}`,
		"reasons a number":        `decision := {"allow": false, "reasons": 3}`,
		"reasons not strings":     `decision := {"allow": false, "reasons": ["x", 3]}`,
		"empty reason":            `decision := {"allow": false, "reasons": [""]}`,
		"denial without a reason": `decision := {"allow": false, "reasons": []}`,
		"bases an object":         `decision := {"allow": true, "reasons": [], "bases": {"a": 1}}`,
		"show an array":           `decision := {"allow": true, "reasons": [], "show": ["inv-1"]}`,
		"show fields a string":    `decision := {"allow": true, "reasons": [], "show": {"inv-1": "partner"}}`,
		"show a non-candidate":    `decision := {"allow": true, "reasons": [], "show": {"inv-9": ["partner"]}}`,
		"show a number key":       `decision := {"allow": true, "reasons": [], "show": {1: ["partner"]}}`,
		"missing package":         "package other\n\ndecision := {\"allow\": true, \"reasons\": []}",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			src := body
			if name != "missing package" {
				src = "package ketenbrug\n\n" + body + "\n"
			}
			raw := pack(t, map[string]string{"p.rego": src})
			id := broker.PolicyID(raw)
			start := time.Now()
			d, err := e.DecideWith(context.Background(), id, raw, in)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %s", took)
			}
			if !errors.Is(err, broker.ErrPolicy) {
				t.Fatalf("err = %v, want ErrPolicy", err)
			}
			if d.Allow || !slices.Equal(d.Reasons, []string{broker.ReasonPolicyError}) || d.Show != nil || d.Version != id {
				t.Fatalf("decision %+v", d)
			}
			if !errors.Is(d.Err(), broker.ErrPolicy) {
				t.Errorf("Err() = %v", d.Err())
			}
			t.Log(err)
		})
	}
}

func TestFailClosedActiveVersion(t *testing.T) {
	e, err := New(Config{Default: defaultFS(t), Logger: quiet(), Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	raw := pack(t, map[string]string{"p.rego": `package ketenbrug

decision := {"allow": ok, "reasons": []}

ok if {
	every i in numbers.range(1, 100000) {
		every j in numbers.range(1, 100000) {
			i + j > 0
		}
	}
}
`})
	if err := e.Activate(context.Background(), broker.PolicyID(raw), raw); err != nil {
		t.Fatal(err)
	}
	d, err := e.Decide(context.Background(), overviewInput())
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, broker.ErrPolicy) || d.Allow {
		t.Fatalf("%+v, %v", d, err)
	}

	// A caller that gave up is denied too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d, err := e.Decide(ctx, overviewInput()); err == nil || d.Allow {
		t.Fatalf("cancelled: %+v, %v", d, err)
	}
}

func TestDecideWithWrongVersionFailsClosed(t *testing.T) {
	e := engine(t)
	raw := pack(t, map[string]string{"p.rego": "package ketenbrug\n\ndecision := {\"allow\": true, \"reasons\": []}\n"})
	d, err := e.DecideWith(context.Background(), "0123456789abcdef", raw, overviewInput())
	if !errors.Is(err, broker.ErrPolicy) || !errors.Is(err, broker.ErrInvalid) || d.Allow {
		t.Fatalf("%+v, %v", d, err)
	}
	if err := e.Activate(context.Background(), "0123456789abcdef", raw); !errors.Is(err, broker.ErrInvalid) {
		t.Fatalf("Activate: %v", err)
	}
}
