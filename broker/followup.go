package broker

import (
	"slices"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Follow-up states. The lifecycle: open → contacted → closed; open or
// contacted → cancelled (the broker, when the involvements it was about
// end or the household's plan closes). Closing straight from open is
// allowed: a lead may find that no contact is needed.
const (
	FollowupOpen      = "open"
	FollowupContacted = "contacted"
	FollowupClosed    = "closed"
	FollowupCancelled = "cancelled"
)

// Steps of a follow-up, as named in the API and the audit trail.
const (
	FollowupStepOpen     = "open"
	FollowupStepContact  = "contact"
	FollowupStepClose    = "close"
	FollowupStepReassign = "reassign"
	FollowupStepEscalate = "escalate"
	FollowupStepCancel   = "cancel"
)

// Why the broker cancels a follow-up (its Outcome).
const (
	FollowupEndedInvolvements = "betrokkenheid-beeindigd"
	FollowupEndedPlan         = "plan-gesloten"
)

// Followup is a match signal's promise: the household's coordinator (or
// the professional the coordinator names) gets in touch with the other
// partner the match was about, by a due date, and says how it ended. A
// match signal to a partner in a sector the policy data names
// (followups.partner_sectors, at level 2 or higher) opens one too, with
// that partner as lead but nobody named yet: the coordinator names the
// person. One follow-up per household, other partner and recipient of the
// signal is live at a time; a further match with the same partner joins
// it.
type Followup struct {
	ID           string `json:"id"`
	Municipality string `json:"municipality"`
	Household    string `json:"household"`
	// Purpose is the purpose the match signal was decided under; the
	// follow-up's steps are taken under it (doelbinding).
	Purpose string `json:"purpose"`
	// Partner is the other partner: the one whose registration made the
	// match.
	Partner string `json:"partner"`
	// For is the partner whose match signal opened the follow-up when it
	// is not the coordinator's organisation (followups.partner_sectors);
	// empty for the coordinator's own.
	For string `json:"for,omitempty"`
	// Involvements are the ids of Partner's involvements with the
	// household's members that made matches; the follow-up ends when all
	// of them have ended.
	Involvements []string `json:"involvements"`
	// Subjects are the members the matches were about: for the audit
	// trail of every step (and refusals), never shown.
	Subjects    []Pseudonym `json:"subjects"`
	Coordinator Actor       `json:"coordinator"`
	// Lead is who gets in touch. A follow-up opened for a partner's signal
	// names that partner without a person (Sub empty) until the
	// coordinator names one: until then only the coordinator sees it, and
	// its escalations go to the coordinator.
	Lead  Actor  `json:"lead"`
	Due   string `json:"due"` // YYYY-MM-DD
	State string `json:"state"`
	// Escalations counts the escalations sent: 1 after the due date, 2
	// after the second period.
	Escalations int              `json:"escalations"`
	Contact     *FollowupContact `json:"contact,omitempty"`
	Outcome     string           `json:"outcome,omitempty"`
	Steps       []FollowupStep   `json:"steps"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	Revision    uint64           `json:"revision"`
}

// FollowupView is the wire type (connectors/wire), so that the SDK carries
// it without importing the domain.
type FollowupView = wire.FollowupView

// FollowupContact is the wire type (connectors/wire).
type FollowupContact = wire.FollowupContact

// FollowupStep is the wire type (connectors/wire).
type FollowupStep = wire.FollowupStep

// FollowupList is the wire type (connectors/wire).
type FollowupList = wire.FollowupList

// FollowupSignal is the wire type (connectors/wire).
type FollowupSignal = wire.FollowupSignal

// Live reports whether f still asks something of its lead: open or
// contacted.
func (f *Followup) Live() bool { return f.State == FollowupOpen || f.State == FollowupContacted }

// recipient is the partner whose match signal f follows up: For, or the
// coordinator's organisation.
func (f *Followup) recipient() string {
	if f.For != "" {
		return f.For
	}
	return f.Coordinator.Partner
}

// answerable is who answers for f now: its lead, or, while no person of
// the partner it was opened for is named, the coordinator.
func (f *Followup) answerable() Actor {
	if f.Lead.Sub == "" {
		return f.Coordinator
	}
	return f.Lead
}

// overdue reports whether f is live and past its due date on day today
// (YYYY-MM-DD).
func (f *Followup) overdue(today string) bool { return f.Live() && f.Due < today }

// localDay is t's date in the municipalities' calendar (Europe/Amsterdam):
// a follow-up's due date is a Dutch working day, so "today" and the day
// it opened must be Dutch days too, not UTC's (an hour apart in winter).
func (s *Service) localDay(t time.Time) string { return t.In(statisticsZone).Format(dateLayout) }

// view shows f to its lead or coordinator on day today.
func (f *Followup) view(today string) FollowupView {
	v := FollowupView{ID: f.ID, Household: f.Household, Purpose: f.Purpose, Partner: f.Partner, For: f.For,
		Involvements: len(f.Involvements), Coordinator: f.Coordinator, Lead: f.Lead, Due: f.Due, State: f.State,
		Overdue: f.overdue(today), Escalations: f.Escalations, Outcome: f.Outcome, Steps: slices.Clone(f.Steps),
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, Revision: f.Revision}
	if f.Contact != nil {
		c := *f.Contact
		v.Contact = &c
	}
	if v.Steps == nil {
		v.Steps = []FollowupStep{}
	}
	return v
}
