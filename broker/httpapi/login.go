package httpapi

import (
	"context"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Logins is what the login-configuration routes need: a partner's OpenID provider for its persons.
type Logins interface {
	SetLoginConfig(ctx context.Context, c *broker.Caller, partner string, lc broker.LoginConfig) (broker.LoginConfig, error)
	LoginConfig(ctx context.Context, c *broker.Caller, partner string) (broker.LoginConfig, error)
	RemoveLoginConfig(ctx context.Context, c *broker.Caller, partner string) error
}

// LoginConfigRequest registers a partner's login. It names the file that
// holds the client secret on the broker's machine; the secret itself never
// travels through the API (an unknown member such as client_secret is
// refused).
type LoginConfigRequest struct {
	Issuer           string               `json:"issuer"`
	ClientID         string               `json:"client_id"`
	ClientSecretFile string               `json:"client_secret_file"`
	PersonClaim      string               `json:"person_claim,omitempty"`
	NameClaim        string               `json:"name_claim,omitempty"`
	RolesClaim       string               `json:"roles_claim"`
	RoleMap          []broker.RoleMapping `json:"role_map"`
	Scopes           []string             `json:"scopes,omitempty"`
}

func (a *api) getLoginConfig(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	lc, err := a.b.LoginConfig(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, lc, err)
}

func (a *api) putLoginConfig(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req LoginConfigRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	lc, err := a.b.SetLoginConfig(r.Context(), c, id, broker.LoginConfig{Issuer: req.Issuer, ClientID: req.ClientID,
		ClientSecretFile: req.ClientSecretFile, PersonClaim: req.PersonClaim, NameClaim: req.NameClaim,
		RolesClaim: req.RolesClaim, RoleMap: req.RoleMap, Scopes: req.Scopes})
	return a.reply(w, r, http.StatusOK, lc, err)
}

func (a *api) removeLoginConfig(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = a.b.RemoveLoginConfig(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, map[string]string{"partner": id, "result": "removed"}, err)
}
