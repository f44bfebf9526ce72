package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestCheckAcceptsMinimalBundle(t *testing.T) {
	e := engine(t)
	raw := pack(t, map[string]string{"ketenbrug/p.rego": minimalPolicy, "ketenbrug/p_test.rego": minimalTest})
	rep, err := e.Check(context.Background(), raw)
	if err != nil {
		t.Fatalf("%v: %+v", err, rep)
	}
	if rep.Passed != 2 || rep.Failed != 0 || len(rep.Tests) != 2 || rep.Tests[0].Name != "test_allow" {
		t.Fatalf("report %+v", rep)
	}
	// Checked bundles stay prepared: deciding under them compiles nothing.
	d, err := e.DecideWith(context.Background(), broker.PolicyID(raw), raw, &broker.DecisionInput{Action: "x"})
	if err != nil || d.Allow || d.Reasons[0] != "role_not_allowed" || d.Version != broker.PolicyID(raw) {
		t.Fatalf("%+v %v", d, err)
	}
}

func TestCheckRefuses(t *testing.T) {
	e := engine(t)
	cases := []struct {
		name  string
		files map[string]string
		raw   []byte
		note  string // expected in the notes or a test's error
		tests bool   // refused for its tests only: it compiles
	}{
		{name: "failing test", tests: true, files: map[string]string{
			"ketenbrug/p.rego":      minimalPolicy,
			"ketenbrug/p_test.rego": minimalTest + "\ntest_wrong if ketenbrug.decision.allow with input as {\"allow\": false}\n",
		}, note: "failed"},
		{name: "erroring test", tests: true, files: map[string]string{
			"ketenbrug/p.rego":      minimalPolicy,
			"ketenbrug/p_test.rego": minimalTest + "\nc := 1 if input.x\n\nc := 2 if input.x\n\ntest_conflict if c with input as {\"x\": true}\n",
		}, note: "eval_conflict_error"},
		{name: "no tests", tests: true, files: map[string]string{"ketenbrug/p.rego": minimalPolicy}, note: "no tests"},
		{name: "syntax error", files: map[string]string{
			"ketenbrug/p.rego":      minimalPolicy + "\nbroken if {\n",
			"ketenbrug/p_test.rego": minimalTest,
		}, note: "rego_parse_error"},
		{name: "no entrypoint", files: map[string]string{
			"ketenbrug/p.rego":      "package ketenbrug\n\nanswer := true\n",
			"ketenbrug/p_test.rego": "package ketenbrug_test\n\nimport data.ketenbrug\n\ntest_answer if ketenbrug.answer\n",
		}, note: "entrypoint"},
		{name: "strict: unused variable", files: map[string]string{
			"ketenbrug/p.rego":      minimalPolicy + "\nx if {\n\ty := 1\n\ttrue\n}\n",
			"ketenbrug/p_test.rego": minimalTest,
		}, note: "assigned var y unused"},
		{name: "Rego v0 syntax", files: map[string]string{
			"ketenbrug/p.rego":      "package ketenbrug\n\ndecision = {\"allow\": true} { input.x }\n",
			"ketenbrug/p_test.rego": minimalTest,
		}, note: "rego_parse_error"},
		{name: "network access", files: map[string]string{
			"ketenbrug/p.rego":      minimalPolicy + "\nleak := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n",
			"ketenbrug/p_test.rego": minimalTest,
		}, note: "http.send"},
		{name: "data clashes with a rule", files: map[string]string{
			"ketenbrug/p.rego":      minimalPolicy,
			"ketenbrug/p_test.rego": minimalTest,
			"data.json":             `{"ketenbrug": {"decision": {"allow": true}}}`,
		}, note: "conflict"},
		{name: "not a bundle", raw: []byte("this is not a tar.gz"), note: "gzip"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if raw == nil {
				raw = pack(t, tc.files)
			}
			rep, err := e.Check(context.Background(), raw)
			if !errors.Is(err, broker.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var all []string
			all = append(all, err.Error())
			all = append(all, rep.Notes...)
			for _, tt := range rep.Tests {
				all = append(all, tt.Error)
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.note) {
				t.Errorf("%q not in %q", tc.note, all)
			}
			// A bundle that does not compile cannot decide either.
			d, err := e.DecideWith(context.Background(), broker.PolicyID(raw), raw, &broker.DecisionInput{Action: "x"})
			if !tc.tests && (err == nil || d.Allow || !errors.Is(err, broker.ErrPolicy)) {
				t.Errorf("a bundle that does not compile decided: %+v, %v", d, err)
			}
		})
	}
}

func TestCheckNotesRulesWithoutBasis(t *testing.T) {
	policy := minimalPolicy + "\ndeny contains \"x\" if input.deny\n"
	rep, err := engine(t).Check(context.Background(), pack(t, map[string]string{
		"ketenbrug/p.rego": policy, "ketenbrug/p_test.rego": minimalTest,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "no legal basis") {
		t.Errorf("notes %v", rep.Notes)
	}
}

func TestTestDir(t *testing.T) {
	rep, err := Test(context.Background(), "../rego")
	if err != nil {
		t.Fatalf("%v: %v", err, rep.Notes)
	}
	if rep.Passed < 40 {
		t.Errorf("only %d tests", rep.Passed)
	}

	dir := t.TempDir()
	for p, c := range map[string]string{"ketenbrug/p.rego": minimalPolicy, "ketenbrug/p_test.rego": strings.Replace(minimalTest, "{\"allow\": true}", "{\"allow\": false}", 1)} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = Test(context.Background(), dir)
	if !errors.Is(err, broker.ErrInvalid) || rep.Failed != 1 || rep.Passed != 1 {
		t.Errorf("%+v, %v", rep, err)
	}
	if _, err := Test(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory passed")
	}
}
