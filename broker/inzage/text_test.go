package inzage

import (
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestWriteText: one group per organisation; a run of the same event is
// one line saying how often; what was shown names whose involvement and
// to whom; a refusal says why in words; the purpose by its name.
func TestWriteText(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.Local)
	sync := broker.SubjectAccessRow{Partner: "uwv", PartnerName: "UWV", Sub: "connector", SubKnown: broker.SubAsserted,
		Role: broker.RoleConnector, Action: "involvement.sync", Decision: broker.DecisionAllow, PartnerRole: "controller",
		PartnerContact: "privacy@uwv.example"}
	var rows []broker.SubjectAccessRow
	for i := range 5 {
		s := sync
		s.Time = t0.Add(time.Duration(i) * time.Minute)
		rows = append(rows, s)
	}
	rows = append(rows,
		broker.SubjectAccessRow{Time: t0.Add(time.Hour), Partner: "gem-a", PartnerName: "Gemeente A", Sub: "s.bos", SubKnown: broker.SubVerified,
			Role: broker.RoleCoordinator, Action: broker.ActionHouseholdOverview, Purpose: "integrale-ondersteuning", Decision: broker.DecisionAllow,
			Bases: []string{"AVG art. 6 lid 1 sub a"}, Shown: []broker.Disclosure{{Partner: "UWV", Fields: []string{"partner", "service"}}}},
		broker.SubjectAccessRow{Time: t0.Add(2 * time.Hour), Partner: "kredietbank", PartnerName: "Kredietbank", Sub: "connector",
			SubKnown: broker.SubAsserted, Role: broker.RoleConnector, Action: broker.ActionMatchSignal, Decision: broker.DecisionAllow,
			Shown: []broker.Disclosure{{Partner: "CJG", Fields: []string{"partner"}, To: "Gemeente A"}}},
		broker.SubjectAccessRow{Time: t0.Add(3 * time.Hour), Partner: "kredietbank", PartnerName: "Kredietbank", Sub: "connector",
			SubKnown: broker.SubAsserted, Role: broker.RoleConnector, Action: broker.ActionHouseholdOverview, Decision: broker.DecisionDeny,
			Reasons: []string{broker.ReasonRoleNotAllowed, broker.ReasonNoRelation}},
	)
	var b strings.Builder
	if err := WriteText(&b, broker.SubjectAccessReport{Broker: "kb-regio", GeneratedAt: t0, Events: rows}, "AVG-2026-1",
		map[string]string{"integrale-ondersteuning": "Integrale ondersteuning"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Kenmerk van uw verzoek: AVG-2026-1",
		"\nGemeente A\n", "\nKredietbank\n", "\nUWV\n",
		"Rol bij de verwerking: verwerkingsverantwoordelijke. Vragen over uw gegevens bij deze organisatie: privacy@uwv.example.",
		"5 keer, van 03-12-2026 09:00 tot 03-12-2026 09:04  medewerker met eigen kenmerk van de organisatie connector",
		"s.bos (geverifieerd), als regisseur: bekeek het overzicht van het huishouden; getoond: dat UWV bij u betrokken is (organisatie, dienst)",
		"doel: Integrale ondersteuning; wettelijke grond: AVG art. 6 lid 1 sub a",
		"getoond: dat CJG bij u betrokken is (organisatie), aan Gemeente A",
		"geweigerd: de medewerker mocht dit in die functie niet; de organisatie had geen band met u of uw huishouden die dit rechtvaardigt",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not say %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "gaf door bij welke inwoners") != 1 {
		t.Errorf("the run of five syncs is not one line:\n%s", out)
	}
	if strings.Index(out, "Gemeente A\n") > strings.Index(out, "Kredietbank\n") || strings.Index(out, "Kredietbank\n") > strings.Index(out, "\nUWV\n") {
		t.Errorf("the organisations are not in order of name:\n%s", out)
	}
	for _, code := range []string{"role_not_allowed", "no_relation", "household.overview", "integrale-ondersteuning"} {
		if strings.Contains(out, code) {
			t.Errorf("the report shows the code %q:\n%s", code, out)
		}
	}

	b.Reset()
	if err := WriteText(&b, broker.SubjectAccessReport{Broker: "kb", GeneratedAt: t0}, "", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "geen gegevens over u laten zien") {
		t.Errorf("an empty report:\n%s", b.String())
	}
}

// TestEveryReasonHasWords: every refusal code the domain and the policy
// give has words for the resident.
func TestEveryReasonHasWords(t *testing.T) {
	for _, r := range []string{broker.ReasonNoConsent, broker.ReasonPurposeNotAllowed, broker.ReasonPurposeMissing, broker.ReasonLevelTooLow,
		broker.ReasonCovenantNotSigned, broker.ReasonOtherMunicipality, broker.ReasonOtherArea, broker.ReasonRoleNotAllowed,
		broker.ReasonSectorNotAllowed, broker.ReasonNoRelation, broker.ReasonNotParticipant, broker.ReasonNotCoordinator,
		broker.ReasonAssignmentTypeNotAllowed, broker.ReasonTextNotAllowed, broker.ReasonPolicyError, broker.ReasonBSNNotAllowed,
		broker.ReasonRestricted, broker.ReasonObjected, broker.ReasonPersonNotVerified, broker.RefusalConflict,
		broker.RefusalForbidden, broker.RefusalNotFound, broker.RefusalPrecondition, broker.RefusalInvalid,
		broker.ReasonNotFollowupParty, broker.ReasonLeadNotAllowed, broker.ReasonOutcomeUnknown} {
		if ReasonName(r) == r {
			t.Errorf("no words for %s", r)
		}
	}
}
