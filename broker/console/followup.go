package console

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The follow-ups of matches (issue 19): a match signal to a household's
// coordinator opens a follow-up with a lead and a due date. The inbox
// shows the caller's live follow-ups first, overdue ones on top
// (Broker.Followups sorts them so); /console/opvolging/{id} shows one with
// its history and the forms of its steps: record a contact, close with
// an outcome from the policy data and, for the coordinator, name another
// lead. The domain decides who may see or step a follow-up; to anyone but
// its lead and coordinator it answers as for an id never used, and the
// console shows that as the same not-found page.

func (h *Handler) followupPages() {
	h.Action("GET /console/opvolging/{id}", false, h.followup)
	h.Action("POST /console/opvolging/{id}/contact", false, h.followupContact)
	h.Action("POST /console/opvolging/{id}/afronden", false, h.followupClose)
	h.Action("POST /console/opvolging/{id}/trekker", false, h.followupReassign)
}

// followupPath is the page of follow-up id.
func followupPath(id string) string { return "/console/opvolging/" + id }

// followupStates are the states as a person reads them.
var followupStates = map[string]string{
	broker.FollowupOpen:      "Open",
	broker.FollowupContacted: "Contact gelegd",
	broker.FollowupClosed:    "Afgerond",
	broker.FollowupCancelled: "Vervallen",
}

// followupStepNames are the steps of the history as a person reads them.
var followupStepNames = map[string]string{
	broker.FollowupStepOpen:     "Geopend met het matchsignaal",
	broker.FollowupStepContact:  "Contact vastgelegd",
	broker.FollowupStepClose:    "Afgerond",
	broker.FollowupStepReassign: "Andere trekker",
	broker.FollowupStepEscalate: "Te laat: gemeld aan de trekker en de teamleider",
	broker.FollowupStepCancel:   "Vervallen",
}

// followupEnds say why the broker cancelled a follow-up.
var followupEnds = map[string]string{
	broker.FollowupEndedInvolvements: "De betrokkenheid waar de match over ging is beëindigd",
	broker.FollowupEndedPlan:         "Het plan van het huishouden is gesloten",
}

// followupSignalReasons say why an inbox item tells of a follow-up.
var followupSignalReasons = map[string]string{
	"opened":        "geopend",
	"reassigned":    "u bent de trekker",
	"overdue":       "te laat",
	"overdue-again": "opnieuw te laat",
}

// defaultOutcomes are the outcomes of the policy data shipped with
// Ketenbrug (rego/data.json, followups.outcomes), offered when the domain
// cannot say which outcomes the active policy has. Whatever is chosen,
// the policy decides (outcome_unknown).
var defaultOutcomes = []outcomeChoice{
	{"afgestemd", "Afgestemd: de professionals werken samen verder"},
	{"geen-actie-nodig", "Geen actie nodig"},
	{"overgedragen", "Overgedragen aan de andere professional"},
	{"niet-bereikt", "Andere professional niet bereikt"},
}

// outcomeChoice is an outcome a close may name.
type outcomeChoice struct{ Code, Name string }

// outcomeSource is what a Broker offers when it can read the outcomes
// (code → name) of the active policy's data; the console then offers
// those instead of defaultOutcomes.
type outcomeSource interface {
	FollowupOutcomes() map[string]string
}

