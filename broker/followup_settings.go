package broker

import (
	"encoding/json"
	"maps"
	"time"

	"github.com/ketenbrug/ketenbrug/broker/workdays"
)

// Defaults of the follow-up periods when the policy data does not say
// (followups.due_working_days, followups.escalate_again_working_days).
const (
	DefaultFollowupDueWorkingDays   = 10
	DefaultFollowupAgainWorkingDays = 5
	// MinFollowupPartnerLevel is the lowest ambition level at which a
	// partner's match signal opens a follow-up: consulting many chain
	// partners (level 2). followups.partner_min_level may raise it, not
	// lower it.
	MinFollowupPartnerLevel = 2
)

// followupSettings are the policy data the follow-ups read: the periods
// and the outcomes a lead may close with. The policy decides who may lead,
// see and close (followups.rego); the broker needs the periods itself to
// set due dates and escalate when nobody asks.
type followupSettings struct {
	version   string
	dueDays   int
	againDays int
	outcomes  map[string]string // code → name
	calendar  workdays.Calendar
	// partnerSectors are the sectors whose partners' match signals open a
	// follow-up too (followups.partner_sectors; none by default), from
	// partnerLevel up.
	partnerSectors map[Sector]bool
	partnerLevel   int
}

// followupConfig is the part of the policy data the follow-ups read.
type followupConfig struct {
	Followups struct {
		DueWorkingDays          *int              `json:"due_working_days"`
		EscalateAgainWorkingDay *int              `json:"escalate_again_working_days"`
		Outcomes                map[string]string `json:"outcomes"`
		ClosedDays              []string          `json:"closed_days"`
		PartnerSectors          []string          `json:"partner_sectors"`
		PartnerMinLevel         *int              `json:"partner_min_level"`
	} `json:"followups"`
}

// followupSettings returns the follow-up settings of the active policy,
// read once per policy version.
func (s *Service) followupSettings() *followupSettings {
	d := s.cfg.Policy.Describe()
	if cur := s.followups.Load(); cur != nil && d.Version != "" && cur.version == d.Version {
		return cur
	}
	set := &followupSettings{version: d.Version, dueDays: DefaultFollowupDueWorkingDays,
		againDays: DefaultFollowupAgainWorkingDays, outcomes: map[string]string{}, partnerSectors: map[Sector]bool{},
		partnerLevel: MinFollowupPartnerLevel}
	var cfg followupConfig
	if len(d.Config) > 0 && json.Unmarshal(d.Config, &cfg) == nil {
		f := cfg.Followups
		if n := f.DueWorkingDays; n != nil && *n > 0 && *n <= 250 {
			set.dueDays = *n
		}
		if n := f.EscalateAgainWorkingDay; n != nil && *n > 0 && *n <= 250 {
			set.againDays = *n
		}
		for code, name := range f.Outcomes {
			set.outcomes[code] = name
		}
		for _, sector := range f.PartnerSectors {
			set.partnerSectors[Sector(sector)] = true
		}
		if n := f.PartnerMinLevel; n != nil && *n > set.partnerLevel {
			set.partnerLevel = *n
		}
		// A closed day that is not a date is ignored here; the policy's
		// own tests refuse it before the version can be activated.
		set.calendar, _ = workdays.NewCalendar(f.ClosedDays...)
	}
	s.followups.Store(set)
	return set
}

// opensFor reports whether a match signal to partner p, about a household
// of a municipality at level municipalityLevel, opens a follow-up for p:
// p's sector is named and the lower of the two levels reaches the
// minimum.
func (f *followupSettings) opensFor(p *Partner, municipalityLevel int) bool {
	return f.partnerSectors[p.Sector] && EffectiveLevel(p.Level, municipalityLevel) >= f.partnerLevel
}

// due is the due date of a follow-up opened at t.
func (f *followupSettings) due(t time.Time) string {
	return f.calendar.AddWorkingDays(t, f.dueDays).Format(dateLayout)
}

// againAfter is the day after which a follow-up due on due escalates a
// second time.
func (f *followupSettings) againAfter(due string) string {
	d, err := time.Parse(dateLayout, due)
	if err != nil {
		return due
	}
	return f.calendar.AddWorkingDays(d, f.againDays).Format(dateLayout)
}

// FollowupOutcomes returns the outcomes a follow-up may be closed with,
// code → name, from the active policy's data (followups.outcomes): what the
// console offers. The policy decides a close (outcome_unknown); this only
// lists.
func (s *Service) FollowupOutcomes() map[string]string {
	return maps.Clone(s.followupSettings().outcomes)
}
