package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// ProblemContentType is the media type of RFC 9457 problem documents.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem document with Ketenbrug's extension
// members. Code is stable and documented in the OpenAPI document; Detail is
// safe to show and never holds personal data or internal causes.
type Problem struct {
	Type      string   `json:"type"`
	Title     string   `json:"title"`
	Status    int      `json:"status"`
	Detail    string   `json:"detail,omitempty"`
	Code      string   `json:"code"`
	RequestID string   `json:"request_id,omitempty"`
	Reasons   []string `json:"reasons,omitempty"`
	Field     string   `json:"field,omitempty"`
	// Report is the test report of a refused policy bundle.
	Report *broker.PolicyReport `json:"report,omitempty"`
}

// problemType makes the type URI of a code.
func problemType(code string) string { return "urn:ketenbrug:problem:" + code }

func newProblem(status int, code, detail string) *Problem {
	return &Problem{Type: problemType(code), Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// problemFor is the one map from errors to problem documents for this
// transport. Clients get a stable code and a safe message; the cause goes to
// the log only.
func problemFor(err error) *Problem {
	var (
		perr     *protocol.Error
		denied   *broker.DeniedError
		invalid  *broker.ValidationError
		rejected *broker.PolicyRejectedError
		bodyErr  *bodyError
		limitErr *limitError
		massEnd  *broker.MassEndError
	)
	switch {
	case errors.As(err, &limitErr):
		return newProblem(http.StatusTooManyRequests, "rate_limited", limitErr.what+"; retry after the Retry-After header's seconds")
	case errors.As(err, &bodyErr):
		p := newProblem(bodyErr.status, bodyErr.code, bodyErr.detail)
		p.Field = bodyErr.field
		return p
	case errors.As(err, &perr):
		status := http.StatusUnauthorized
		if perr.Reason == protocol.ReasonPartnerSuspended || perr.Reason == protocol.ReasonPersonSuspended {
			// The token is sound but its partner may not act: a new
			// token would not help (PROTOCOL.md section 5).
			status = http.StatusForbidden
		}
		return newProblem(status, "token_"+perr.Reason, "the request token was refused: "+perr.Reason)
	case errors.As(err, &rejected):
		p := newProblem(http.StatusUnprocessableEntity, "policy_rejected", "the policy bundle did not compile or its tests failed")
		p.Report = &rejected.Report
		return p
	case errors.As(err, &massEnd):
		return newProblem(http.StatusConflict, "mass_end_refused", massEndDetail(massEnd))
	case errors.As(err, &denied):
		p := newProblem(http.StatusForbidden, "denied", "the policy refused this request")
		p.Reasons = denied.Reasons
		return p
	case errors.As(err, &invalid):
		p := newProblem(http.StatusUnprocessableEntity, "invalid_input", invalid.Error())
		p.Field = invalid.Field
		return p
	case errors.Is(err, broker.ErrTooLarge):
		return newProblem(http.StatusRequestEntityTooLarge, "too_large", "the request is too large")
	case errors.Is(err, broker.ErrNotFound):
		return newProblem(http.StatusNotFound, "not_found", "no such object")
	case errors.Is(err, broker.ErrConflict):
		return newProblem(http.StatusConflict, "conflict", safeDetail(err, broker.ErrConflict))
	case errors.Is(err, broker.ErrPreconditionFailed):
		return newProblem(http.StatusPreconditionFailed, "precondition_failed", "the object changed; fetch it again and retry with its current ETag")
	case errors.Is(err, broker.ErrPersonNotVerified):
		return newProblem(http.StatusForbidden, "person_not_verified", safeDetail(err, broker.ErrPersonNotVerified))
	case errors.Is(err, broker.ErrForbidden):
		return newProblem(http.StatusForbidden, "forbidden", safeDetail(err, broker.ErrForbidden))
	case errors.Is(err, broker.ErrUnauthenticated):
		return newProblem(http.StatusUnauthorized, "unauthenticated", "a valid request token is required")
	case errors.Is(err, broker.ErrAuditFailed), errors.Is(err, broker.ErrUnavailable):
		return newProblem(http.StatusServiceUnavailable, "unavailable", "the broker cannot serve this now; nothing took effect, retry later")
	}
	return newProblem(http.StatusInternalServerError, "internal", "an internal error occurred; nothing was disclosed")
}

// safeDetail returns the message of a domain error of kind sentinel. Domain
// errors of these kinds are written to be shown (they name ids the caller
// sent, never personal data).
func safeDetail(err, sentinel error) string {
	if err == nil {
		return sentinel.Error()
	}
	return err.Error()
}

// writeProblem writes err as a problem document and logs the cause.
func (a *api) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	rs := stateOf(w)
	if rs != nil {
		p.RequestID = rs.requestID
		rs.code = p.Code
	}
	level := slog.LevelInfo
	if p.Status >= 500 {
		level = slog.LevelError
	}
	a.log.LogAttrs(r.Context(), level, "request refused", slog.String("request_id", p.RequestID),
		slog.String("code", p.Code), slog.Int("status", p.Status), slog.String("cause", err.Error()))
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", a.challenge(p, err))
	}
	var limitErr *limitError
	if errors.As(err, &limitErr) {
		w.Header().Set("Retry-After", strconv.Itoa(limitErr.retryAfterSeconds()))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// challenge is the WWW-Authenticate header of a 401 (RFC 9110 section
// 11.6.1, RFC 6750 section 3): the broker id as realm and, for a token that
// was sent and refused, error="invalid_token" with the problem's code.
// Without a token there is no error information (RFC 6750 section 3.1).
func (a *api) challenge(p *Problem, err error) string {
	c := "Bearer realm=" + quoteParam(a.b.ID())
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Reason != errMissingToken.Reason {
		c += `, error="invalid_token", error_description=` + quoteParam(p.Code)
	}
	return c
}

// quoteParam makes s an RFC 9110 quoted-string.
func quoteParam(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r > 0x7e:
			b.WriteByte('?') // not a visible ASCII character
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
