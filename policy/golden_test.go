package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

var update = flag.Bool("update", false, "rewrite the golden decisions in testdata/golden")

// TestGoldenDecisions decides every samples/golden/NAME.input.json under
// the default bundle and compares with testdata/golden/NAME.decision.json
// (the version left out). The inputs live outside testdata because the
// push-time smoke test of the production binary decides them too. Inputs go through encoding/json, as dry-runs of recorded
// decisions do.
func TestGoldenDecisions(t *testing.T) {
	e := engine(t)
	inputs, err := filepath.Glob("samples/golden/*.input.json")
	if err != nil || len(inputs) < 12 {
		t.Fatalf("%d golden inputs, %v", len(inputs), err)
	}
	for _, path := range inputs {
		name := strings.TrimSuffix(filepath.Base(path), ".input.json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var in broker.DecisionInput
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				t.Fatal(err)
			}
			d, err := e.Decide(context.Background(), &in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Version != e.Active() {
				t.Errorf("version %s", d.Version)
			}
			got, err := json.MarshalIndent(struct {
				Allow   bool                `json:"allow"`
				Reasons []string            `json:"reasons"`
				Bases   []string            `json:"bases"`
				Show    map[string][]string `json:"show,omitempty"`
				// Signals answers a bulk match-signal question.
				Signals broker.SignalAnswers `json:"signals,omitempty"`
			}{d.Allow, d.Reasons, d.Bases, d.Show, d.Signals}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			want := filepath.Join("testdata", "golden", name+".decision.json")
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("decision:\n%s\nwant:\n%s", got, exp)
			}
		})
	}
}
