package connectors

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// The joint household plan (ambition level 4): goals and work agreements,
// one coordinator, versioned. Every change names the version it was made
// on (If-Match with the version's ETag), so that two sides editing at once
// do not overwrite each other: the second gets 412. The changing methods
// return the whole response, whose ETag header is the new version's.

// PlanQuery selects a version and a rendering of a plan.
type PlanQuery struct {
	// Version is a version number; 0 is the current one.
	Version uint64
	// Format is json, html or markdown; "" is JSON.
	Format string
}

// Precondition guards a plan change.
type Precondition struct {
	// IfMatch is the ETag of the version the change is made on.
	IfMatch string
	// IfNoneMatch "*" creates the plan, and fails when there is one.
	IfNoneMatch string
}

func (p Precondition) header() http.Header {
	h := http.Header{}
	if p.IfMatch != "" {
		h.Set("If-Match", p.IfMatch)
	}
	if p.IfNoneMatch != "" {
		h.Set("If-None-Match", p.IfNoneMatch)
	}
	return h
}

// GetPlan returns household's plan, rendered as q asks (a PlanView as JSON,
// or an HTML or Markdown document to print).
func (c *Client) GetPlan(ctx context.Context, household, purpose string, q PlanQuery) (*Response, error) {
	v := url.Values{}
	if q.Format != "" {
		v.Set("format", q.Format)
	}
	if q.Version > 0 {
		v.Set("version", strconv.FormatUint(q.Version, 10))
	}
	return c.Do(ctx, Request{Method: http.MethodGet, Path: withQuery(route("/v1/households/{}/plan", household), v), Purpose: purpose})
}

// PutPlan creates or replaces household's goals and agreements (in is a
// PlanInput) under purpose, guarded by pre.
func (c *Client) PutPlan(ctx context.Context, household, purpose string, in any, pre Precondition) (*Response, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, Request{Method: http.MethodPut, Path: route("/v1/households/{}/plan", household), Purpose: purpose,
		Body: body, Header: pre.header()})
}

// SetAgreementStatus sets the status of one work agreement of household's
// plan, made on the version whose ETag is ifMatch.
func (c *Client) SetAgreementStatus(ctx context.Context, household, agreement, status, purpose, ifMatch string) (*Response, error) {
	body, err := json.Marshal(map[string]string{"status": status})
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, Request{Method: http.MethodPost, Path: route("/v1/households/{}/plan/agreements/{}/status", household, agreement),
		Purpose: purpose, Body: body, Header: Precondition{IfMatch: ifMatch}.header()})
}

// ClosePlan closes household's plan, made on the version whose ETag is
// ifMatch.
func (c *Client) ClosePlan(ctx context.Context, household, purpose, ifMatch string) (*Response, error) {
	return c.Do(ctx, Request{Method: http.MethodPost, Path: route("/v1/households/{}/plan/close", household),
		Purpose: purpose, Header: Precondition{IfMatch: ifMatch}.header()})
}

// PlanHistory returns the versions of household's plan: who changed what,
// when.
func (c *Client) PlanHistory(ctx context.Context, household, purpose string) (wire.PlanHistory, error) {
	var h wire.PlanHistory
	err := c.JSON(ctx, http.MethodGet, route("/v1/households/{}/plan/history", household), purpose, nil, &h)
	return h, err
}
