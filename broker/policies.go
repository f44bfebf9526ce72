package broker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// PolicyRejectedError is returned when an uploaded bundle does not compile,
// has no tests or fails one. It matches ErrInvalid; Report says why.
type PolicyRejectedError struct {
	Report PolicyReport
	Cause  error
}

func (e *PolicyRejectedError) Error() string { return "policy bundle refused: " + e.Cause.Error() }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *PolicyRejectedError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the engine's error.
func (e *PolicyRejectedError) Unwrap() error { return e.Cause }

// BuiltinPolicyActor uploads the policy bundle embedded in the binary.
var BuiltinPolicyActor = Actor{Partner: "ketenbrug", Sub: "built-in"}

// PolicyID is the version id of a bundle: the hex SHA-256 of its bytes.
func PolicyID(bundle []byte) string {
	sum := sha256.Sum256(bundle)
	return hex.EncodeToString(sum[:])
}

// restorePolicy activates the version the store names as active; on a new
// store it records the engine's built-in version as the first, active one so
// that every decision names a version that can be listed and rolled back to.
func (s *Service) restorePolicy(ctx context.Context) error {
	var active string
	var v PolicyVersion
	err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		if active, err = tx.ActivePolicy(); err != nil || active == "" {
			return err
		}
		v, err = tx.PolicyVersion(active)
		return err
	})
	if err != nil {
		return fmt.Errorf("load active policy: %w", err)
	}
	if active != "" {
		if err := s.cfg.Policy.Activate(ctx, v.ID, v.Bundle); err != nil {
			return fmt.Errorf("activate stored policy %s: %w", short(v.ID), err)
		}
		return nil
	}
	return nil
}

// RecordBuiltinPolicy stores the engine's built-in bundle as the active
// version when the store has none yet. init and serve call it at every
// start.
func (s *Service) RecordBuiltinPolicy(ctx context.Context, bundle []byte, report PolicyReport) error {
	// A store that has an active version is left alone, and nothing is
	// audited: an entry claiming an activation that did not happen would
	// make every restart (and a second init) look like a policy change.
	var active string
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		active, err = tx.ActivePolicy()
		return err
	}); err != nil || active != "" {
		return err
	}
	id := PolicyID(bundle)
	now := s.now()
	v := PolicyVersion{ID: id, Bundle: bundle, Note: "built-in default bundle", Status: PolicyActive,
		UploadedBy: BuiltinPolicyActor, UploadedAt: now, Report: report, ActivatedAt: &now}
	e := s.auditEntry(s.systemCaller("built-in"), EventChange, "policy.activate")
	e.Object, e.PolicyVersion = "policy:"+id, id
	return s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		cur, err := tx.ActivePolicy()
		if err != nil || cur != "" {
			return err
		}
		if err := tx.PutPolicyVersion(v); err != nil {
			return err
		}
		return tx.SetActivePolicy(id)
	}))
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// PushPolicy stores a new policy version after the engine compiled it and
// its tests passed. It is not active until a second privacy officer
// approves it. Pushing a bundle that is already stored returns that version.
func (s *Service) PushPolicy(ctx context.Context, c *Caller, bundle []byte, note string) (PolicyVersion, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return PolicyVersion{}, err
	}
	// Four eyes compares verified persons, so the uploader must be one.
	if err := s.requireVerified(ctx, c, "policy.push", "policy"); err != nil {
		return PolicyVersion{}, err
	}
	if len(note) > 500 {
		return PolicyVersion{}, invalid("note", "at most 500 characters")
	}
	id := PolicyID(bundle)
	if v, err := s.policyVersion(id); err == nil {
		v.Bundle = nil
		return v, nil
	}
	report, err := s.cfg.Policy.Check(ctx, bundle)
	if err != nil {
		return PolicyVersion{}, &PolicyRejectedError{Report: report, Cause: err}
	}
	v := PolicyVersion{ID: id, Bundle: bundle, Note: note, Status: PolicyPending,
		UploadedBy: Actor{Partner: c.Partner.ID, Sub: c.Sub}, UploadedVia: c.Person.Via, UploadedAt: s.now(), Report: report}
	e := s.auditEntry(c, EventChange, "policy.push")
	e.Object, e.Detail = "policy:"+id, map[string]string{"passed": fmt.Sprint(report.Passed)}
	if err := s.commit(ctx, e, nil, noItems(func(tx Tx) error { return tx.PutPolicyVersion(v) })); err != nil {
		return PolicyVersion{}, err
	}
	v.Bundle = nil
	return v, nil
}

