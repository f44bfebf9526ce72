package broker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"time"
)

// FollowupSweep reports what one sweep of the live follow-ups did.
type FollowupSweep struct {
	// Escalated counts escalations sent (a follow-up past its due date,
	// and again past the second period).
	Escalated int `json:"escalated"`
	// Ended counts follow-ups the broker cancelled because every
	// involvement they were about ended or the household's plan closed.
	Ended int `json:"ended"`
}

// followupChange is what a sweep does to one follow-up.
type followupChange struct {
	id       string
	escalate int    // the escalation to send (1 or 2), 0 for none
	end      string // why it ends (Outcome), "" when it does not
}

// SweepFollowups goes through the live follow-ups once: one that is past
// its due date escalates to its lead (the coordinator while no person
// leads it) and to the municipality's team lead
// (Partner.TeamLead of the municipality), once after the due date and
// again after the second period (followups.escalate_again_working_days);
// one whose involvements have all ended, or whose household's plan was
// closed after it opened, is cancelled. Each change is its own audited
// transaction, taken by the broker; a follow-up changed by its lead
// meanwhile is looked at again at the next sweep.
func (s *Service) SweepFollowups(ctx context.Context) (FollowupSweep, error) {
	var out FollowupSweep
	set := s.followupSettings()
	today := s.localDay(s.now())
	var changes []followupChange
	after := ""
	for {
		var page []followupChange
		n := 0
		err := s.cfg.Store.View(func(tx ReadTx) error {
			return tx.LiveFollowups(after, func(f Followup) error {
				n++
				after = f.ID
				ch, err := sweepFollowup(tx, &f, set, today)
				if err != nil {
					return err
				}
				if ch.escalate > 0 || ch.end != "" {
					page = append(page, ch)
				}
				if n == 500 {
					return io.EOF // the page is full: the store's walks stop at io.EOF
				}
				return nil
			})
		})
		if err != nil && !errors.Is(err, io.EOF) {
			return out, err
		}
		changes = append(changes, page...)
		if n < 500 {
			break
		}
	}
	var errs []error
	for _, ch := range changes {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		did, err := s.applyFollowupChange(ctx, ch, set, today)
		switch {
		case err != nil:
			errs = append(errs, err)
		case did && ch.end != "":
			out.Ended++
		case did:
			out.Escalated++
		}
	}
	return out, errors.Join(errs...)
}

// sweepFollowup works out what a sweep does to live follow-up f.
func sweepFollowup(tx ReadTx, f *Followup, set *followupSettings, today string) (followupChange, error) {
	ch := followupChange{id: f.ID}
	if end, err := followupEnds(tx, f); err != nil || end != "" {
		ch.end = end
		return ch, err
	}
	switch {
	case f.Escalations == 0 && f.Due < today:
		ch.escalate = 1
	case f.Escalations == 1 && set.againAfter(f.Due) < today:
		ch.escalate = 2
	}
	return ch, nil
}

// followupEnds says why f ends, or "" while it does not: every
// involvement it was about has ended (or is gone), or the household's
// plan was closed after f opened.
func followupEnds(tx ReadTx, f *Followup) (string, error) {
	p, err := tx.Plan(f.Municipality, f.Household)
	switch {
	case err == nil && p.Status == PlanClosed && p.ChangedAt.After(f.CreatedAt):
		return FollowupEndedPlan, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return "", err
	}
	for _, subject := range f.Subjects {
		invs, err := tx.InvolvementsOf(subject)
		if err != nil {
			return "", err
		}
		if slices.ContainsFunc(invs, func(v Involvement) bool {
			return v.Status != InvolvementEnded && slices.Contains(f.Involvements, v.ID)
		}) {
			return "", nil
		}
	}
	return FollowupEndedInvolvements, nil
}

