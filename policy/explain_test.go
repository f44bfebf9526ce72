package policy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestExplainDenial(t *testing.T) {
	e := engine(t)
	in := overviewInput()
	in.Caller.Covenant = "2020-1"
	d, x, err := e.Explain(context.Background(), "", nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || d.Reasons[0] != broker.ReasonCovenantNotSigned || x.Version != e.Active() {
		t.Fatalf("%+v %+v", d, x)
	}
	var found bool
	for _, r := range x.Rules {
		if r.Rule == "data.ketenbrug.deny" && r.Title == "Covenant not signed" && r.Basis == "AVG art. 24 lid 1; AVG art. 32 lid 1" {
			found = true
		}
	}
	if !found {
		t.Errorf("the covenant rule is not among %+v", x.Rules)
	}
	if lines := strings.Count(x.Trace, "\n"); lines == 0 || lines > maxTraceLines+1 {
		t.Errorf("trace has %d lines", lines)
	}
	s := x.String()
	if !strings.Contains(s, "Covenant not signed [AVG art. 24 lid 1; AVG art. 32 lid 1]") || !strings.Contains(s, "access.rego") {
		t.Errorf("rendered:\n%s", s)
	}
}

func TestExplainAllowedOverview(t *testing.T) {
	e := engine(t)
	d, x, err := e.Explain(context.Background(), e.Active(), nil, overviewInput())
	if err != nil || !d.Allow || len(d.Show) != 4 {
		t.Fatalf("%+v %v", d, err)
	}
	titles := map[string]bool{}
	for _, r := range x.Rules {
		titles[r.Title] = true
	}
	for _, want := range []string{"Integrale ondersteuning", "Consent given for a child", "The request's purpose"} {
		if !titles[want] {
			t.Errorf("rule %q not explained: %v", want, titles)
		}
	}
}

func TestExplainOtherVersionAndNotes(t *testing.T) {
	e := engine(t)
	raw := pack(t, map[string]string{"p.rego": `package ketenbrug

# METADATA
# title: Everything is refused
# custom:
#   basis: test
decision := {"allow": false, "reasons": ["role_not_allowed"]} if {
	trace("refusing everything")
}
`})
	d, x, err := e.Explain(context.Background(), broker.PolicyID(raw), raw, overviewInput())
	if err != nil || d.Allow || d.Version != broker.PolicyID(raw) {
		t.Fatalf("%+v %v", d, err)
	}
	if len(x.Rules) != 1 || x.Rules[0].Title != "Everything is refused" || x.Rules[0].Basis != "test" {
		t.Errorf("rules %+v", x.Rules)
	}
	if !strings.Contains(x.Notes, "refusing everything") {
		t.Errorf("notes %q", x.Notes)
	}

	d, _, err = e.Explain(context.Background(), "not-a-version", raw, overviewInput())
	if !errors.Is(err, broker.ErrPolicy) || d.Allow {
		t.Errorf("%+v %v", d, err)
	}
}
