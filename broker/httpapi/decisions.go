package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
)

// decisionRoutes registers the replay of a request's recorded decisions
// (privacy officers).
func (a *api) decisionRoutes(v1 v1Routes) {
	v1.HandleFunc("/decisions/{request_id}", a.authed(a.cfg.MaxBody, a.replayRequest)).Methods(http.MethodGet)
}

// replayRequest answers GET /v1/decisions/{request_id}?reference=…&version=…:
// the request's recorded decisions, decided again under the active (or
// the named) policy version.
func (a *api) replayRequest(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	version := r.URL.Query().Get("version")
	if version != "" && !versionPattern.MatchString(version) {
		return &broker.ValidationError{Field: "version", Reason: "a policy version is 8 to 64 hex characters"}
	}
	rep, err := a.b.ReplayRequest(r.Context(), c, mux.Vars(r)["request_id"], version, r.URL.Query().Get("reference"))
	return a.reply(w, r, http.StatusOK, rep, err)
}
