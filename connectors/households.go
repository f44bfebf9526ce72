package connectors

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Households and their overviews. A household is registered by a
// coordinator (HouseholdInput); an overview shows, per member, the
// involvements the policy lets the caller see, for purpose.

// ListHouseholds decodes into out (a HouseholdList) a page of the
// households the caller coordinates, under purpose: all municipalities it
// serves, or only municipality; after is the next of the previous page.
func (c *Client) ListHouseholds(ctx context.Context, purpose, municipality, after string, limit int, out any) error {
	q := url.Values{}
	if municipality != "" {
		q.Set("municipality", municipality)
	}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return c.JSON(ctx, http.MethodGet, withQuery("/v1/households", q), purpose, nil, out)
}

// PutHousehold registers or replaces household id under purpose.
func (c *Client) PutHousehold(ctx context.Context, id, purpose string, in wire.HouseholdInput) (wire.HouseholdView, error) {
	var v wire.HouseholdView
	err := c.JSON(ctx, http.MethodPut, route("/v1/households/{}", id), purpose, in, &v)
	return v, err
}

// GetHousehold returns household id's registration: members by label and
// role, its coordinator.
func (c *Client) GetHousehold(ctx context.Context, id, purpose string) (wire.HouseholdView, error) {
	var v wire.HouseholdView
	err := c.JSON(ctx, http.MethodGet, route("/v1/households/{}", id), purpose, nil, &v)
	return v, err
}

// HouseholdOverview returns which partners serve household id's members,
// as far as the policy shows them for purpose.
func (c *Client) HouseholdOverview(ctx context.Context, id, purpose string) (wire.Overview, error) {
	var o wire.Overview
	err := c.JSON(ctx, http.MethodGet, HouseholdOverviewPath(id), purpose, nil, &o)
	return o, err
}

// PersonOverview returns which partners serve the person with bsn, as far
// as the policy shows them for purpose; municipality may be "" when the
// caller serves one.
func (c *Client) PersonOverview(ctx context.Context, purpose, bsn, municipality string) (wire.Overview, error) {
	in := struct {
		BSN          string `json:"bsn"`
		Municipality string `json:"municipality,omitempty"`
	}{bsn, municipality}
	var o wire.Overview
	err := c.JSON(ctx, http.MethodPost, "/v1/persons/involvements", purpose, in, &o)
	return o, err
}
