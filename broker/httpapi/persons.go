package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
)

// personRoutes registers the person-bound keys of a partner (operator).
func (a *api) personRoutes(v1 v1Routes) {
	body := a.cfg.MaxBody
	v1.HandleFunc("/partners/{id}/persons", a.authed(body, a.listPersonKeys)).Methods(http.MethodGet)
	v1.HandleFunc("/partners/{id}/persons/{person}", a.authed(body, a.putPersonKey)).Methods(http.MethodPut)
	v1.HandleFunc("/partners/{id}/persons/{person}", a.authed(body, a.removePersonKey)).Methods(http.MethodDelete)
	v1.HandleFunc("/partners/{id}/persons/{person}/suspend", a.authed(body, a.setPersonStatus(broker.PartnerSuspended))).Methods(http.MethodPost)
	v1.HandleFunc("/partners/{id}/persons/{person}/activate", a.authed(body, a.setPersonStatus(broker.PartnerActive))).Methods(http.MethodPost)
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
