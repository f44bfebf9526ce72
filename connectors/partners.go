package connectors

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Partners (operator): the organisations registered with the broker, their
// keys and status. A registration or update sends the OpenAPI document's
// PartnerRequest.

// Whoami returns who the broker takes the caller to be: partner, person,
// role and level.
func (c *Client) Whoami(ctx context.Context) (wire.Whoami, error) {
	var me wire.Whoami
	err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, &me)
	return me, err
}

// ListPartners returns the registered partners.
func (c *Client) ListPartners(ctx context.Context) ([]wire.Partner, error) {
	var out struct {
		Partners []wire.Partner `json:"partners"`
	}
	err := c.JSON(ctx, http.MethodGet, "/v1/partners", "", nil, &out)
	return out.Partners, err
}

// partner sends one request whose answer is a partner.
func (c *Client) partner(ctx context.Context, method, path string, in any) (wire.Partner, error) {
	var p wire.Partner
	err := c.JSON(ctx, method, path, "", in, &p)
	return p, err
}

// RegisterPartner registers the partner in (a PartnerRequest).
func (c *Client) RegisterPartner(ctx context.Context, in any) (wire.Partner, error) {
	return c.partner(ctx, http.MethodPost, "/v1/partners", in)
}

// GetPartner returns partner id.
func (c *Client) GetPartner(ctx context.Context, id string) (wire.Partner, error) {
	return c.partner(ctx, http.MethodGet, route("/v1/partners/{}", id), nil)
}

// UpdatePartner replaces partner id's registration with in (a
// PartnerRequest).
func (c *Client) UpdatePartner(ctx context.Context, id string, in any) (wire.Partner, error) {
	return c.partner(ctx, http.MethodPut, route("/v1/partners/{}", id), in)
}

// SetPartnerKeys replaces partner id's public keys with jwks (to rotate,
// send old and new key, later only the new one).
func (c *Client) SetPartnerKeys(ctx context.Context, id string, jwks json.RawMessage) (wire.Partner, error) {
	return c.partner(ctx, http.MethodPut, route("/v1/partners/{}/keys", id), map[string]any{"jwks": jwks})
}

// SuspendPartner refuses partner id's tokens until it is activated again.
func (c *Client) SuspendPartner(ctx context.Context, id string) (wire.Partner, error) {
	return c.partner(ctx, http.MethodPost, route("/v1/partners/{}/suspend", id), nil)
}

// ActivatePartner accepts a suspended partner's tokens again.
func (c *Client) ActivatePartner(ctx context.Context, id string) (wire.Partner, error) {
	return c.partner(ctx, http.MethodPost, route("/v1/partners/{}/activate", id), nil)
}
