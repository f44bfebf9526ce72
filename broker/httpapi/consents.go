package httpapi

import (
	"context"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Consents is what the consent routes need.
type Consents interface {
	RecordConsent(ctx context.Context, c *broker.Caller, bsn string, in broker.Consent) (broker.ConsentView, error)
	Consents(ctx context.Context, c *broker.Caller, bsn, reference string) (broker.ConsentList, error)
	WithdrawConsent(ctx context.Context, c *broker.Caller, id, reason string) (broker.ConsentView, error)
}

// ConsentRequest records a consent. The BSN travels only in this body.
type ConsentRequest struct {
	BSN        string          `json:"bsn"`
	Purpose    string          `json:"purpose"`
	AllSectors bool            `json:"all,omitempty"`
	Sectors    []broker.Sector `json:"sectors,omitempty"`
	Partners   []string        `json:"partners,omitempty"`
	GivenBy    string          `json:"given_by"`
	Evidence   string          `json:"evidence,omitempty"`
	ValidFrom  string          `json:"valid_from,omitempty"`
	ValidUntil string          `json:"valid_until,omitempty"`
	// Explicit marks an explicit consent (AVG art. 9); it needs Evidence.
	Explicit bool `json:"explicit,omitempty"`
	// NotConditional records that support was not made conditional on
	// the consent (AVG art. 7 lid 4).
	NotConditional bool `json:"not_conditional,omitempty"`
}

// LookupRequest names one person by BSN (in a body, never in a URL) and
// the request the look serves: a privacy officer names the access
// request, complaint or investigation (for example AVG-2026-0142).
type LookupRequest struct {
	BSN       string `json:"bsn"`
	Reference string `json:"reference,omitempty"`
}

// PersonRequest names one person by BSN, in a body, never in a URL.
type PersonRequest struct {
	BSN string `json:"bsn"`
}

func (a *api) recordConsent(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req ConsentRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	cv, err := a.b.RecordConsent(r.Context(), c, req.BSN, broker.Consent{
		Purpose: req.Purpose, AllSectors: req.AllSectors, Sectors: req.Sectors, Partners: req.Partners,
		GivenBy: req.GivenBy, Evidence: req.Evidence, ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil,
		Explicit: req.Explicit, NotConditional: req.NotConditional,
	})
	return a.reply(w, r, http.StatusCreated, cv, err)
}

func (a *api) searchConsents(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req LookupRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	list, err := a.b.Consents(r.Context(), c, req.BSN, req.Reference)
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) withdrawConsent(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
	}
	cv, err := a.b.WithdrawConsent(r.Context(), c, id, req.Reason)
	return a.reply(w, r, http.StatusOK, cv, err)
}
