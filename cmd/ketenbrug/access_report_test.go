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

// TestAccessReportCommandInPlainDutch: `audit subject-access` answers the
// resident in plain Dutch, grouped per organisation, saying why a request
// was refused in words, not codes — the console's wording (broker/inzage)
// — and never shows the BSN (issue 17 item 9).
func TestAccessReportCommandInPlainDutch(t *testing.T) {
	tb := newTestBroker(t)
	r := newRegion(t, tb, 2, nil)
	ctx := context.Background()
	if err := r.kb.JSON(ctx, http.MethodGet, "/v1/households/hh-c/involvements", debtPurpose, nil, nil); err == nil {
		t.Fatal("a connector saw the household overview")
	}
	k := newTestKey(t, protocol.AlgEdDSA)
	tb.bindPerson(t, "fg-c", "fg3", k, broker.RolePrivacyOfficer)
	fg := invIdentityFile(t, filepath.Join(t.TempDir()), k, "fg-c", "fg3", broker.RolePrivacyOfficer)
	out, err := invCLI(t, tb, fg, r.bsns["moeder"]+"\n", "audit", "subject-access", "--reference", "AVG-2026-11")
	if err != nil {
		t.Fatalf("subject-access: %v\n%s", err, out)
	}
	for _, want := range []string{"Overzicht voor de inwoner", "Kenmerk van uw verzoek: AVG-2026-11", "Partner kredietbank",
		"bekeek het overzicht van het huishouden — geweigerd: de medewerker mocht dit in die functie niet",
		"medewerker met eigen kenmerk van de organisatie connector, als het systeem van de organisatie",
		"c.regisseur (geverifieerd), als regisseur"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not say %q:\n%s", want, out)
		}
	}
	for _, code := range []string{"role_not_allowed", broker.ActionHouseholdOverview, r.bsns["moeder"]} {
		if strings.Contains(out, code) {
			t.Errorf("the report shows %q:\n%s", code, out)
		}
	}
}
