package httpapi

import (
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

func (a *api) configuration(w http.ResponseWriter, r *http.Request) {
	// The JWKS address is absolute, as discovery documents are; it is made
	// from the address the client reached, so it works behind any name.
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusOK, Configuration{
		ID: a.b.ID(), JWKSURI: scheme + "://" + r.Host + "/.well-known/jwks.json", Algorithms: protocol.Algorithms,
		MaxTokenLifetimeS: int(protocol.MaxTokenLifetime.Seconds()), MaxClockSkewS: int(protocol.MaxClockSkew.Seconds()),
		APIVersion: APIVersion, Build: a.cfg.Build,
	})
}

// Configuration is the discovery document at
// /.well-known/ketenbrug-configuration.
type Configuration struct {
	ID                string   `json:"id"`
	JWKSURI           string   `json:"jwks_uri"`
	Algorithms        []string `json:"algorithms"`
	MaxTokenLifetimeS int      `json:"max_token_lifetime_s"`
	MaxClockSkewS     int      `json:"max_clock_skew_s"`
	APIVersion        string   `json:"api_version"`
	// Build is the running build (ketenbrug version).
	Build protocol.BuildInfo `json:"build"`
}

func (a *api) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(a.cfg.PublicJWKS)
}

func (a *api) whoami(w http.ResponseWriter, _ *http.Request, c *broker.Caller, _ []byte) error {
	writeJSON(w, http.StatusOK, a.b.Whoami(c))
	return nil
}
