package policy

import (
	"encoding/json"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Keys of the level 3 and 4 facts (assignments, the joint plan).
var (
	kAssignment        = ast.StringTerm("assignment")
	kPlan              = ast.StringTerm("plan")
	kType              = ast.StringTerm("type")
	kInstructionLength = ast.StringTerm("instruction_length")
	kTextLength        = ast.StringTerm("text_length")
	kVersion           = ast.StringTerm("version")
	kParticipants      = ast.StringTerm("participants")
)

// collaborationItems converts the assignment and plan facts of in, as
// encoding/json would write them (TestCollaborationInputMatchesJSON).
// They are absent from overviews, so the hot path pays one nil check each.
func collaborationItems(in *broker.DecisionInput) [][2]*ast.Term {
	var o [][2]*ast.Term
	if a := in.Assignment; a != nil {
		f := make([][2]*ast.Term, 0, 4)
		f = append(f, item(kType, str(a.Type)), item(kInstructionLength, num(a.InstructionLength)),
			item(kTextLength, num(a.TextLength)))
		if a.Status != "" {
			f = append(f, item(kStatus, str(a.Status)))
		}
		o = append(o, item(kAssignment, ast.ObjectTerm(f...)))
	}
	if p := in.Plan; p != nil {
		participants := nullTerm
		if p.Participants != nil {
			ts := make([]*ast.Term, len(p.Participants))
			for i := range p.Participants {
				ts[i] = partnerTerm(&p.Participants[i])
			}
			participants = ast.ArrayTerm(ts...)
		}
		o = append(o, item(kPlan, ast.ObjectTerm(item(kStatus, str(p.Status)),
			item(kVersion, ast.UIntNumberTerm(p.Version)), item(kParticipants, participants))))
	}
	if in.Followup != nil {
		o = append(o, item(kFollowup, jsonTerm(in.Followup)))
	}
	if len(in.Followups) > 0 {
		o = append(o, item(kFollowups, jsonTerm(in.Followups)))
	}
	return o
}

// Keys of the follow-up facts.
var (
	kFollowup  = ast.StringTerm("followup")
	kFollowups = ast.StringTerm("followups")
)

// jsonTerm converts v through its JSON form: follow-up questions are
// asked a few times per person per day, so they take the general road
// rather than a hand-written converter. A value that does not encode
// (none of the facts types can fail) becomes null, which no rule allows.
func jsonTerm(v any) *ast.Term {
	raw, err := json.Marshal(v)
	if err != nil {
		return nullTerm
	}
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		return nullTerm
	}
	val, err := ast.InterfaceToValue(x)
	if err != nil {
		return nullTerm
	}
	return ast.NewTerm(val)
}
