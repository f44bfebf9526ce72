package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ketenbrug/ketenbrug/broker"
)

// routes builds the router: the one table of every route, each handler in
// the file named for its resource (partners.go, households.go, plans.go,
// …). Every route is in the one OpenAPI document (openapi.json), and
// TestOpenAPICoversRoutes keeps the two in step.
func (a *api) routes() *mux.Router {
	r := mux.NewRouter()
	r.Use(a.routeNamer)
	r.NotFoundHandler = a.routeNamer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeProblem(w, r, fmt.Errorf("route %w", broker.ErrNotFound))
	}))
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeProblem(w, r, &bodyError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", detail: "method not allowed on this route"})
	})

	// Public.
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}).Methods(http.MethodGet)
	r.HandleFunc("/readyz", a.readyz).Methods(http.MethodGet)
	r.Handle("/metrics", promhttp.HandlerFor(a.cfg.Registry, promhttp.HandlerOpts{DisableCompression: true})).Methods(http.MethodGet)
	r.HandleFunc("/.well-known/jwks.json", a.jwks).Methods(http.MethodGet)
	r.HandleFunc("/.well-known/ketenbrug-configuration", a.configuration).Methods(http.MethodGet)
	r.HandleFunc("/v1/openapi.json", a.openapi).Methods(http.MethodGet)

	body, bundle := a.cfg.MaxBody, a.cfg.MaxBundle
	v1 := v1Routes{r}
	v1.HandleFunc("/whoami", a.authed(body, a.whoami)).Methods(http.MethodGet)

	v1.HandleFunc("/partners", a.authed(body, a.listPartners)).Methods(http.MethodGet)
	v1.HandleFunc("/partners", a.authed(body, a.registerPartner)).Methods(http.MethodPost)
	v1.HandleFunc("/partners/{id}", a.authed(body, a.getPartner)).Methods(http.MethodGet)
	v1.HandleFunc("/partners/{id}", a.authed(body, a.updatePartner)).Methods(http.MethodPut)
	v1.HandleFunc("/partners/{id}/keys", a.authed(body, a.setPartnerKeys)).Methods(http.MethodPut)
	v1.HandleFunc("/partners/{id}/suspend", a.authed(body, a.setPartnerStatus(broker.PartnerSuspended))).Methods(http.MethodPost)
	v1.HandleFunc("/partners/{id}/activate", a.authed(body, a.setPartnerStatus(broker.PartnerActive))).Methods(http.MethodPost)
	v1.HandleFunc("/partners/{id}/persons", a.authed(body, a.listPersonKeys)).Methods(http.MethodGet)
	v1.HandleFunc("/partners/{id}/persons/{person}", a.authed(body, a.putPersonKey)).Methods(http.MethodPut)
	v1.HandleFunc("/partners/{id}/persons/{person}", a.authed(body, a.removePersonKey)).Methods(http.MethodDelete)
	v1.HandleFunc("/partners/{id}/persons/{person}/suspend", a.authed(body, a.setPersonStatus(broker.PartnerSuspended))).Methods(http.MethodPost)
	v1.HandleFunc("/partners/{id}/persons/{person}/activate", a.authed(body, a.setPersonStatus(broker.PartnerActive))).Methods(http.MethodPost)
	v1.HandleFunc("/decisions/{request_id}", a.authed(body, a.replayRequest)).Methods(http.MethodGet)
	v1.HandleFunc("/partners/{id}/login", a.authed(body, a.getLoginConfig)).Methods(http.MethodGet)
	v1.HandleFunc("/partners/{id}/login", a.authed(body, a.putLoginConfig)).Methods(http.MethodPut)
	v1.HandleFunc("/partners/{id}/login", a.authed(body, a.removeLoginConfig)).Methods(http.MethodDelete)
	v1.HandleFunc("/backup", a.authed(body, a.backup)).Methods(http.MethodGet)

	v1.HandleFunc("/involvements", a.authed(body, a.listInvolvements)).Methods(http.MethodGet)
	v1.HandleFunc("/involvements/sync", a.authedStream(a.syncInvolvements)).Methods(http.MethodPost)
	v1.HandleFunc("/involvements/{ref}", a.authed(body, a.putInvolvement)).Methods(http.MethodPut)
	v1.HandleFunc("/involvements/{ref}/end", a.authed(body, a.endInvolvement)).Methods(http.MethodPost)
	v1.HandleFunc("/households", a.authed(body, a.listHouseholds)).Methods(http.MethodGet)
	v1.HandleFunc("/households/{id}", a.authed(body, a.putHousehold)).Methods(http.MethodPut)
	v1.HandleFunc("/households/{id}", a.authed(body, a.getHousehold)).Methods(http.MethodGet)
	v1.HandleFunc("/households/{id}/involvements", a.authed(body, a.householdOverview)).Methods(http.MethodGet)
	v1.HandleFunc("/persons/involvements", a.authed(body, a.personOverview)).Methods(http.MethodPost)
	v1.HandleFunc("/inbox", a.authed(body, a.inbox)).Methods(http.MethodGet)
	v1.HandleFunc("/inbox/{id}/ack", a.authed(body, a.ackInbox)).Methods(http.MethodPost)

	v1.HandleFunc("/consents", a.authed(body, a.recordConsent)).Methods(http.MethodPost)
	v1.HandleFunc("/consents/search", a.authed(body, a.searchConsents)).Methods(http.MethodPost)
	v1.HandleFunc("/consents/{id}/withdraw", a.authed(body, a.withdrawConsent)).Methods(http.MethodPost)

	v1.HandleFunc("/policies", a.authed(body, a.listPolicies)).Methods(http.MethodGet)
	v1.HandleFunc("/policies", a.authed(bundle, a.pushPolicy)).Methods(http.MethodPost)
	v1.HandleFunc("/policies/explain", a.authed(body, a.explainPolicy)).Methods(http.MethodPost)
	v1.HandleFunc("/policies/register", a.authed(body, a.processingRegister)).Methods(http.MethodGet)
	v1.HandleFunc("/purposes", a.authed(body, a.listPurposes)).Methods(http.MethodGet)
	v1.HandleFunc("/policies/{version}", a.authed(body, a.getPolicy)).Methods(http.MethodGet)
	v1.HandleFunc("/policies/{version}/bundle", a.authed(body, a.getPolicyBundle)).Methods(http.MethodGet)
	v1.HandleFunc("/policies/{version}/dry-run", a.authed(body, a.dryRunPolicy)).Methods(http.MethodPost)
	v1.HandleFunc("/policies/{version}/approve", a.authed(body, a.approvePolicy)).Methods(http.MethodPost)
	v1.HandleFunc("/policies/{version}/rollback", a.authed(body, a.rollbackPolicy)).Methods(http.MethodPost)
	v1.HandleFunc("/policies/{version}/reject", a.authed(body, a.rejectPolicy)).Methods(http.MethodPost)

	v1.HandleFunc("/assignments", a.authed(body, a.giveAssignment)).Methods(http.MethodPost)
	v1.HandleFunc("/assignments", a.authed(body, a.listAssignments)).Methods(http.MethodGet)
	v1.HandleFunc("/assignments/{id}", a.authed(body, a.getAssignment)).Methods(http.MethodGet)
	for _, step := range []string{broker.StepAccept, broker.StepDecline, broker.StepComplete, broker.StepCancel} {
		v1.HandleFunc("/assignments/{id}/"+step, a.authed(body, a.stepAssignment(step))).Methods(http.MethodPost)
	}

	v1.HandleFunc("/followups", a.authed(body, a.listFollowups)).Methods(http.MethodGet)
	v1.HandleFunc("/followups/{id}", a.authed(body, a.getFollowup)).Methods(http.MethodGet)
	for _, step := range []string{broker.FollowupStepContact, broker.FollowupStepClose, broker.FollowupStepReassign} {
		v1.HandleFunc("/followups/{id}/"+step, a.authed(body, a.stepFollowup(step))).Methods(http.MethodPost)
	}

	v1.HandleFunc("/households/{id}/plan", a.authed(body, a.getPlan)).Methods(http.MethodGet)
	v1.HandleFunc("/households/{id}/plan", a.authed(body, a.putPlan)).Methods(http.MethodPut)
	v1.HandleFunc("/households/{id}/plan/history", a.authed(body, a.planHistory)).Methods(http.MethodGet)
	v1.HandleFunc("/households/{id}/plan/close", a.authed(body, a.closePlan)).Methods(http.MethodPost)
	v1.HandleFunc("/households/{id}/plan/agreements/{agreement}/status", a.authed(body, a.setAgreementStatus)).Methods(http.MethodPost)

	v1.HandleFunc("/webhooks/dead-letters", a.authed(body, a.deadLetters)).Methods(http.MethodGet)
	v1.HandleFunc("/webhooks/dead-letters/{id}/retry", a.authed(body, a.retryDeadLetter)).Methods(http.MethodPost)

	v1.HandleFunc("/restrictions", a.authed(body, a.recordRestriction)).Methods(http.MethodPost)
	v1.HandleFunc("/restrictions/search", a.authed(body, a.searchRestrictions)).Methods(http.MethodPost)
	v1.HandleFunc("/restrictions/{id}/lift", a.authed(body, a.liftRestriction)).Methods(http.MethodPost)
	v1.HandleFunc("/audit/disclosures", a.authed(body, a.auditDisclosures)).Methods(http.MethodPost)

	v1.HandleFunc("/statistics", a.authed(body, a.statistics)).Methods(http.MethodGet)

	v1.HandleFunc("/audit", a.authed(body, a.auditEntries)).Methods(http.MethodGet)
	v1.HandleFunc("/audit/verify", a.authed(body, a.verifyAudit)).Methods(http.MethodGet)
	v1.HandleFunc("/audit/export", a.authed(body, a.exportAudit)).Methods(http.MethodGet)
	v1.HandleFunc("/audit/subject-access", a.authed(body, a.subjectAccess)).Methods(http.MethodPost)
	return r
}

// v1Routes registers routes under /v1 on the root router itself: on a
// gorilla/mux subrouter a wrong method answers 404 instead of 405.
type v1Routes struct{ r *mux.Router }

// HandleFunc registers f for /v1 + path.
func (v v1Routes) HandleFunc(path string, f http.HandlerFunc) *mux.Route {
	return v.r.HandleFunc("/v1"+path, f)
}

// pathID returns the path parameter name, validated as an identifier.
func pathID(r *http.Request, name string) (string, error) {
	v := mux.Vars(r)[name]
	if !broker.ValidID(v) {
		return "", &broker.ValidationError{Field: name, Reason: "not a valid identifier: " + broker.IDRule}
	}
	return v, nil
}

// reply writes v or, when err is set, its problem document.
func (a *api) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string, def, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, &broker.ValidationError{Field: name, Reason: fmt.Sprintf("must be an integer from 0 to %d", max)}
	}
	return n, nil
}
