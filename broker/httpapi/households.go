package httpapi

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/ketenbrug/ketenbrug/broker"
)

// Households is what the household routes need: registration and the overviews.
type Households interface {
	PutHousehold(ctx context.Context, c *broker.Caller, id string, in broker.HouseholdInput) (broker.HouseholdView, error)
	Household(ctx context.Context, c *broker.Caller, id string) (broker.HouseholdView, error)
	HouseholdOverview(ctx context.Context, c *broker.Caller, id string) (broker.Overview, error)
	PersonOverview(ctx context.Context, c *broker.Caller, bsn, municipality string) (broker.Overview, error)
	Households(ctx context.Context, c *broker.Caller, municipality, after string, limit int) (broker.HouseholdList, error)
}

func (a *api) listHouseholds(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	limit, err := queryInt(r, "limit", broker.DefaultHouseholdPage, broker.MaxHouseholdPage)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := a.b.Households(r.Context(), c, q.Get("municipality"), q.Get("after"), limit)
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) putHousehold(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	var in broker.HouseholdInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	h, err := a.b.PutHousehold(r.Context(), c, id, in)
	return a.reply(w, r, http.StatusOK, h, err)
}

func (a *api) getHousehold(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	h, err := a.b.Household(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, h, err)
}

func (a *api) householdOverview(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	o, err := a.b.HouseholdOverview(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, o, err)
}

func (a *api) personOverview(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req struct {
		BSN          string `json:"bsn"`
		Municipality string `json:"municipality,omitempty"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	o, err := a.b.PersonOverview(r.Context(), c, req.BSN, req.Municipality)
	return a.reply(w, r, http.StatusOK, o, err)
}

// householdPathID returns the household named in the path: an id, or
// municipality:id for a partner that serves several municipalities.
func householdPathID(r *http.Request) (string, error) {
	v := mux.Vars(r)["id"]
	if !broker.ValidHouseholdRef(v) {
		return "", &broker.ValidationError{Field: "id", Reason: "not a valid household id: " + broker.IDRule +
			", optionally after the municipality and ':'"}
	}
	return v, nil
}