// outcomes are the outcomes the close form offers.
func (h *Handler) outcomes() []outcomeChoice {
	src, ok := h.b.(outcomeSource)
	if !ok {
		return defaultOutcomes
	}
	m := src.FollowupOutcomes()
	if len(m) == 0 {
		return defaultOutcomes
	}
	out := make([]outcomeChoice, 0, len(m))
	for _, code := range slices.Sorted(maps.Keys(m)) {
		out = append(out, outcomeChoice{Code: code, Name: cmpOr(m[code], code)})
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// outcomeName is an outcome's (or a cancellation's) name.
func (h *Handler) outcomeName(code string) string {
	if n, ok := followupEnds[code]; ok {
		return n
	}
	for _, o := range h.outcomes() {
		if o.Code == code {
			return o.Name
		}
	}
	for _, o := range defaultOutcomes {
		if o.Code == code {
			return o.Name
		}
	}
	return code
}

// followupFuncs are the template functions of the follow-up pages.
var followupFuncs = map[string]any{
	"followupState": func(s string) string { return cmpOr(followupStates[s], s) },
	"followupReason": func(s string) string {
		return cmpOr(followupSignalReasons[s], s)
	},
}

// partnerNames are the names of the partners the caller may choose from
// (the directory) and its own.
func (h *Handler) partnerNames(c *broker.Caller) (map[string]string, []broker.DirectoryEntry) {
	dir := h.b.Directory(c)
	names := map[string]string{c.Partner.ID: c.Partner.Name}
	for _, d := range dir {
		names[d.ID] = d.Name
	}
	own := broker.DirectoryEntry{ID: c.Partner.ID, Name: c.Partner.Name, Sector: c.Partner.Sector}
	return names, append([]broker.DirectoryEntry{own}, dir...)
}

// names are partnerNames' names.
func (h *Handler) names(c *broker.Caller) map[string]string {
	names, _ := h.partnerNames(c)
	return names
}

// actorName shows a person of a partner: "s.bos (Gemeente Amersfoort)".
func actorName(a broker.Actor, names map[string]string) string {
	if a.Partner == "ketenbrug" && a.Sub == "broker" {
		return "Ketenbrug"
	}
	p := cmpOr(names[a.Partner], a.Partner)
	if a.Sub == "" {
		return p
	}
	return a.Sub + " (" + p + ")"
}

// followupRow is one step of the history.
type followupRow struct {
	At     time.Time
	Step   string
	State  string
	By     string
	Detail string
}

// followupRows shows the steps of f, oldest first.
func (h *Handler) followupRows(f broker.FollowupView, names map[string]string) []followupRow {
	rows := make([]followupRow, 0, len(f.Steps))
	for _, st := range f.Steps {
		r := followupRow{At: st.At, Step: cmpOr(followupStepNames[st.Step], st.Step), State: cmpOr(followupStates[st.State], st.State),
			By: actorName(st.By, names)}
		switch st.Step {
		case broker.FollowupStepContact:
			with, on, _ := strings.Cut(st.Detail, " ")
			r.Detail = "Met " + cmpOr(names[with], with)
			if t, err := time.Parse(time.DateOnly, on); err == nil {
				r.Detail += " op " + t.Format("02-01-2006")
			}
		case broker.FollowupStepClose, broker.FollowupStepCancel:
			if st.Detail != "" {
				r.Detail = h.outcomeName(st.Detail)
			}
		case broker.FollowupStepEscalate:
			r.Detail = map[string]string{"1": "Eerste melding", "2": "Tweede melding"}[st.Detail]
		case broker.FollowupStepReassign:
			partner, sub, _ := strings.Cut(st.Detail, "/")
			r.Detail = "Nieuwe trekker: " + actorName(broker.Actor{Partner: partner, Sub: sub}, names)
		default:
			r.Detail = st.Detail
		}
		rows = append(rows, r)
	}
	return rows
}

// followupID reads the path's id. An id that cannot be one is answered
// as one that does not exist.
func followupID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !broker.ValidID(id) {
		return "", fmt.Errorf("follow-up %q: %w", id, broker.ErrNotFound)
	}
	return id, nil
}

// followup shows one follow-up to its lead or coordinator.
func (h *Handler) followup(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id, err := followupID(r)
	if err != nil {
		return back(err, "/console/", "Naar de inbox")
	}
	f, err := h.b.Followup(r.Context(), c, id)
	if err != nil {
		return back(err, "/console/", "Naar de inbox")
	}
	names, choices := h.partnerNames(c)
	me := broker.Actor{Partner: c.Partner.ID, Sub: c.Sub}
	live := f.State == broker.FollowupOpen || f.State == broker.FollowupContacted
	d := view{"F": f, "Names": names, "Choices": choices, "Steps": h.followupRows(f, names),
		"PartnerName":     cmpOr(names[f.Partner], f.Partner),
		"Lead":            actorName(f.Lead, names),
		"CoordinatorName": actorName(f.Coordinator, names),
		"Live":            live,
		"IsCoordinator":   live && s.Role == broker.RoleCoordinator && f.Coordinator == me,
		"Outcomes":        h.outcomes(),
		"Today":           h.cfg.Now().In(amsterdam).Format(time.DateOnly),
		"Created":         f.CreatedAt.In(amsterdam).Format(time.DateOnly),
		"OutcomeName":     h.outcomeName(f.Outcome),
		// A follow-up opened for another partner's match signal has no
		// person as lead until the coordinator names one.
		"Unassigned": live && f.Lead.Sub == "",
		"ForName":    cmpOr(names[f.For], f.For)}
	if f.Contact != nil {
		d["ContactWith"] = cmpOr(names[f.Contact.With], f.Contact.With)
	}
	return h.show(w, r, c, s, "followup", "Opvolging huishouden "+f.Household, d)
}

// stepFollowup takes step on the follow-up of the request with in, under
// the follow-up's own purpose, and returns to its page.
func (h *Handler) stepFollowup(w http.ResponseWriter, r *http.Request, c *broker.Caller, step string, in broker.FollowupStepInput) error {
	id, err := followupID(r)
	if err != nil {
		return back(err, "/console/", "Naar de inbox")
	}
	f, err := h.b.Followup(r.Context(), c, id)
	if err != nil {
		return back(err, "/console/", "Naar de inbox")
	}
	if opened := f.CreatedAt.In(amsterdam).Format(time.DateOnly); in.On != "" && in.On < opened {
		return backToFollowup(&pageError{status: http.StatusBadRequest, title: "Niet goed ingevuld",
			text:   "De datum van het contact ligt vóór de dag waarop de opvolging begon (" + f.CreatedAt.In(amsterdam).Format("02-01-2006") + ").",
			next:   "Vul de dag van het contact in, op of na die dag, en verstuur het formulier opnieuw. Er is niets opgeslagen.",
			reason: "invalid_date"}, followupPath(id))
	}
	c.Purpose = f.Purpose
	if _, err := h.b.StepFollowup(r.Context(), c, id, step, in); err != nil {
		return back(err, followupPath(id), "Terug naar de opvolging")
	}
	http.Redirect(w, r, followupPath(id), http.StatusSeeOther)
	return nil
}

// followupContact records a contact: with whom (the other partner unless
// the form says otherwise) and on which day (today unless given).
func (h *Handler) followupContact(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ *broker.ConsoleSession) error {
	link := followupPath(r.PathValue("id"))
	on, err := dateField(r.PostForm.Get("op"))
	if err != nil {
		return backToFollowup(badDate("datum van het contact"), link)
	}
	if on > h.cfg.Now().In(amsterdam).Format(time.DateOnly) {
		return backToFollowup(&pageError{status: http.StatusBadRequest, title: "Niet goed ingevuld",
			text:   "De datum van het contact ligt in de toekomst.",
			next:   "Leg een contact vast op of na de dag waarop het er was: vul die datum in (dd-mm-jjjj) en verstuur het formulier opnieuw. Er is niets opgeslagen.",
			reason: "invalid_date"}, link)
	}
	return h.stepFollowup(w, r, c, broker.FollowupStepContact,
		broker.FollowupStepInput{With: strings.TrimSpace(r.PostForm.Get("met")), On: on})
}

// followupClose closes with the outcome chosen.
func (h *Handler) followupClose(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ *broker.ConsoleSession) error {
	outcome := r.PostForm.Get("afloop")
	if outcome == "" {
		return backToFollowup(&pageError{status: http.StatusBadRequest, title: "Kies een afloop",
			text:   "U heeft geen afloop gekozen. " + deniedText[broker.ReasonOutcomeUnknown],
			next:   "Ga terug naar de opvolging, kies hoe de match is afgelopen en klik opnieuw op Afronden. Er is niets opgeslagen.",
			reason: broker.ReasonOutcomeUnknown}, followupPath(r.PathValue("id")))
	}
	return h.stepFollowup(w, r, c, broker.FollowupStepClose, broker.FollowupStepInput{Outcome: outcome})
}

// followupReassign names another lead: a person of a partner.
func (h *Handler) followupReassign(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ *broker.ConsoleSession) error {
	partner, sub := r.PostForm.Get("organisatie"), strings.TrimSpace(r.PostForm.Get("persoon"))
	if partner == "" || sub == "" {
		return backToFollowup(&pageError{status: http.StatusBadRequest, title: "Niet goed ingevuld",
			text:   "Een trekker is een persoon van een organisatie: de organisatie en de persoon zijn allebei nodig.",
			next:   "Ga terug naar de opvolging, kies de organisatie, vul de gebruikersnaam van de persoon in en verstuur het formulier opnieuw. Er is niets opgeslagen.",
			reason: "invalid"}, followupPath(r.PathValue("id")))
	}
	return h.stepFollowup(w, r, c, broker.FollowupStepReassign,
		broker.FollowupStepInput{Lead: &broker.Actor{Partner: partner, Sub: sub}})
}

// backToFollowup points the next step of a form's own error page (a
// *pageError, which back leaves alone) at the follow-up's page.
func backToFollowup(err error, link string) error {
	p, ok := err.(*pageError)
	if !ok {
		return back(err, link, "Terug naar de opvolging")
	}
	cp := *p
	cp.link, cp.label = link, "Terug naar de opvolging"
	return &cp
}
