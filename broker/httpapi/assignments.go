package httpapi

import (
	"context"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Assignments is what the assignment routes need (ambition level 3).
type Assignments interface {
	GiveAssignment(ctx context.Context, c *broker.Caller, in broker.AssignmentInput) (broker.AssignmentView, error)
	StepAssignment(ctx context.Context, c *broker.Caller, id, step, text string) (broker.AssignmentView, error)
	Assignment(ctx context.Context, c *broker.Caller, id string) (broker.AssignmentView, error)
	Assignments(ctx context.Context, c *broker.Caller, q broker.AssignmentQuery) (broker.AssignmentList, error)
}

// AssignmentRequest gives an assignment.
type AssignmentRequest = broker.AssignmentInput

// StepRequest carries the text of an assignment step: the reason of a
// decline or cancel, the outcome of a completion.
type StepRequest struct {
	Reason  string `json:"reason,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}

func (a *api) giveAssignment(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req AssignmentRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	v, err := a.b.GiveAssignment(r.Context(), c, req)
	if err == nil {
		w.Header().Set("Location", "/v1/assignments/"+v.ID)
	}
	return a.reply(w, r, http.StatusCreated, v, err)
}

func (a *api) listAssignments(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	q := r.URL.Query()
	list, err := a.b.Assignments(r.Context(), c, broker.AssignmentQuery{Side: q.Get("side"), Status: q.Get("status"),
		Household: q.Get("household")})
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) getAssignment(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.b.Assignment(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, v, err)
}

func (a *api) stepAssignment(step string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var req StepRequest
		if len(body) > 0 {
			if err := decodeStrict(body, &req); err != nil {
				return err
			}
		}
		text := req.Reason
		switch {
		case step == broker.StepComplete:
			text = req.Outcome
			if req.Reason != "" {
				err = &broker.ValidationError{Field: "reason", Reason: "a completion carries an outcome, not a reason"}
			}
		case req.Outcome != "":
			err = &broker.ValidationError{Field: "outcome", Reason: "only a completion carries an outcome"}
		}
		if err != nil {
			return err
		}
		v, err := a.b.StepAssignment(r.Context(), c, id, step, text)
		return a.reply(w, r, http.StatusOK, v, err)
	}
}
