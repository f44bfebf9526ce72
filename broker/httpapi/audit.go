package httpapi

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Audit is what the audit routes need: entries, verification, export and the resident's access report.
type Audit interface {
	AuditEntries(ctx context.Context, c *broker.Caller, q broker.AuditQuery) (broker.AuditPage, error)
	VerifyAudit(ctx context.Context, c *broker.Caller) (broker.AuditVerification, error)
	ExportAudit(ctx context.Context, c *broker.Caller, w io.Writer, from uint64) (int, error)
	SubjectAccess(ctx context.Context, c *broker.Caller, bsn, reference string) (broker.SubjectAccessReport, error)
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

func (a *api) verifyAudit(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	rep, err := a.b.VerifyAudit(r.Context(), c)
	return a.reply(w, r, http.StatusOK, rep, err)
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

func (a *api) subjectAccess(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req LookupRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	rep, err := a.b.SubjectAccess(r.Context(), c, req.BSN, req.Reference)
	return a.reply(w, r, http.StatusOK, rep, err)
}
