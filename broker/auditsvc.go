package broker

import (
	"cmp"
	"context"
	"io"
	"slices"
	"strconv"
	"time"
)

// AuditEntries returns up to limit audit entries from seq on. Privacy
// officers and operators only.
func (s *Service) AuditEntries(ctx context.Context, c *Caller, from uint64, limit int) ([]AuditEntry, error) {
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.cfg.AuditReader.Entries(ctx, from, limit)
}

// VerifyAudit walks the whole audit chain. Privacy officers and operators
// only.
func (s *Service) VerifyAudit(ctx context.Context, c *Caller) (AuditVerification, error) {
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return AuditVerification{}, err
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
	if err := s.requireVerified(ctx, c, "audit.export", "audit"); err != nil {
		return 0, err
	}
	e := s.auditEntry(c, EventDisclosure, "audit.export")
	e.Object = "audit"
	e.Detail = map[string]string{"from": strconv.FormatUint(from, 10)}
	if err := s.record(ctx, e, nil); err != nil {
		return 0, err
	}
	return s.cfg.AuditReader.Export(ctx, w, from)
}

// SubjectAccessReport answers a resident's access request (inzage, AVG art.
// 15): every disclosure and denial about them, who, when, why and what was
// shown.
type SubjectAccessReport struct {
	GeneratedAt time.Time          `json:"generated_at"`
	Broker      string             `json:"broker"`
	Events      []SubjectAccessRow `json:"events"`
}

// SubjectAccessRow is one audited event about the resident.
type SubjectAccessRow struct {
	Seq         uint64    `json:"seq"`
	Time        time.Time `json:"time"`
	Event       string    `json:"event"`
	Partner     string    `json:"partner"`
	PartnerName string    `json:"partner_name,omitempty"`
	Sub         string    `json:"sub,omitempty"`
	// SubKnown says whether Sub is a verified person ("verified") or the
	// organisation's own reference ("asserted").
	SubKnown string   `json:"sub_known,omitempty"`
	Role     Role     `json:"role,omitempty"`
	Action   string   `json:"action"`
	Purpose  string   `json:"purpose,omitempty"`
	Decision string   `json:"decision"`
	Reasons  []string `json:"reasons,omitempty"`
	Bases    []string `json:"bases,omitempty"`
	// Shown lists, per involvement, which fields were shown about this
	// resident (and only this resident).
	Shown []Disclosure `json:"shown,omitempty"`
}

// SubjectAccess reports every audited event about the person with this BSN.
// Privacy officers only; the request itself is audited.
func (s *Service) SubjectAccess(ctx context.Context, c *Caller, bsn string) (SubjectAccessReport, error) {
	if err := requireRole(c, RolePrivacyOfficer); err != nil {
		return SubjectAccessReport{}, err
	}
	if err := s.requireVerified(ctx, c, "audit.subject-access", "audit"); err != nil {
		return SubjectAccessReport{}, err
	}
	p, err := s.pseudonym("bsn", bsn)
	if err != nil {
		return SubjectAccessReport{}, err
	}
	entries, err := s.cfg.AuditReader.BySubject(ctx, p)
	if err != nil {
		return SubjectAccessReport{}, err
	}
	rep := SubjectAccessReport{GeneratedAt: s.now(), Broker: s.cfg.ID, Events: []SubjectAccessRow{}}
	for _, e := range entries {
		if e.Action == "audit.subject-access" {
			continue
		}
		row := SubjectAccessRow{Seq: e.Seq, Time: e.Time, Event: e.Event, Partner: e.Partner, Sub: e.Sub,
			SubKnown: e.SubKnown, Role: e.Role, Action: e.Action, Purpose: e.Purpose, Decision: e.Decision, Reasons: e.Reasons, Bases: e.Bases}
		if pt, err := s.LookupPartner(e.Partner); err == nil {
			row.PartnerName = pt.Name
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
	if err := s.record(ctx, e, nil); err != nil {
		return SubjectAccessReport{}, err
	}
	return rep, nil
}
