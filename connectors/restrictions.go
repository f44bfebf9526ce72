package connectors

import (
	"context"
	"net/http"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Restrictions and objections (AVG art. 18 and 21), recorded for a
// resident.

// RecordRestriction records a restriction or objection (in is a
// RestrictionRequest: bsn, kind, purpose, ground, reference).
func (c *Client) RecordRestriction(ctx context.Context, in any) (wire.RestrictionView, error) {
	var v wire.RestrictionView
	err := c.JSON(ctx, http.MethodPost, "/v1/restrictions", "", in, &v)
	return v, err
}

// SearchRestrictions returns the restrictions and objections of the person
// with bsn, lifted ones included.
func (c *Client) SearchRestrictions(ctx context.Context, bsn, reference string) ([]wire.RestrictionView, error) {
	var list wire.RestrictionList
	err := c.JSON(ctx, http.MethodPost, "/v1/restrictions/search", "", lookup{bsn, reference}, &list)
	return list.Restrictions, err
}

// LiftRestriction lifts restriction id; reason and reference may be "".
func (c *Client) LiftRestriction(ctx context.Context, id, reason, reference string) (wire.RestrictionView, error) {
	in := struct {
		Reason    string `json:"reason,omitempty"`
		Reference string `json:"reference,omitempty"`
	}{reason, reference}
	var v wire.RestrictionView
	err := c.JSON(ctx, http.MethodPost, route("/v1/restrictions/{}/lift", id), "", in, &v)
	return v, err
}
