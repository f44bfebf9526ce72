package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	_ "time/tzdata" // months are Dutch months (Europe/Amsterdam) on any machine

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// The pilot's figures (stuurinformatie, issue 19 part 2): per municipality
// and month, what the broker did, counted from the audit trail and the
// store, never from a copy, and never a count small enough to point at a
// household, person or professional (statistics_suppress.go).

// ActionStatisticsRead is asking for a municipality's figures.
const ActionStatisticsRead = "statistics.read"

// Statistics is wire.Statistics: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type Statistics = wire.Statistics

// StatisticsMeasure is wire.StatisticsMeasure.
type StatisticsMeasure = wire.StatisticsMeasure

// StatisticsRow is wire.StatisticsRow.
type StatisticsRow = wire.StatisticsRow

// StatisticsCell is wire.Cell: one figure, or a suppressed one.
type StatisticsCell = wire.Cell

// StatisticsGap is wire.StatisticsGap.
type StatisticsGap = wire.StatisticsGap

// StatisticsQuery names the municipality and months asked.
type StatisticsQuery struct {
	// Municipality is the municipality's partner id; "" for the caller's
	// own when its partner serves exactly one.
	Municipality string
	// From and To are the first and last month, YYYY-MM, both included;
	// default the twelve months up to the last that has ended. To is
	// brought back to the last month that has ended.
	From, To string
	// By is the period of a row: "month" (the default and only one).
	By string
}

// Limits and defaults of the figures.
const (
	// DefaultStatisticsMinCell is the threshold when the policy data has
	// no statistics.min_cell: a count below it is never shown.
	DefaultStatisticsMinCell = 10
	// MaxStatisticsMonths bounds one question: the whole trail is read
	// for it.
	MaxStatisticsMonths = 36
	// StatisticsByMonth is the one period of a row.
	StatisticsByMonth = "month"
)

// statisticsZone is the zone a month is counted in: a municipality's
// month, not UTC's.
var statisticsZone = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return l
	}
	return time.UTC
}()

// Statistics answers a municipality's figures per month. Operators, the
// privacy officers and the new analyst role may ask (the policy decides,
// action statistics.read); an analyst or a partner's privacy officer only
// for a municipality its organisation serves. Asked about another
// municipality, the answer is exactly that for a municipality that does
// not exist (ErrNotFound), so that the figures do not even tell which
// municipalities take part. Every question is audited, the refused ones
// too.
//
// How an audit entry counts for a municipality (entries written before
// this feature name none): the municipality in its detail, when it has
// one; else the household or plan its object names (household:<m>:<id>,
// plan:<m>:<id>) or the municipality of the assignment it names; else the
// one municipality the acting partner serves; else the one municipality
// of the households its person is a member of now. An entry that none of
// these places in exactly one municipality is counted nowhere.
func (s *Service) Statistics(ctx context.Context, c *Caller, q StatisticsQuery) (Statistics, error) {
	if q.Municipality == "" && len(c.Partner.Municipalities) == 1 {
		q.Municipality = c.Partner.Municipalities[0]
	}
	months, err := q.months(s.now())
	if err != nil {
		// Refused before the policy is asked, but audited all the same:
		// every question for figures leaves a trace.
		e := s.auditEntry(c, EventDenial, ActionStatisticsRead)
		e.Object, e.Decision, e.Reasons = "statistics", DecisionDeny, []string{RefusalInvalid}
		if aerr := s.commit(ctx, e, nil, nil); aerr != nil {
			return Statistics{}, aerr
		}
		return Statistics{}, err
	}
	m := q.Municipality
	in := &DecisionInput{Action: ActionStatisticsRead, Caller: callerFacts(c), Municipality: s.municipalityFacts(m)}
	if c.Role == RolePrivacyOfficer && c.Partner.PrivacyOffice {
		in.Relations = []string{RelationPrivacyOffice}
	}
	object := "statistics:" + m
	v, err := s.decide(ctx, c, in, object, nil)
	var denied *DeniedError
	if errors.As(err, &denied) && slices.Equal(denied.Reasons, []string{ReasonOtherMunicipality}) {
		// Refused as another municipality's: answered as one that does
		// not exist (the refusal is audited as what it is).
		return Statistics{}, unknownMunicipality(m)
	}
	if err != nil {
		return Statistics{}, err
	}
	muni, err := s.LookupPartner(m)
	if err != nil || muni.Sector != SectorMunicipality {
		e := s.auditEntry(c, EventDenial, ActionStatisticsRead)
		e.Object, e.Decision, e.Reasons = object, DecisionDeny, []string{"municipality_unknown"}
		if aerr := s.commit(ctx, e, []*verdict{v}, nil); aerr != nil {
			return Statistics{}, aerr
		}
		return Statistics{}, unknownMunicipality(m)
	}
	minCell := s.statisticsMinCell()
	counts, err := s.countStatistics(ctx, m, months)
	if err != nil {
		return Statistics{}, err
	}
	out := counts.table(minCell)
	out.Municipality, out.From, out.To, out.By = m, months[0], months[len(months)-1], StatisticsByMonth
	out.Level, out.MinCell, out.GeneratedAt = muni.Level, minCell, s.now()

	e := s.auditEntry(c, EventDisclosure, ActionStatisticsRead)
	e.Object = object
	e.Detail = map[string]string{"municipality": m, "from": out.From, "to": out.To, "by": out.By,
		"min_cell": strconv.Itoa(minCell)}
	if err := s.commit(ctx, e, []*verdict{v}, nil); err != nil {
		return Statistics{}, err
	}
	return out, nil
}

