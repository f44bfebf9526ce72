package connectors

import (
	"context"
	"net/http"
)

// Households and their overviews. A household is registered by a
// coordinator (HouseholdInput); an overview shows, per member, the
// involvements the policy lets the caller see, for purpose.

// PutHousehold registers or replaces household id (in is a
// HouseholdInput) and decodes the result into out.
func (c *Client) PutHousehold(ctx context.Context, id, purpose string, in, out any) error {
	return c.JSON(ctx, http.MethodPut, route("/v1/households/{}", id), purpose, in, out)
}

// GetHousehold decodes household id into out.
func (c *Client) GetHousehold(ctx context.Context, id, purpose string, out any) error {
	return c.JSON(ctx, http.MethodGet, route("/v1/households/{}", id), purpose, nil, out)
}

// HouseholdOverview decodes into out which partners serve household id's
// members, as far as the policy shows them for purpose.
func (c *Client) HouseholdOverview(ctx context.Context, id, purpose string, out any) error {
	return c.JSON(ctx, http.MethodGet, route("/v1/households/{}/involvements", id), purpose, nil, out)
}

// PersonOverview decodes into out which partners serve the person with
// bsn, as far as the policy shows them for purpose; municipality may be
// "" when the caller serves one.
func (c *Client) PersonOverview(ctx context.Context, purpose, bsn, municipality string, out any) error {
	in := struct {
		BSN          string `json:"bsn"`
		Municipality string `json:"municipality,omitempty"`
	}{bsn, municipality}
	return c.JSON(ctx, http.MethodPost, "/v1/persons/involvements", purpose, in, out)
}
