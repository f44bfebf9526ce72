package httpapi

import (
	"net/http"
	"regexp"
	"time"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
)

// ConsentRequest records a consent. The BSN travels only in this body.
type ConsentRequest struct {
	BSN        string          `json:"bsn"`
	Purpose    string          `json:"purpose"`
	AllSectors bool            `json:"all,omitempty"`
	Sectors    []broker.Sector `json:"sectors,omitempty"`
	Partners   []string        `json:"partners,omitempty"`
	GivenBy    string          `json:"given_by"`
	Evidence   string          `json:"evidence,omitempty"`
	ValidFrom  string          `json:"valid_from,omitempty"`
	ValidUntil string          `json:"valid_until,omitempty"`
	// Explicit marks an explicit consent (AVG art. 9); it needs Evidence.
	Explicit bool `json:"explicit,omitempty"`
	// NotConditional records that support was not made conditional on
	// the consent (AVG art. 7 lid 4).
	NotConditional bool `json:"not_conditional,omitempty"`
}

// LookupRequest names one person by BSN (in a body, never in a URL) and
// the request the look serves: a privacy officer names the access
// request, complaint or investigation (for example AVG-2026-0142).
type LookupRequest struct {
	BSN       string `json:"bsn"`
	Reference string `json:"reference,omitempty"`
}

// PersonRequest names one person by BSN, in a body, never in a URL.
type PersonRequest struct {
	BSN string `json:"bsn"`
}

func (a *api) recordConsent(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req ConsentRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	cv, err := a.b.RecordConsent(r.Context(), c, req.BSN, broker.Consent{
		Purpose: req.Purpose, AllSectors: req.AllSectors, Sectors: req.Sectors, Partners: req.Partners,
		GivenBy: req.GivenBy, Evidence: req.Evidence, ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil,
		Explicit: req.Explicit, NotConditional: req.NotConditional,
	})
	return a.reply(w, r, http.StatusCreated, cv, err)
}

func (a *api) searchConsents(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req LookupRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	list, err := a.b.Consents(r.Context(), c, req.BSN, req.Reference)
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) withdrawConsent(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
	}
	cv, err := a.b.WithdrawConsent(r.Context(), c, id, req.Reason)
	return a.reply(w, r, http.StatusOK, cv, err)
}

// versionPattern accepts a full policy version id or a prefix of it.
var versionPattern = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

func pathVersion(r *http.Request) (string, error) {
	v := mux.Vars(r)["version"]
	if !versionPattern.MatchString(v) {
		return "", &broker.ValidationError{Field: "version", Reason: "a policy version is 8 to 64 hex characters"}
	}
	return v, nil
}

// bundleTypes are the accepted media types of an uploaded bundle.
var bundleTypes = map[string]bool{
	"application/gzip": true, "application/x-gzip": true,
	"application/vnd.openpolicyagent.bundle": true, "application/octet-stream": true,
}

func (a *api) pushPolicy(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	if ct := r.Header.Get("Content-Type"); !bundleTypes[ct] {
		return &bodyError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			detail: "upload the bundle as application/gzip (an OPA bundle, tar.gz)"}
	}
	if len(body) == 0 {
		return malformed("", "the bundle is empty")
	}
	v, err := a.b.PushPolicy(r.Context(), c, body, r.URL.Query().Get("note"))
	return a.reply(w, r, http.StatusCreated, v, err)
}

func (a *api) listPolicies(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	vs, err := a.b.Policies(r.Context(), c)
	return a.reply(w, r, http.StatusOK, map[string]any{"versions": vs}, err)
}

func (a *api) getPolicy(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathVersion(r)
	if err != nil {
		return err
	}
	v, err := a.b.PolicyBundle(r.Context(), c, id)
	v.Bundle = nil
	return a.reply(w, r, http.StatusOK, v, err)
}

