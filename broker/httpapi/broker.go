package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Broker is what the HTTP API needs from the domain. *broker.Service
// implements it.
type Broker interface {
	// Collaboration is levels 3 and 4: assignments and the joint plan.
	Collaboration
	// Rights is the data subject's rights and the officer's paperwork.
	Rights
	ID() string
	Ready(ctx context.Context) error
	LookupPartner(id string) (*broker.Partner, error)
	Whoami(c *broker.Caller) broker.Whoami

	RegisterPartner(ctx context.Context, c *broker.Caller, p broker.Partner) (broker.Partner, error)
	UpdatePartner(ctx context.Context, c *broker.Caller, p broker.Partner) (broker.Partner, error)
	SetPartnerKeys(ctx context.Context, c *broker.Caller, id string, jwks json.RawMessage) (broker.Partner, error)
	SetPartnerStatus(ctx context.Context, c *broker.Caller, id string, status broker.PartnerStatus) (broker.Partner, error)
	Partner(ctx context.Context, c *broker.Caller, id string) (broker.Partner, error)
	Partners(ctx context.Context, c *broker.Caller) ([]broker.Partner, error)
	PutPersonKey(ctx context.Context, c *broker.Caller, partner string, k broker.PersonKey) (broker.PersonKey, error)
	RemovePersonKey(ctx context.Context, c *broker.Caller, partner, person string) error
	SetPersonStatus(ctx context.Context, c *broker.Caller, partner, person string, status broker.PartnerStatus) (broker.PersonKey, error)
	PersonKeys(ctx context.Context, c *broker.Caller, partner string) ([]broker.PersonKey, error)
	SetLoginConfig(ctx context.Context, c *broker.Caller, partner string, lc broker.LoginConfig) (broker.LoginConfig, error)
	LoginConfig(ctx context.Context, c *broker.Caller, partner string) (broker.LoginConfig, error)
	RemoveLoginConfig(ctx context.Context, c *broker.Caller, partner string) error
	// RecordRefusal audits the refusal of an authentic token (a person
	// key used for another person or role, or of a suspended person).
	RecordRefusal(ctx context.Context, c *broker.Caller, reason, claimedSub string)
	Backup(ctx context.Context, c *broker.Caller, w io.Writer) (int64, error)
	ExportAudit(ctx context.Context, c *broker.Caller, w io.Writer, from uint64) (int, error)

	RecordConsent(ctx context.Context, c *broker.Caller, bsn string, in broker.Consent) (broker.ConsentView, error)
	Consents(ctx context.Context, c *broker.Caller, bsn, reference string) (broker.ConsentList, error)
	WithdrawConsent(ctx context.Context, c *broker.Caller, id, reason string) (broker.ConsentView, error)

	PushPolicy(ctx context.Context, c *broker.Caller, bundle []byte, note string) (broker.PolicyVersion, error)
	Policies(ctx context.Context, c *broker.Caller) ([]broker.PolicyVersion, error)
	PolicyBundle(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	DryRun(ctx context.Context, c *broker.Caller, id string, n int) (broker.DryRunReport, error)
	ApprovePolicy(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	RollbackPolicy(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	ExplainPolicy(ctx context.Context, c *broker.Caller, id string, in *broker.DecisionInput) (broker.Explanation, error)
	ReplayRequest(ctx context.Context, c *broker.Caller, requestID, id, ref string) (broker.Replay, error)
	ProcessingRegister(ctx context.Context, c *broker.Caller) (broker.ProcessingRegister, error)
	RejectPolicy(ctx context.Context, c *broker.Caller, id, comment string) (broker.PolicyVersion, error)
	Purposes(c *broker.Caller) ([]broker.PurposeChoice, error)

	PutInvolvement(ctx context.Context, c *broker.Caller, ref string, in broker.InvolvementInput) (broker.InvolvementView, bool, error)
	EndInvolvement(ctx context.Context, c *broker.Caller, ref, end string) (broker.InvolvementView, error)
	Involvements(ctx context.Context, c *broker.Caller, status, after string, limit int) (broker.InvolvementPage, error)
	Sync(ctx context.Context, c *broker.Caller, items iter.Seq[broker.SyncItem], opts broker.SyncOptions) (broker.SyncResult, error)
	PutHousehold(ctx context.Context, c *broker.Caller, id string, in broker.HouseholdInput) (broker.HouseholdView, error)
	Household(ctx context.Context, c *broker.Caller, id string) (broker.HouseholdView, error)
	HouseholdOverview(ctx context.Context, c *broker.Caller, id string) (broker.Overview, error)
	PersonOverview(ctx context.Context, c *broker.Caller, bsn, municipality string) (broker.Overview, error)
	Inbox(ctx context.Context, c *broker.Caller, after uint64, limit int, wait time.Duration) (broker.InboxPage, error)
	AckInbox(ctx context.Context, c *broker.Caller, id string) (broker.InboxView, error)

	AuditEntries(ctx context.Context, c *broker.Caller, q broker.AuditQuery) (broker.AuditPage, error)
	VerifyAudit(ctx context.Context, c *broker.Caller) (broker.AuditVerification, error)
	SubjectAccess(ctx context.Context, c *broker.Caller, bsn, reference string) (broker.SubjectAccessReport, error)
}
