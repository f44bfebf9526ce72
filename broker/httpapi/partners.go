package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Partners is what the partner registry routes need: the operator registers and changes partners, their keys and status.
type Partners interface {
	LookupPartner(id string) (*broker.Partner, error)
	RegisterPartner(ctx context.Context, c *broker.Caller, p broker.Partner) (broker.Partner, error)
	UpdatePartner(ctx context.Context, c *broker.Caller, p broker.Partner) (broker.Partner, error)
	SetPartnerKeys(ctx context.Context, c *broker.Caller, id string, jwks json.RawMessage) (broker.Partner, error)
	SetPartnerStatus(ctx context.Context, c *broker.Caller, id string, status broker.PartnerStatus) (broker.Partner, error)
	Partner(ctx context.Context, c *broker.Caller, id string) (broker.Partner, error)
	Partners(ctx context.Context, c *broker.Caller) ([]broker.Partner, error)
}

// PartnerRequest registers or changes a partner.
type PartnerRequest struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Sector         broker.Sector   `json:"sector"`
	Municipalities []string        `json:"municipalities"`
	Roles          []broker.Role   `json:"roles"`
	Level          int             `json:"level"`
	Covenant       string          `json:"covenant,omitempty"`
	JWKS           json.RawMessage `json:"jwks,omitempty"`
	Webhook        string          `json:"webhook,omitempty"`
	ClientCerts    []string        `json:"client_certs,omitempty"`
	// PrivacyOffice registers the region's privacy office.
	PrivacyOffice bool `json:"privacy_office,omitempty"`
	// ControllerRole: controller, joint-controller or processor.
	ControllerRole string `json:"controller_role,omitempty"`
	// PrivacyContact: the partner's contact point for privacy questions.
	PrivacyContact string `json:"privacy_contact,omitempty"`
	// TeamLead: for a municipality, the person overdue match follow-ups
	// escalate to.
	TeamLead *broker.Actor `json:"team_lead,omitempty"`
}

func (p PartnerRequest) partner() broker.Partner {
	return broker.Partner{ID: p.ID, Name: p.Name, Sector: p.Sector, Municipalities: p.Municipalities,
		Roles: p.Roles, Level: p.Level, Covenant: p.Covenant, JWKS: p.JWKS, Webhook: p.Webhook, ClientCerts: p.ClientCerts,
		PrivacyOffice: p.PrivacyOffice, ControllerRole: p.ControllerRole, PrivacyContact: p.PrivacyContact,
		TeamLead: p.TeamLead}
}

func (a *api) registerPartner(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req PartnerRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	p, err := a.b.RegisterPartner(r.Context(), c, req.partner())
	return a.reply(w, r, http.StatusCreated, p, err)
}

func (a *api) updatePartner(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req PartnerRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	if req.ID != "" && req.ID != id {
		return &broker.ValidationError{Field: "id", Reason: "differs from the id in the path"}
	}
	if len(req.JWKS) > 0 {
		return &broker.ValidationError{Field: "jwks", Reason: "change keys with PUT /v1/partners/{id}/keys"}
	}
	req.ID = id
	p, err := a.b.UpdatePartner(r.Context(), c, req.partner())
	return a.reply(w, r, http.StatusOK, p, err)
}

func (a *api) getPartner(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := a.b.Partner(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, p, err)
}

func (a *api) listPartners(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	ps, err := a.b.Partners(r.Context(), c)
	return a.reply(w, r, http.StatusOK, map[string]any{"partners": ps}, err)
}

func (a *api) setPartnerKeys(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		JWKS json.RawMessage `json:"jwks"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	p, err := a.b.SetPartnerKeys(r.Context(), c, id, req.JWKS)
	return a.reply(w, r, http.StatusOK, p, err)
}

func (a *api) setPartnerStatus(status broker.PartnerStatus) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		p, err := a.b.SetPartnerStatus(r.Context(), c, id, status)
		return a.reply(w, r, http.StatusOK, p, err)
	}
}
