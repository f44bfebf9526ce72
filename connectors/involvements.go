package connectors

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Involvements: what a partner registers, one at a time (PutInvolvement,
// EndInvolvement) or its whole caseload at once (Sync).

// ListInvolvements returns a page of the caller's own involvements; q may
// hold status, after and limit.
func (c *Client) ListInvolvements(ctx context.Context, q url.Values) (wire.InvolvementPage, error) {
	var page wire.InvolvementPage
	err := c.JSON(ctx, http.MethodGet, withQuery("/v1/involvements", q), "", nil, &page)
	return page, err
}

// PutInvolvement registers or replaces the caller's involvement ref under
// purpose; created says whether it was new. It is a PUT, so it is retried.
func (c *Client) PutInvolvement(ctx context.Context, ref, purpose string, in wire.InvolvementInput) (v wire.InvolvementView, created bool, err error) {
	body, err := json.Marshal(in)
	if err != nil {
		return v, false, err
	}
	resp, err := c.Do(ctx, Request{Method: http.MethodPut, Path: InvolvementPath(ref), Purpose: purpose, Body: body})
	if err != nil {
		return v, false, err
	}
	return v, resp.Status == http.StatusCreated, decodeInto(resp, &v)
}

// EndInvolvement ends the caller's involvement ref on end (a date, or ""
// for today).
func (c *Client) EndInvolvement(ctx context.Context, ref, purpose, end string) (wire.InvolvementView, error) {
	var in any // no body: the broker ends it today
	if end != "" {
		in = map[string]string{"end": end}
	}
	var v wire.InvolvementView
	err := c.JSON(ctx, http.MethodPost, route("/v1/involvements/{}/end", ref), purpose, in, &v)
	return v, err
}

// Sync sends the partner's complete current caseload (the broker's NDJSON
// sync format, see export.WriteSync) and returns what the broker added,
// changed, ended and rejected. With dryRun the broker only says what it
// would do. A full sync is idempotent, so it is retried like a PUT.
func (c *Client) Sync(ctx context.Context, ndjson io.ReadSeeker, dryRun bool) (wire.SyncResult, error) {
	return c.SyncWith(ctx, ndjson, wire.SyncOptions{DryRun: dryRun})
}

// SyncWith is Sync with all the options: opts.Purpose is the purpose the
// caseload is registered under (the default policy requires one; under a
// consent purpose an involvement is shown only with the person's consent);
// opts.AllowMassEnd applies a sync
// that ends more of the caseload than the broker allows at once (without
// it such a sync is refused with 409 mass_end_refused and nothing
// applied). ndjson is read from its start for every attempt, twice (to
// hash it, then to send it). Each attempt is bounded by
// Config.SyncTimeout, not Config.Timeout: the broker answers only once it
// has applied the whole caseload.
func (c *Client) SyncWith(ctx context.Context, ndjson io.ReadSeeker, opts wire.SyncOptions) (wire.SyncResult, error) {
	path := "/v1/involvements/sync"
	var q []string
	if opts.DryRun {
		q = append(q, "dry_run=true")
	}
	if opts.AllowMassEnd {
		q = append(q, "allow_mass_end=true")
	}
	if len(q) > 0 {
		path += "?" + strings.Join(q, "&")
	}
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: path, Purpose: opts.Purpose, BodyStream: ndjson,
		ContentType: "application/x-ndjson", Idempotent: true, Timeout: c.cfg.SyncTimeout})
	if err != nil {
		return wire.SyncResult{}, err
	}
	var res wire.SyncResult
	err = json.Unmarshal(resp.Body, &res)
	return res, err
}
