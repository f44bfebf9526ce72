package broker

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Assignment statuses. The lifecycle: proposed → accepted | declined;
// accepted → completed; proposed or accepted → cancelled (by the giver).
const (
	AssignmentProposed  = "proposed"
	AssignmentAccepted  = "accepted"
	AssignmentDeclined  = "declined"
	AssignmentCompleted = "completed"
	AssignmentCancelled = "cancelled"
)

// Steps of an assignment's lifecycle, as named in the API.
const (
	StepAccept   = "accept"
	StepDecline  = "decline"
	StepComplete = "complete"
	StepCancel   = "cancel"
)

// Bounds the broker enforces whatever the policy says; the policy data
// sets the real limits (assignments.types.*.max_instruction_length,
// assignments.max_text_length).
const (
	MaxAssignmentText = 2000
	// MaxAssignmentAhead bounds a due date: two years ahead.
	MaxAssignmentAhead = 2 * 366 * 24 * time.Hour
)

// Assignment (opdracht) is work one partner asks another to do for a
// household, at ambition level 3.
type Assignment struct {
	ID           string `json:"id"`
	Household    string `json:"household"`
	Municipality string `json:"municipality"`
	// Purpose is the purpose the assignment was given for; its steps are
	// taken under the same purpose (doelbinding).
	Purpose     string `json:"purpose"`
	Type        string `json:"type"`
	Instruction string `json:"instruction,omitempty"`
	Due         string `json:"due"` // YYYY-MM-DD
	Giver       Actor  `json:"giver"`
	Recipient   string `json:"recipient"` // partner id
	// RecipientRefs are the recipient's own involvement references with
	// the household's members when the assignment was given, so that its
	// system can place the assignment. Shown to the recipient only.
	RecipientRefs []string         `json:"recipient_refs,omitempty"`
	Status        string           `json:"status"`
	Reason        string           `json:"reason,omitempty"`  // why it was declined or cancelled
	Outcome       string           `json:"outcome,omitempty"` // what came of it
	Steps         []AssignmentStep `json:"steps"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
	Revision      uint64           `json:"revision"`
}

// AssignmentStep is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type AssignmentStep = wire.AssignmentStep

// AssignmentInput is what a giver sends.
type AssignmentInput struct {
	Household   string `json:"household"`
	Recipient   string `json:"recipient"`
	Type        string `json:"type"`
	Instruction string `json:"instruction,omitempty"`
	Due         string `json:"due"`
}

// AssignmentView is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type AssignmentView = wire.AssignmentView

// Sides of an assignment.
const (
	SideGiver     = "giver"
	SideRecipient = "recipient"
)

// view shows a to the given side.
func (a *Assignment) view(side string) AssignmentView {
	v := AssignmentView{ID: a.ID, Household: a.Household, Purpose: a.Purpose, Type: a.Type, Instruction: a.Instruction,
		Due: a.Due, Giver: a.Giver, Recipient: a.Recipient, Side: side, Status: a.Status, Reason: a.Reason,
		Outcome: a.Outcome, Steps: slices.Clone(a.Steps), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Revision: a.Revision}
	if side == SideRecipient {
		v.YourRefs = slices.Clone(a.RecipientRefs)
	}
	if v.Steps == nil {
		v.Steps = []AssignmentStep{}
	}
	return v
}

// sideOf returns partner's side of a, or "" when it is neither.
func (a *Assignment) sideOf(partner string) string {
	switch partner {
	case a.Giver.Partner:
		return SideGiver
	case a.Recipient:
		return SideRecipient
	}
	return ""
}

// facts describes a for the policy; textLength is the length of the
// outcome or reason of the step asked about.
func (a *Assignment) facts(textLength int) *AssignmentFacts {
	return &AssignmentFacts{Type: a.Type, InstructionLength: utf8.RuneCountInString(a.Instruction), TextLength: textLength,
		Status: a.Status}
}

// assignmentStep is one step of the lifecycle: from which statuses, to
// which, by which side, and its text.
type assignmentStep struct {
	action string
	from   []string
	to     string
	side   string
	text   string // "reason" or "outcome": the field of the step's text
	need   bool   // the text is required
}

var assignmentSteps = map[string]assignmentStep{
	StepAccept: {action: ActionAssignmentAccept, from: []string{AssignmentProposed}, to: AssignmentAccepted,
		side: SideRecipient},
	StepDecline: {action: ActionAssignmentDecline, from: []string{AssignmentProposed}, to: AssignmentDeclined,
		side: SideRecipient, text: "reason", need: true},
	StepComplete: {action: ActionAssignmentComplete, from: []string{AssignmentAccepted}, to: AssignmentCompleted,
		side: SideRecipient, text: "outcome", need: true},
	StepCancel: {action: ActionAssignmentCancel, from: []string{AssignmentProposed, AssignmentAccepted},
		to: AssignmentCancelled, side: SideGiver, text: "reason"},
}

// validate checks the input of a new assignment on day today.
func (in *AssignmentInput) validate(today time.Time) error {
	if _, _, err := splitHouseholdRef(in.Household); err != nil {
		return invalid("household", "not a valid household id: "+IDRule+", optionally after the municipality and ':'")
	}
	if !ValidID(in.Recipient) {
		return invalid("recipient", "not a valid partner id: "+IDRule)
	}
	if !ValidID(in.Type) {
		return invalid("type", "an assignment type from the policy, e.g. intake")
	}
	if err := checkText("instruction", in.Instruction, false); err != nil {
		return err
	}
	due, err := time.Parse(dateLayout, in.Due)
	if err != nil {
		return invalid("due", "must be a date YYYY-MM-DD")
	}
	day := today.Truncate(24 * time.Hour)
	if due.Before(day) {
		return invalid("due", "is in the past")
	}
	if due.After(day.Add(MaxAssignmentAhead)) {
		return invalid("due", "at most two years ahead")
	}
	return nil
}

// checkText checks a short free text: at most MaxAssignmentText
// characters, valid UTF-8, no control characters but newlines and tabs;
// required when need.
func checkText(field, s string, need bool) error {
	if need && strings.TrimSpace(s) == "" {
		return invalid(field, "is required")
	}
	if !utf8.ValidString(s) {
		return invalid(field, "must be UTF-8 text")
	}
	if utf8.RuneCountInString(s) > MaxAssignmentText {
		return invalid(field, "at most %d characters", MaxAssignmentText)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return invalid(field, "must not hold control characters")
		}
	}
	return refuseBSNIn(field, s)
}
