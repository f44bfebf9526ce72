package connectors

import (
	"context"
	"net/http"
)

// Backup (operator) returns a consistent copy of the broker's store, taken
// while it serves. A store runs to gigabytes, so each attempt is bounded by
// Config.SyncTimeout, not Config.Timeout.
func (c *Client) Backup(ctx context.Context) ([]byte, error) {
	resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/backup", Timeout: c.cfg.SyncTimeout})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
