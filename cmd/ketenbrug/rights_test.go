package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestRestrictionCommands: ketenbrug restriction record|list|lift against a
// served broker. The BSN comes from a file or standard input, never from
// an argument; a partner without a relation to the person is refused.
func TestRestrictionCommands(t *testing.T) {
	tb := newTestBroker(t)
	dir := t.TempDir()
	gemKey, kbKey, cjgKey := newTestKey(t, "EdDSA"), newTestKey(t, "EdDSA"), newTestKey(t, "EdDSA")
	tb.register(t, "gem-test", broker.SectorMunicipality, []broker.Role{broker.RoleCoordinator}, gemKey)
	tb.register(t, "kredietbank", broker.SectorDebt, []broker.Role{broker.RoleConnector}, kbKey)
	tb.register(t, "cjg", broker.SectorYouth, []broker.Role{broker.RoleConnector, broker.RoleProfessional}, cjgKey)
	coord := invIdentityFile(t, dir, gemKey, "gem-test", "c.devries", broker.RoleCoordinator)
	kb := invIdentityFile(t, dir, kbKey, "kredietbank", "connector", broker.RoleConnector)
	cjgProf := invIdentityFile(t, dir, cjgKey, "cjg", "m.jansen", broker.RoleProfessional)
	mother := newBSN(t)
	bsnFile := filepath.Join(dir, "mother.bsn")
	if err := os.WriteFile(bsnFile, []byte(mother+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	members, _ := json.Marshal([]map[string]any{{"label": "moeder", "bsn": mother, "role": "parent", "birth_year": 1988}})
	membersFile := filepath.Join(dir, "members.json")
	if err := os.WriteFile(membersFile, members, 0o600); err != nil {
		t.Fatal(err)
	}
	invMustCLI(t, tb, coord, "", "household", "put", "hh-42", "--municipality", "gem-test", "--members", membersFile,
		"--purpose", "integrale-ondersteuning")
	invMustCLI(t, tb, kb, "", "involvement", "put", "dossier-1", "--service", "schuldregeling", "--bsn-file", bsnFile)

	// Refusals first.
	for _, tc := range []struct {
		name  string
		as    string
		stdin string
		args  []string
		want  string
	}{
		{"a BSN as an argument", coord, "", []string{"restriction", "record", mother, "--purpose", "re-integratie"}, "never as an argument"},
		{"no purpose", coord, "", []string{"restriction", "record", "--bsn-file", bsnFile}, "--purpose"},
		{"a partner without a relation", cjgProf, "", []string{"restriction", "record", "--bsn-file", bsnFile, "--purpose", "re-integratie"}, "no_relation"},
		{"a restriction without its ground", coord, "", []string{"restriction", "record", "--bsn-file", bsnFile, "--kind", "restriction", "--purpose", "re-integratie"}, "422 invalid_input"},
		{"listing without a relation", cjgProf, mother + "\n", []string{"restriction", "list"}, "no_relation"},
		{"lifting what does not exist", coord, "", []string{"restriction", "lift", "r-none"}, "404 not_found"},
	} {
		out, err := invCLI(t, tb, tc.as, tc.stdin, tc.args...)
		if err == nil || !strings.Contains(err.Error()+out, tc.want) {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
		if strings.Contains(out, mother) || (err != nil && strings.Contains(err.Error(), mother)) {
			t.Errorf("%s: the BSN is echoed", tc.name)
		}
	}

	out := invMustCLI(t, tb, coord, "", "restriction", "record", "--bsn-file", bsnFile, "--purpose", "re-integratie")
	if !strings.Contains(out, "recorded objection r-") || !strings.Contains(out, "re-integratie (active)") {
		t.Fatalf("record printed %q", out)
	}
	id := strings.Fields(out)[2]
	out = invMustCLI(t, tb, coord, mother+"\n", "restriction", "list")
	if !strings.Contains(out, id) || !strings.Contains(out, "objection") || !strings.Contains(out, "active") || strings.Contains(out, mother) {
		t.Errorf("list printed\n%s", out)
	}
	if _, err := invCLI(t, tb, cjgProf, "", "restriction", "lift", id); err == nil || !strings.Contains(err.Error(), "404 not_found") {
		t.Errorf("an unrelated partner lifting: %v", err)
	}
	out = invMustCLI(t, tb, coord, "", "restriction", "lift", id, "--reason", "afgewogen")
	if !strings.Contains(out, "objection "+id+" is now lifted") {
		t.Errorf("lift printed %q", out)
	}
}

// TestAuditDisclosuresCommand: what a partner was shown, or what was shown
// about a person, as CSV (the default), NDJSON or JSON; refusals first.
func TestAuditDisclosuresCommand(t *testing.T) {
	tb := newTestBroker(t)
	dir := t.TempDir()
	gemKey, kbKey := newTestKey(t, "EdDSA"), newTestKey(t, "EdDSA")
	tb.register(t, "gem-test", broker.SectorMunicipality, []broker.Role{broker.RoleCoordinator}, gemKey)
	tb.register(t, "kredietbank", broker.SectorDebt, []broker.Role{broker.RoleConnector}, kbKey)
	coord := invIdentityFile(t, dir, gemKey, "gem-test", "c.devries", broker.RoleCoordinator)
	kb := invIdentityFile(t, dir, kbKey, "kredietbank", "connector", broker.RoleConnector)
	op := writeOperator(t, tb)
	mother := newBSN(t)
	bsnFile := filepath.Join(dir, "mother.bsn")
	if err := os.WriteFile(bsnFile, []byte(mother+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	members, _ := json.Marshal([]map[string]any{{"label": "moeder", "bsn": mother, "role": "parent", "birth_year": 1988}})
	membersFile := filepath.Join(dir, "members.json")
	if err := os.WriteFile(membersFile, members, 0o600); err != nil {
		t.Fatal(err)
	}
	invMustCLI(t, tb, coord, "", "household", "put", "hh-42", "--municipality", "gem-test", "--members", membersFile,
		"--purpose", "integrale-ondersteuning")
	invMustCLI(t, tb, kb, "", "involvement", "put", "dossier-1", "--service", "schuldregeling", "--bsn-file", bsnFile)
	invMustCLI(t, tb, coord, "", "consent", "record", "--bsn-file", bsnFile, "--sectors", "debt", "--evidence", "form 1",
		"--not-conditional")
	invMustCLI(t, tb, coord, "", "household", "show", "hh-42", "--purpose", "integrale-ondersteuning")
	today := time.Now().UTC().Format(time.DateOnly)
	for _, tc := range []struct {
		name string
		as   string
		args []string
		want string
	}{
		{"a coordinator", coord, []string{"--partner", "gem-test", "--reference", "DL-1"}, "403"},
		{"neither partner nor person", op, []string{"--reference", "DL-1"}, "either --partner"},
		{"no reference", op, []string{"--partner", "gem-test"}, "reference"},
		{"a bad format", op, []string{"--partner", "gem-test", "--reference", "DL-1", "--format", "xml"}, "--format"},
	} {
		args := append([]string{"audit", "disclosures", "--from", today, "--to", today}, tc.args...)
		if out, err := invCLI(t, tb, tc.as, "", args...); err == nil || !strings.Contains(err.Error()+out, tc.want) {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
	}
	out := invMustCLI(t, tb, op, "", "audit", "disclosures", "--partner", "gem-test", "--from", today, "--to", today, "--reference", "DL-2026-7")
	if !strings.HasPrefix(out, "seq,time,request_id,to,") || !strings.Contains(out, ",gem-test,") || !strings.Contains(out, ",kredietbank,") {
		t.Errorf("csv\n%s", out)
	}
	out = invMustCLI(t, tb, op, mother+"\n", "audit", "disclosures", "--bsn-file", "-", "--from", today, "--to", today,
		"--reference", "DL-2026-7", "--format", "json")
	var rep broker.DisclosureReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Rows) == 0 || rep.Rows[0].To != "gem-test" {
		t.Errorf("json %v\n%s", err, out)
	}
	if strings.Contains(out, mother) {
		t.Error("the report printed the BSN")
	}
	tb.assertNoBSNInLogs(t, mother)
}
