package connectors

import (
	"context"
	"net/http"
)

// Consents (toestemming), recorded by a professional for a resident. A
// BSN travels only in a request body, never in a path or query, where
// logs and proxies would keep it.

// lookup is the body of a search by BSN (the OpenAPI LookupRequest).
type lookup struct {
	BSN       string `json:"bsn"`
	Reference string `json:"reference,omitempty"`
}

// RecordConsent records a consent (in is a ConsentRequest) under purpose
// and decodes the recorded consent into out.
func (c *Client) RecordConsent(ctx context.Context, purpose string, in, out any) error {
	return c.JSON(ctx, http.MethodPost, ConsentsPath(), purpose, in, out)
}

// SearchConsents decodes into out the consents of the person with bsn,
// withdrawn and expired ones included. reference is the privacy officer's
// case reference, where the policy asks for one.
func (c *Client) SearchConsents(ctx context.Context, purpose, bsn, reference string, out any) error {
	return c.JSON(ctx, http.MethodPost, "/v1/consents/search", purpose, lookup{bsn, reference}, out)
}

// WithdrawConsent withdraws consent id for reason (no personal details);
// it stays on record, marked.
func (c *Client) WithdrawConsent(ctx context.Context, id, reason string, out any) error {
	return c.JSON(ctx, http.MethodPost, route("/v1/consents/{}/withdraw", id), "", map[string]string{"reason": reason}, out)
}
