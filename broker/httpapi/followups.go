package httpapi

import (
	"context"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Followups is what the match follow-up routes need: a match signal's
// promise that the household's coordinator, or the lead the coordinator
// names, gets in touch with the other partner by a due date.
type Followups interface {
	Followups(ctx context.Context, c *broker.Caller, q broker.FollowupQuery) (broker.FollowupList, error)
	Followup(ctx context.Context, c *broker.Caller, id string) (broker.FollowupView, error)
	StepFollowup(ctx context.Context, c *broker.Caller, id, step string, in broker.FollowupStepInput) (broker.FollowupView, error)
}

// ContactRequest records a contact: with whom (the follow-up's other
// partner when empty) and on which day (today when empty).
type ContactRequest struct {
	With string `json:"with,omitempty"`
	On   string `json:"on,omitempty"`
}

// CloseRequest closes a follow-up with an outcome code from the policy
// data.
type CloseRequest struct {
	Outcome string `json:"outcome"`
}

// ReassignRequest names the new lead: a person of a partner.
type ReassignRequest struct {
	Lead *broker.Actor `json:"lead"`
}

func (a *api) listFollowups(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	q := r.URL.Query()
	list, err := a.b.Followups(r.Context(), c, broker.FollowupQuery{State: q.Get("state"), Household: q.Get("household")})
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) getFollowup(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.b.Followup(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, v, err)
}

// stepFollowup takes step; each step has its own request type, decoded
// strictly, so that a member of another step (an outcome on a contact) is
// refused as an unknown field rather than silently dropped.
func (a *api) stepFollowup(step string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in broker.FollowupStepInput
		switch step {
		case broker.FollowupStepContact:
			// A contact may have no body: with the other partner, today.
			var req ContactRequest
			if len(body) > 0 {
				if err := decodeStrict(body, &req); err != nil {
					return err
				}
			}
			in.With, in.On = req.With, req.On
		case broker.FollowupStepClose:
			var req CloseRequest
			if err := decodeStrict(body, &req); err != nil {
				return err
			}
			in.Outcome = req.Outcome
		case broker.FollowupStepReassign:
			var req ReassignRequest
			if err := decodeStrict(body, &req); err != nil {
				return err
			}
			in.Lead = req.Lead
		}
		v, err := a.b.StepFollowup(r.Context(), c, id, step, in)
		return a.reply(w, r, http.StatusOK, v, err)
	}
}
