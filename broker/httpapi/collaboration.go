package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Collaboration is what the API needs from the domain for ambition levels
// 3 (assignments) and 4 (the joint household plan), and for the operator's
// view of webhook delivery.
type Collaboration interface {
	GiveAssignment(ctx context.Context, c *broker.Caller, in broker.AssignmentInput) (broker.AssignmentView, error)
	StepAssignment(ctx context.Context, c *broker.Caller, id, step, text string) (broker.AssignmentView, error)
	Assignment(ctx context.Context, c *broker.Caller, id string) (broker.AssignmentView, error)
	Assignments(ctx context.Context, c *broker.Caller, q broker.AssignmentQuery) (broker.AssignmentList, error)

	Plan(ctx context.Context, c *broker.Caller, household string, version uint64) (broker.PlanView, error)
	PlanHistory(ctx context.Context, c *broker.Caller, household string) (broker.PlanHistory, error)
	PutPlan(ctx context.Context, c *broker.Caller, household string, ifMatch uint64, in broker.PlanInput) (broker.PlanView, error)
	SetAgreementStatus(ctx context.Context, c *broker.Caller, household, agreement string, ifMatch uint64, status string) (broker.PlanView, error)
	ClosePlan(ctx context.Context, c *broker.Caller, household string, ifMatch uint64) (broker.PlanView, error)

	DeadLetters(ctx context.Context, c *broker.Caller) (broker.DeadLetterList, error)
	RetryDeadLetter(ctx context.Context, c *broker.Caller, id string) (broker.Delivery, error)
}

// collaborationRoutes registers the level 3 and 4 routes.
func (a *api) collaborationRoutes(v1 v1Routes) {
	body := a.cfg.MaxBody
	v1.HandleFunc("/assignments", a.authed(body, a.giveAssignment)).Methods(http.MethodPost)
	v1.HandleFunc("/assignments", a.authed(body, a.listAssignments)).Methods(http.MethodGet)
	v1.HandleFunc("/assignments/{id}", a.authed(body, a.getAssignment)).Methods(http.MethodGet)
	for _, step := range []string{broker.StepAccept, broker.StepDecline, broker.StepComplete, broker.StepCancel} {
		v1.HandleFunc("/assignments/{id}/"+step, a.authed(body, a.stepAssignment(step))).Methods(http.MethodPost)
	}

	v1.HandleFunc("/households/{id}/plan", a.authed(body, a.getPlan)).Methods(http.MethodGet)
	v1.HandleFunc("/households/{id}/plan", a.authed(body, a.putPlan)).Methods(http.MethodPut)
	v1.HandleFunc("/households/{id}/plan/history", a.authed(body, a.planHistory)).Methods(http.MethodGet)
	v1.HandleFunc("/households/{id}/plan/close", a.authed(body, a.closePlan)).Methods(http.MethodPost)
	v1.HandleFunc("/households/{id}/plan/agreements/{agreement}/status", a.authed(body, a.setAgreementStatus)).Methods(http.MethodPost)

	v1.HandleFunc("/webhooks/dead-letters", a.authed(body, a.deadLetters)).Methods(http.MethodGet)
	v1.HandleFunc("/webhooks/dead-letters/{id}/retry", a.authed(body, a.retryDeadLetter)).Methods(http.MethodPost)
}

// AssignmentRequest gives an assignment.
type AssignmentRequest = broker.AssignmentInput

// StepRequest carries the text of an assignment step: the reason of a
// decline or cancel, the outcome of a completion.
type StepRequest struct {
	Reason  string `json:"reason,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}

// AgreementStatusRequest sets the status of a work agreement.
type AgreementStatusRequest struct {
	Status string `json:"status"`
}

func (a *api) giveAssignment(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req AssignmentRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	v, err := a.b.GiveAssignment(r.Context(), c, req)
	if err == nil {
		w.Header().Set("Location", "/v1/assignments/"+v.ID)
	}
	return a.reply(w, r, http.StatusCreated, v, err)
}

func (a *api) listAssignments(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	q := r.URL.Query()
	list, err := a.b.Assignments(r.Context(), c, broker.AssignmentQuery{Side: q.Get("side"), Status: q.Get("status"),
		Household: q.Get("household")})
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) getAssignment(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.b.Assignment(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, v, err)
}

func (a *api) stepAssignment(step string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var req StepRequest
		if len(body) > 0 {
			if err := decodeStrict(body, &req); err != nil {
				return err
			}
		}
		text := req.Reason
		switch {
		case step == broker.StepComplete:
			text = req.Outcome
			if req.Reason != "" {
				err = &broker.ValidationError{Field: "reason", Reason: "a completion carries an outcome, not a reason"}
			}
		case req.Outcome != "":
			err = &broker.ValidationError{Field: "outcome", Reason: "only a completion carries an outcome"}
		}
		if err != nil {
			return err
		}
		v, err := a.b.StepAssignment(r.Context(), c, id, step, text)
		return a.reply(w, r, http.StatusOK, v, err)
	}
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

func (a *api) deadLetters(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	list, err := a.b.DeadLetters(r.Context(), c)
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) retryDeadLetter(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := a.b.RetryDeadLetter(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, d, err)
}

// The OpenAPI document of these routes is kept next to them, in
// openapi_collaboration.json, and merged into the served document when the
// package loads: objects member by member, arrays by adding the elements
// they lack (new problem codes, tags).
//
//go:embed openapi_collaboration.json
var collaborationOpenAPI []byte

func init() {
	openAPIDocument = mergeOpenAPI(openAPIDocument, collaborationOpenAPI)
}

// mergeOpenAPI returns base with extra merged in. Both are embedded and
// tested, so a malformed one is a programming error.
func mergeOpenAPI(base, extra []byte) []byte {
	var b, e map[string]any
	if err := json.Unmarshal(base, &b); err != nil {
		panic("httpapi: openapi.json: " + err.Error())
	}
	if err := json.Unmarshal(extra, &e); err != nil {
		panic("httpapi: openapi_collaboration.json: " + err.Error())
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(mergeJSON(b, e)); err != nil {
		panic("httpapi: merging the OpenAPI documents: " + err.Error())
	}
	return out.Bytes()
}

func mergeJSON(base, extra any) any {
	switch e := extra.(type) {
	case map[string]any:
		b, ok := base.(map[string]any)
		if !ok {
			return e
		}
		for k, v := range e {
			if old, ok := b[k]; ok {
				b[k] = mergeJSON(old, v)
			} else {
				b[k] = v
			}
		}
		return b
	case []any:
		b, ok := base.([]any)
		if !ok {
			return e
		}
		for _, v := range e {
			found := false
			for _, x := range b {
				if reflect.DeepEqual(x, v) {
					found = true
					break
				}
			}
			if !found {
				b = append(b, v)
			}
		}
		return b
	}
	return extra
}