// withMunicipality records in e the municipality its request was about,
// when its object does not name it, so that the figures place the entry
// by what was true then rather than by the present (a household that
// moves later does not move the entry).
func withMunicipality(e *AuditEntry, m *MunicipalityFacts) {
	if m == nil || m.ID == "" {
		return
	}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	e.Detail["municipality"] = m.ID
}

// unknownMunicipality is the one answer for a municipality that does not
// exist and for one the caller may not read figures of.
func unknownMunicipality(m string) error {
	return fmt.Errorf("municipality %q: %w: name a municipality your organisation serves (ketenbrug whoami lists them)", m, ErrNotFound)
}

// months validates q and returns its months, oldest first.
func (q *StatisticsQuery) months(now time.Time) ([]string, error) {
	if !ValidID(q.Municipality) {
		return nil, invalid("municipality", "name the municipality (its partner id): %s", IDRule)
	}
	if q.By != "" && q.By != StatisticsByMonth {
		return nil, invalid("by", "only month")
	}
	parse := func(field, s string) (time.Time, error) {
		t, err := time.Parse("2006-01", s)
		if err != nil {
			return time.Time{}, invalid(field, "a month as YYYY-MM, such as 2026-01")
		}
		return t, nil
	}
	// The last month that has ended: a month still running changes by
	// the hour, and two answers an hour apart would differ by what
	// happened in between.
	last := time.Date(now.In(statisticsZone).Year(), now.In(statisticsZone).Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	to := last
	var err error
	if q.To != "" {
		if to, err = parse("to", q.To); err != nil {
			return nil, err
		}
		if to.After(last) {
			to = last
		}
	}
	from := to.AddDate(0, -11, 0)
	if q.From != "" {
		if from, err = parse("from", q.From); err != nil {
			return nil, err
		}
	}
	if to.Before(from) {
		if q.From != "" && from.After(last) {
			return nil, invalid("from", "%s has not ended yet: the figures cover months that have ended, up to %s", q.From, last.Format("2006-01"))
		}
		return nil, invalid("to", "must not be before from")
	}
	var out []string
	for t := from; !t.After(to); t = t.AddDate(0, 1, 0) {
		if len(out) == MaxStatisticsMonths {
			return nil, invalid("from", "at most %d months in one question; ask for a shorter period", MaxStatisticsMonths)
		}
		out = append(out, t.Format("2006-01"))
	}
	return out, nil
}

// statisticsMinCell reads statistics.min_cell from the active policy's
// data; below 1 or absent: DefaultStatisticsMinCell.
func (s *Service) statisticsMinCell() int {
	var cfg struct {
		Statistics struct {
			MinCell int `json:"min_cell"`
		} `json:"statistics"`
	}
	if d := s.cfg.Policy.Describe(); len(d.Config) > 0 && json.Unmarshal(d.Config, &cfg) == nil && cfg.Statistics.MinCell > 0 {
		return cfg.Statistics.MinCell
	}
	return DefaultStatisticsMinCell
}

// The measures, in the order of their columns. Counts are the cells of
// the suppression's equations (statistics_suppress.go); medians are shown
// only over enough observations.
const (
	measureOverviewsAsked     = "overviews_asked"
	measureOverviewsAllowed   = "overviews_allowed"
	measureOverviewsDenied    = "overviews_denied"
	measureSignals            = "match_signals"
	measureAssignmentsGiven   = "assignments_given"
	measureAssignmentsAccept  = "assignments_accepted"
	measureAssignmentsDecline = "assignments_declined"
	measureAssignmentsDone    = "assignments_completed"
	measureDaysToAccept       = "assignments_median_days_to_accept"
	measureDaysToComplete     = "assignments_median_days_to_complete"
	measurePlansOpened        = "plans_opened"
	measurePlansClosed        = "plans_closed"
	measureConsentsGiven      = "consents_given"
	measureConsentsWithdrawn  = "consents_withdrawn"
	measureFollowupsDue       = "followups_due"
	measureFollowupsInTime    = "followups_in_time"
	measureFollowupsLate      = "followups_late"
	measureFollowupsContacted = "followups_contacted"
	measureDaysToContact      = "followups_median_days_to_contact"
	measureLevel              = "level"
	reasonOther               = "other"
)

// statisticsDenialReasons are the columns of the overviews denied, in the
// order that decides a denial's column: a denial with several reasons
// counts once, under the first of its reasons in this list (or "other"),
// so that the columns add up to the denials exactly.
var statisticsDenialReasons = []string{ReasonNoRelation, ReasonPurposeMissing, ReasonPurposeNotAllowed, ReasonRoleNotAllowed,
	ReasonSectorNotAllowed, ReasonOtherMunicipality, ReasonOtherArea, ReasonLevelTooLow, ReasonCovenantNotSigned,
	ReasonPolicyError, reasonOther}

var statisticsReasonLabels = map[string]string{
	ReasonNoRelation: "geen relatie", ReasonPurposeMissing: "geen doel", ReasonPurposeNotAllowed: "doel niet toegestaan",
	ReasonRoleNotAllowed: "rol niet toegestaan", ReasonSectorNotAllowed: "sector niet toegestaan",
	ReasonOtherMunicipality: "andere gemeente", ReasonOtherArea: "ander gebied", ReasonLevelTooLow: "ambitieniveau te laag",
	ReasonCovenantNotSigned: "convenant niet getekend", ReasonPolicyError: "beleidsfout", reasonOther: "overige",
}

// deniedKey is the column of overviews denied for reason.
func deniedKey(reason string) string { return measureOverviewsDenied + "." + reason }

// statisticsMeasures lists every column.
func statisticsMeasures() []StatisticsMeasure {
	ms := []StatisticsMeasure{
		{Key: measureOverviewsAsked, Label: "Overzichten gevraagd", Kind: "count", Group: "overviews"},
		{Key: measureOverviewsAllowed, Label: "Overzichten toegestaan", Kind: "count", Group: "overviews"},
		{Key: measureOverviewsDenied, Label: "Overzichten geweigerd", Kind: "count", Group: "overviews"},
	}
	for _, r := range statisticsDenialReasons {
		ms = append(ms, StatisticsMeasure{Key: deniedKey(r), Label: "Geweigerd: " + statisticsReasonLabels[r], Kind: "count", Group: "denials"})
	}
	return append(ms,
		StatisticsMeasure{Key: measureSignals, Label: "Matchsignalen verstuurd", Kind: "count", Group: "signals"},
		StatisticsMeasure{Key: measureAssignmentsGiven, Label: "Opdrachten gegeven", Kind: "count", Group: "assignments"},
		StatisticsMeasure{Key: measureAssignmentsAccept, Label: "Opdrachten aanvaard", Kind: "count", Group: "assignments"},
		StatisticsMeasure{Key: measureAssignmentsDecline, Label: "Opdrachten afgewezen", Kind: "count", Group: "assignments"},
		StatisticsMeasure{Key: measureAssignmentsDone, Label: "Opdrachten afgerond", Kind: "count", Group: "assignments"},
		StatisticsMeasure{Key: measureDaysToAccept, Label: "Mediaan dagen tot aanvaarden", Kind: "median_days", Group: "assignment_days"},
		StatisticsMeasure{Key: measureDaysToComplete, Label: "Mediaan dagen tot afronden", Kind: "median_days", Group: "assignment_days"},
		StatisticsMeasure{Key: measureFollowupsDue, Label: "Opvolgingen met termijn in de maand", Kind: "count", Group: "followups"},
		StatisticsMeasure{Key: measureFollowupsInTime, Label: "Opgevolgd binnen de termijn", Kind: "count", Group: "followups"},
		StatisticsMeasure{Key: measureFollowupsLate, Label: "Niet opgevolgd binnen de termijn", Kind: "count", Group: "followups"},
		StatisticsMeasure{Key: measureFollowupsContacted, Label: "Opvolgingen: eerste contact", Kind: "count", Group: "followups"},
		StatisticsMeasure{Key: measureDaysToContact, Label: "Mediaan dagen tot contact", Kind: "median_days", Group: "followup_days"},
		StatisticsMeasure{Key: measurePlansOpened, Label: "Plannen geopend", Kind: "count", Group: "plans"},
		StatisticsMeasure{Key: measurePlansClosed, Label: "Plannen gesloten", Kind: "count", Group: "plans"},
		StatisticsMeasure{Key: measureConsentsGiven, Label: "Toestemmingen gegeven", Kind: "count", Group: "consents"},
		StatisticsMeasure{Key: measureConsentsWithdrawn, Label: "Toestemmingen ingetrokken", Kind: "count", Group: "consents"},
		StatisticsMeasure{Key: measureLevel, Label: "Ambitieniveau", Kind: "level", Group: "level"},
	)
}

// statisticsGaps are the pilot's measures the broker cannot count; none
// since match follow-ups are kept (followups.go).
var statisticsGaps = []StatisticsGap{}

// medianOf maps a median measure to the count whose observations it
// summarises: a median is shown only where that count is.
var medianOf = map[string]string{measureDaysToAccept: measureAssignmentsAccept, measureDaysToComplete: measureAssignmentsDone,
	measureDaysToContact: measureFollowupsContacted}

// refuseAnalyst refuses the analyst role what it does not need: it reads
// the figures and nothing else. Most of the domain refuses it already (a
// role check, or no policy action lists it); the reads that answer any
// role of the caller's partner from its own records (the inbox, its
// assignments) call this first.
func refuseAnalyst(c *Caller) error {
	if c != nil && c.Role == RoleAnalyst {
		return fmt.Errorf("%w: the analyst role reads the municipality's figures (statistics) and nothing else; sign with an identity of another role", ErrForbidden)
	}
	return nil
}

// ActionAnalystRefused is the audit action of a request the analyst role
// made for anything but the figures, refused before it reached the domain.
const ActionAnalystRefused = "analyst.refused"

// RefuseAnalyst refuses, and audits, a request of the analyst role for
// route (the API's method and path template) when route is not one the
// role needs; nil for every other role. The transports call it for every
// route but the figures and whoami, so that the analyst role reads nothing
// else whatever a domain method would answer.
func (s *Service) RefuseAnalyst(ctx context.Context, c *Caller, route string) error {
	err := refuseAnalyst(c)
	if err == nil {
		return nil
	}
	e := s.auditEntry(c, EventDenial, ActionAnalystRefused)
	e.Decision, e.Reasons, e.Object = DecisionDeny, []string{RefusalForbidden}, route
	if aerr := s.commit(ctx, e, nil, nil); aerr != nil {
		return aerr
	}
	return err
}
