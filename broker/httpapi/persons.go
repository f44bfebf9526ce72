package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
)

// PersonKeys is what the person-key routes need: the keys of a partner's verified persons.
type PersonKeys interface {
	PutPersonKey(ctx context.Context, c *broker.Caller, partner string, k broker.PersonKey) (broker.PersonKey, error)
	RemovePersonKey(ctx context.Context, c *broker.Caller, partner, person string) error
	SetPersonStatus(ctx context.Context, c *broker.Caller, partner, person string, status broker.PartnerStatus) (broker.PersonKey, error)
	PersonKeys(ctx context.Context, c *broker.Caller, partner string) ([]broker.PersonKey, error)
}

// PersonKeyRequest binds a person's keys and roles.
type PersonKeyRequest struct {
	Roles []broker.Role   `json:"roles"`
	JWKS  json.RawMessage `json:"jwks"`
}

// personPath returns the partner id and person of the path, validated.
func personPath(r *http.Request) (string, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return "", "", err
	}
	person := mux.Vars(r)["person"]
	if !broker.ValidPersonID(person) {
		return "", "", &broker.ValidationError{Field: "person", Reason: "1-128 letters, digits, '.', '_', '@' or '-', without a BSN"}
	}
	return id, person, nil
}

func (a *api) listPersonKeys(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ks, err := a.b.PersonKeys(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, map[string]any{"partner": id, "persons": ks}, err)
}

func (a *api) putPersonKey(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, person, err := personPath(r)
	if err != nil {
		return err
	}
	var req PersonKeyRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	k, err := a.b.PutPersonKey(r.Context(), c, id, broker.PersonKey{Person: person, Roles: req.Roles, JWKS: req.JWKS})
	return a.reply(w, r, http.StatusOK, k, err)
}

func (a *api) removePersonKey(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, person, err := personPath(r)
	if err != nil {
		return err
	}
	err = a.b.RemovePersonKey(r.Context(), c, id, person)
	return a.reply(w, r, http.StatusOK, map[string]string{"partner": id, "person": person, "result": "removed"}, err)
}

func (a *api) setPersonStatus(status broker.PartnerStatus) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
		id, person, err := personPath(r)
		if err != nil {
			return err
		}
		k, err := a.b.SetPersonStatus(r.Context(), c, id, person, status)
		return a.reply(w, r, http.StatusOK, k, err)
	}
}
