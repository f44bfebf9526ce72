package connectors

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Policies (privacy officer): Rego bundles pushed, tested by the broker,
// dry-run against recorded decisions and approved by a second officer
// (four eyes); the purposes and processing register they define. Answers
// follow the OpenAPI document's schemas (PolicyVersion, DryRunReport, …).

// ListPolicies returns the policy versions.
func (c *Client) ListPolicies(ctx context.Context) ([]wire.PolicyVersion, error) {
	var out struct {
		Versions []wire.PolicyVersion `json:"versions"`
	}
	err := c.JSON(ctx, http.MethodGet, "/v1/policies", "", nil, &out)
	return out.Versions, err
}

// PushPolicy uploads bundle (an OPA bundle, gzipped tar) with a note on
// what changed and why; the broker compiles it and runs its tests. A
// failing bundle comes back as a *ProblemError whose Report holds the test
// report (a wire.PolicyReport).
func (c *Client) PushPolicy(ctx context.Context, bundle []byte, note string) (wire.PolicyVersion, error) {
	var v wire.PolicyVersion
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: withQuery("/v1/policies", url.Values{"note": {note}}),
		Body: bundle, ContentType: "application/gzip"})
	if err != nil {
		return v, err
	}
	return v, decodeInto(resp, &v)
}

// policyVersion sends one request whose answer is a policy version.
func (c *Client) policyVersion(ctx context.Context, method, path string, in any) (wire.PolicyVersion, error) {
	var v wire.PolicyVersion
	err := c.JSON(ctx, method, path, "", in, &v)
	return v, err
}

// GetPolicy returns policy version.
func (c *Client) GetPolicy(ctx context.Context, version string) (wire.PolicyVersion, error) {
	return c.policyVersion(ctx, http.MethodGet, route("/v1/policies/{}", version), nil)
}

// GetPolicyBundle returns the bundle of policy version as it was pushed.
func (c *Client) GetPolicyBundle(ctx context.Context, version string) ([]byte, error) {
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: route("/v1/policies/{}/bundle", version)})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// DryRunPolicy replays the n most recent decisions (0: the broker's
// default) against policy version and decodes into out what would change.
func (c *Client) DryRunPolicy(ctx context.Context, version string, n int, out any) error {
	q := url.Values{}
	if n > 0 {
		q.Set("n", strconv.Itoa(n))
	}
	return c.JSON(ctx, http.MethodPost, withQuery(route("/v1/policies/{}/dry-run", version), q), "", nil, out)
}

// ApprovePolicy approves policy version (a second privacy officer), which
// makes it active.
func (c *Client) ApprovePolicy(ctx context.Context, version string) (wire.PolicyVersion, error) {
	return c.policyVersion(ctx, http.MethodPost, route("/v1/policies/{}/approve", version), nil)
}

// RollbackPolicy makes an earlier, once-active policy version active again.
func (c *Client) RollbackPolicy(ctx context.Context, version string) (wire.PolicyVersion, error) {
	return c.policyVersion(ctx, http.MethodPost, route("/v1/policies/{}/rollback", version), nil)
}

// RejectPolicy rejects a pending policy version, saying why in comment.
func (c *Client) RejectPolicy(ctx context.Context, version, comment string) (wire.PolicyVersion, error) {
	return c.policyVersion(ctx, http.MethodPost, route("/v1/policies/{}/reject", version), map[string]string{"comment": comment})
}

// ExplainPolicy asks the policy (version, or the active one when "") a
// hypothetical question: input is a decision input document, sent as is.
// It changes nothing, so it is retried like a GET.
func (c *Client) ExplainPolicy(ctx context.Context, version string, input json.RawMessage, out any) error {
	q := url.Values{}
	if version != "" {
		q.Set("version", version)
	}
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: withQuery("/v1/policies/explain", q), Body: input, Idempotent: true})
	if err != nil {
		return err
	}
	return decodeInto(resp, out)
}

// ProcessingRegister returns the register of processing activities (AVG
// art. 30) the active policy defines.
func (c *Client) ProcessingRegister(ctx context.Context) (wire.ProcessingRegister, error) {
	var reg wire.ProcessingRegister
	err := c.JSON(ctx, http.MethodGet, "/v1/policies/register", "", nil, &reg)
	return reg, err
}

// ListPurposes returns the purposes (doelbinding) the caller may state.
func (c *Client) ListPurposes(ctx context.Context) ([]wire.PurposeChoice, error) {
	var out struct {
		Purposes []wire.PurposeChoice `json:"purposes"`
	}
	err := c.JSON(ctx, http.MethodGet, "/v1/purposes", "", nil, &out)
	return out.Purposes, err
}
