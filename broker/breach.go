package broker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Breach support (AVG art. 33 and 34): when a partner's account or key may
// have been misused, or a person may have been looked up without reason,
// the region's privacy office answers "what did partner X see between T1
// and T2" or "what was shown about person Y between T1 and T2" from the
// audit trail's records of what was shown (AuditEntry.Disclosed), to judge
// the breach and to know whom to notify. The query needs the region's
// privacy office or the operator, as a verified person, names the case it
// serves (a request reference) and is itself audited.

// ActionAuditDisclosures is the audited action of a disclosure query.
const ActionAuditDisclosures = "audit.disclosures"

// MaxDisclosureRows bounds one disclosure query's answer; a query that
// would return more says so (DisclosureReport.Truncated): narrow the period.
const MaxDisclosureRows = 100_000

// DisclosureQuery asks what partner Partner was shown, or what was shown
// about the person with BSN, between From and To (RFC 3339 times or dates;
// a date To includes that whole day). Exactly one of Partner and BSN.
type DisclosureQuery struct {
	Partner   string `json:"partner,omitempty"`
	BSN       string `json:"bsn,omitempty"`
	From      string `json:"from"`
	To        string `json:"to"`
	Reference string `json:"reference"`
}

// DisclosureReport answers a DisclosureQuery.
type DisclosureReport struct {
	GeneratedAt time.Time `json:"generated_at"`
	Broker      string    `json:"broker"`
	Reference   string    `json:"reference"`
	// Partner is the partner asked about; empty for a person.
	Partner string    `json:"partner,omitempty"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// Truncated says that more than MaxDisclosureRows matched.
	Truncated bool            `json:"truncated,omitempty"`
	Rows      []DisclosureRow `json:"rows"`
}

// DisclosureRow is one involvement shown to one partner, from one audit
// entry. Persons appear as pseudonyms, as in the audit trail.
type DisclosureRow struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id,omitempty"`
	// To is the partner that was shown it; Sub, SubKnown and Role the
	// acting person of the entry (for a signal to another partner's inbox:
	// of the partner whose change raised it).
	To       string    `json:"to"`
	Sub      string    `json:"sub,omitempty"`
	SubKnown string    `json:"sub_known,omitempty"`
	Role     Role      `json:"role,omitempty"`
	Action   string    `json:"action"`
	Purpose  string    `json:"purpose,omitempty"`
	Bases    []string  `json:"bases,omitempty"`
	Object   string    `json:"object,omitempty"`
	Subject  Pseudonym `json:"subject"`
	// Involvement and Partner: which involvement, whose; Fields what of it.
	Involvement string   `json:"involvement"`
	Partner     string   `json:"partner"`
	Fields      []string `json:"fields"`
}

// DisclosureColumns are the CSV columns of a DisclosureRow, in order.
var DisclosureColumns = []string{"seq", "time", "request_id", "to", "sub", "sub_known", "role", "action", "purpose",
	"bases", "object", "subject", "involvement", "partner", "fields"}

// parseBound reads a bound of a disclosure query: an RFC 3339 time, or a
// date (its start; with end, the start of the next day).
func parseBound(field, s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if d, err := time.Parse(dateLayout, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	return time.Time{}, invalid(field, "an RFC 3339 time or a date (YYYY-MM-DD)")
}

// AuditDisclosures answers a disclosure query from the audit trail. Only
// the region's privacy office and the operator, as verified persons,
// naming the case. Refusals are audited (about the person, when one was
// named); the query is audited with its reference and the number of rows.
func (s *Service) AuditDisclosures(ctx context.Context, c *Caller, q DisclosureQuery) (DisclosureReport, error) {
	var subject Pseudonym
	if q.BSN != "" {
		p, err := s.pseudonym("bsn", q.BSN)
		if err != nil {
			return DisclosureReport{}, err
		}
		subject = p
	}
	var subjects []Pseudonym
	if subject != "" {
		subjects = []Pseudonym{subject}
	}
	object := "audit"
	if q.Partner != "" && ValidID(q.Partner) {
		object = "audit:partner/" + q.Partner
	}
	refuse := func(err error) (DisclosureReport, error) {
		return DisclosureReport{}, s.refusedAny(ctx, c, ActionAuditDisclosures, object, subjects, err)
	}
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return refuse(err)
	}
	if c.Role == RolePrivacyOfficer && !c.Partner.PrivacyOffice {
		return refuse(fmt.Errorf("%w: what a partner or person was shown is for the region's privacy office and the operator", ErrForbidden))
	}
	if err := s.requireVerified(ctx, c, ActionAuditDisclosures, object); err != nil {
		return DisclosureReport{}, err
	}
	if q.Reference == "" {
		return refuse(invalid("reference", "name the case this query serves, such as the breach's number (for example DL-2026-0007)"))
	}
	if err := checkReferenceText(q.Reference); err != nil {
		return refuse(err)
	}
	if (q.Partner == "") == (q.BSN == "") {
		return refuse(invalid("partner", "name either a partner or a person (bsn), not both"))
	}
	if q.Partner != "" && !ValidID(q.Partner) {
		return refuse(invalid("partner", "a partner id"))
	}
	from, err := parseBound("from", q.From, false)
	if err != nil {
		return refuse(err)
	}
	to, err := parseBound("to", q.To, true)
	if err != nil {
		return refuse(err)
	}
	if !from.Before(to) {
		return refuse(invalid("to", "is not after from"))
	}
	rep := DisclosureReport{GeneratedAt: s.now(), Broker: s.cfg.ID, Reference: q.Reference, Partner: q.Partner,
		From: from, To: to, Rows: []DisclosureRow{}}
	add := func(e *AuditEntry) bool {
		if e.Time.Before(from) || !e.Time.Before(to) {
			return true
		}
		for _, d := range e.Disclosed {
			recipient := d.To
			if recipient == "" {
				recipient = e.Partner
			}
			if subject != "" && d.Subject != subject || q.Partner != "" && recipient != q.Partner {
				continue
			}
			if len(rep.Rows) == MaxDisclosureRows {
				rep.Truncated = true
				return false
			}
			rep.Rows = append(rep.Rows, DisclosureRow{Seq: e.Seq, Time: e.Time, RequestID: e.RequestID, To: recipient,
				Sub: e.Sub, SubKnown: e.SubKnown, Role: e.Role, Action: e.Action, Purpose: e.Purpose, Bases: e.Bases,
				Object: e.Object, Subject: d.Subject, Involvement: d.Involvement, Partner: d.Partner, Fields: d.Fields})
		}
		return true
	}
	if subject != "" {
		entries, err := s.cfg.AuditReader.BySubject(ctx, subject)
		if err != nil {
			return DisclosureReport{}, err
		}
		for i := range entries {
			if !add(&entries[i]) {
				break
			}
		}
	} else if err := s.scanAudit(ctx, to, add); err != nil {
		return DisclosureReport{}, err
	}
	e := s.auditEntry(c, EventDisclosure, ActionAuditDisclosures)
	e.Object, e.Subjects = object, subjects
	e.Detail = map[string]string{"reference": q.Reference, "from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339),
		"rows": strconv.Itoa(len(rep.Rows))}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		return DisclosureReport{}, err
	}
	return rep, nil
}

