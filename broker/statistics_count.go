package broker

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// statCounts are the raw figures of one municipality, before suppression.
type statCounts struct {
	months []string
	// count[month][measure]; days[month][measure] the observations of a
	// median measure.
	count map[string]map[string]int
	days  map[string]map[string][]float64
	// multiPartner is the number of households with two or more partners.
	multiPartner int
	// levels are the municipality's ambition levels as its partner
	// entries recorded them, oldest first.
	levels []levelChange
}

// levelChange is the municipality's level from a time on.
type levelChange struct {
	at    time.Time
	level int
}

func newStatCounts(months []string) *statCounts {
	c := &statCounts{months: months, count: map[string]map[string]int{}, days: map[string]map[string][]float64{}}
	for _, m := range months {
		c.count[m], c.days[m] = map[string]int{}, map[string][]float64{}
	}
	return c
}

// add counts n for measure in month, when month is asked.
func (c *statCounts) add(month, measure string, n int) {
	if row := c.count[month]; row != nil {
		row[measure] += n
	}
}

func (c *statCounts) observe(month, measure string, days float64) {
	if row := c.days[month]; row != nil {
		row[measure] = append(row[measure], days)
	}
}

// countStatistics reads the whole audit trail once and the municipality's
// households, and counts what counts for municipality m in months.
func (s *Service) countStatistics(ctx context.Context, m string, months []string) (*statCounts, error) {
	out := newStatCounts(months)
	at := &attributor{s: s, assignments: map[string]string{}, subjects: map[Pseudonym]string{}}
	given := map[string]time.Time{} // assignment id → when it was given
	const page = 1000
	for from := uint64(1); ; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		entries, err := s.cfg.AuditReader.Entries(ctx, from, page)
		if err != nil {
			return nil, err
		}
		err = s.cfg.Store.View(func(tx ReadTx) error {
			at.tx = tx
			for i := range entries {
				if err := out.count1(at, m, &entries[i], given); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(entries) < page {
			break
		}
		from = entries[len(entries)-1].Seq + 1
	}
	err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		if out.multiPartner, err = householdsWithPartners(tx, m, 2); err != nil {
			return err
		}
		return out.countFollowups(tx, m)
	})
	return out, err
}

// countFollowups counts municipality m's match follow-ups from the store,
// each in a month that has ended for good:
//
//   - due, in time, late: by the month of its due date, once that has
//     passed: followed up in time when its first contact or its close
//     came on or before the due date, late otherwise (a follow-up the
//     broker cancelled before its due date, because the involvements
//     ended or the plan closed, is neither). due = in time + late, an
//     equation of the suppression.
//   - contacted, and the days from opening to it: by the month of the
//     first contact (or of a close without one).
//
// Counting by the month the answer was settled in keeps an ended month's
// figures fixed: a month's count of follow-ups opened would still change
// while their due dates run.
func (c *statCounts) countFollowups(tx ReadTx, m string) error {
	return tx.MunicipalityHouseholds(m, "", func(h Household) error {
		return tx.HouseholdFollowups(m, h.ID, func(f Followup) error {
			c.count1Followup(&f)
			return nil
		})
	})
}

func (c *statCounts) count1Followup(f *Followup) {
	var settled *FollowupStep // the first contact or close
	var cancelled *FollowupStep
	for i := range f.Steps {
		st := &f.Steps[i]
		switch {
		case settled == nil && (st.Step == FollowupStepContact || st.Step == FollowupStepClose):
			settled = st
		case cancelled == nil && st.Step == FollowupStepCancel:
			cancelled = st
		}
	}
	day := func(t time.Time) string { return t.In(statisticsZone).Format(dateLayout) }
	if settled != nil {
		month := settled.At.In(statisticsZone).Format("2006-01")
		c.add(month, measureFollowupsContacted, 1)
		c.observe(month, measureDaysToContact, settled.At.Sub(f.CreatedAt).Hours()/24)
	}
	if len(f.Due) != len(dateLayout) {
		return
	}
	dueMonth := f.Due[:7]
	switch {
	case settled != nil && day(settled.At) <= f.Due:
		c.add(dueMonth, measureFollowupsInTime, 1)
	case cancelled != nil && day(cancelled.At) <= f.Due:
		return // ended before it was due: no promise left to keep
	default:
		// Not settled by its due date (settled later, or not at all):
		// late, once the due month has ended (only ended months are
		// published).
		c.add(dueMonth, measureFollowupsLate, 1)
	}
	c.add(dueMonth, measureFollowupsDue, 1)
}

