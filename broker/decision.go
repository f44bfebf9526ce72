package broker

import (
	"context"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Actions the broker asks the policy about. The policy bundle names the same
// strings; adding an action means adding rules and tests for it in rego/.
const (
	ActionHouseholdOverview = "household.overview" // which partners serve this household
	ActionPersonOverview    = "person.overview"    // which partners serve this person
	ActionHouseholdWrite    = "household.write"    // register or change a household
	ActionHouseholdList     = "household.list"     // list the households the caller coordinates
	ActionInvolvementWrite  = "involvement.write"  // register, change or end an involvement
	ActionConsentRecord     = "consent.record"
	ActionConsentRead       = "consent.read"
	ActionConsentWithdraw   = "consent.withdraw"
	ActionMatchSignal       = "match.signal" // may this partner receive a match signal
	ActionAssignmentGive    = "assignment.give"
	ActionAssignmentReceive = "assignment.receive"
	ActionPlanRead          = "plan.read"
	ActionPlanWrite         = "plan.write"

	// Steps of an assignment's lifecycle, each asked about the side that
	// takes it (the recipient; the giver for cancel).
	ActionAssignmentAccept   = "assignment.accept"
	ActionAssignmentDecline  = "assignment.decline"
	ActionAssignmentComplete = "assignment.complete"
	ActionAssignmentCancel   = "assignment.cancel"
	// ActionPlanStatus is a participant updating the status of its own
	// work agreement; ActionPlanClose the coordinator closing the plan.
	ActionPlanStatus = "plan.status"
	ActionPlanClose  = "plan.close"

	// ActionAssignmentRead is a side reading its own assignment: its own
	// record, so the policy is not asked; named in the audit trail when
	// another partner's attempt is refused.
	ActionAssignmentRead = "assignment.read"

	// Match follow-ups (followups.go).
	ActionFollowupRead     = "followup.read"
	ActionFollowupList     = "followup.list"
	ActionFollowupContact  = "followup.contact"
	ActionFollowupClose    = "followup.close"
	ActionFollowupReassign = "followup.reassign"
	// Steps the broker takes itself: audited, not asked of the policy.
	ActionFollowupEscalate = "followup.escalate"
	ActionFollowupCancel   = "followup.cancel"
)

// Stable reason codes of a denial. The policy returns them; clients and the
// audit trail rely on them, so they never change meaning.
const (
	ReasonNoConsent         = "no_consent"
	ReasonPurposeNotAllowed = "purpose_not_allowed"
	ReasonPurposeMissing    = "purpose_missing"
	ReasonLevelTooLow       = "level_too_low"
	ReasonCovenantNotSigned = "covenant_not_signed"
	ReasonOtherMunicipality = "other_municipality"
	ReasonOtherArea         = "other_area"
	ReasonRoleNotAllowed    = "role_not_allowed"
	ReasonSectorNotAllowed  = "sector_not_allowed"
	ReasonActionUnknown     = "action_unknown"
	ReasonPolicyError       = "policy_error"

	// ReasonAssignmentTypeNotAllowed: the assignment's type is not in the
	// policy data, or not for the recipient's sector.
	ReasonAssignmentTypeNotAllowed = "assignment_type_not_allowed"
	// ReasonTextNotAllowed: an instruction, outcome or reason is longer
	// than the policy allows, or free text is not allowed for the type.
	ReasonTextNotAllowed = "text_not_allowed"
	// ReasonNotParticipant: the caller takes no part in the (open) plan.
	ReasonNotParticipant = "not_participant"
	// ReasonNotCoordinator: only the household's coordinator may do this.
	ReasonNotCoordinator = "not_coordinator"
	// ReasonNoRelation: the caller stands in none of the relations to the
	// household or person that the purpose and action require (an
	// involvement of its own, being the coordinator, an open assignment,
	// a designation). Asked about a person the broker does not know, the
	// answer is the same.
	ReasonNoRelation = "no_relation"
	// ReasonBSNNotAllowed: the caller's partner may not key an involvement
	// by BSN (outside government bodies only where a law prescribes it);
	// the policy data lists the sectors and partners that may.
	ReasonBSNNotAllowed = "bsn_not_allowed"
	// ReasonNotFollowupParty: the caller is neither the follow-up's lead
	// nor its coordinator (the broker answers as if it did not exist).
	ReasonNotFollowupParty = "not_followup_party"
	// ReasonLeadNotAllowed: the person named as a follow-up's lead may not
	// lead it.
	ReasonLeadNotAllowed = "lead_not_allowed"
	// ReasonOutcomeUnknown: a follow-up closed with an outcome the policy
	// data does not list.
	ReasonOutcomeUnknown = "outcome_unknown"
)

// DecisionInput is the input document of the one policy question per request,
// data.ketenbrug.decision. It holds facts the broker owns; rules and policy
// data live in the bundle. Persons appear only as pseudonyms. The schema is
// documented for policy authors in rego/README.md.
type DecisionInput struct {
	Action  string `json:"action"`
	Purpose string `json:"purpose,omitempty"`
	// Now is RFC 3339 UTC, so that rules on validity periods are testable.
	Now          string                      `json:"now"`
	Caller       CallerFacts                 `json:"caller"`
	Municipality *MunicipalityFacts          `json:"municipality,omitempty"`
	Household    *HouseholdFacts             `json:"household,omitempty"`
	Subjects     map[Pseudonym]*SubjectFacts `json:"subjects,omitempty"`
	Candidates   []Candidate                 `json:"candidates,omitempty"`
	// Target is the other partner of a partner-to-partner action
	// (assignments, match signals).
	Target *PartnerFacts `json:"target,omitempty"`
	// Assignment describes the assignment of an assignment.* action.
	Assignment *AssignmentFacts `json:"assignment,omitempty"`
	// Plan describes the household's joint plan for a plan.* action.
	Plan *PlanFacts `json:"plan,omitempty"`
	// Followup describes the match follow-up of a followup.* action;
	// Followups the caller's follow-ups a followup.list asks about.
	Followup  *FollowupFacts  `json:"followup,omitempty"`
	Followups []FollowupFacts `json:"followups,omitempty"`
	// Relations are the caller's relations to the request's household or
	// persons (RelationCoordinator, …), established by the broker from its
	// records, sorted. Purpose binding needs one: the policy data says per
	// purpose and action which suffice.
	Relations []string `json:"relations,omitempty"`
	// KeyedBy says how an involvement.write identifies the person: "bsn"
	// (today the only way).
	KeyedBy string `json:"keyed_by,omitempty"`
	// SignalQuestion, when set, makes this the bulk match-signal question
	// of a sync chunk (signals.go): recipients and households instead of
	// one caller and one household.
	*SignalQuestion
}

// KeyedByBSN is DecisionInput.KeyedBy of an involvement keyed by BSN.
const KeyedByBSN = "bsn"

// AssignmentFacts describes an assignment (opdracht) for the policy: its
// type and the lengths of its texts, never the texts themselves (free text
// may hold what the policy must not see).
type AssignmentFacts struct {
	Type string `json:"type"`
	// InstructionLength is the instruction's length in characters (0: none).
	InstructionLength int `json:"instruction_length"`
	// TextLength is the length of the outcome or reason a step carries.
	TextLength int    `json:"text_length"`
	Status     string `json:"status,omitempty"`
}

// FollowupFacts describes a match follow-up for the policy: who leads and
// coordinates it, its state and, for a step, what the step names.
type FollowupFacts struct {
	ID                 string `json:"id"`
	State              string `json:"state"`
	LeadPartner        string `json:"lead_partner"`
	LeadSub            string `json:"lead_sub"`
	CoordinatorPartner string `json:"coordinator_partner"`
	CoordinatorSub     string `json:"coordinator_sub"`
	// Outcome is the outcome a close names (a code from the policy data).
	Outcome string `json:"outcome,omitempty"`
	// NewLeadSub is the person a reassign names as lead; the partner they
	// act for is the input's target.
	NewLeadSub string `json:"new_lead_sub,omitempty"`
	// NewLeadServes is true when the new lead's partner has a live
	// involvement with a member of the household.
	NewLeadServes bool `json:"new_lead_serves,omitempty"`
}

// PlanFacts describes a household's joint plan for the policy.
type PlanFacts struct {
	// Status is open or closed; "" when the household has no plan yet.
	Status  string `json:"status"`
	Version uint64 `json:"version"`
	// Participants are the partners with a work agreement in the plan
	// (after the change, for a write).
	Participants []PartnerFacts `json:"participants"`
}

// CallerFacts describes the verified caller.
type CallerFacts struct {
	Partner  string `json:"partner"`
	Sector   Sector `json:"sector"`
	Role     Role   `json:"role"`
	Sub      string `json:"sub"`
	Level    int    `json:"level"`
	Covenant string `json:"covenant"`
	// Municipalities the caller's partner serves.
	Municipalities []string `json:"municipalities"`
	// Area is the caller's area within its municipality, when known.
	Area string `json:"area,omitempty"`
	// RegisteredAt is when the caller's partner was registered (RFC 3339
	// UTC): a consent to "all" covers only partners known when it was
	// given.
	RegisteredAt string `json:"registered_at,omitempty"`
}

// MunicipalityFacts describes the municipality a request is about.
type MunicipalityFacts struct {
	ID    string `json:"id"`
	Level int    `json:"level"`
}

// HouseholdFacts describes the household a request is about.
type HouseholdFacts struct {
	ID           string `json:"id"`
	Municipality string `json:"municipality"`
	Area         string `json:"area,omitempty"`
	// Coordinator is the partner and person who direct the household's
	// support (regisseur).
	CoordinatorPartner string `json:"coordinator_partner,omitempty"`
	CoordinatorSub     string `json:"coordinator_sub,omitempty"`
	// PlanPurpose and PlanEnds: the purpose of the household's joint plan
	// and its last day (YYYY-MM-DD), when it has a plan with an end (set,
	// or closed); a consent for the household ends with it.
	PlanPurpose string `json:"plan_purpose,omitempty"`
	PlanEnds    string `json:"plan_ends,omitempty"`
}

// SubjectFacts describes one person a request is about.
type SubjectFacts struct {
	Label     string `json:"label,omitempty"`
	Role      string `json:"role,omitempty"` // parent, child, other
	BirthYear int    `json:"birth_year,omitempty"`
	// BirthDate is the date of birth (YYYY-MM-DD), when known; stored
	// members from before it carry only BirthYear.
	BirthDate string         `json:"birth_date,omitempty"`
	Shielded  bool           `json:"shielded"`
	Consents  []ConsentFacts `json:"consents"`
	// Restrictions are the subject's active restrictions (AVG art. 18) and
	// objections (art. 21) for the request's purpose; absent when none.
	Restrictions []RestrictionFacts `json:"restrictions,omitempty"`
}

// ConsentFacts is one consent as the policy sees it. Withdrawn consents are
// passed too (marked), so the rule that ignores them is visible in Rego.
type ConsentFacts struct {
	ID         string   `json:"id"`
	Purpose    string   `json:"purpose"`
	AllSectors bool     `json:"all,omitempty"`
	Sectors    []Sector `json:"sectors,omitempty"`
	Partners   []string `json:"partners,omitempty"`
	GivenBy    string   `json:"given_by"`
	ValidFrom  string   `json:"valid_from,omitempty"`  // YYYY-MM-DD
	ValidUntil string   `json:"valid_until,omitempty"` // YYYY-MM-DD, inclusive
	Withdrawn  bool     `json:"withdrawn"`
	// Explicit: an explicit consent (AVG art. 9 lid 2 sub a), recorded
	// with its evidence; only such a consent covers special-category data.
	Explicit bool `json:"explicit,omitempty"`
	// Evidence: the consent's evidence is recorded (the reference itself
	// never reaches the policy).
	Evidence bool `json:"evidence,omitempty"`
	// NotConditional: it is recorded that support was not made
	// conditional on the consent (AVG art. 7 lid 4).
	NotConditional bool `json:"not_conditional,omitempty"`
	// RecordedAt is when the consent was recorded (RFC 3339 UTC).
	RecordedAt string `json:"recorded_at,omitempty"`
}

// PartnerFacts describes a partner other than the caller.
type PartnerFacts struct {
	ID       string `json:"id"`
	Sector   Sector `json:"sector"`
	Level    int    `json:"level"`
	Covenant string `json:"covenant"`
	// RegisteredAt is when the partner was registered (RFC 3339 UTC).
	RegisteredAt string `json:"registered_at,omitempty"`
}

// Candidate is an involvement the broker could show; the policy chooses.
type Candidate struct {
	ID      string       `json:"id"`
	Subject Pseudonym    `json:"subject"`
	Service string       `json:"service"`
	Status  string       `json:"status"`
	Partner PartnerFacts `json:"partner"`
	// Purpose is the purpose the involvement was registered under ("" for
	// one stored before registration needed a purpose).
	Purpose string `json:"purpose,omitempty"`
}

// Decision is the policy's answer.
type Decision struct {
	Allow   bool     `json:"allow"`
	Reasons []string `json:"reasons"`
	// Bases are the legal bases (grondslagen) the decision relied on, taken
	// from the METADATA annotations of the rules that fired.
	Bases []string `json:"bases"`
	// Show maps candidate ids to the fields that may be shown of each;
	// candidates not named are withheld.
	Show map[string][]string `json:"show,omitempty"`
	// Version is the content hash of the policy version that decided.
	Version string `json:"version"`
	// Signals answers a bulk match-signal question (signals.go); nil when
	// the policy did not answer in bulk.
	Signals SignalAnswers `json:"signals,omitempty"`
}

// Err returns nil when the decision allows, and a *DeniedError otherwise.
func (d Decision) Err() error {
	if d.Allow {
		return nil
	}
	reasons := d.Reasons
	if len(reasons) == 0 {
		reasons = []string{ReasonPolicyError}
	}
	return &DeniedError{Reasons: reasons}
}

// Decider answers policy questions. Implementations fail closed: an error,
// a timeout or an undefined answer comes back as a denial with reason
// ReasonPolicyError (and the error, for the log), never as an allow.
type Decider interface {
	Decide(ctx context.Context, in *DecisionInput) (Decision, error)
}

// PolicyReport is wire.PolicyReport: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type PolicyReport = wire.PolicyReport

// PolicyTest is wire.PolicyTest: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type PolicyTest = wire.PolicyTest

// PolicyEngine is what the broker needs from the policy engine beyond
// deciding: checking uploaded bundles, deciding under a stored version for
// dry-runs and explanations, and switching the active version.
type PolicyEngine interface {
	Decider
	// Check compiles a bundle (an OPA bundle as tar.gz) strictly, checks its
	// entrypoint and runs its tests. A bundle that does not compile, has no
	// tests or fails one is refused with an error matching ErrInvalid; the
	// report says why.
	Check(ctx context.Context, bundle []byte) (PolicyReport, error)
	// DecideWith evaluates under the given version without activating it.
	DecideWith(ctx context.Context, version string, bundle []byte, in *DecisionInput) (Decision, error)
	// Activate makes version the one Decide uses, without dropping a request.
	Activate(ctx context.Context, version string, bundle []byte) error
	// Active returns the active version's hash.
	Active() string
	// Describe returns what the register of processing is made of, for
	// the active version (register.go).
	Describe() PolicyDescription
	// ExplainText decides under version like DecideWith and says why, for
	// people: the documented rules that held with their legal bases, and
	// a condensed trace.
	ExplainText(ctx context.Context, version string, bundle []byte, in *DecisionInput) (Decision, string, error)
}

// Explanation answers a privacy officer's what-if question.
type Explanation struct {
	Decision Decision `json:"decision"`
	// Text says why, readably: the rules that held, their legal bases, and
	// a condensed trace of the evaluation.
	Text string `json:"explanation"`
}
