package wire

import "time"

// FollowupView is a match follow-up as its lead and the household's
// coordinator see it: who leads it, by when, what has been done.
type FollowupView struct {
	ID        string `json:"id"`
	Household string `json:"household"`
	Purpose   string `json:"purpose"`
	// Partner is the other partner the match was about: the professional
	// to get in touch with.
	Partner string `json:"partner"`
	// For is the partner whose match signal opened the follow-up, when it
	// is not the coordinator's organisation (a partner the policy names,
	// followups.partner_sectors); empty for the coordinator's own.
	For string `json:"for,omitempty"`
	// Involvements counts the registrations of Partner with the
	// household's members the follow-up is about.
	Involvements int   `json:"involvements"`
	Coordinator  Actor `json:"coordinator"`
	// Lead is who gets in touch; a lead without sub is a partner whose
	// person the coordinator has yet to name.
	Lead Actor  `json:"lead"`
	Due  string `json:"due"` // YYYY-MM-DD
	// State is open, contacted, closed or cancelled.
	State string `json:"state"`
	// Overdue is true for an open or contacted follow-up past its due
	// date.
	Overdue bool `json:"overdue"`
	// Escalations counts the escalations sent (0, 1 or 2).
	Escalations int              `json:"escalations"`
	Contact     *FollowupContact `json:"contact,omitempty"`
	// Outcome is the code of the outcome a closed follow-up ended with
	// (from the policy data), or why it was cancelled.
	Outcome   string         `json:"outcome,omitempty"`
	Steps     []FollowupStep `json:"steps"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Revision  uint64         `json:"revision"`
}

// FollowupContact says with whom and on which day the lead got in touch.
type FollowupContact struct {
	// With is the partner contacted.
	With string `json:"with"`
	// On is the day of the contact, YYYY-MM-DD.
	On string `json:"on"`
}

// FollowupStep records one step of a follow-up: its state after the step,
// who took it (the broker itself for an escalation or an automatic end)
// and when, and what the step was.
type FollowupStep struct {
	Step  string    `json:"step"`
	State string    `json:"state"`
	At    time.Time `json:"at"`
	By    Actor     `json:"by"`
	// Detail is the outcome, the new lead or the contacted partner.
	Detail string `json:"detail,omitempty"`
}

// FollowupList is the follow-ups a person leads or coordinates: open and
// overdue first.
type FollowupList struct {
	Followups []FollowupView `json:"followups"`
}

// FollowupSignal is what an inbox item about a follow-up says: which
// follow-up, and why the recipient hears of it.
type FollowupSignal struct {
	ID        string `json:"id"`
	Household string `json:"household"`
	Due       string `json:"due"`
	State     string `json:"state"`
	// Reason is opened, reassigned, overdue or overdue-again.
	Reason string `json:"reason"`
	Lead   Actor  `json:"lead"`
	// To is the person the signal is for: the lead, or the
	// municipality's team lead on an escalation.
	To Actor `json:"to"`
}
