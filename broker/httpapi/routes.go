package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// routes builds the router. Every route is in the OpenAPI document
// (openapi.json), and TestOpenAPICoversRoutes keeps the two in step.
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
	a.personRoutes(v1)
	a.decisionRoutes(v1)
	a.loginRoutes(v1)
	v1.HandleFunc("/backup", a.authed(body, a.backup)).Methods(http.MethodGet)

	v1.HandleFunc("/involvements", a.authed(body, a.listInvolvements)).Methods(http.MethodGet)
	v1.HandleFunc("/involvements/sync", a.authedStream(a.syncInvolvements)).Methods(http.MethodPost)
	v1.HandleFunc("/involvements/{ref}", a.authed(body, a.putInvolvement)).Methods(http.MethodPut)
	v1.HandleFunc("/involvements/{ref}/end", a.authed(body, a.endInvolvement)).Methods(http.MethodPost)
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

	a.collaborationRoutes(v1)
	a.rightsRoutes(v1)

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

func (a *api) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(a.cfg.PublicJWKS)
}

func (a *api) whoami(w http.ResponseWriter, _ *http.Request, c *broker.Caller, _ []byte) error {
	writeJSON(w, http.StatusOK, a.b.Whoami(c))
	return nil
}

// pathID returns the path parameter name, validated as an identifier.
func pathID(r *http.Request, name string) (string, error) {
	v := mux.Vars(r)[name]
	if !broker.ValidID(v) {
		return "", &broker.ValidationError{Field: name, Reason: "not a valid identifier: " + broker.IDRule}
	}
	return v, nil
}

// householdPathID returns the household named in the path: an id, or
// municipality:id for a partner that serves several municipalities.
func householdPathID(r *http.Request) (string, error) {
	v := mux.Vars(r)["id"]
	if !broker.ValidHouseholdRef(v) {
		return "", &broker.ValidationError{Field: "id", Reason: "not a valid household id: " + broker.IDRule +
			", optionally after the municipality and ':'"}
	}
	return v, nil
}

// PartnerRequest registers or changes a partner.
type PartnerRequest struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Sector         broker.Sector   `json:"sector"`
	Municipalities []string        `json:"municipalities"`
	Roles          []broker.Role   `json:"roles"`
	Level          int             `json:"level"`
	Covenant       string          `json:"covenant,omitempty"`
	JWKS           json.RawMessage `json:"jwks,omitempty"`
	Webhook        string          `json:"webhook,omitempty"`
	ClientCerts    []string        `json:"client_certs,omitempty"`
	// PrivacyOffice registers the region's privacy office.
	PrivacyOffice bool `json:"privacy_office,omitempty"`
	// ControllerRole: controller, joint-controller or processor.
	ControllerRole string `json:"controller_role,omitempty"`
	// PrivacyContact: the partner's contact point for privacy questions.
	PrivacyContact string `json:"privacy_contact,omitempty"`
}

func (p PartnerRequest) partner() broker.Partner {
	return broker.Partner{ID: p.ID, Name: p.Name, Sector: p.Sector, Municipalities: p.Municipalities,
		Roles: p.Roles, Level: p.Level, Covenant: p.Covenant, JWKS: p.JWKS, Webhook: p.Webhook, ClientCerts: p.ClientCerts,
		PrivacyOffice: p.PrivacyOffice, ControllerRole: p.ControllerRole, PrivacyContact: p.PrivacyContact}
}

func (a *api) registerPartner(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req PartnerRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	p, err := a.b.RegisterPartner(r.Context(), c, req.partner())
	return a.reply(w, r, http.StatusCreated, p, err)
}

func (a *api) updatePartner(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req PartnerRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	if req.ID != "" && req.ID != id {
		return &broker.ValidationError{Field: "id", Reason: "differs from the id in the path"}
	}
	if len(req.JWKS) > 0 {
		return &broker.ValidationError{Field: "jwks", Reason: "change keys with PUT /v1/partners/{id}/keys"}
	}
	req.ID = id
	p, err := a.b.UpdatePartner(r.Context(), c, req.partner())
	return a.reply(w, r, http.StatusOK, p, err)
}

func (a *api) getPartner(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := a.b.Partner(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, p, err)
}

func (a *api) listPartners(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	ps, err := a.b.Partners(r.Context(), c)
	return a.reply(w, r, http.StatusOK, map[string]any{"partners": ps}, err)
}

func (a *api) setPartnerKeys(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		JWKS json.RawMessage `json:"jwks"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	p, err := a.b.SetPartnerKeys(r.Context(), c, id, req.JWKS)
	return a.reply(w, r, http.StatusOK, p, err)
}

func (a *api) setPartnerStatus(status broker.PartnerStatus) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		p, err := a.b.SetPartnerStatus(r.Context(), c, id, status)
		return a.reply(w, r, http.StatusOK, p, err)
	}
}

// backup streams a consistent copy of the store.
func (a *api) backup(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	return a.sendSpooled(w, r, "application/octet-stream", "ketenbrug-backup.db", func(out io.Writer) error {
		_, err := a.b.Backup(r.Context(), c, out)
		return err
	})
}

// exportAudit streams the stored audit records as NDJSON.
func (a *api) exportAudit(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	var from uint64 = 1
	if s := r.URL.Query().Get("from"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return &broker.ValidationError{Field: "from", Reason: "a sequence number from 1"}
		}
		from = n
	}
	return a.sendSpooled(w, r, "application/x-ndjson", "ketenbrug-audit.ndjson", func(out io.Writer) error {
		_, err := a.b.ExportAudit(r.Context(), c, out, from)
		return err
	})
}

// sendSpooled answers with what write produces, as an attachment named
// filename. The body is spooled to a file in the spool directory first, so that the
// signature header can cover its hash without holding it in memory; an
// error of write is answered as a problem, nothing of the body sent.
func (a *api) sendSpooled(w http.ResponseWriter, r *http.Request, contentType, filename string, write func(io.Writer) error) error {
	sw, ok := w.(*signedWriter)
	if !ok {
		return fmt.Errorf("%s needs the signed writer", filename)
	}
	f, done, err := a.spool("answer-*")
	if err != nil {
		return err
	}
	defer done()
	h := protocol.NewBodyHasher()
	if err := write(io.MultiWriter(f, h)); err != nil {
		return err
	}
	n, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	if err := sw.sendSigned(http.StatusOK, contentType, n, h.Sum(), f); err != nil {
		a.log.Warn("streamed answer interrupted", "file", filename, "request_id", sw.st.requestID, "error", err)
	}
	return nil
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
