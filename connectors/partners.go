package connectors

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Partners (operator): the organisations registered with the broker, their
// keys and status. Bodies follow the OpenAPI document's schemas
// (PartnerRequest in, Partner out); out receives the answer's JSON.

// Whoami returns who the broker takes the caller to be: partner, person,
// role and level.
func (c *Client) Whoami(ctx context.Context) (wire.Whoami, error) {
	var me wire.Whoami
	err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, &me)
	return me, err
}

// ListPartners decodes the registered partners into out.
func (c *Client) ListPartners(ctx context.Context, out any) error {
	return c.JSON(ctx, http.MethodGet, "/v1/partners", "", nil, out)
}

// RegisterPartner registers the partner in (a PartnerRequest) and decodes
// the registered partner into out.
func (c *Client) RegisterPartner(ctx context.Context, in, out any) error {
	return c.JSON(ctx, http.MethodPost, "/v1/partners", "", in, out)
}

// GetPartner decodes partner id into out.
func (c *Client) GetPartner(ctx context.Context, id string, out any) error {
	return c.JSON(ctx, http.MethodGet, route("/v1/partners/{}", id), "", nil, out)
}

// UpdatePartner replaces partner id's registration with in (a
// PartnerRequest) and decodes the result into out.
func (c *Client) UpdatePartner(ctx context.Context, id string, in, out any) error {
	return c.JSON(ctx, http.MethodPut, route("/v1/partners/{}", id), "", in, out)
}

// SetPartnerKeys replaces partner id's public keys with jwks (to rotate,
// send old and new key, later only the new one).
func (c *Client) SetPartnerKeys(ctx context.Context, id string, jwks json.RawMessage, out any) error {
	return c.JSON(ctx, http.MethodPut, route("/v1/partners/{}/keys", id), "", map[string]any{"jwks": jwks}, out)
}

// SuspendPartner refuses partner id's tokens until it is activated again.
func (c *Client) SuspendPartner(ctx context.Context, id string, out any) error {
	return c.JSON(ctx, http.MethodPost, route("/v1/partners/{}/suspend", id), "", nil, out)
}

// ActivatePartner accepts a suspended partner's tokens again.
func (c *Client) ActivatePartner(ctx context.Context, id string, out any) error {
	return c.JSON(ctx, http.MethodPost, route("/v1/partners/{}/activate", id), "", nil, out)
}
