package connectors

import (
	"context"
	"net/http"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Console logins (operator): how a partner's persons log in to the web
// console through the organisation's own OpenID Connect provider.

// LoginConfigRequest registers a partner's login. ClientSecretFile is the
// path of the file on the broker's machine that holds the client secret;
// the secret itself is never sent.
type LoginConfigRequest struct {
	Issuer           string             `json:"issuer"`
	ClientID         string             `json:"client_id"`
	ClientSecretFile string             `json:"client_secret_file"`
	PersonClaim      string             `json:"person_claim,omitempty"`
	NameClaim        string             `json:"name_claim,omitempty"`
	RolesClaim       string             `json:"roles_claim"`
	RoleMap          []wire.RoleMapping `json:"role_map"`
	Scopes           []string           `json:"scopes,omitempty"`
}

func loginPath(partner string) string { return route("/v1/partners/{}/login", partner) }

// SetLoginConfig registers (or replaces) partner's login configuration.
func (c *Client) SetLoginConfig(ctx context.Context, partner string, req LoginConfigRequest) (wire.LoginConfig, error) {
	var out wire.LoginConfig
	err := c.JSON(ctx, http.MethodPut, loginPath(partner), "", req, &out)
	return out, err
}

// LoginConfig returns partner's login configuration.
func (c *Client) LoginConfig(ctx context.Context, partner string) (wire.LoginConfig, error) {
	var out wire.LoginConfig
	err := c.JSON(ctx, http.MethodGet, loginPath(partner), "", nil, &out)
	return out, err
}

// RemoveLoginConfig removes partner's login configuration; its console
// sessions end at their next request.
func (c *Client) RemoveLoginConfig(ctx context.Context, partner string) error {
	return c.JSON(ctx, http.MethodDelete, loginPath(partner), "", nil, nil)
}
