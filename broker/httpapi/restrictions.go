package httpapi

import (
	"context"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Restrictions is what the restriction and objection routes need (AVG art. 18, 21).
type Restrictions interface {
	RecordRestriction(ctx context.Context, c *broker.Caller, bsn string, in broker.RestrictionInput) (broker.RestrictionView, error)
	Restrictions(ctx context.Context, c *broker.Caller, bsn, reference string) (broker.RestrictionList, error)
	LiftRestriction(ctx context.Context, c *broker.Caller, id, reason, reference string) (broker.RestrictionView, error)
}

// RestrictionRequest records a restriction (AVG art. 18) or objection
// (art. 21) of one person for one purpose. The BSN travels only in this
// body.
type RestrictionRequest struct {
	BSN string `json:"bsn"`
	broker.RestrictionInput
}

// LiftRequest lifts a restriction or objection.
type LiftRequest struct {
	Reason    string `json:"reason,omitempty"`
	Reference string `json:"reference,omitempty"`
}

func (a *api) recordRestriction(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req RestrictionRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	v, err := a.b.RecordRestriction(r.Context(), c, req.BSN, req.RestrictionInput)
	return a.reply(w, r, http.StatusCreated, v, err)
}

func (a *api) searchRestrictions(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req LookupRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	list, err := a.b.Restrictions(r.Context(), c, req.BSN, req.Reference)
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) liftRestriction(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req LiftRequest
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
	}
	v, err := a.b.LiftRestriction(r.Context(), c, id, req.Reason, req.Reference)
	return a.reply(w, r, http.StatusOK, v, err)
}