func (s *Service) policyVersion(id string) (PolicyVersion, error) {
	var v PolicyVersion
	err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		v, err = tx.PolicyVersion(id)
		return err
	})
	return v, err
}

// resolvePolicyID accepts a full id or a unique prefix of at least 8
// characters, as the CLI prints them.
func (s *Service) resolvePolicyID(id string) (PolicyVersion, error) {
	if v, err := s.policyVersion(id); err == nil || len(id) < 8 || len(id) >= 64 {
		return v, err
	}
	var match []PolicyVersion
	err := s.cfg.Store.View(func(tx ReadTx) error {
		all, err := tx.PolicyVersions()
		for _, v := range all {
			if len(v.ID) >= len(id) && v.ID[:len(id)] == id {
				match = append(match, v)
			}
		}
		return err
	})
	switch {
	case err != nil:
		return PolicyVersion{}, err
	case len(match) == 1:
		return match[0], nil
	case len(match) > 1:
		return PolicyVersion{}, invalid("version", "prefix %q is ambiguous", id)
	}
	return PolicyVersion{}, fmt.Errorf("policy version %q: %w", id, ErrNotFound)
}

// Policies lists the stored versions, newest first, without their bundles.
func (s *Service) Policies(_ context.Context, c *Caller) ([]PolicyVersion, error) {
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return nil, err
	}
	var all []PolicyVersion
	err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		all, err = tx.PolicyVersions()
		return err
	})
	for i := range all {
		all[i].Bundle = nil
	}
	slices.SortFunc(all, func(a, b PolicyVersion) int { return b.UploadedAt.Compare(a.UploadedAt) })
	return all, err
}

// PolicyBundle returns one version with its bundle, so an officer can
// download what is (or was) in force.
func (s *Service) PolicyBundle(_ context.Context, c *Caller, id string) (PolicyVersion, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return PolicyVersion{}, err
	}
	return s.resolvePolicyID(id)
}

// DryRunReport tells how a version would have decided the recent decisions.
type DryRunReport struct {
	Version  string         `json:"version"`
	Active   string         `json:"active"`
	Compared int            `json:"compared"`
	Changed  int            `json:"changed"`
	Errors   int            `json:"errors"`
	Examples []DryRunChange `json:"examples"`
}

// DryRunChange is one decision that would change.
type DryRunChange struct {
	Seq    uint64   `json:"seq"`
	Action string   `json:"action"`
	Before Decision `json:"before"`
	After  Decision `json:"after"`
}

// maxDryRunExamples bounds the examples in a dry-run report.
const maxDryRunExamples = 20

// DryRun replays the last n recorded decision inputs (default
// Config.DryRunDefault) against version id and reports what would change.
func (s *Service) DryRun(ctx context.Context, c *Caller, id string, n int) (DryRunReport, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return DryRunReport{}, err
	}
	if n <= 0 {
		n = s.cfg.DryRunDefault
	}
	if n > 100_000 {
		return DryRunReport{}, invalid("n", "at most 100000")
	}
	v, err := s.resolvePolicyID(id)
	if err != nil {
		return DryRunReport{}, err
	}
	var recs []DecisionRecord
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		recs, err = tx.RecentDecisions(n)
		return err
	}); err != nil {
		return DryRunReport{}, err
	}
	rep := DryRunReport{Version: v.ID, Active: s.cfg.Policy.Active(), Examples: []DryRunChange{}}
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		after, err := s.cfg.Policy.DecideWith(ctx, v.ID, v.Bundle, r.Input)
		if err != nil {
			rep.Errors++
		}
		rep.Compared++
		if sameDecision(r.Decision, after) {
			continue
		}
		rep.Changed++
		if len(rep.Examples) < maxDryRunExamples {
			rep.Examples = append(rep.Examples, DryRunChange{Seq: r.Seq, Action: r.Input.Action, Before: r.Decision, After: after})
		}
	}
	return rep, nil
}

