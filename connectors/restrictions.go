package connectors

import (
	"context"
	"net/http"
)

// Restrictions and objections (AVG art. 18 and 21), recorded for a
// resident.

// RecordRestriction records a restriction or objection (in is a
// RestrictionRequest) and decodes it into out.
func (c *Client) RecordRestriction(ctx context.Context, in, out any) error {
	return c.JSON(ctx, http.MethodPost, "/v1/restrictions", "", in, out)
}

// SearchRestrictions decodes into out the restrictions and objections of
// the person with bsn, lifted ones included.
func (c *Client) SearchRestrictions(ctx context.Context, bsn, reference string, out any) error {
	return c.JSON(ctx, http.MethodPost, "/v1/restrictions/search", "", lookup{bsn, reference}, out)
}

// LiftRestriction lifts restriction id; reason and reference may be "".
func (c *Client) LiftRestriction(ctx context.Context, id, reason, reference string, out any) error {
	in := struct {
		Reason    string `json:"reason,omitempty"`
		Reference string `json:"reference,omitempty"`
	}{reason, reference}
	return c.JSON(ctx, http.MethodPost, route("/v1/restrictions/{}/lift", id), "", in, out)
}
