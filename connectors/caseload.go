package connectors

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Sync sends the partner's complete current caseload (the broker's NDJSON
// sync format, see export.WriteSync) and returns what the broker added,
// changed, ended and rejected. With dryRun the broker only says what it
// would do. A full sync is idempotent, so it is retried like a PUT.
func (c *Client) Sync(ctx context.Context, ndjson io.ReadSeeker, dryRun bool) (broker.SyncResult, error) {
	path := "/v1/involvements/sync"
	if dryRun {
		path += "?dry_run=true"
	}
	resp, err := c.Do(ctx, Request{Method: http.MethodPost, Path: path, BodyStream: ndjson,
		ContentType: "application/x-ndjson", Idempotent: true})
	if err != nil {
		return broker.SyncResult{}, err
	}
	var res broker.SyncResult
	err = json.Unmarshal(resp.Body, &res)
	return res, err
}
