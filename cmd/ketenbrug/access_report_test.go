package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestAccessReportNamesHowThePersonWasKnown: the resident's report names
// the person where the broker verified who acted, and otherwise says the
// name is only the organisation's own reference (issue 15 item 4).
func TestAccessReportNamesHowThePersonWasKnown(t *testing.T) {
	var out bytes.Buffer
	printSubjectAccess(&out, broker.SubjectAccessReport{Broker: "kb", GeneratedAt: time.Now(), Events: []broker.SubjectAccessRow{
		{Seq: 1, Partner: "gem-a", PartnerName: "Gemeente A", Sub: "s.bos", SubKnown: broker.SubVerified, Role: broker.RoleCoordinator,
			Action: broker.ActionHouseholdOverview, Decision: broker.DecisionAllow},
		{Seq: 2, Partner: "uwv", PartnerName: "UWV", Sub: "connector", SubKnown: broker.SubAsserted, Role: broker.RoleConnector,
			Action: broker.ActionInvolvementWrite, Decision: broker.DecisionAllow},
	}})
	for _, want := range []string{"s.bos (verified person)", "the organisation's own reference connector"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}
