package broker

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// AuditQuery pages through the audit trail.
type AuditQuery struct {
	// From is the first sequence number to read (1 for the start).
	From uint64
	// Limit bounds the entries read (not only those returned); default
	// 100, at most 1000.
	Limit int
	// Reference names the request a privacy officer's look serves (the
	// access request's number, say); required of privacy officers.
	Reference string
	// Filters: only entries of this request id, partner, action, decision
	// (allow or deny) and time range [Since, Until); zero values match all.
	RequestID, Partner, Action, Decision string
	Since, Until                         time.Time
	// BSN, when set, keeps only the entries about this person, read
	// through the trail's subject index (the console's search by person:
	// the BSN comes from a POSTed form field, never a URL). To a partner's
	// privacy officer a person its partner does not serve has no entries,
	// as a person the broker never saw. The look is audited with the
	// person's pseudonym, so that it shows in the person's access report.
	BSN string
}

// matches reports whether e passes q's filters.
func (q *AuditQuery) matches(e *AuditEntry) bool {
	return (q.RequestID == "" || e.RequestID == q.RequestID) && (q.Partner == "" || e.Partner == q.Partner) &&
		(q.Action == "" || e.Action == q.Action) && (q.Decision == "" || e.Decision == q.Decision) &&
		(q.Since.IsZero() || !e.Time.Before(q.Since)) && (q.Until.IsZero() || e.Time.Before(q.Until))
}

// AuditPage is wire.AuditPage: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type AuditPage = wire.AuditPage

// AuditEntries returns a page of the audit trail. Operators and the
// region's privacy office read every entry; another partner's privacy
// officer reads its own partner's entries and those about the persons its
// partner serves (officer.go), and names the request its look serves. The
// look is audited.
func (s *Service) AuditEntries(ctx context.Context, c *Caller, q AuditQuery) (AuditPage, error) {
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return AuditPage{}, err
	}
	if err := checkReference(c, q.Reference); err != nil {
		return AuditPage{}, err
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	if q.From == 0 {
		q.From = 1
	}
	sc := scopeOf(c)
	var subject Pseudonym
	var read []AuditEntry
	var err error
	if q.BSN != "" {
		if subject, err = s.pseudonym("bsn", q.BSN); err != nil {
			return AuditPage{}, err
		}
		read, err = s.subjectEntries(ctx, sc, subject, q.From, q.Limit)
	} else {
		read, err = s.cfg.AuditReader.Entries(ctx, q.From, q.Limit)
	}
	if err != nil {
		return AuditPage{}, err
	}
	page := AuditPage{Entries: make([]AuditEntry, 0, len(read))}
	if len(read) == q.Limit {
		page.Next = read[len(read)-1].Seq + 1
	}
	err = s.cfg.Store.View(func(tx ReadTx) error {
		for i := range read {
			if !q.matches(&read[i]) {
				continue
			}
			ok, err := sc.sees(tx, &read[i])
			if err != nil {
				return err
			}
			if ok {
				page.Entries = append(page.Entries, read[i])
			}
		}
		return nil
	})
	if err != nil {
		return AuditPage{}, err
	}
	e := s.auditEntry(c, EventDisclosure, "audit.read")
	e.Object = "audit"
	e.Detail = map[string]string{"from": strconv.FormatUint(q.From, 10), "entries": strconv.Itoa(len(page.Entries))}
	if q.Reference != "" {
		e.Detail["reference"] = q.Reference
	}
	if subject != "" {
		e.Subjects = []Pseudonym{subject}
		e.Detail["person"] = "bsn"
	}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		return AuditPage{}, err
	}
	return page, nil
}

// subjectEntries returns up to limit entries about subject from seq from
// on, or none when subject lies outside sc's reach: the answer is then
// exactly that of a person without entries.
func (s *Service) subjectEntries(ctx context.Context, sc *officerScope, subject Pseudonym, from uint64, limit int) ([]AuditEntry, error) {
	var inReach bool
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		inReach, err = sc.servesPerson(tx, subject)
		return err
	}); err != nil || !inReach {
		return nil, err
	}
	all, err := s.cfg.AuditReader.BySubject(ctx, subject)
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearchFunc(all, from, func(e AuditEntry, seq uint64) int { return cmp.Compare(e.Seq, seq) })
	return all[i:min(len(all), i+limit)], nil
}

// VerifyAudit walks the whole audit chain. Privacy officers and operators
// only.
func (s *Service) VerifyAudit(ctx context.Context, c *Caller) (AuditVerification, error) {
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return AuditVerification{}, err
	}
	return s.cfg.AuditReader.Verify(ctx)
}

