package httpapi

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Rights is what the API needs from the domain for the data subject's
// rights and the officer's paperwork (issue 13): restriction and objection
// (AVG art. 18, 21).
type Rights interface {
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

func (a *api) rightsRoutes(v1 v1Routes) {
	body := a.cfg.MaxBody
	v1.HandleFunc("/restrictions", a.authed(body, a.recordRestriction)).Methods(http.MethodPost)
	v1.HandleFunc("/restrictions/search", a.authed(body, a.searchRestrictions)).Methods(http.MethodPost)
	v1.HandleFunc("/restrictions/{id}/lift", a.authed(body, a.liftRestriction)).Methods(http.MethodPost)
}

func (a *api) recordRestriction(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) {
	var req RestrictionRequest
	if err := decodeStrict(body, &req); err != nil {
		a.writeProblem(w, r, err)
		return
	}
	v, err := a.b.RecordRestriction(r.Context(), c, req.BSN, req.RestrictionInput)
	a.reply(w, r, http.StatusCreated, v, err)
}

func (a *api) searchRestrictions(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) {
	var req LookupRequest
	if err := decodeStrict(body, &req); err != nil {
		a.writeProblem(w, r, err)
		return
	}
	list, err := a.b.Restrictions(r.Context(), c, req.BSN, req.Reference)
	a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) liftRestriction(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) {
	id, err := pathID(r, "id")
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	var req LiftRequest
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			a.writeProblem(w, r, err)
			return
		}
	}
	v, err := a.b.LiftRestriction(r.Context(), c, id, req.Reason, req.Reference)
	a.reply(w, r, http.StatusOK, v, err)
}

// The OpenAPI document of these routes is kept next to them, in
// openapi_rights.json, and merged into the served document like the
// collaboration routes' (it also adds SubjectFacts.restrictions).
//
//go:embed openapi_rights.json
var rightsOpenAPI []byte

func init() {
	openAPIDocument = mergeOpenAPI(openAPIDocument, rightsOpenAPI)
}
