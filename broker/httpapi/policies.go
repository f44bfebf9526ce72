package httpapi

import (
	"context"
	"net/http"
	"regexp"

	"github.com/gorilla/mux"
	"github.com/ketenbrug/ketenbrug/broker"
)

// Policies is what the policy routes need: push, review under four eyes, activate, explain, and the register of processing.
type Policies interface {
	PushPolicy(ctx context.Context, c *broker.Caller, bundle []byte, note string) (broker.PolicyVersion, error)
	Policies(ctx context.Context, c *broker.Caller) ([]broker.PolicyVersion, error)
	PolicyBundle(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	DryRun(ctx context.Context, c *broker.Caller, id string, n int) (broker.DryRunReport, error)
	ApprovePolicy(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	RollbackPolicy(ctx context.Context, c *broker.Caller, id string) (broker.PolicyVersion, error)
	RejectPolicy(ctx context.Context, c *broker.Caller, id, comment string) (broker.PolicyVersion, error)
	ExplainPolicy(ctx context.Context, c *broker.Caller, id string, in *broker.DecisionInput) (broker.Explanation, error)
	ProcessingRegister(ctx context.Context, c *broker.Caller) (broker.ProcessingRegister, error)
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

func (a *api) processingRegister(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	reg, err := a.b.ProcessingRegister(r.Context(), c)
	return a.reply(w, r, http.StatusOK, reg, err)
}
