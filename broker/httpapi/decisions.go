package httpapi

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Decisions is what the decision-replay route needs.
type Decisions interface {
	ReplayRequest(ctx context.Context, c *broker.Caller, requestID, id, ref string) (broker.Replay, error)
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
