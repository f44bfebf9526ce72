package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// auditForm is the audit search, with the chain's verification.
func (h *Handler) auditForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	// Only the entries added since the last clean check are walked: the
	// page is loaded often, the trail only grows. The operator's health
	// page offers the full walk.
	ver, err := h.b.VerifyAuditNew(r.Context(), c)
	if err != nil {
		return err
	}
	return h.show(w, r, c, s, "audit", "Auditlogboek", view{"Verify": ver, "Q": auditFields{}, "Officer": s.Role == broker.RolePrivacyOfficer})
}

// auditFields are the search form's fields, to fill the form again. The
// BSN of a search by person is not among them: the answer never shows it,
// not even in the form's field, so ByPerson only says that one was given.
type auditFields struct {
	Reference, RequestID, Partner, Action, Decision, Since, Until string
	ByPerson                                                      bool
}

// auditSearch answers the search on the POST: the entries that match,
// read page by page through AuditEntries until some match or the bound.
// A person is searched by BSN, a POSTed field only; the domain keeps a
// partner's officer within the persons its partner serves (outside, the
// answer is that of a person without entries) and audits the look with
// the person's pseudonym.
func (h *Handler) auditSearch(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	f := auditFields{Reference: strings.TrimSpace(r.PostFormValue("kenmerk")), RequestID: strings.TrimSpace(r.PostFormValue("verzoek")),
		Partner: strings.TrimSpace(r.PostFormValue("organisatie")), Action: strings.TrimSpace(r.PostFormValue("handeling")),
		Decision: r.PostFormValue("besluit"), Since: r.PostFormValue("van"), Until: r.PostFormValue("tot")}
	bsn := strings.TrimSpace(r.PostFormValue("bsn"))
	f.ByPerson = bsn != ""
	q := broker.AuditQuery{Reference: f.Reference, RequestID: f.RequestID, Partner: f.Partner, Action: f.Action,
		Limit: auditPageSize, From: 1, BSN: bsn}
	switch f.Decision {
	case "", broker.DecisionAllow, broker.DecisionDeny:
		q.Decision = f.Decision
	default:
		return back(&broker.ValidationError{Field: "decision", Reason: "toegestaan of geweigerd"}, "/console/audit", "Terug naar het zoeken")
	}
	var err error
	if q.Since, err = dayStart(f.Since, 0); err != nil {
		return back(&broker.ValidationError{Field: "valid_from", Reason: "een datum als 2026-05-01"}, "/console/audit", "Terug naar het zoeken")
	}
	if q.Until, err = dayStart(f.Until, 1); err != nil {
		return back(&broker.ValidationError{Field: "valid_until", Reason: "een datum als 2026-05-31"}, "/console/audit", "Terug naar het zoeken")
	}
	if from := r.PostFormValue("vanaf"); from != "" {
		if n, err := strconv.ParseUint(from, 10, 64); err == nil && n > 0 {
			q.From = n
		}
	}
	var found []broker.AuditEntry
	var next uint64
	for range auditPages {
		pg, err := h.b.AuditEntries(r.Context(), c, q)
		if err != nil {
			return back(err, "/console/audit", "Terug naar het zoeken")
		}
		found = append(found, pg.Entries...)
		next = pg.Next
		if pg.Next == 0 || len(found) > 0 {
			break
		}
		q.From = pg.Next
	}
	more := false
	if len(found) > auditShown {
		found, more = found[:auditShown], true
		next = found[len(found)-1].Seq + 1
	}
	// A search by person is not continued by a form: that form would have
	// to carry the BSN back to the browser. The person narrows the period
	// instead (the page says so), typing the number again.
	personMore := f.ByPerson && next != 0
	if f.ByPerson {
		next = 0
	}
	// The chain is verified on the search page itself (auditForm), not
	// on every search: a walk of the whole trail.
	return h.show(w, r, c, s, "audit", "Auditlogboek", view{"Q": f, "Searched": true, "Entries": found,
		"Next": next, "More": more, "PersonMore": personMore, "Officer": s.Role == broker.RolePrivacyOfficer})
}

// dayStart parses a YYYY-MM-DD date as the start of that day (plus days)
// in Dutch time; "" is the zero time.
func dayStart(s string, days int) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, amsterdam)
	if err != nil {
		return time.Time{}, err
	}
	return t.AddDate(0, 0, days), nil
}
