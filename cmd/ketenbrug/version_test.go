package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors"
)

// TestVersion: the binary says what it is (version, commit, Go, policy
// bundle revision) on `version` and `--version`, and the broker says the
// same in its configuration document and the ketenbrug_build_info metric.
func TestVersion(t *testing.T) {
	tb := newTestBroker(t)
	want := buildInfo()
	if want.GoVersion == "" || want.PolicyRevision == "" || want.PolicyRevision == "unknown" {
		t.Fatalf("build info %+v", want)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := newRootCommand()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("ketenbrug %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	line := versionLine(want)
	if got := run("--version"); got != line+"\n" {
		t.Errorf("--version printed %q, want %q", got, line)
	}
	got := run("version", "--server", tb.url)
	if !strings.Contains(got, line) || !strings.Contains(got, "broker "+testBrokerID) || strings.Count(got, want.PolicyRevision[:12]) != 2 {
		t.Errorf("version --server printed\n%s", got)
	}
	conf, err := connectors.Configuration(context.Background(), tb.url, nil)
	if err != nil || conf.Build != want {
		t.Fatalf("configuration build %+v, %v; want %+v", conf.Build, err, want)
	}
	resp, err := http.Get(tb.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `ketenbrug_build_info{commit="`+want.Commit+`"`) {
		t.Errorf("no ketenbrug_build_info in the metrics")
	}
}
