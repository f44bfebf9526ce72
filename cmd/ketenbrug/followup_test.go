package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// TestFollowupCommands: over loopback HTTP with real signed tokens, the
// regisseur of the collaboration region finds the follow-up its match
// signal opened, records a contact, names the kredietbank's professional
// lead, who closes it; the operator names and removes the municipality's
// team lead.
func TestFollowupCommands(t *testing.T) {
	tb := newTestBroker(t)
	r := newRegion(t, tb, 3, nil)
	// The sociale dienst registers with the mother, whom the kredietbank
	// already serves; then the kredietbank with the father: the
	// regisseur's match signal about the kredietbank (the purpose shows
	// debt counselling only) opens a follow-up.
	ctx := context.Background()
	if err := r.sd.JSON(ctx, http.MethodPut, "/v1/involvements/sd-1", debtPurpose, map[string]any{
		"bsn": r.bsns["moeder"], "service": "bijstand", "status": "active", "contact": map[string]string{"name": "S. de Vries"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.kb.JSON(ctx, http.MethodPut, "/v1/involvements/kb-18", debtPurpose, map[string]any{
		"bsn": r.bsns["vader"], "service": "schuldhulp", "status": "active", "contact": map[string]string{"name": "J. Bakker"}}, nil); err != nil {
		t.Fatal(err)
	}
	var list []wire.FollowupView
	if err := json.Unmarshal([]byte(invMustCLI(t, tb, r.coordFile, "", "followup", "list", "--state", "live", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Partner != "kredietbank" || list[0].Lead != (wire.Actor{Partner: "gem-c", Sub: "c.regisseur"}) {
		t.Fatalf("followup list -o json: %+v", list)
	}
	id := list[0].ID
	out := invMustCLI(t, tb, r.coordFile, "", "followup", "list", "--household", "hh-c")
	for _, want := range []string{id, "open", "kredietbank", "gem-c/c.regisseur", list[0].Due, "1 follow-up(s), 0 overdue"} {
		if !strings.Contains(out, want) {
			t.Errorf("followup list lacks %q:\n%s", want, out)
		}
	}
	// To the kredietbank's professional, not yet its lead, there is none.
	if out := invMustCLI(t, tb, r.kbPro, "", "followup", "list"); !strings.Contains(out, "no follow-ups") {
		t.Errorf("another partner's list:\n%s", out)
	}
	if out, err := invCLI(t, tb, r.kbPro, "", "followup", "show", id); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("another partner's show: %v\n%s", err, out)
	}

	// Bad input is refused before anything changes.
	if out, err := invCLI(t, tb, r.coordFile, "", "followup", "contact", id, "--on", "2099-01-01"); err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("a contact in the future: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"reassign", id, "--lead", "kredietbank"}, {"reassign", id, "--lead", "/j.bakker"},
		{"show", "F_1"}, {"close", id}} {
		if _, err := invCLI(t, tb, r.coordFile, "", append([]string{"followup"}, args...)...); err == nil || exitCode(err) != exitUsage {
			t.Errorf("followup %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}

	today := time.Now().Format(time.DateOnly)
	out = invMustCLI(t, tb, r.coordFile, "", "followup", "contact", id)
	if !strings.Contains(out, "is contacted") {
		t.Fatalf("contact:\n%s", out)
	}
	out = invMustCLI(t, tb, r.coordFile, "", "followup", "reassign", id, "--lead", "kredietbank/j.bakker")
	if !strings.Contains(out, "lead kredietbank/j.bakker") {
		t.Fatalf("reassign:\n%s", out)
	}
	out = invMustCLI(t, tb, r.kbPro, "", "followup", "close", id, "--outcome", "afgestemd")
	if !strings.Contains(out, "is closed") {
		t.Fatalf("close:\n%s", out)
	}
	out = invMustCLI(t, tb, r.coordFile, "", "followup", "show", id)
	for _, want := range []string{"Follow-up " + id + " — closed", "outcome      afgestemd", "contact      kredietbank on " + today,
		"reassign", "(kredietbank/j.bakker)", "by kredietbank/j.bakker"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var v wire.FollowupView
	if err := json.Unmarshal([]byte(invMustCLI(t, tb, r.kbPro, "", "followup", "show", id, "-o", "json")), &v); err != nil ||
		v.State != broker.FollowupClosed || len(v.Steps) != 4 {
		t.Fatalf("show -o json: %+v, %v", v, err)
	}

	// The operator names the municipality's team lead; another change
	// keeps it; --team-lead "" removes it.
	raw, _ := json.Marshal(tb.operatorID)
	op := filepath.Join(t.TempDir(), "operator.json")
	if err := os.WriteFile(op, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out = invMustCLI(t, tb, op, "", "partner", "update", "gem-c", "--team-lead", "gem-c/t.teamleider")
	if !strings.Contains(out, "team lead gem-c/t.teamleider") {
		t.Errorf("partner update --team-lead:\n%s", out)
	}
	invMustCLI(t, tb, op, "", "partner", "update", "gem-c", "--covenant", "2026-2")
	if p, _ := tb.sys.Service.LookupPartner("gem-c"); p.TeamLead == nil || *p.TeamLead != (broker.Actor{Partner: "gem-c", Sub: "t.teamleider"}) {
		t.Errorf("another change lost the team lead: %+v", p.TeamLead)
	}
	if _, err := invCLI(t, tb, op, "", "partner", "update", "gem-c", "--team-lead", "t.teamleider"); err == nil || exitCode(err) != exitUsage {
		t.Errorf("--team-lead without a partner: %v", err)
	}
	invMustCLI(t, tb, op, "", "partner", "update", "gem-c", "--team-lead", "")
	if p, _ := tb.sys.Service.LookupPartner("gem-c"); p.TeamLead != nil || p.Covenant != "2026-2" {
		t.Errorf("after --team-lead \"\": %+v", p)
	}
}

// TestFollowupTable: the table keeps the broker's order (overdue first)
// and marks what is overdue.
func TestFollowupTable(t *testing.T) {
	lead := wire.Actor{Partner: "gem-a", Sub: "c.regisseur"}
	var b bytes.Buffer
	if err := printFollowups(&b, []wire.FollowupView{
		{ID: "f-late", State: broker.FollowupContacted, Overdue: true, Due: "2027-01-04", Household: "hh-1", Partner: "uwv", Lead: lead},
		{ID: "f-soon", State: broker.FollowupOpen, Due: "2027-02-01", Household: "hh-1", Partner: "cjg", Lead: lead},
		{ID: "f-done", State: broker.FollowupClosed, Due: "2026-12-01", Household: "hh-2", Partner: "school", Lead: lead, Outcome: "afgestemd"},
	}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	late, soon, done := strings.Index(out, "f-late"), strings.Index(out, "f-soon"), strings.Index(out, "f-done")
	if late < 0 || late > soon || soon > done || !strings.Contains(out, "OVERDUE (contacted)") ||
		!strings.Contains(out, "3 follow-up(s), 1 overdue") || strings.Count(out, "OVERDUE") != 1 {
		t.Errorf("table:\n%s", out)
	}
}
