package broker

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// InvolvementInput is wire.InvolvementInput: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type InvolvementInput = wire.InvolvementInput

// InvolvementView is wire.InvolvementView: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type InvolvementView = wire.InvolvementView

func viewOf(v *Involvement) InvolvementView {
	return InvolvementView{ID: v.ID, Ref: v.Ref, Service: v.Service, ServiceLabel: v.ServiceLabel, Status: v.Status,
		Start: v.Start, End: v.End, Contact: v.Contact, Revision: v.Revision, UpdatedAt: v.UpdatedAt.Format("2006-01-02T15:04:05Z07:00")}
}

// errUnchanged aborts a write that would change nothing, so that an
// idempotent repeat leaves no second audit entry.
var errUnchanged = errors.New("unchanged")

// build turns input into an involvement of caller's partner under ref.
func (s *Service) build(c *Caller, ref string, in InvolvementInput) (Involvement, error) {
	p, err := s.pseudonym("bsn", in.BSN)
	if err != nil {
		return Involvement{}, err
	}
	v := Involvement{Partner: c.Partner.ID, Ref: ref, Subject: p, Service: in.Service, ServiceLabel: in.ServiceLabel,
		Status: in.Status, Start: in.Start, End: in.End, Contact: in.Contact, Purpose: c.Purpose}
	if err := v.validate(); err != nil {
		return Involvement{}, err
	}
	return v, nil
}

// PutInvolvement registers or changes the caller's involvement ref,
// idempotently: the same input twice is one involvement and one audit
// entry. It reports whether anything changed.
func (s *Service) PutInvolvement(ctx context.Context, c *Caller, ref string, in InvolvementInput) (InvolvementView, bool, error) {
	v, err := s.build(c, ref, in)
	if err != nil {
		return InvolvementView{}, false, err
	}
	di := &DecisionInput{Action: ActionInvolvementWrite, Purpose: c.Purpose, Caller: callerFacts(c), KeyedBy: KeyedByBSN}
	if v.Status != InvolvementEnded {
		if err := s.cfg.Store.View(func(tx ReadTx) error {
			di.Subjects, err = registrationSubjects(tx, c.Purpose, v.Subject)
			return err
		}); err != nil {
			return InvolvementView{}, false, err
		}
	}
	d, err := s.decide(ctx, c, di, "involvement", []Pseudonym{v.Subject})
	if err != nil {
		return InvolvementView{}, false, err
	}
	signals, err := s.matchSignals(ctx, c, &v)
	if err != nil {
		return InvolvementView{}, false, err
	}
	notices, err := s.involvementNotices(c, &v, d.Bases)
	if err != nil {
		return InvolvementView{}, false, err
	}
	signals = append(signals, notices...)
	now := s.now()
	e := s.auditEntry(c, EventChange, ActionInvolvementWrite)
	e.Object, e.Subjects = "involvement:"+v.ID, []Pseudonym{v.Subject}
	e.Detail = map[string]string{"service": v.Service, "status": v.Status}
	var out Involvement
	discloseItems(&e, v.ID, signals)
	err = s.commit(ctx, e, []*verdict{d}, sending(signals, func(tx Tx) error {
		old, err := tx.Involvement(v.Partner, v.Ref)
		switch {
		case err == nil:
			if old.sameContent(&v) {
				out = old
				return errUnchanged
			}
			v.ID, v.CreatedAt, v.Revision = old.ID, old.CreatedAt, old.Revision+1
		case errors.Is(err, ErrNotFound):
			v.CreatedAt, v.Revision = now, 1
		default:
			return err
		}
		v.UpdatedAt = now
		out = v
		return tx.PutInvolvement(v)
	}))
	if errors.Is(err, errUnchanged) {
		return viewOf(&out), false, nil
	}
	if err != nil {
		return InvolvementView{}, false, err
	}
	return viewOf(&out), true, nil
}

