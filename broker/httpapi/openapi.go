package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route of this package. It is the contract
// for partners' developers; TestOpenAPICoversRoutes keeps it complete.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI document.
func OpenAPI() []byte { return openAPIDocument }

func (a *api) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument)
}
