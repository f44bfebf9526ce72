package connectors_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker/httpapi"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// clientMethods maps every operation of the broker's OpenAPI document to
// the Client method that calls it. A new endpoint without a method, or a
// method left behind by a removed endpoint, fails TestEveryOperationHasAMethod:
// programs built on the SDK (the CLI among them) never write a route by hand.
var clientMethods = map[string]string{
	// public
	"brokerKeys":    "BrokerKeys",
	"configuration": "Configuration",
	"healthz":       "Healthz",
	"readyz":        "Readyz",
	"metrics":       "Metrics",
	"openapi":       "OpenAPI",
	"whoami":        "Whoami",
	// partners, person keys, logins
	"listPartners":      "ListPartners",
	"registerPartner":   "RegisterPartner",
	"getPartner":        "GetPartner",
	"updatePartner":     "UpdatePartner",
	"activatePartner":   "ActivatePartner",
	"suspendPartner":    "SuspendPartner",
	"setPartnerKeys":    "SetPartnerKeys",
	"listPersonKeys":    "PersonKeys",
	"putPersonKey":      "PutPersonKey",
	"removePersonKey":   "RemovePersonKey",
	"activatePerson":    "SetPersonSuspended",
	"suspendPerson":     "SetPersonSuspended",
	"getLoginConfig":    "LoginConfig",
	"putLoginConfig":    "SetLoginConfig",
	"removeLoginConfig": "RemoveLoginConfig",
	// involvements, households, overviews
	"listInvolvements":  "ListInvolvements",
	"putInvolvement":    "PutInvolvement",
	"endInvolvement":    "EndInvolvement",
	"syncInvolvements":  "SyncWith",
	"listHouseholds":    "ListHouseholds",
	"getHousehold":      "GetHousehold",
	"putHousehold":      "PutHousehold",
	"householdOverview": "HouseholdOverview",
	"personOverview":    "PersonOverview",
	// inbox and webhooks
	"inbox":           "Inbox",
	"ackInbox":        "AckInbox",
	"deadLetters":     "DeadLetters",
	"retryDeadLetter": "RetryDeadLetter",
	// consents and restrictions
	"recordConsent":      "RecordConsent",
	"searchConsents":     "SearchConsents",
	"withdrawConsent":    "WithdrawConsent",
	"recordRestriction":  "RecordRestriction",
	"searchRestrictions": "SearchRestrictions",
	"liftRestriction":    "LiftRestriction",
	// assignments and plans
	"listAssignments":    "ListAssignments",
	"giveAssignment":     "GiveAssignment",
	"getAssignment":      "GetAssignment",
	"acceptAssignment":   "AcceptAssignment",
	"declineAssignment":  "DeclineAssignment",
	"completeAssignment": "CompleteAssignment",
	"cancelAssignment":   "CancelAssignment",
	"getPlan":            "GetPlan",
	"putPlan":            "PutPlan",
	"setAgreementStatus": "SetAgreementStatus",
	"closePlan":          "ClosePlan",
	"planHistory":        "PlanHistory",
	// match follow-ups
	"listFollowups":    "Followups",
	"getFollowup":      "Followup",
	"contactFollowup":  "ContactFollowup",
	"closeFollowup":    "CloseFollowup",
	"reassignFollowup": "ReassignFollowup",
	// policies and purposes
	"listPolicies":       "ListPolicies",
	"pushPolicy":         "PushPolicy",
	"getPolicy":          "GetPolicy",
	"getPolicyBundle":    "GetPolicyBundle",
	"dryRunPolicy":       "DryRunPolicy",
	"approvePolicy":      "ApprovePolicy",
	"rejectPolicy":       "RejectPolicy",
	"rollbackPolicy":     "RollbackPolicy",
	"explainPolicy":      "ExplainPolicy",
	"processingRegister": "ProcessingRegister",
	"listPurposes":       "ListPurposes",
	// audit and backup
	"auditEntries":     "AuditEntries",
	"exportAudit":      "ExportAudit",
	"verifyAudit":      "VerifyAudit",
	"subjectAccess":    "SubjectAccess",
	"auditDisclosures": "AuditDisclosures",
	"replayRequest":    "ReplayRequest",
	"backup":           "Backup",
	// the pilot's figures
	"statistics": "Statistics",
}

func TestEveryOperationHasAMethod(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(httpapi.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	client := reflect.TypeFor[*connectors.Client]()
	seen := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if !slices.Contains([]string{"get", "put", "post", "delete", "patch", "head"}, method) {
				continue
			}
			var op struct {
				ID string `json:"operationId"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || op.ID == "" {
				t.Errorf("%s %s has no operationId", strings.ToUpper(method), path)
				continue
			}
			seen[op.ID] = true
			name, ok := clientMethods[op.ID]
			if !ok {
				t.Errorf("%s %s (%s) has no Client method: add one to connectors and to clientMethods", strings.ToUpper(method), path, op.ID)
				continue
			}
			if _, ok := client.MethodByName(name); !ok {
				t.Errorf("%s %s (%s): Client has no method %s", strings.ToUpper(method), path, op.ID, name)
			}
		}
	}
	for id := range clientMethods {
		if !seen[id] {
			t.Errorf("clientMethods names %s, which the OpenAPI document no longer has", id)
		}
	}
}