// VerifyAuditNew verifies only what was added to the audit chain since
// the last clean verification, where the reader can (audit.Log.VerifyNew),
// and returns the whole chain's totals: for pages that show the chain's
// status on every load. VerifyAudit stays the full walk. Privacy officers
// and operators only.
func (s *Service) VerifyAuditNew(ctx context.Context, c *Caller) (AuditVerification, error) {
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return AuditVerification{}, err
	}
	if r, ok := s.cfg.AuditReader.(interface {
		VerifyNew(context.Context) (AuditVerification, error)
	}); ok {
		return r.VerifyNew(ctx)
	}
	return s.cfg.AuditReader.Verify(ctx)
}

// ExportAudit writes the stored audit records from seq from on to w, one
// per line, byte for byte, so that a privacy officer can keep a copy of
// the chain outside the broker and verify it with only the broker's public
// keys (`ketenbrug audit export`, `audit verify-file`): an operator who
// rewrote the chain would then have to rewrite that copy too. Privacy
// officers and operators only; the export itself is audited.
func (s *Service) ExportAudit(ctx context.Context, c *Caller, w io.Writer, from uint64) (int, error) {
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return 0, err
	}
	// The whole chain is for those who supervise the whole broker.
	if c.Role == RolePrivacyOfficer && !c.Partner.PrivacyOffice {
		return 0, fmt.Errorf("%w: the audit export is for the region's privacy office and the operator; a partner's privacy officer reads its own reach with audit list", ErrForbidden)
	}
	if err := s.requireVerified(ctx, c, "audit.export", "audit"); err != nil {
		return 0, err
	}
	e := s.auditEntry(c, EventDisclosure, "audit.export")
	e.Object = "audit"
	e.Detail = map[string]string{"from": strconv.FormatUint(from, 10)}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		return 0, err
	}
	return s.cfg.AuditReader.Export(ctx, w, from)
}

// SubjectAccessReport is wire.SubjectAccessReport: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type SubjectAccessReport = wire.SubjectAccessReport

// SubjectAccessRow is wire.SubjectAccessRow: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type SubjectAccessRow = wire.SubjectAccessRow

// SubjectAccess reports every audited event about the person with this BSN,
// for the access request named by reference. Privacy officers only: the
// region's privacy office for anyone, a partner's privacy officer for the
// persons its partner serves (to it, anyone else has an empty report, as
// a person the broker never saw). The request itself is audited.
func (s *Service) SubjectAccess(ctx context.Context, c *Caller, bsn, reference string) (SubjectAccessReport, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return SubjectAccessReport{}, err
	}
	if err := s.requireVerified(ctx, c, "audit.subject-access", "audit"); err != nil {
		return SubjectAccessReport{}, err
	}
	if err := checkReference(c, reference); err != nil {
		return SubjectAccessReport{}, err
	}
	p, err := s.pseudonym("bsn", bsn)
	if err != nil {
		return SubjectAccessReport{}, err
	}
	var inReach bool
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		inReach, err = scopeOf(c).servesPerson(tx, p)
		return err
	}); err != nil {
		return SubjectAccessReport{}, err
	}
	var entries []AuditEntry
	if inReach {
		if entries, err = s.cfg.AuditReader.BySubject(ctx, p); err != nil {
			return SubjectAccessReport{}, err
		}
	}
	rep := SubjectAccessReport{GeneratedAt: s.now(), Broker: s.cfg.ID, Events: []SubjectAccessRow{}}
	for _, e := range entries {
		if e.Action == "audit.subject-access" {
			continue
		}
		row := SubjectAccessRow{Seq: e.Seq, Time: e.Time, Event: e.Event, Partner: e.Partner, Sub: e.Sub,
			SubKnown: e.SubKnown, Role: e.Role, Action: e.Action, Purpose: e.Purpose, Decision: e.Decision, Reasons: e.Reasons, Bases: e.Bases}
		if pt, err := s.LookupPartner(e.Partner); err == nil {
			row.PartnerName, row.PartnerRole, row.PartnerContact = pt.Name, pt.ControllerRole, pt.PrivacyContact
		}
		for _, d := range e.Disclosed {
			if d.Subject == p {
				row.Shown = append(row.Shown, d)
			}
		}
		rep.Events = append(rep.Events, row)
	}
	slices.SortFunc(rep.Events, func(a, b SubjectAccessRow) int { return cmp.Compare(a.Seq, b.Seq) })
	e := s.auditEntry(c, EventDisclosure, "audit.subject-access")
	e.Subjects = []Pseudonym{p}
	e.Detail = map[string]string{"reference": reference, "events": strconv.Itoa(len(rep.Events))}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		return SubjectAccessReport{}, err
	}
	return rep, nil
}
