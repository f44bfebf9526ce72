package broker

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Replaying a request (issue 17, item 6): a privacy officer who finds a
// request id in the audit trail — or on a console error page, or in a
// partner's complaint — asks why it was decided as it was, and how the
// active (or another) policy version would decide it now. The broker keeps
// the questions it asked the policy (DecisionRecord, the dry run's sample),
// so the answer replays the real question, not one typed from memory.

// ReplayedDecision is one recorded decision of a request, decided again.
type ReplayedDecision struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Action   string    `json:"action"`
	Recorded Decision  `json:"recorded"`
	Replayed Decision  `json:"replayed"`
	// Changed is set when the replayed decision differs from the recorded
	// one (allow, reasons, bases or fields).
	Changed bool `json:"changed"`
	// Text is the policy's own account of the replayed decision.
	Text string `json:"text"`
}

// Replay is the decisions of one request, decided again under Version.
type Replay struct {
	RequestID string             `json:"request_id"`
	Version   string             `json:"version"`
	Decisions []ReplayedDecision `json:"decisions"`
}

// maxReplayScan bounds the decision records a replay reads; the store
// keeps fewer (boltstore: DecisionCapacity).
const maxReplayScan = 100_000

// ReplayRequest decides the recorded decisions of request requestID again
// under policy version id (the active one when ""). Privacy officers
// only, within their reach (a record is in reach when its caller is the
// officer's own partner or one of its subjects is a person the partner
// serves; the region's privacy office sees all); ref names the request
// the look serves. A request that is not recorded, no longer kept or out
// of reach is the same ErrNotFound. The look is audited.
func (s *Service) ReplayRequest(ctx context.Context, c *Caller, requestID, id, ref string) (Replay, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return Replay{}, err
	}
	if err := checkReference(c, ref); err != nil {
		return Replay{}, err
	}
	if requestID == "" || len(requestID) > 100 {
		return Replay{}, invalid("request_id", "the request id of an audit entry (at most 100 characters), such as the one an error page or ketenbrug audit list shows")
	}
	if err := refuseBSNIn("request_id", requestID); err != nil {
		return Replay{}, err
	}
	if id == "" {
		id = s.cfg.Policy.Active()
	}
	v, err := s.resolvePolicyID(id)
	if err != nil {
		return Replay{}, err
	}
	var recs []DecisionRecord
	var subjects []Pseudonym
	sc := scopeOf(c)
	err = s.cfg.Store.View(func(tx ReadTx) error {
		all, err := tx.RecentDecisions(maxReplayScan)
		if err != nil {
			return err
		}
		for _, r := range all {
			if r.RequestID != requestID || r.Input == nil {
				continue
			}
			ok, err := sc.seesDecision(tx, &r)
			if err != nil {
				return err
			}
			if ok {
				recs = append(recs, r)
			}
		}
		return nil
	})
	if err != nil {
		return Replay{}, err
	}
	slices.SortFunc(recs, func(a, b DecisionRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	out := Replay{RequestID: requestID, Version: v.ID, Decisions: make([]ReplayedDecision, 0, len(recs))}
	for _, r := range recs {
		d, text, err := s.cfg.Policy.ExplainText(ctx, v.ID, v.Bundle, r.Input)
		if err != nil {
			text += "\nThe policy failed, so the request would be denied (fail closed): " + err.Error()
		}
		out.Decisions = append(out.Decisions, ReplayedDecision{Seq: r.Seq, Time: r.Time, Action: r.Input.Action,
			Recorded: r.Decision, Replayed: d, Changed: !sameDecision(r.Decision, d), Text: text})
		for p := range r.Input.Subjects {
			if !slices.Contains(subjects, p) {
				subjects = append(subjects, p)
			}
		}
	}
	slices.Sort(subjects)
	e := s.auditEntry(c, EventDisclosure, "policy.replay")
	e.Object, e.Subjects, e.PolicyVersion = "request:"+requestID, subjects, v.ID
	e.Detail = map[string]string{"decisions": fmt.Sprint(len(out.Decisions))}
	if ref != "" {
		e.Detail["reference"] = ref
	}
	// The look is audited also when it found nothing: what an officer
	// tried to see is part of the trail.
	if err := s.commit(ctx, e, nil, nil); err != nil {
		return Replay{}, err
	}
	if len(out.Decisions) == 0 {
		return Replay{}, fmt.Errorf("%w: no decision of request %s is kept within your reach; the broker keeps the most recent decisions only, "+
			"so look for a recent request id (ketenbrug audit list --request)", ErrNotFound, requestID)
	}
	return out, nil
}

// seesDecision reports whether the scope covers decision record r: one its
// own partner asked, or one about a person its partner serves.
func (sc *officerScope) seesDecision(tx ReadTx, r *DecisionRecord) (bool, error) {
	if sc.all || r.Input.Caller.Partner == sc.partner {
		return true, nil
	}
	return sc.servesAny(tx, maps.Keys(r.Input.Subjects))
}
