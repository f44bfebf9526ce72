package policy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A bundle whose own tests pass but that fails on what the broker really
// asks is refused before it is stored: the smoke test decides every
// sample input.
func TestCheckRefusesBundlesThatFailOnSamples(t *testing.T) {
	e, err := New(Config{Default: defaultFS(t), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		policy, sample string
	}{
		"errs on match signals": {`package ketenbrug

decision := {"allow": true, "reasons": [], "bases": ["x"]} if input.action != "match.signal"

decision := {"allow": to_number("signal"), "reasons": [], "bases": ["x"]} if input.action == "match.signal"
`, "match-signal"},
		"undefined for assignments": {`package ketenbrug

decision := {"allow": true, "reasons": [], "bases": ["x"]} if not startswith(input.action, "assignment.")
`, "assignment-at-level"},
		"slow on real households": {`package ketenbrug

decision := {"allow": slow, "reasons": [], "bases": ["x"]}

slow if {
	count(input.candidates) < 2
} else := true if {
	every i in numbers.range(1, 3000) {
		every j in numbers.range(1, 3000) {
			i + j > 0
		}
	}
}
`, "within the deadline"},
		"malformed for consents": {`package ketenbrug

decision := {"allow": true, "reasons": [], "bases": ["x"]} if input.action != "consent.record"

decision := {"allow": "yes", "reasons": [], "bases": ["x"]} if input.action == "consent.record"
`, "consent-record"},
	} {
		t.Run(name, func(t *testing.T) {
			raw := pack(t, map[string]string{"p.rego": tc.policy, "p_test.rego": `package ketenbrug_test

import data.ketenbrug

test_overview if ketenbrug.decision.allow with input as {"action": "household.overview", "candidates": []}
`})
			rep, err := e.Check(context.Background(), raw)
			if !errors.Is(err, broker.ErrInvalid) || rep.Passed != 1 {
				t.Fatalf("Check = %v (report %+v), want refused after its test passed", err, rep)
			}
			found := false
			for _, n := range rep.Notes {
				found = found || strings.Contains(n, "sample input") && strings.Contains(n, tc.sample)
				if strings.Contains(n, "within the deadline") && tc.sample != "within the deadline" {
					t.Errorf("a sample timed out: %s", n)
				}
			}
			if !found {
				t.Fatalf("no note names a %q sample: %q", tc.sample, rep.Notes)
			}
		})
	}
	// The default bundle passes its own smoke test (New checked it).
	if notes, err := func() ([]string, error) {
		v := e.active.Load()
		return smoke(context.Background(), v.pq)
	}(); err != nil || len(notes) > 0 {
		t.Fatalf("the default bundle fails the smoke test: %v %q", err, notes)
	}
}
