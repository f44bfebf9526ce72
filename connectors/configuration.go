package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// BrokerConfiguration is the broker's public discovery document,
// /.well-known/ketenbrug-configuration.
type BrokerConfiguration struct {
	ID                string             `json:"id"`
	JWKSURI           string             `json:"jwks_uri"`
	Algorithms        []string           `json:"algorithms"`
	MaxTokenLifetimeS int                `json:"max_token_lifetime_s"`
	MaxClockSkewS     int                `json:"max_clock_skew_s"`
	APIVersion        string             `json:"api_version"`
	Build             protocol.BuildInfo `json:"build"`
}

// Configuration fetches a broker's discovery document without an identity
// (it is public): who the broker is, its keys' address and its build. hc
// nil means http.DefaultClient.
func Configuration(ctx context.Context, server string, hc *http.Client) (BrokerConfiguration, error) {
	var conf BrokerConfiguration
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/.well-known/ketenbrug-configuration", nil)
	if err != nil {
		return conf, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return conf, fmt.Errorf("connectors: reaching the broker: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return conf, fmt.Errorf("connectors: the broker's configuration: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&conf); err != nil {
		return conf, fmt.Errorf("connectors: the broker's configuration: %w", err)
	}
	return conf, nil
}