func sameDecision(a, b Decision) bool {
	return a.Allow == b.Allow && slices.Equal(a.Reasons, b.Reasons) && reflect.DeepEqual(normShow(a.Show), normShow(b.Show))
}

func normShow(m map[string][]string) map[string][]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// ApprovePolicy approves version id and makes it active. With four eyes on
// (the default), the approver must be another privacy officer than the one
// who pushed it.
func (s *Service) ApprovePolicy(ctx context.Context, c *Caller, id string) (PolicyVersion, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return PolicyVersion{}, err
	}
	v, err := s.resolvePolicyID(id)
	if err != nil {
		return PolicyVersion{}, err
	}
	if err := s.requireVerified(ctx, c, "policy.approve", "policy:"+v.ID); err != nil {
		return PolicyVersion{}, err
	}
	me := Actor{Partner: c.Partner.ID, Sub: c.Person.ID}
	if s.cfg.FourEyes {
		// Four eyes compares verified persons: the uploader must have been
		// verified, and be another person than the approver.
		if v.UploadedVia == "" {
			return PolicyVersion{}, s.refusedAny(ctx, c, "policy.approve", "policy:"+v.ID, nil, fmt.Errorf("%w: policy %s was pushed by a person who was not verified (%s); push it again signed with a person key",
				ErrFourEyes, short(v.ID), v.UploadedBy.Sub))
		}
		if v.UploadedBy == me {
			// The refusal is audited: a self-approval attempt is for the
			// privacy office to see.
			return PolicyVersion{}, s.refusedAny(ctx, c, "policy.approve", "policy:"+v.ID, nil,
				fmt.Errorf("%w: a second privacy officer must approve what %s pushed", ErrFourEyes, me.Sub))
		}
	}
	if v.Status == PolicyActive {
		return PolicyVersion{}, fmt.Errorf("policy %s: %w: already active", short(v.ID), ErrConflict)
	}
	if v.Status == PolicyRejected {
		return PolicyVersion{}, fmt.Errorf("policy %s: %w: it was rejected; push a corrected version", short(v.ID), ErrConflict)
	}
	return s.activate(ctx, c, v, "policy.approve", &me)
}

// MaxRejectComment bounds the comment of a rejection.
const MaxRejectComment = 1000

// RejectPolicy refuses a pending policy version, with a comment saying
// why: a verified privacy officer (the uploader may withdraw its own push;
// four eyes concerns approval). A rejected version is never approved; the
// uploader pushes a corrected one. Audited.
func (s *Service) RejectPolicy(ctx context.Context, c *Caller, id, comment string) (PolicyVersion, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return PolicyVersion{}, err
	}
	v, err := s.resolvePolicyID(id)
	if err != nil {
		return PolicyVersion{}, err
	}
	if err := s.requireVerified(ctx, c, "policy.reject", "policy:"+v.ID); err != nil {
		return PolicyVersion{}, err
	}
	if strings.TrimSpace(comment) == "" || len(comment) > MaxRejectComment {
		return PolicyVersion{}, invalid("comment", "say why, in 1-%d characters, so that the uploader can correct it", MaxRejectComment)
	}
	if err := refuseBSNIn("comment", comment); err != nil {
		return PolicyVersion{}, err
	}
	if v.Status != PolicyPending {
		return PolicyVersion{}, fmt.Errorf("policy %s: %w: it is %s; only a pending version is rejected (roll back an active one)",
			short(v.ID), ErrConflict, v.Status)
	}
	now := s.now()
	e := s.auditEntry(c, EventChange, "policy.reject")
	e.Object, e.PolicyVersion = "policy:"+v.ID, v.ID
	var out PolicyVersion
	err = s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		cur, err := tx.PolicyVersion(v.ID)
		if err != nil {
			return err
		}
		if cur.Status != PolicyPending {
			return fmt.Errorf("policy %s: %w: it is %s", short(v.ID), ErrConflict, cur.Status)
		}
		cur.Status, cur.RejectedAt, cur.RejectComment = PolicyRejected, &now, comment
		cur.RejectedBy, cur.RejectedVia = &Actor{Partner: c.Partner.ID, Sub: c.Person.ID}, c.Person.Via
		out = cur
		return tx.PutPolicyVersion(cur)
	}))
	if err != nil {
		return PolicyVersion{}, err
	}
	out.Bundle = nil
	return out, nil
}

