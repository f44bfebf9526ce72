package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// The broker's public endpoints: no token is sent and no response is
// signed, because they describe the broker itself (its keys, its
// configuration, its health) and are read before, or without, an identity.

// getUnsigned fetches a public document and returns its body when the
// status is one of ok.
func (c *Client) getUnsigned(ctx context.Context, path string, ok ...int) ([]byte, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.Server+path, nil)
	if err != nil {
		return nil, err
	}
	hresp, err := c.cfg.HTTPClient.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("connectors: reaching the broker: %w", err)
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hresp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	for _, s := range ok {
		if hresp.StatusCode == s {
			return body, nil
		}
	}
	return body, fmt.Errorf("connectors: GET %s: status %d", path, hresp.StatusCode)
}

// BrokerKeys returns the broker's public JWKS, the keys its responses and
// webhook deliveries are signed with.
func (c *Client) BrokerKeys(ctx context.Context) (json.RawMessage, error) {
	return c.getUnsigned(ctx, "/.well-known/jwks.json", http.StatusOK)
}

// Configuration returns the broker's discovery document (see the function
// Configuration, which needs no identity).
func (c *Client) Configuration(ctx context.Context) (BrokerConfiguration, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	return Configuration(ctx, c.cfg.Server, c.cfg.HTTPClient)
}

// Healthz reports whether the broker's process answers at all.
func (c *Client) Healthz(ctx context.Context) error {
	_, err := c.getUnsigned(ctx, "/healthz", http.StatusOK)
	return err
}

// Readyz reports whether the broker is ready to serve (its store and
// policy engine answer); an error says why not.
func (c *Client) Readyz(ctx context.Context) error {
	body, err := c.getUnsigned(ctx, "/readyz", http.StatusOK)
	if err != nil {
		var pe ProblemError
		if json.Unmarshal(body, &pe) == nil && pe.Code != "" {
			return fmt.Errorf("%w: %s", err, pe.Detail)
		}
	}
	return err
}

// Metrics returns the broker's Prometheus exposition.
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	return c.getUnsigned(ctx, "/metrics", http.StatusOK)
}

// OpenAPI returns the broker's OpenAPI document, the contract every method
// of this client follows.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	return c.getUnsigned(ctx, "/v1/openapi.json", http.StatusOK)
}
