package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestBenchCommand runs the load tool with --json on a small data set,
// against the ketenbrug binary it builds: every phase runs, the JSON line
// has the figures the issue names, and no request failed.
func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a broker, and OPA's server")
	}
	cmd := newCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"--persons", "600", "--clients", "4", "--duration", "1s", "--peer-duration", "300ms",
		"--verify-every", "1", "--json"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cmd.ExecuteContext(ctx); err != nil {
		t.Fatalf("ketenbrug-bench: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"overview_rps", "overview_p50_ms", "overview_p99_ms", "errors", "crypto_ceiling_rps",
		"ceiling_ratio", "opa_rest_rps", "peer_ratio", "rss_mib"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if got["errors"].(float64) != 0 {
		t.Errorf("errors: %v (statuses %v)", got["errors"], got["errors_by_status"])
	}
	for _, k := range []string{"overview_rps", "crypto_ceiling_rps", "opa_rest_rps", "embedded_rps", "rss_mib"} {
		if v, _ := got[k].(float64); v <= 0 {
			t.Errorf("%s = %v, want > 0\n%s", k, got[k], errOut.String())
		}
	}
	// The open loop ran at 25, 50 and 75 % of the closed loop's maximum,
	// each with latencies from the intended send time.
	ol, _ := got["open_loop"].([]any)
	if len(ol) != 3 {
		t.Fatalf("open_loop: %v", got["open_loop"])
	}
	for i, pct := range []float64{25, 50, 75} {
		p := ol[i].(map[string]any)
		if p["percent_of_max"] != pct || p["achieved_rps"].(float64) <= 0 || p["p99_ms"].(float64) <= 0 || p["errors"].(float64) != 0 {
			t.Errorf("open loop at %v%%: %v", pct, p)
		}
	}
	if got["opa_agreement"] == "" || !strings.Contains(errOut.String(), "agrees with the broker on") {
		t.Errorf("OPA's answers were not compared:\n%s", errOut.String())
	}
	if a, _ := got["opa_agreement"].(string); a != "" {
		n, m, _ := strings.Cut(a, "/")
		if n != m {
			t.Errorf("OPA and the broker disagree: %s", a)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:8080/"} {
		if err := loopbackOnly(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:8080", "https://broker.example:443", "http://192.168.1.2:80"} {
		if loopbackOnly(bad) == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
