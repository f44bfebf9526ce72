package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// The audit trail (privacy officer, operator): entries, the hash chain's
// verification, a resident's access report, the disclosures of a breach
// and the replay of a recorded request's decisions.

// AuditEntries returns a page of audit entries; q may hold from, limit,
// reference, request_id, partner, action, decision, since, until.
func (c *Client) AuditEntries(ctx context.Context, q url.Values) (wire.AuditPage, error) {
	var page wire.AuditPage
	err := c.JSON(ctx, http.MethodGet, withQuery("/v1/audit", q), "", nil, &page)
	return page, err
}

// ExportAudit returns the audit chain as stored (NDJSON) from sequence
// number from on, to keep a copy outside the broker.
func (c *Client) ExportAudit(ctx context.Context, from uint64) ([]byte, error) {
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: withQuery("/v1/audit/export", url.Values{"from": {strconv.FormatUint(from, 10)}})})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// VerifyAudit walks the whole hash chain and reports what it found.
func (c *Client) VerifyAudit(ctx context.Context) (wire.AuditVerification, error) {
	var v wire.AuditVerification
	err := c.JSON(ctx, http.MethodGet, "/v1/audit/verify", "", nil, &v)
	return v, err
}

// SubjectAccess returns every disclosure and denial about the person with
// bsn (inzage, AVG art. 15); reference is the request's case reference.
func (c *Client) SubjectAccess(ctx context.Context, bsn, reference string) (wire.SubjectAccessReport, error) {
	var rep wire.SubjectAccessReport
	err := c.JSON(ctx, http.MethodPost, "/v1/audit/subject-access", "", map[string]string{"bsn": bsn, "reference": reference}, &rep)
	return rep, err
}

// AuditDisclosures returns what was disclosed in a period (query is a
// DisclosureQuery), as format: json, ndjson or csv.
func (c *Client) AuditDisclosures(ctx context.Context, format string, query any) ([]byte, error) {
	body, err := json.Marshal(query)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: withQuery("/v1/audit/disclosures", url.Values{"format": {format}}),
		Body: body, ContentType: "application/json"})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ReplayRequest decodes into out the recorded decisions of request (its
// r-… id), decided again; q may hold version and reference.
func (c *Client) ReplayRequest(ctx context.Context, request string, q url.Values, out any) error {
	return c.JSON(ctx, http.MethodGet, withQuery(route("/v1/decisions/{}", request), q), "", nil, out)
}

// decodeInto decodes resp's JSON body into out, when both are there.
func decodeInto(resp *Response, out any) error {
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("connectors: decoding the answer: %w", err)
	}
	return nil
}