// RollbackPolicy makes an earlier version active again. Only versions that
// were approved (or built in) before can be rolled back to, so a rollback
// never bypasses four eyes.
func (s *Service) RollbackPolicy(ctx context.Context, c *Caller, id string) (PolicyVersion, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return PolicyVersion{}, err
	}
	v, err := s.resolvePolicyID(id)
	if err != nil {
		return PolicyVersion{}, err
	}
	if err := s.requireVerified(ctx, c, "policy.rollback", "policy:"+v.ID); err != nil {
		return PolicyVersion{}, err
	}
	if v.ActivatedAt == nil {
		return PolicyVersion{}, fmt.Errorf("policy %s: %w: was never active; approve it instead", short(v.ID), ErrConflict)
	}
	if v.Status == PolicyActive {
		return PolicyVersion{}, fmt.Errorf("policy %s: %w: already active", short(v.ID), ErrConflict)
	}
	return s.activate(ctx, c, v, "policy.rollback", nil)
}

func (s *Service) activate(ctx context.Context, c *Caller, v PolicyVersion, action string, approver *Actor) (PolicyVersion, error) {
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	// Compile and prepare before anything is stored, so that a version the
	// engine cannot run never becomes the stored active one.
	if err := s.cfg.Policy.Activate(ctx, v.ID, v.Bundle); err != nil {
		return PolicyVersion{}, fmt.Errorf("activate %s: %w", short(v.ID), err)
	}
	now := s.now()
	e := s.auditEntry(c, EventChange, action)
	e.Object, e.PolicyVersion = "policy:"+v.ID, v.ID
	var out PolicyVersion
	err := s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		prev, err := tx.ActivePolicy()
		if err != nil {
			return err
		}
		if prev != "" && prev != v.ID {
			pv, err := tx.PolicyVersion(prev)
			if err != nil {
				return err
			}
			pv.Status = PolicyRetired
			if err := tx.PutPolicyVersion(pv); err != nil {
				return err
			}
		}
		nv := v
		nv.Status, nv.ActivatedAt = PolicyActive, &now
		if approver != nil {
			nv.ApprovedBy, nv.ApprovedAt, nv.ApprovedVia = approver, &now, c.Person.Via
		}
		out = nv
		if err := tx.PutPolicyVersion(nv); err != nil {
			return err
		}
		return tx.SetActivePolicy(v.ID)
	}))
	if err != nil {
		// The engine already runs v; put back what the store says is active.
		if rerr := s.restorePolicy(ctx); rerr != nil {
			s.log.Error("restoring the active policy after a failed activation", "error", rerr)
		}
		return PolicyVersion{}, err
	}
	out.Bundle = nil
	return out, nil
}

// ExplainPolicy answers a hypothetical question (what-if) under the active
// version, or version id when given. Nothing is disclosed or stored.
func (s *Service) ExplainPolicy(ctx context.Context, c *Caller, id string, in *DecisionInput) (Explanation, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return Explanation{}, err
	}
	if in == nil || in.Action == "" {
		return Explanation{}, invalid("action", "an input document with an action is required")
	}
	if in.Now == "" {
		in.Now = s.now().Format("2006-01-02T15:04:05Z07:00")
	}
	if id == "" {
		id = s.cfg.Policy.Active()
	}
	v, err := s.resolvePolicyID(id)
	if err != nil {
		return Explanation{}, err
	}
	d, text, err := s.cfg.Policy.ExplainText(ctx, v.ID, v.Bundle, in)
	if err != nil {
		// Fail closed shows as a policy_error denial; the officer sees why.
		s.log.Warn("explain: policy failed", "version", short(v.ID), "error", err)
		text += "\nThe policy failed, so the request would be denied (fail closed): " + err.Error()
	}
	return Explanation{Decision: d, Text: text}, nil
}
