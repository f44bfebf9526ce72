package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// TestReplayRequest: a privacy officer replays the recorded decisions of
// one request by its id (policy explain --request). Outside the officer's
// reach it looks exactly like a request that was never made; other roles
// are refused; the look needs a reference and is audited.
func TestReplayRequest(t *testing.T) {
	tb := newTestBroker(t)
	r := newRegion(t, tb, 2, nil)
	ctx := context.Background()

	// The debt counsellor's connector asks for the household overview: a
	// role that may not (role_not_allowed), recorded with its request id.
	denied := problemOf(t, r.kb.JSON(ctx, http.MethodGet, "/v1/households/hh-c/involvements", debtPurpose, nil, nil))
	if denied.Status != http.StatusForbidden || denied.RequestID == "" {
		t.Fatalf("the overview by a connector: %+v", denied)
	}
	path := "/v1/decisions/" + denied.RequestID + "?reference=FG-2026-7"

	var rep broker.Replay
	if err := r.fg.JSON(ctx, http.MethodGet, path, "", nil, &rep); err != nil {
		t.Fatalf("the region's privacy office replays: %v", err)
	}
	if rep.RequestID != denied.RequestID || len(rep.Decisions) != 1 {
		t.Fatalf("replay: %+v", rep)
	}
	d := rep.Decisions[0]
	if d.Recorded.Allow || d.Replayed.Allow || d.Changed || !strings.Contains(strings.Join(d.Replayed.Reasons, ","), "role_not_allowed") || d.Text == "" {
		t.Errorf("replayed decision: %+v", d)
	}

	// Named negative tests.
	t.Run("another partner's officer sees what does not exist", func(t *testing.T) {
		k := newTestKey(t, protocol.AlgEdDSA)
		tb.register(t, "fg-elders", broker.SectorMunicipality, []broker.Role{broker.RolePrivacyOfficer}, k)
		other := tb.client(t, k.identity(t, "fg-elders", "fg", broker.RolePrivacyOfficer))
		outside := problemOf(t, other.JSON(ctx, http.MethodGet, path, "", nil, nil))
		never := problemOf(t, other.JSON(ctx, http.MethodGet, "/v1/decisions/r-aaaaaaaaaaaaaaaaaaaa?reference=FG-2026-7", "", nil, nil))
		if outside.Status != http.StatusNotFound || outside.Status != never.Status || outside.Code != never.Code ||
			outside.Type != never.Type || outside.Title != never.Title ||
			strings.ReplaceAll(outside.Detail, denied.RequestID, "X") != strings.ReplaceAll(never.Detail, "r-aaaaaaaaaaaaaaaaaaaa", "X") {
			t.Errorf("out of reach %+v differs from never made %+v", outside, never)
		}
	})
	t.Run("a coordinator may not replay", func(t *testing.T) {
		if pe := problemOf(t, r.coord.JSON(ctx, http.MethodGet, path, "", nil, nil)); pe.Status != http.StatusForbidden {
			t.Errorf("a coordinator replays: %+v", pe)
		}
	})
	t.Run("an officer names the request the look serves", func(t *testing.T) {
		pe := problemOf(t, r.fg.JSON(ctx, http.MethodGet, "/v1/decisions/"+denied.RequestID, "", nil, nil))
		if pe.Status != http.StatusUnprocessableEntity || pe.Field != "reference" {
			t.Errorf("a replay without a reference: %+v", pe)
		}
	})
	t.Run("a BSN as request id is refused without echo", func(t *testing.T) {
		bsn := r.bsns["moeder"]
		pe := problemOf(t, r.fg.JSON(ctx, http.MethodGet, "/v1/decisions/"+bsn+"?reference=FG-2026-7", "", nil, nil))
		if pe.Status != http.StatusUnprocessableEntity || strings.Contains(pe.Detail+pe.Title, bsn) {
			t.Errorf("a BSN as request id: %+v", pe)
		}
	})

	// The look is audited, with its reference.
	var page broker.AuditPage
	if err := r.fg.JSON(ctx, http.MethodGet, "/v1/audit?from=1&limit=1000&reference=FG-2026-8&action=policy.replay", "", nil, &page); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range page.Entries {
		if e.Object == "request:"+denied.RequestID && e.Detail["reference"] == "FG-2026-7" {
			found++
		}
	}
	if found < 2 { // the office's replay and the other officer's look
		t.Errorf("%d audited replays of %s, want 2 or more: %+v", found, denied.RequestID, page.Entries)
	}

	// The command line.
	k := newTestKey(t, protocol.AlgEdDSA)
	tb.bindPerson(t, "fg-c", "fg2", k, broker.RolePrivacyOfficer)
	fg2 := invIdentityFile(t, filepath.Join(t.TempDir()), k, "fg-c", "fg2", broker.RolePrivacyOfficer)
	out, err := invCLI(t, tb, fg2, "", "policy", "explain", "--request", denied.RequestID, "--reference", "FG-2026-7")
	if err != nil {
		t.Fatalf("policy explain --request: %v\n%s", err, out)
	}
	for _, want := range []string{"1 decision replayed", "household.overview: then deny (role_not_allowed", "now deny", "the same now"} {
		if !strings.Contains(out, want) {
			t.Errorf("policy explain --request does not say %q:\n%s", want, out)
		}
	}
	if _, err := invCLI(t, tb, fg2, "", "policy", "explain", "--request", denied.RequestID, "--input", "x.json"); err == nil ||
		!strings.Contains(err.Error(), "not both") {
		t.Errorf("--request with --input: %v", err)
	}
}