// applyFollowupChange takes ch in its own audited transaction, after
// checking that it still holds; did is false when it no longer does.
func (s *Service) applyFollowupChange(ctx context.Context, ch followupChange, set *followupSettings, today string) (bool, error) {
	action := ActionFollowupEscalate
	if ch.end != "" {
		action = ActionFollowupCancel
	}
	var f Followup
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		f, err = tx.Followup(ch.id)
		return err
	}); err != nil {
		return false, err
	}
	e := s.auditEntry(&Caller{Partner: Partner{ID: s.cfg.ID}, Sub: brokerActor.Sub}, EventChange, action)
	e.Purpose, e.Object, e.Subjects = f.Purpose, "followup:"+f.ID, f.Subjects
	e.Detail = map[string]string{"from": f.State, "household": f.Household}
	if ch.end != "" {
		e.Detail["outcome"] = ch.end
	} else {
		e.Detail["escalation"] = strconv.Itoa(ch.escalate)
	}
	did := false
	err := s.commit(ctx, e, nil, func(tx Tx) ([]InboxItem, error) {
		did = false
		cur, err := tx.Followup(ch.id)
		if err != nil {
			return nil, err
		}
		items, ok := s.change(tx, &cur, ch, set, today)
		if !ok {
			return nil, nil
		}
		did = true
		return items, tx.PutFollowup(cur)
	})
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "follow-up sweep: change failed", slog.String("followup", ch.id),
			slog.String("action", action), slog.Any("error", err))
		return false, err
	}
	return did, nil
}

// change applies ch to f when it still holds and returns the inbox items
// it sends; ok is false (and f untouched) when it no longer holds.
func (s *Service) change(tx ReadTx, f *Followup, ch followupChange, set *followupSettings, today string) (items []InboxItem, ok bool) {
	if !f.Live() {
		return nil, false
	}
	now := s.now()
	if ch.end != "" {
		if end, err := followupEnds(tx, f); err != nil || end == "" {
			return nil, false
		}
		f.Steps = append(f.Steps, FollowupStep{Step: FollowupStepCancel, State: FollowupCancelled, At: now,
			By: brokerActor, Detail: ch.end})
		f.State, f.Outcome, f.UpdatedAt, f.Revision = FollowupCancelled, ch.end, now, f.Revision+1
		return nil, true
	}
	again, err := sweepFollowup(tx, f, set, today)
	if err != nil || again.escalate != ch.escalate {
		return nil, false
	}
	f.Escalations = ch.escalate
	f.Steps = append(f.Steps, FollowupStep{Step: FollowupStepEscalate, State: f.State, At: now, By: brokerActor,
		Detail: strconv.Itoa(ch.escalate)})
	f.UpdatedAt, f.Revision = now, f.Revision+1
	reason := "overdue"
	if ch.escalate == 2 {
		reason = "overdue-again"
	}
	// To the lead and to the municipality's team lead, each in their
	// partner's inbox, named as the person it is for. While nobody of the
	// partner a follow-up was opened for is named, the coordinator answers
	// for it: the partner's inbox gets nothing that names the household.
	to := []Actor{f.answerable()}
	if m, err := s.LookupPartner(f.Municipality); err == nil && m.TeamLead != nil && *m.TeamLead != to[0] {
		to = append(to, *m.TeamLead)
	}
	for _, a := range to {
		sig := f.signal(reason)
		sig.To = a
		items = append(items, InboxItem{Partner: a.Partner, Kind: InboxFollowup, Created: now, Household: f.Household,
			Followup: sig})
	}
	return items, true
}

// FollowupSweeper runs the follow-up sweep every interval until ctx ends
// (serve runs it at one broker of a region at a time).
func (s *Service) FollowupSweeper(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		r, err := s.SweepFollowups(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("follow-up sweep failed", "error", err)
		}
		if r.Escalated > 0 || r.Ended > 0 {
			s.log.Info("follow-ups swept", "escalated", r.Escalated, "ended", r.Ended)
		}
	})
}