// EndInvolvement marks the caller's involvement ref ended (on end, or
// today). Ending an ended involvement changes nothing.
func (s *Service) EndInvolvement(ctx context.Context, c *Caller, ref, end string) (InvolvementView, error) {
	if !ValidRef(ref) {
		return InvolvementView{}, invalid("ref", RefRule)
	}
	if end == "" {
		end = s.now().Format(dateLayout)
	}
	if err := validDate("end", end); err != nil {
		return InvolvementView{}, err
	}
	var cur Involvement
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		cur, err = tx.Involvement(c.Partner.ID, ref)
		return err
	}); err != nil {
		return InvolvementView{}, err
	}
	in := InvolvementInput{Service: cur.Service, ServiceLabel: cur.ServiceLabel, Status: InvolvementEnded,
		Start: cur.Start, End: end, Contact: cur.Contact}
	if cur.Start != "" && end < cur.Start {
		return InvolvementView{}, invalid("end", "is before start")
	}
	d, err := s.decide(ctx, c, &DecisionInput{Action: ActionInvolvementWrite, Purpose: c.Purpose, Caller: callerFacts(c)},
		"involvement:"+cur.ID, []Pseudonym{cur.Subject})
	if err != nil {
		return InvolvementView{}, err
	}
	ended := cur
	ended.Status, ended.End = InvolvementEnded, end
	var notices []InboxItem
	if cur.Status != InvolvementEnded {
		if err := s.cfg.Store.View(func(tx ReadTx) error {
			var err error
			notices, err = s.rectifications(tx, s.notices(), []correction{{old: cur, cur: ended}})
			return err
		}); err != nil {
			return InvolvementView{}, err
		}
	}
	e := s.auditEntry(c, EventChange, ActionInvolvementWrite)
	e.Object, e.Subjects = "involvement:"+cur.ID, []Pseudonym{cur.Subject}
	e.Detail = map[string]string{"status": InvolvementEnded}
	var out Involvement
	discloseItems(&e, cur.ID, notices)
	err = s.commit(ctx, e, []*verdict{d}, sending(notices, func(tx Tx) error {
		v, err := tx.Involvement(c.Partner.ID, ref)
		if err != nil {
			return err
		}
		if v.Status == InvolvementEnded {
			out = v
			return errUnchanged
		}
		v.Status, v.End, v.UpdatedAt, v.Revision = in.Status, in.End, s.now(), v.Revision+1
		out = v
		return tx.PutInvolvement(v)
	}))
	if err != nil && !errors.Is(err, errUnchanged) {
		return InvolvementView{}, err
	}
	return viewOf(&out), nil
}

// InvolvementPage is wire.InvolvementPage: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type InvolvementPage = wire.InvolvementPage

// Involvements lists the caller's own involvements in reference order,
// optionally of one status, limit per page from after the cursor.
func (s *Service) Involvements(_ context.Context, c *Caller, status, after string, limit int) (InvolvementPage, error) {
	if err := requireRole(c, RoleConnector, RoleProfessional); err != nil {
		return InvolvementPage{}, err
	}
	if status != "" && status != InvolvementRegistered && status != InvolvementActive && status != InvolvementEnded {
		return InvolvementPage{}, invalid("status", "must be registered, active or ended")
	}
	if after != "" && !ValidRef(after) {
		return InvolvementPage{}, invalid("after", RefRule)
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	page := InvolvementPage{Involvements: []InvolvementView{}}
	err := s.cfg.Store.View(func(tx ReadTx) error {
		return tx.PartnerInvolvements(c.Partner.ID, after, func(v Involvement) error {
			if status != "" && v.Status != status {
				return nil
			}
			if len(page.Involvements) == limit {
				page.Next = page.Involvements[limit-1].Ref
				return io.EOF
			}
			page.Involvements = append(page.Involvements, viewOf(&v))
			return nil
		})
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return InvolvementPage{}, fmt.Errorf("listing involvements: %w", err)
	}
	return page, nil
}

// involvementNotices works out the notices of writing v (its ID already
// settled): rectification signals when it corrects or ends an involvement
// others were shown, and inform items when it registers a new one.
func (s *Service) involvementNotices(c *Caller, v *Involvement, bases []string) ([]InboxItem, error) {
	set := s.notices()
	var items []InboxItem
	err := s.cfg.Store.View(func(tx ReadTx) error {
		isNew := false
		old, err := tx.Involvement(v.Partner, v.Ref)
		switch {
		case err == nil:
			if old.sameContent(v) {
				return nil
			}
			if items, err = s.rectifications(tx, set, []correction{{old: old, cur: *v}}); err != nil {
				return err
			}
			isNew = old.Subject != v.Subject || old.Status == InvolvementEnded
		case errors.Is(err, ErrNotFound):
			isNew = true
		default:
			return err
		}
		if !isNew || v.Status == InvolvementEnded {
			return nil
		}
		informs, err := s.registrationInforms(tx, set, c, []*Involvement{v}, bases)
		items = append(items, informs...)
		return err
	})
	return items, err
}
