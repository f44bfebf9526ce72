package connectors

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Person-bound keys (operator). A person key binds a public JWKS to one
// person of a partner and the roles that person holds; a request signed
// with it acts as that verified person.

func personPath(partner, person string) string {
	return route("/v1/partners/{}/persons/{}", partner, person)
}

// PutPersonKey binds jwks to person of partner with roles, or replaces the
// person's roles and keys (to rotate, send a set with old and new key,
// later one without the old).
func (c *Client) PutPersonKey(ctx context.Context, partner, person string, roles []string, jwks json.RawMessage) (wire.PersonKey, error) {
	var out wire.PersonKey
	err := c.JSON(ctx, http.MethodPut, personPath(partner, person), "", map[string]any{"roles": roles, "jwks": jwks}, &out)
	return out, err
}

// RemovePersonKey removes the keys of person from partner.
func (c *Client) RemovePersonKey(ctx context.Context, partner, person string) error {
	return c.JSON(ctx, http.MethodDelete, personPath(partner, person), "", nil, nil)
}

// SetPersonSuspended suspends (true) or reactivates (false) person's keys;
// the organisation keeps working.
func (c *Client) SetPersonSuspended(ctx context.Context, partner, person string, suspended bool) (wire.PersonKey, error) {
	verb := "/activate"
	if suspended {
		verb = "/suspend"
	}
	var out wire.PersonKey
	err := c.JSON(ctx, http.MethodPost, personPath(partner, person)+verb, "", nil, &out)
	return out, err
}

// PersonKeys lists the persons bound to partner.
func (c *Client) PersonKeys(ctx context.Context, partner string) ([]wire.PersonKey, error) {
	var out struct {
		Persons []wire.PersonKey `json:"persons"`
	}
	err := c.JSON(ctx, http.MethodGet, route("/v1/partners/{}/persons", partner), "", nil, &out)
	return out.Persons, err
}