func (a *api) getPolicyBundle(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathVersion(r)
	if err != nil {
		return err
	}
	v, err := a.b.PolicyBundle(r.Context(), c, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", `attachment; filename="policy-`+v.ID[:12]+`.tar.gz"`)
	_, _ = w.Write(v.Bundle)
	return nil
}

func (a *api) dryRunPolicy(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathVersion(r)
	if err != nil {
		return err
	}
	n, err := queryInt(r, "n", 0, 100_000)
	if err != nil {
		return err
	}
	rep, err := a.b.DryRun(r.Context(), c, id, n)
	return a.reply(w, r, http.StatusOK, rep, err)
}

func (a *api) approvePolicy(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathVersion(r)
	if err != nil {
		return err
	}
	v, err := a.b.ApprovePolicy(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, v, err)
}

func (a *api) rollbackPolicy(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathVersion(r)
	if err != nil {
		return err
	}
	v, err := a.b.RollbackPolicy(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, v, err)
}

func (a *api) explainPolicy(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var in broker.DecisionInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	version := r.URL.Query().Get("version")
	if version != "" && !versionPattern.MatchString(version) {
		return &broker.ValidationError{Field: "version", Reason: "a policy version is 8 to 64 hex characters"}
	}
	d, err := a.b.ExplainPolicy(r.Context(), c, version, &in)
	return a.reply(w, r, http.StatusOK, d, err)
}

func (a *api) auditEntries(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	from, err := queryInt(r, "from", 1, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		return err
	}
	q := broker.AuditQuery{From: uint64(from), Limit: limit, Reference: r.URL.Query().Get("reference")}
	if err := auditFilters(r, &q); err != nil {
		return err
	}
	page, err := a.b.AuditEntries(r.Context(), c, q)
	return a.reply(w, r, http.StatusOK, page, err)
}

func (a *api) verifyAudit(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	rep, err := a.b.VerifyAudit(r.Context(), c)
	return a.reply(w, r, http.StatusOK, rep, err)
}

func (a *api) subjectAccess(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req LookupRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	rep, err := a.b.SubjectAccess(r.Context(), c, req.BSN, req.Reference)
	return a.reply(w, r, http.StatusOK, rep, err)
}

func (a *api) processingRegister(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	reg, err := a.b.ProcessingRegister(r.Context(), c)
	return a.reply(w, r, http.StatusOK, reg, err)
}

// auditFilters reads the audit list's filters from the query: request_id,
// partner, action, decision (allow or deny), since and until (RFC 3339).
func auditFilters(r *http.Request, q *broker.AuditQuery) error {
	v := r.URL.Query()
	q.RequestID, q.Partner, q.Action, q.Decision = v.Get("request_id"), v.Get("partner"), v.Get("action"), v.Get("decision")
	if q.Decision != "" && q.Decision != broker.DecisionAllow && q.Decision != broker.DecisionDeny {
		return &broker.ValidationError{Field: "decision", Reason: "allow or deny"}
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return &broker.ValidationError{Field: name, Reason: "a time in RFC 3339, such as 2026-12-01T00:00:00Z"}
			}
			*dst = t
		}
	}
	for name, s := range map[string]string{"request_id": q.RequestID, "partner": q.Partner, "action": q.Action} {
		if len(s) > 100 {
			return &broker.ValidationError{Field: name, Reason: "at most 100 characters"}
		}
	}
	return nil
}

// PurposeList is the purposes a caller may state.
type PurposeList struct {
	Purposes []broker.PurposeChoice `json:"purposes"`
}

func (a *api) listPurposes(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	ps, err := a.b.Purposes(c)
	return a.reply(w, r, http.StatusOK, PurposeList{Purposes: ps}, err)
}

// RejectRequest says why a privacy officer rejects a pending policy version.
type RejectRequest struct {
	Comment string `json:"comment"`
}

func (a *api) rejectPolicy(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathVersion(r)
	if err != nil {
		return err
	}
	var req RejectRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	v, err := a.b.RejectPolicy(r.Context(), c, id, req.Comment)
	return a.reply(w, r, http.StatusOK, v, err)
}