// scanAudit calls fn for every entry of the trail in order until fn says
// stop or an entry is at or after until.
func (s *Service) scanAudit(ctx context.Context, until time.Time, fn func(*AuditEntry) bool) error {
	const page = 5000
	for from := uint64(1); ; {
		entries, err := s.cfg.AuditReader.Entries(ctx, from, page)
		if err != nil {
			return err
		}
		for i := range entries {
			if !entries[i].Time.Before(until) || !fn(&entries[i]) {
				return nil
			}
		}
		if len(entries) < page {
			return nil
		}
		from = entries[len(entries)-1].Seq + 1
	}
}

// refusedAny audits a refusal like refused, also one about no person (a
// query about a partner): every refused look into the audit trail leaves
// a trace.
func (s *Service) refusedAny(ctx context.Context, c *Caller, action, object string, subjects []Pseudonym, err error) error {
	var denied *DeniedError
	code := refusalCode(err)
	if code == "" || errors.As(err, &denied) {
		return err
	}
	e := s.auditEntry(c, EventDenial, action)
	e.Decision, e.Reasons, e.Object, e.Subjects = DecisionDeny, []string{code}, object, subjects
	if aerr := s.commit(ctx, e, nil, nil); aerr != nil {
		return aerr
	}
	return err
}

// OverviewVolume counts the overviews of each caller (partner and acting
// person) in a sliding hour and tells when one goes over a threshold: an
// unusual volume may be a misused account or key (AVG art. 33). It is an
// OverviewWatcher; alert is called once each time a caller's count first
// exceeds the threshold within the hour, with the partner and the count
// only — who acted is in the audit trail, for the privacy office to look
// up. Safe for concurrent use.
type OverviewVolume struct {
	threshold int
	window    time.Duration
	alert     func(partner string, count int)

	mu      sync.Mutex
	callers map[[2]string]*volumeWindow
}

type volumeWindow struct {
	times   []time.Time // the latest threshold+1 overviews within the window
	alerted bool
}

// NewOverviewVolume returns a watcher that calls alert when one caller
// asks more than threshold overviews within an hour; a threshold of 0 or
// less never alerts.
func NewOverviewVolume(threshold int, alert func(partner string, count int)) *OverviewVolume {
	return &OverviewVolume{threshold: threshold, window: time.Hour, alert: alert, callers: map[[2]string]*volumeWindow{}}
}

// OverviewAnswered implements OverviewWatcher.
func (v *OverviewVolume) OverviewAnswered(partner, sub string, at time.Time) {
	if v == nil || v.threshold <= 0 {
		return
	}
	key := [2]string{partner, sub}
	cut := at.Add(-v.window)
	v.mu.Lock()
	w := v.callers[key]
	if w == nil {
		w = &volumeWindow{}
		v.callers[key] = w
	}
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = append(w.times[i:], at)
	if len(w.times) > v.threshold+1 {
		w.times = w.times[len(w.times)-v.threshold-1:]
	}
	count, fire := len(w.times), false
	switch {
	case count > v.threshold && !w.alerted:
		w.alerted, fire = true, true
	case count <= v.threshold:
		w.alerted = false
	}
	// Forget quiet callers now and then, so that the map stays small.
	if len(v.callers) > 10_000 {
		for k, o := range v.callers {
			if len(o.times) == 0 || !o.times[len(o.times)-1].After(cut) {
				delete(v.callers, k)
			}
		}
	}
	v.mu.Unlock()
	if fire && v.alert != nil {
		v.alert(partner, count)
	}
}
