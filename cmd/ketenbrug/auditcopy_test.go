package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors"
)

// runRoot runs the command line without server flags.
func runRoot(args ...string) (string, error) {
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestAuditExportVerifiesOffline(t *testing.T) {
	tb := newTestBroker(t)
	r := newRegion(t, tb, 2, nil) // some history: partners, a household, an involvement
	dir := t.TempDir()
	chain := filepath.Join(dir, "audit.ndjson")
	out := invMustCLI(t, tb, writeOperator(t, tb), "", "audit", "export", "--out", chain)
	if !strings.Contains(out, "signature verified") {
		t.Fatalf("audit export: %s", out)
	}
	_, jwks := tb.get(t, "/.well-known/jwks.json")
	jwksFile := filepath.Join(dir, "broker.jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runRoot("audit", "verify-file", chain, "--jwks", jwksFile)
	if err != nil || !strings.HasPrefix(out, "intact: ") {
		t.Fatalf("verify-file on the export: %v\n%s", err, out)
	}

	// An edited copy is caught, offline.
	raw, err := os.ReadFile(chain)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) < 5 {
		t.Fatalf("only %d records exported", len(lines))
	}
	lines[3] = strings.Replace(lines[3], `"allow"`, `"deny"`, 1)
	if !strings.Contains(lines[3], `"deny"`) {
		lines[3] = strings.Replace(lines[3], `"change"`, `"disclosure"`, 1)
	}
	edited := filepath.Join(dir, "edited.ndjson")
	if err := os.WriteFile(edited, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runRoot("audit", "verify-file", edited, "--jwks", jwksFile)
	if err == nil || !strings.Contains(out, "BROKEN") {
		t.Fatalf("an edited copy verified: %v\n%s", err, out)
	}
	// A removed record too.
	removed := filepath.Join(dir, "removed.ndjson")
	if err := os.WriteFile(removed, []byte(strings.Join(append(lines[:2:2], lines[3:]...), "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runRoot("audit", "verify-file", removed, "--jwks", jwksFile); err == nil {
		t.Fatalf("a copy with a record removed verified:\n%s", out)
	}

	// Only privacy officers and operators export, and the export is audited.
	_, err = r.kb.Do(context.Background(), connectors.Request{Method: http.MethodGet, Path: "/v1/audit/export"})
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusForbidden {
		t.Fatalf("a connector exports the audit chain: %v", err)
	}
	exported := 0
	for _, e := range auditTrail(t, tb) {
		if e.Action == "audit.export" {
			exported++
		}
	}
	if exported != 1 {
		t.Fatalf("%d audit.export entries, want 1", exported)
	}
}
