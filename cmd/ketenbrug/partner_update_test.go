package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// TestPartnerUpdateCommand: a partner registered without a covenant is
// fixed from the command line (no Go program needed); only the named
// fields change; an unknown municipality draws a warning.
func TestPartnerUpdateCommand(t *testing.T) {
	tb := newTestBroker(t)
	dir := t.TempDir()
	raw, err := json.Marshal(tb.operatorID)
	if err != nil {
		t.Fatal(err)
	}
	op := filepath.Join(dir, "operator.json")
	if err := os.WriteFile(op, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	k := newTestKey(t, protocol.AlgEdDSA)
	jwks := filepath.Join(dir, "kb.jwks.json")
	if err := os.WriteFile(jwks, []byte(jwksOf(t, k)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := invMustCLI(t, tb, op, "", "partner", "add", "--id", "kredietbank", "--name", "Kredietbank", "--sector", "debt",
		"--roles", "connector", "--municipality", "gem-onbekend", "--jwks", jwks)
	if !strings.Contains(out, "warning: gem-onbekend is not a registered municipality") {
		t.Errorf("partner add with an unknown municipality printed\n%s", out)
	}
	if _, err := invCLI(t, tb, op, "", "partner", "update", "kredietbank"); err == nil || exitCode(err) != exitUsage {
		t.Errorf("update without a change: %v", err)
	}
	out = invMustCLI(t, tb, op, "", "partner", "update", "kredietbank", "--covenant", "2026-1", "--controller-role", "controller")
	if !strings.Contains(out, "covenant 2026-1") {
		t.Errorf("partner update printed\n%s", out)
	}
	p, err := tb.sys.Service.LookupPartner("kredietbank")
	if err != nil || p.Covenant != "2026-1" || p.ControllerRole != broker.ControllerRole || p.Name != "Kredietbank" ||
		p.Sector != broker.SectorDebt || len(p.JWKS) == 0 {
		t.Fatalf("after the update: %+v, %v", p, err)
	}
	if _, err := invCLI(t, tb, op, "", "partner", "update", "kredietbank", "--level", "9"); err == nil || exitCode(err) != exitUsage {
		t.Errorf("an invalid level: %v", err)
	}
}
