package wire

import "time"

// InboxView is an inbox item as its recipient sees it.
type InboxView struct {
	ID        string            `json:"id"`
	Kind      string            `json:"kind"`
	Created   time.Time         `json:"created"`
	Household string            `json:"household,omitempty"`
	Ref       string            `json:"ref,omitempty"`
	About     *ShownInvolvement `json:"about,omitempty"`
	Acked     bool              `json:"acked"`
	// Assignment is set on an assignment item, Plan on a plan change.
	Assignment *AssignmentView `json:"assignment,omitempty"`
	Plan       *PlanSignal     `json:"plan,omitempty"`
	// Rectification is set on a rectification notice (AVG art. 19),
	// Inform on a request to inform the person (AVG art. 14).
	Rectification *RectificationSignal `json:"rectification,omitempty"`
	Inform        *InformSignal        `json:"inform,omitempty"`
	// Followup is set on a signal about a match follow-up (opened,
	// reassigned, overdue).
	Followup *FollowupSignal `json:"followup,omitempty"`
}

// InboxPage is a page of inbox items.
type InboxPage struct {
	Items []InboxView `json:"items"`
	// Next is the cursor for the next call (the last item's id).
	Next string `json:"next,omitempty"`
}

// AssignmentStep records one step of the lifecycle: who took it and when.
type AssignmentStep struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	By     Actor     `json:"by"`
}

// AssignmentView is an assignment as its giver or recipient sees it.
type AssignmentView struct {
	ID          string `json:"id"`
	Household   string `json:"household"`
	Purpose     string `json:"purpose"`
	Type        string `json:"type"`
	Instruction string `json:"instruction,omitempty"`
	Due         string `json:"due"`
	Giver       Actor  `json:"giver"`
	Recipient   string `json:"recipient"`
	// Side is the viewer's side: "giver" or "recipient".
	Side string `json:"side"`
	// YourRefs are, for the recipient, its own involvement references with
	// the household's members.
	YourRefs  []string         `json:"your_refs,omitempty"`
	Status    string           `json:"status"`
	Reason    string           `json:"reason,omitempty"`
	Outcome   string           `json:"outcome,omitempty"`
	Steps     []AssignmentStep `json:"steps"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
	Revision  uint64           `json:"revision"`
}

// Actor is a partner and the person acting for it.
type Actor struct {
	Partner string `json:"partner"`
	Sub     string `json:"sub"`
}

// PlanSignal is what a participant's inbox says about a change: no
// content, only that (and in short what) changed.
type PlanSignal struct {
	Household string    `json:"household"`
	Version   uint64    `json:"version"`
	Status    string    `json:"status"`
	Change    string    `json:"change"`
	ChangedBy Actor     `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

// RectificationSignal says that an involvement the recipient was shown was
// corrected or ended (AVG art. 19). It names the fields that changed, not
// their new values: the recipient asks again, under the policy.
type RectificationSignal struct {
	// Changed names the changed fields the recipient was shown (service,
	// status, period, contact), and "person" when the involvement no
	// longer holds for the person it was shown of.
	Changed []string `json:"changed"`
	// Ended says that the involvement has ended.
	Ended bool `json:"ended,omitempty"`
	// Partner is whose involvement it is, when the recipient was shown that.
	Partner string `json:"partner,omitempty"`
	// ShownAt is when the recipient was last shown the involvement.
	ShownAt time.Time `json:"shown_at"`
	// Request is the recipient's own request that showed it, when neither
	// an own reference nor a household names the person to it.
	Request string `json:"request,omitempty"`
}

// InformSignal asks its recipient to inform the person (AVG art. 14) of a
// registration in the broker or of a disclosure under a statute purpose.
// It names the household and the member by label, never a BSN.
type InformSignal struct {
	// Event is "registration" (a partner registered that it serves the
	// person) or "disclosure" (an overview showed the person's
	// involvements under a statute purpose).
	Event string `json:"event"`
	// Action is the broker action: involvement.write, household.overview,
	// person.overview.
	Action string `json:"action"`
	// By is the partner that registered, or that was shown the data.
	By      string `json:"by"`
	Purpose string `json:"purpose,omitempty"`
	// Grounds is consent or statute; Basis the legal basis the purpose's
	// rule cites, Bases those the decision recorded.
	Grounds string   `json:"grounds,omitempty"`
	Basis   string   `json:"basis,omitempty"`
	Bases   []string `json:"bases,omitempty"`
	// Members are the persons concerned, by their label in the household.
	Members []InformMember `json:"members"`
	// Exceptions reminds the recipient that it judges the exceptions of
	// AVG art. 14 lid 5 (and UAVG art. 41), not the broker.
	Exceptions string `json:"exceptions"`
}

// InformMember is one person an inform signal is about.
type InformMember struct {
	Label string `json:"label"`
	// Partners are the partners whose involvements were registered or shown.
	Partners []string `json:"partners"`
	// Fields names what was shown of them (partner, contact, service,
	// status, period); empty for a registration.
	Fields []string `json:"fields,omitempty"`
}

// ShownInvolvement is an involvement with only the fields the policy
// allowed; the others are absent.
type ShownInvolvement struct {
	Partner      string   `json:"partner,omitempty"`
	PartnerName  string   `json:"partner_name,omitempty"`
	Sector       Sector   `json:"sector,omitempty"`
	Contact      *Contact `json:"contact,omitempty"`
	Service      string   `json:"service,omitempty"`
	ServiceLabel string   `json:"service_label,omitempty"`
	Status       string   `json:"status,omitempty"`
	Start        string   `json:"start,omitempty"`
	End          string   `json:"end,omitempty"`
}

// Contact is the professional to call about an involvement.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}
