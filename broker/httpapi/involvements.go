package httpapi

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Involvements is what the involvement routes need: one at a time.
type Involvements interface {
	PutInvolvement(ctx context.Context, c *broker.Caller, ref string, in broker.InvolvementInput) (broker.InvolvementView, bool, error)
	EndInvolvement(ctx context.Context, c *broker.Caller, ref, end string) (broker.InvolvementView, error)
	Involvements(ctx context.Context, c *broker.Caller, status, after string, limit int) (broker.InvolvementPage, error)
}

func pathRef(r *http.Request) (string, error) {
	v := mux.Vars(r)["ref"]
	if !broker.ValidRef(v) {
		return "", &broker.ValidationError{Field: "ref", Reason: "1-128 letters, digits, '.', '_', ':' or '-', and not a BSN"}
	}
	return v, nil
}

func (a *api) putInvolvement(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	ref, err := pathRef(r)
	if err != nil {
		return err
	}
	var in broker.InvolvementInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	v, changed, err := a.b.PutInvolvement(r.Context(), c, ref, in)
	status := http.StatusOK
	if changed && v.Revision == 1 {
		status = http.StatusCreated
	}
	return a.reply(w, r, status, v, err)
}

func (a *api) endInvolvement(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	ref, err := pathRef(r)
	if err != nil {
		return err
	}
	var req struct {
		End string `json:"end"`
	}
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
	}
	v, err := a.b.EndInvolvement(r.Context(), c, ref, req.End)
	return a.reply(w, r, http.StatusOK, v, err)
}

func (a *api) listInvolvements(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := a.b.Involvements(r.Context(), c, q.Get("status"), q.Get("after"), limit)
	return a.reply(w, r, http.StatusOK, page, err)
}
