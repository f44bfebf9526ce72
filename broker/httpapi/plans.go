package httpapi

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Plans is what the joint-plan routes need (ambition level 4).
type Plans interface {
	Plan(ctx context.Context, c *broker.Caller, household string, version uint64) (broker.PlanView, error)
	PlanHistory(ctx context.Context, c *broker.Caller, household string) (broker.PlanHistory, error)
	PutPlan(ctx context.Context, c *broker.Caller, household string, ifMatch uint64, in broker.PlanInput) (broker.PlanView, error)
	SetAgreementStatus(ctx context.Context, c *broker.Caller, household, agreement string, ifMatch uint64, status string) (broker.PlanView, error)
	ClosePlan(ctx context.Context, c *broker.Caller, household string, ifMatch uint64) (broker.PlanView, error)
}

// AgreementStatusRequest sets the status of a work agreement.
type AgreementStatusRequest struct {
	Status string `json:"status"`
}

// errPreconditionRequired answers a plan write without If-Match (428).
func errPreconditionRequired(detail string) error {
	return &bodyError{status: http.StatusPreconditionRequired, code: "precondition_required", field: "If-Match", detail: detail}
}

// planPrecondition reads the version a plan write is made on: If-Match
// with the current ETag, or If-None-Match: * (0: there must be no plan
// yet, only where create allows it). Without either the write is refused
// with 428; an ETag that is not one of ours can match no version (412).
func planPrecondition(r *http.Request, create bool) (uint64, error) {
	im, inm := strings.TrimSpace(r.Header.Get("If-Match")), strings.TrimSpace(r.Header.Get("If-None-Match"))
	switch {
	case im != "" && inm != "":
		return 0, errPreconditionRequired("send If-Match or If-None-Match, not both")
	case im == "*":
		return 0, errPreconditionRequired("If-Match: * would overwrite whatever changed: send the plan's current ETag")
	case im != "":
		n, ok := broker.ParsePlanETag(im)
		if !ok {
			return 0, fmt.Errorf("If-Match %w: not an ETag of a plan version", broker.ErrPreconditionFailed)
		}
		return n, nil
	case inm == "*" && create:
		return 0, nil
	case inm != "" && create:
		return 0, errPreconditionRequired("If-None-Match takes only *, to create the plan")
	}
	if create {
		return 0, errPreconditionRequired("send If-Match with the plan's current ETag, or If-None-Match: * to create it")
	}
	return 0, errPreconditionRequired("send If-Match with the plan's current ETag")
}

// replyPlan writes a plan version with its ETag.
func (a *api) replyPlan(w http.ResponseWriter, r *http.Request, status int, v broker.PlanView, err error) error {
	if err == nil {
		w.Header().Set("ETag", v.ETag())
	}
	return a.reply(w, r, status, v, err)
}

// planFormat picks the format of GET …/plan: ?format=, else Accept.
func planFormat(r *http.Request) (string, error) {
	if f := r.URL.Query().Get("format"); f != "" {
		switch f {
		case broker.PlanFormatJSON, broker.PlanFormatHTML, broker.PlanFormatMarkdown:
			return f, nil
		}
		return "", &broker.ValidationError{Field: "format", Reason: "json, html or markdown"}
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json", "application/*", "*/*":
			return broker.PlanFormatJSON, nil
		case "text/html":
			return broker.PlanFormatHTML, nil
		case "text/markdown":
			return broker.PlanFormatMarkdown, nil
		}
	}
	return broker.PlanFormatJSON, nil
}

func (a *api) getPlan(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	var version uint64
	if s := r.URL.Query().Get("version"); s != "" {
		if version, err = strconv.ParseUint(s, 10, 64); err != nil || version == 0 {
			return &broker.ValidationError{Field: "version", Reason: "a version number"}
		}
	}
	format, err := planFormat(r)
	if err != nil {
		return err
	}
	v, err := a.b.Plan(r.Context(), c, id, version)
	if err != nil || format == broker.PlanFormatJSON {
		return a.replyPlan(w, r, http.StatusOK, v, err)
	}
	doc, contentType, err := broker.RenderPlan(&v, format)
	if err != nil {
		return err
	}
	ext := map[string]string{broker.PlanFormatHTML: "html", broker.PlanFormatMarkdown: "md"}[format]
	h := w.Header()
	h.Set("ETag", v.ETag())
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="plan-%s-v%d.%s"`, v.Household, v.Version, ext))
	// The document stands alone: no scripts, no resources from elsewhere.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
	return nil
}

func (a *api) putPlan(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	ifMatch, err := planPrecondition(r, true)
	if err != nil {
		return err
	}
	var in broker.PlanInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	v, err := a.b.PutPlan(r.Context(), c, id, ifMatch, in)
	status := http.StatusOK
	if err == nil && v.Version == 1 {
		status = http.StatusCreated
	}
	return a.replyPlan(w, r, status, v, err)
}

func (a *api) planHistory(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	h, err := a.b.PlanHistory(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, h, err)
}

func (a *api) closePlan(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	ifMatch, err := planPrecondition(r, false)
	if err != nil {
		return err
	}
	v, err := a.b.ClosePlan(r.Context(), c, id, ifMatch)
	return a.replyPlan(w, r, http.StatusOK, v, err)
}

func (a *api) setAgreementStatus(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	agreement, err := pathID(r, "agreement")
	if err != nil {
		return err
	}
	ifMatch, err := planPrecondition(r, false)
	if err != nil {
		return err
	}
	var req AgreementStatusRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	v, err := a.b.SetAgreementStatus(r.Context(), c, id, agreement, ifMatch, req.Status)
	return a.replyPlan(w, r, http.StatusOK, v, err)
}
