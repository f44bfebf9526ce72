package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// debtExport writes a debt-counselling export of rows n, each a person of
// bsns, and returns its path.
func debtExport(t *testing.T, dir, name string, bsns []string, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Dossiernummer,BSN,Fase,Startdatum,Einddatum,Schuldhulpverlener,Telefoon,E-mail,Totale schuld\n")
	for i := range n {
		fmt.Fprintf(&b, "2026-%04d,%s,schuldregeling,12-01-2026,,P. de Boer,033-4567890,,\n", i, bsns[i%len(bsns)])
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSyncCommandRefusesAMassEnd: the first rows of a truncated export are
// not applied by `connector sync`, which says why and how to allow it;
// the dry run shows the figures; --allow-mass-end applies it. The CLI
// writes no temporary file of the export.
func TestSyncCommandRefusesAMassEnd(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	tb := newTestBroker(t)
	dir := t.TempDir()
	kb := newPartnerIdentity(t, tb.operator, dir, "kredietbank", broker.SectorDebt)
	bsns := []string{newBSN(t), newBSN(t), newBSN(t)}
	full := debtExport(t, dir, "full.csv", bsns, 40)
	truncated := debtExport(t, dir, "truncated.csv", bsns, 8)

	out := invMustCLI(t, tb, kb, "", "connector", "sync", "--adapter", "debt", "--file", full)
	if !strings.Contains(out, "applied: 40 added") {
		t.Fatalf("first sync:\n%s", out)
	}
	out = invMustCLI(t, tb, kb, "", "connector", "sync", "--adapter", "debt", "--file", truncated, "--dry-run")
	for _, w := range []string{"32 ended", "this would end 32 of 40 live involvements (at most 10 at once): refused without --allow-mass-end"} {
		if !strings.Contains(out, w) {
			t.Errorf("the dry run does not say %q:\n%s", w, out)
		}
	}
	out, err := invCLI(t, tb, kb, "", "connector", "sync", "--adapter", "debt", "--file", truncated)
	if err == nil || !strings.Contains(err.Error(), "would end 32 of your 40 live involvements") || !strings.Contains(err.Error(), "--allow-mass-end") {
		t.Fatalf("truncated sync: %v\n%s", err, out)
	}
	if strings.Contains(out, "applied:") {
		t.Fatalf("the truncated sync says it applied:\n%s", out)
	}
	ident := tb.client(t, loadIdentity(t, kb))
	var page broker.InvolvementPage
	if err := ident.JSON(context.Background(), http.MethodGet, "/v1/involvements?status=active", "", nil, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Involvements) != 40 {
		t.Fatalf("after the refused sync %d active, want 40", len(page.Involvements))
	}
	out = invMustCLI(t, tb, kb, "", "connector", "sync", "--adapter", "debt", "--file", truncated, "--allow-mass-end")
	if !strings.Contains(out, "32 ended") || !strings.Contains(out, "applied:") {
		t.Fatalf("allowed:\n%s", out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the syncs left %d files in TMPDIR", len(left))
	}
	if left, _ := os.ReadDir(filepath.Join(tb.sys.Config.DataDir, spoolDir)); len(left) != 0 {
		t.Errorf("the syncs left %d files in the spool directory", len(left))
	}
	tb.assertNoBSNInLogs(t, bsns...)
}

// TestDaemonRefusesAMassEnd: the connector daemon moves a truncated
// export to failed/ with its report, and applies it with allow_mass_end.
func TestDaemonRefusesAMassEnd(t *testing.T) {
	tb := newTestBroker(t)
	dir := t.TempDir()
	kb := newPartnerIdentity(t, tb.operator, dir, "kredietbank", broker.SectorDebt)
	bsns := []string{newBSN(t), newBSN(t)}
	c := tb.client(t, loadIdentity(t, kb))
	full := debtExport(t, dir, "full.csv", bsns, 40)
	if _, err := syncExport(context.Background(), c, syncJob{adapter: "debt", file: full}); err != nil {
		t.Fatal(err)
	}
	truncated := debtExport(t, dir, "truncated.csv", bsns, 8)
	for _, tc := range []struct {
		name  string
		allow bool
		ended int
	}{{"refused", false, 0}, {"allowed", true, 32}} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := syncExport(context.Background(), c, syncJob{adapter: "debt", file: truncated, allowMassEnd: tc.allow})
			if tc.allow != (err == nil) || rep.Plan == nil || !rep.Plan.MassEnd || rep.Plan.Ended != 32 {
				t.Fatalf("%+v, %v", rep, err)
			}
			if tc.allow && rep.Result.Ended != tc.ended {
				t.Fatalf("%+v", rep.Result)
			}
			if err != nil && transientSync(err) {
				t.Errorf("a mass end is retried as if the broker were down: %v", err)
			}
		})
	}
	raw := `{"server":"` + tb.url + `","identity":"` + kb + `","adapter":"debt","drop":"` + dir + `","allow_mass_end":true}`
	cfgPath := filepath.Join(t.TempDir(), "connector.json")
	if err := os.WriteFile(cfgPath, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadDaemonConfig(cfgPath)
	if err != nil || !cfg.AllowMassEnd {
		t.Fatalf("allow_mass_end in the daemon's config: %+v, %v", cfg, err)
	}
}

func loadIdentity(t *testing.T, path string) *connectors.Identity {
	t.Helper()
	id, err := connectors.LoadIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