// count1 counts entry e when it belongs to municipality m.
func (c *statCounts) count1(at *attributor, m string, e *AuditEntry, given map[string]time.Time) error {
	month := e.Time.In(statisticsZone).Format("2006-01")
	if e.Object == "partner:"+m && e.Decision == DecisionAllow {
		// The municipality's registration and every change of it record
		// its level (partners.go).
		if n, err := strconv.Atoi(e.Detail["level"]); err == nil {
			c.levels = append(c.levels, levelChange{at: e.Time, level: n})
		}
		return nil
	}
	switch e.Action {
	case ActionHouseholdOverview, ActionPersonOverview:
		if mm, err := at.municipality(e, ""); err != nil || mm != m {
			return err
		}
		if e.Decision == DecisionAllow {
			c.add(month, measureOverviewsAllowed, 1)
			return nil
		}
		c.add(month, measureOverviewsDenied, 1)
		c.add(month, deniedKey(primaryReason(e.Reasons)), 1)
	case ActionInvolvementWrite, "involvement.sync":
		if e.Decision != DecisionAllow {
			return nil
		}
		for _, d := range e.Disclosed {
			if !isMatchSignal(&d) {
				continue
			}
			mm, err := at.municipality(e, d.Subject)
			if err != nil {
				return err
			}
			if mm == m {
				c.add(month, measureSignals, 1)
			}
		}
	case ActionAssignmentGive, ActionAssignmentAccept, ActionAssignmentDecline, ActionAssignmentComplete:
		if e.Decision != DecisionAllow || e.Event != EventChange {
			return nil
		}
		if mm, err := at.municipality(e, ""); err != nil || mm != m {
			return err
		}
		id := strings.TrimPrefix(e.Object, "assignment:")
		switch e.Action {
		case ActionAssignmentGive:
			given[id] = e.Time
			c.add(month, measureAssignmentsGiven, 1)
		case ActionAssignmentAccept:
			c.add(month, measureAssignmentsAccept, 1)
			if t, ok := given[id]; ok {
				c.observe(month, measureDaysToAccept, e.Time.Sub(t).Hours()/24)
			}
		case ActionAssignmentDecline:
			c.add(month, measureAssignmentsDecline, 1)
		case ActionAssignmentComplete:
			c.add(month, measureAssignmentsDone, 1)
			if t, ok := given[id]; ok {
				c.observe(month, measureDaysToComplete, e.Time.Sub(t).Hours()/24)
			}
		}
	case ActionPlanWrite, ActionPlanClose, ActionConsentRecord, ActionConsentWithdraw:
		if e.Decision != DecisionAllow || e.Event != EventChange {
			return nil
		}
		measure := map[string]string{ActionPlanClose: measurePlansClosed, ActionConsentRecord: measureConsentsGiven,
			ActionConsentWithdraw: measureConsentsWithdrawn}[e.Action]
		if e.Action == ActionPlanWrite {
			// A plan is opened by its first version.
			if e.Detail["version"] != "1" {
				return nil
			}
			measure = measurePlansOpened
		}
		if mm, err := at.municipality(e, ""); err != nil || mm != m {
			return err
		}
		c.add(month, measure, 1)
	}
	return nil
}

// primaryReason is the column a denial counts in (statisticsDenialReasons).
func primaryReason(reasons []string) string {
	for _, r := range statisticsDenialReasons {
		if slices.Contains(reasons, r) {
			return r
		}
	}
	return reasonOther
}

// isMatchSignal tells a match signal among an involvement entry's
// disclosures: shown to another partner (To), with the plain fields of an
// overview. The broker's notices disclose through the same entry, with
// fields marked "inform:…" or "changed:…".
func isMatchSignal(d *Disclosure) bool {
	if d.To == "" {
		return false
	}
	for _, f := range d.Fields {
		if strings.Contains(f, ":") {
			return false
		}
	}
	return true
}

// attributor places audit entries in a municipality (see Statistics),
// remembering what it looked up.
type attributor struct {
	s           *Service
	tx          ReadTx
	assignments map[string]string    // assignment id → municipality ("" unknown)
	subjects    map[Pseudonym]string // person → the one municipality of their households ("" none or several)
}

// municipality returns the one municipality e counts for ("" for none);
// subject, when set, is the person the counted part of e is about.
func (a *attributor) municipality(e *AuditEntry, subject Pseudonym) (string, error) {
	if m := e.Detail["municipality"]; m != "" {
		return m, nil
	}
	kind, ref, _ := strings.Cut(e.Object, ":")
	switch kind {
	case "household", "plan":
		ref, _, _ = strings.Cut(ref, "/") // plan:<m>:<id>/history
		if m, _, ok := strings.Cut(ref, HouseholdRefSep); ok {
			return m, nil
		}
	case "assignment":
		m, ok := a.assignments[ref]
		if !ok {
			as, err := a.tx.Assignment(ref)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return "", err
			}
			m = as.Municipality
			a.assignments[ref] = m
		}
		if m != "" {
			return m, nil
		}
	}
	if p, err := a.s.LookupPartner(e.Partner); err == nil && len(p.Municipalities) == 1 {
		return p.Municipalities[0], nil
	}
	subjects := e.Subjects
	if subject != "" {
		subjects = []Pseudonym{subject}
	}
	found := ""
	for _, p := range subjects {
		m, err := a.subjectMunicipality(p)
		if err != nil {
			return "", err
		}
		if m == "" || (found != "" && m != found) {
			return "", nil
		}
		found = m
	}
	return found, nil
}

// subjectMunicipality is the one municipality of the households p is a
// member of now; "" for none or several.
func (a *attributor) subjectMunicipality(p Pseudonym) (string, error) {
	if m, ok := a.subjects[p]; ok {
		return m, nil
	}
	hs, err := a.tx.HouseholdsOf(p)
	if err != nil {
		return "", err
	}
	m := ""
	for i := range hs {
		if m != "" && hs[i].Municipality != m {
			m = ""
			break
		}
		m = hs[i].Municipality
	}
	a.subjects[p] = m
	return m, nil
}

// householdsWithPartners counts municipality m's households that at least
// n partners serve now (a live involvement with one of its members).
func householdsWithPartners(tx ReadTx, m string, n int) (int, error) {
	count := 0
	err := tx.MunicipalityHouseholds(m, "", func(h Household) error {
		partners := map[string]bool{}
		for _, mem := range h.Members {
			invs, err := tx.InvolvementsOf(mem.Subject)
			if err != nil {
				return err
			}
			for _, v := range invs {
				if v.Status != InvolvementEnded {
					partners[v.Partner] = true
				}
			}
		}
		if len(partners) >= n {
			count++
		}
		return nil
	})
	return count, err
}
