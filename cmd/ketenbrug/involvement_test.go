package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// invCLI runs the command line with args and stdin, as the identity in
// file as.
func invCLI(t *testing.T, tb *testBroker, as, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(append(args, "--server", tb.url, "--as", as))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// invMustCLI runs the command line and fails on an error.
func invMustCLI(t *testing.T, tb *testBroker, as, stdin string, args ...string) string {
	t.Helper()
	out, err := invCLI(t, tb, as, stdin, args...)
	if err != nil {
		t.Fatalf("ketenbrug %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// invIdentityFile registers nothing: it writes an identity of partner (with
// key k) in role to a file and returns its path.
func invIdentityFile(t *testing.T, dir string, k *testKey, partner, sub string, role broker.Role) string {
	t.Helper()
	path := filepath.Join(dir, partner+"-"+string(role)+".json")
	if err := k.identity(t, partner, sub, role).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInvolvementHouseholdInboxCommands(t *testing.T) {
	tb := newTestBroker(t)
	dir := t.TempDir()
	gemKey, kbKey, cjgKey := newTestKey(t, "EdDSA"), newTestKey(t, "EdDSA"), newTestKey(t, "EdDSA")
	tb.register(t, "gem-test", broker.SectorMunicipality, []broker.Role{broker.RoleCoordinator}, gemKey)
	tb.register(t, "kredietbank", broker.SectorDebt, []broker.Role{broker.RoleConnector}, kbKey)
	tb.register(t, "cjg", broker.SectorYouth, []broker.Role{broker.RoleConnector, broker.RoleProfessional}, cjgKey)
	coord := invIdentityFile(t, dir, gemKey, "gem-test", "c.devries", broker.RoleCoordinator)
	kb := invIdentityFile(t, dir, kbKey, "kredietbank", "connector", broker.RoleConnector)
	cjg := invIdentityFile(t, dir, cjgKey, "cjg", "connector", broker.RoleConnector)
	cjgProf := invIdentityFile(t, dir, cjgKey, "cjg", "m.jansen", broker.RoleProfessional)

	mother, father, child := newBSN(t), newBSN(t), newBSN(t)
	bsns := []string{mother, father, child}
	var outputs []string
	keep := func(s string) string { outputs = append(outputs, s); return s }
	bsnFile := func(name, bsn string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(bsn+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// household put: the members file holds the BSNs.
	members, _ := json.Marshal([]map[string]any{
		{"label": "moeder", "bsn": mother, "role": "parent", "birth_year": 1988},
		{"label": "vader", "bsn": father, "role": "parent", "birth_year": 1985},
		{"label": "kind 1", "bsn": child, "role": "child", "birth_year": 2014},
	})
	membersFile := filepath.Join(dir, "members.json")
	if err := os.WriteFile(membersFile, members, 0o600); err != nil {
		t.Fatal(err)
	}
	out := keep(invMustCLI(t, tb, coord, "", "household", "put", "hh-42", "--municipality", "gem-test", "--area", "centrum",
		"--members", membersFile, "--purpose", "integrale-ondersteuning"))
	for _, want := range []string{"household hh-42 of gem-test (revision 1, coordinator gem-test/c.devries): 3 member(s)", "moeder", "kind 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("household put printed %q, want %q", out, want)
		}
	}
	bad := filepath.Join(dir, "bad-members.json")
	_ = os.WriteFile(bad, []byte(`[{"label":"x","bsn":"123456789","role":"parent","mood":"ok"}]`), 0o600)
	if out, err := invCLI(t, tb, coord, "", "household", "put", "hh-43", "--municipality", "gem-test", "--members", bad); err == nil ||
		strings.Contains(err.Error(), "123456789") {
		t.Errorf("a members file with an unknown field: %v\n%s", err, out)
	}

	// involvement put: the BSN from a file, then from standard input.
	out = keep(invMustCLI(t, tb, kb, "", "involvement", "put", "dossier-1", "--service", "schuldregeling", "--label", "Schuldregeling",
		"--start", "2026-09-01", "--contact-name", "P. de Boer", "--contact-phone", "033-4567890", "--bsn-file", bsnFile("mother.bsn", mother)))
	if !strings.Contains(out, "registered involvement dossier-1 (schuldregeling, active, revision 1)") {
		t.Errorf("involvement put printed %q", out)
	}
	out = keep(invMustCLI(t, tb, kb, "", "involvement", "put", "dossier-1", "--service", "schuldregeling", "--label", "Schuldregeling",
		"--start", "2026-09-01", "--contact-name", "P. de Boer", "--contact-phone", "033-4567890", "--bsn-file", bsnFile("mother.bsn2", mother)))
	if !strings.Contains(out, "updated involvement dossier-1 (schuldregeling, active, revision 1)") {
		t.Errorf("the same put again printed %q", out)
	}
	out = keep(invMustCLI(t, tb, kb, father+"\n", "involvement", "put", "dossier-2", "--service", "budgetbeheer", "--status", "registered"))
	if !strings.Contains(out, "registered involvement dossier-2 (budgetbeheer, registered, revision 1)") {
		t.Errorf("involvement put from standard input printed %q", out)
	}
	// A BSN is never a reference (it would travel in the URL), and an
	// invalid BSN is refused before anything is sent, without repeating it.
	if _, err := invCLI(t, tb, kb, mother+"\n", "involvement", "put", mother, "--service", "x"); err == nil || strings.Contains(err.Error(), mother) {
		t.Errorf("a BSN as reference: %v", err)
	}
	if _, err := invCLI(t, tb, kb, "123456789\n", "involvement", "put", "dossier-3", "--service", "x"); err == nil ||
		!strings.Contains(err.Error(), "not a BSN") || strings.Contains(err.Error(), "123456789") || exitCode(err) != exitUsage {
		t.Errorf("an invalid BSN: %v", err)
	}
	if _, err := invCLI(t, tb, kb, "", "involvement", "put", "dossier-3", "--bsn-file", bsnFile("x.bsn", mother)); err == nil ||
		!strings.Contains(err.Error(), "service") {
		t.Errorf("put without --service: %v", err)
	}

	// involvement end and list.
	out = keep(invMustCLI(t, tb, kb, "", "involvement", "end", "dossier-2", "--end", "2026-10-31"))
	if !strings.Contains(out, "involvement dossier-2 is ended since 2026-10-31 (revision 2)") {
		t.Errorf("involvement end printed %q", out)
	}
	if _, err := invCLI(t, tb, cjg, "", "involvement", "end", "dossier-1"); err == nil || !strings.Contains(err.Error(), "404 not_found") {
		t.Errorf("another partner ending dossier-1: %v", err)
	}
	out = keep(invMustCLI(t, tb, kb, "", "involvement", "list"))
	if !strings.Contains(out, "REF") || !strings.Contains(out, "dossier-1  active") || !strings.Contains(out, "dossier-2  ended") ||
		!strings.Contains(out, "P. de Boer, 033-4567890") || !strings.Contains(out, "2 involvement(s)") {
		t.Errorf("involvement list printed\n%s", out)
	}
	out = keep(invMustCLI(t, tb, kb, "", "involvement", "list", "--status", "ended", "--all"))
	if strings.Contains(out, "dossier-1") || !strings.Contains(out, "dossier-2") || !strings.Contains(out, "1 involvement(s)") {
		t.Errorf("involvement list --status ended printed\n%s", out)
	}
	if out := keep(invMustCLI(t, tb, cjg, "", "involvement", "list")); !strings.Contains(out, "0 involvement(s)") {
		t.Errorf("cjg's list printed\n%s", out)
	}

	// household show: before consent nothing is shown; after, the table.
	out = keep(invMustCLI(t, tb, coord, "", "household", "show", "hh-42", "--purpose", "integrale-ondersteuning"))
	if !strings.Contains(out, "Household hh-42 — purpose integrale-ondersteuning, level 2") || strings.Count(out, "nothing shown") != 3 {
		t.Errorf("household show before consent printed\n%s", out)
	}
	// The household's coordinator records the consent (the CJG serves no one
	// in the household: it has no relation to record one, no_relation).
	if _, err := invCLI(t, tb, cjgProf, "", "consent", "record", "--bsn-file", bsnFile("consent.bsn", mother), "--sectors", "debt,youth"); err == nil ||
		!strings.Contains(err.Error(), "no_relation") {
		t.Errorf("a partner without a relation recording a consent: %v", err)
	}
	// Youth care reveals health: an explicit consent, with its evidence and
	// the note that support was not made conditional on it.
	keep(invMustCLI(t, tb, coord, "", "consent", "record", "--bsn-file", bsnFile("consent.bsn", mother), "--sectors", "debt,youth",
		"--evidence", "form 2026-3", "--explicit", "--not-conditional"))
	out = keep(invMustCLI(t, tb, coord, "", "household", "show", "hh-42", "--purpose", "integrale-ondersteuning", "--registration"))
	for _, want := range []string{"Household hh-42 of gem-test, area centrum, coordinator gem-test/c.devries",
		"MEMBER", "kind 1", "child", "2014",
		"moeder (parent)", "PARTNER", "Test partner kredietbank", "Schuldregeling", "active", "since 2026-09-01", "P. de Boer, 033-4567890",
		"vader (parent)\n  nothing shown", "Legal basis:"} {
		if !strings.Contains(out, want) {
			t.Errorf("household show printed\n%s\nwant %q", out, want)
		}
	}
	if _, err := invCLI(t, tb, coord, "", "household", "show", "hh-42"); err == nil || !strings.Contains(err.Error(), "purpose") {
		t.Errorf("household show without --purpose: %v", err)
	}

	// household list (issue 17): the coordinator's households as a table
	// and, with -o json, as the API's JSON; an unknown format is refused
	// before the broker is asked; a connector is refused by the policy.
	out = keep(invMustCLI(t, tb, coord, "", "household", "list"))
	if !strings.Contains(out, "ID") || !strings.Contains(out, "hh-42") || !strings.Contains(out, "gem-test") || strings.Contains(out, "moeder") {
		t.Errorf("household list printed\n%s", out)
	}
	var listed struct {
		Households []struct {
			ID      string `json:"id"`
			Members int    `json:"members"`
		} `json:"households"`
	}
	out = keep(invMustCLI(t, tb, coord, "", "household", "list", "-o", "json"))
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed.Households) != 1 || listed.Households[0].ID != "hh-42" ||
		listed.Households[0].Members != 3 {
		t.Errorf("household list -o json printed %s (%v)", out, err)
	}
	if _, err := invCLI(t, tb, coord, "", "household", "list", "-o", "yaml"); exitCode(err) != exitUsage || !strings.Contains(err.Error(), "-o json") {
		t.Errorf("household list -o yaml: %v", err)
	}
	if _, err := invCLI(t, tb, kb, "", "household", "list"); exitCode(err) != exitRefused {
		t.Errorf("a connector listing households: %v", err)
	}
	// Completion of values: the household argument and --purpose, asked of
	// the broker as the caller.
	complete := func(args ...string) string {
		t.Helper()
		root := newRootCommand()
		var buf bytes.Buffer
		root.SetOut(&buf)
		root.SetErr(io.Discard)
		root.SetArgs(append([]string{"__complete"}, args...))
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("completing %v: %v", args, err)
		}
		return buf.String()
	}
	if got := complete("household", "show", "--server", tb.url, "--as", coord, "hh"); !strings.Contains(got, "hh-42\tgem-test") {
		t.Errorf("completing a household id: %q", got)
	}
	if got := complete("household", "show", "--server", tb.url, "--as", coord, "--purpose", ""); !strings.Contains(got, "integrale-ondersteuning\t") {
		t.Errorf("completing --purpose: %q", got)
	}
	if got := complete("connector", "sync", "--adapter", "sch"); !strings.Contains(got, "school") || strings.Contains(got, "uwv") {
		t.Errorf("completing --adapter: %q", got)
	}

	// inbox: the CJG starts with the mother; the coordinator's inbox has
	// the match signal; --ack clears it.
	keep(invMustCLI(t, tb, cjg, mother+"\n", "involvement", "put", "cl-1", "--service", "gezinscoaching", "--label", "Gezinscoaching",
		"--contact-name", "M. Jansen"))
	out = keep(invMustCLI(t, tb, coord, "", "inbox", "--wait", "2s", "--ack"))
	if !strings.Contains(out, "match") || !strings.Contains(out, "hh-42") || !strings.Contains(out, "Test partner cjg · Gezinscoaching · active") ||
		!strings.Contains(out, "inform the person (AVG art. 14): registration by cjg") || !strings.Contains(out, "acknowledged ") {
		t.Errorf("inbox printed\n%s", out)
	}
	if out := keep(invMustCLI(t, tb, coord, "", "inbox")); !strings.Contains(out, "no new items") {
		t.Errorf("inbox after --ack printed\n%s", out)
	}
	if _, err := invCLI(t, tb, coord, "", "inbox", "--wait", "5m"); err == nil {
		t.Error("inbox --wait 5m was accepted")
	}

	// No BSN in anything printed, nor in the broker's logs.
	for _, o := range outputs {
		for _, b := range bsns {
			if strings.Contains(o, b) {
				t.Errorf("a command printed a BSN:\n%s", o)
			}
		}
	}
	tb.assertNoBSNInLogs(t, bsns...)
}
