package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The pages of coordinators (regisseurs) and professionals: the inbox,
// households and their overview per purpose, a person's overview, consent,
// assignments and the joint plan. Each calls the same domain method as the
// API does, with the session's caller; the domain decides and audits.

// workRoles are the roles these pages are for.
var workRoles = []broker.Role{broker.RoleCoordinator, broker.RoleProfessional}

func (h *Handler) workPages() {
	h.Nav("Inbox", "/console/", workRoles...)
	h.Nav("Huishoudens", "/console/huishoudens", workRoles...)
	h.Nav("Persoon", "/console/persoon", workRoles...)
	h.Nav("Toestemming", "/console/toestemming", workRoles...)
	h.Nav("Opdrachten", "/console/opdrachten", workRoles...)

	h.Action("GET /console/huishoudens", false, h.households)
	h.Action("GET /console/huishouden", false, h.household)
	h.Action("GET /console/huishouden/overzicht", false, h.householdOverview)
	h.Action("GET /console/huishouden/bewerken", false, h.householdForm)
	h.Action("POST /console/huishouden/bewerken", false, h.householdSave)
	h.Action("GET /console/persoon", false, h.personForm)
	h.Action("POST /console/persoon", false, h.personOverview)
	h.Action("GET /console/toestemming", false, h.consentForm)
	h.Action("POST /console/toestemming", false, h.consentRecord)
	h.Action("POST /console/toestemmingen", false, h.consentList)
	h.Action("POST /console/toestemming/intrekken", false, h.consentWithdraw)
	h.Action("GET /console/opdrachten", false, h.assignments)
	h.Action("GET /console/opdracht", false, h.assignment)
	h.Action("POST /console/opdracht/geven", false, h.assignmentGive)
	h.Action("POST /console/opdracht/stap", false, h.assignmentStep)
	h.Action("GET /console/plan", false, h.plan)
	h.Action("GET /console/plan/afdruk", false, h.planPrint)
	h.Action("GET /console/plan/bewerken", false, h.planForm)
	h.Action("POST /console/plan/bewerken", false, h.planSave)
	h.Action("POST /console/plan/afspraak", false, h.planAgreement)
	h.Action("GET "+livePath, false, h.inboxNew) // live.go
	h.followupPages()                            // followup.go
}

// inboxShown bounds the inbox page: the newest this many items.
const inboxShown = 100

// home is /console/: who is logged in and, for coordinators and
// professionals, the inbox newest first.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	d := view{"S": s, "PartnerName": c.Partner.Name}
	if slices.Contains(workRoles, s.Role) {
		items, more, err := h.inbox(r.Context(), c)
		if err != nil {
			return err
		}
		d["Inbox"], d["Items"], d["More"], d["Newest"] = true, items, more, newestKey(items)
		// The live follow-ups first, overdue ones on top (followup.go).
		fs, err := h.b.Followups(r.Context(), c, broker.FollowupQuery{State: "live"})
		if err != nil {
			return err
		}
		d["Followups"], d["Names"], d["Coordinator"] = fs.Followups, h.names(c), s.Role == broker.RoleCoordinator
	}
	return h.show(w, r, c, s, "home", "Start", d)
}

// inbox reads the partner's inbox and returns the newest items first.
func (h *Handler) inbox(ctx context.Context, c *broker.Caller) ([]broker.InboxView, bool, error) {
	var all []broker.InboxView
	var after uint64
	for range 20 { // at most 10 000 items are read
		pg, err := h.b.Inbox(ctx, c, after, 500, 0)
		if err != nil {
			return nil, false, err
		}
		all = append(all, pg.Items...)
		if pg.Next == "" || len(pg.Items) < 500 {
			break
		}
		if after, err = strconv.ParseUint(pg.Next, 10, 64); err != nil {
			break
		}
	}
	slices.Reverse(all)
	more := len(all) > inboxShown
	if more {
		all = all[:inboxShown]
	}
	return all, more, nil
}

// households is the search form.
func (h *Handler) households(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	ps, err := h.b.Purposes(c)
	if err != nil {
		return err
	}
	return h.show(w, r, c, s, "households", "Huishoudens", ps)
}

// household shows one household: its members and the purposes under
// which an overview may be asked.
func (h *Handler) household(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if id == "" {
		http.Redirect(w, r, "/console/huishoudens", http.StatusSeeOther)
		return nil
	}
	p, err := h.purposeOrFirst(c, r.URL.Query().Get("doel"))
	if err != nil {
		return back(err, "/console/huishoudens", "Een ander huishouden zoeken")
	}
	c.Purpose = p.Code
	hv, err := h.b.Household(r.Context(), c, id)
	if err != nil {
		return back(err, "/console/huishoudens", "Een ander huishouden zoeken")
	}
	purposes, err := h.b.Purposes(c)
	if err != nil {
		return err
	}
	return h.show(w, r, c, s, "household", "Huishouden "+hv.ID, view{"H": hv, "Ref": id, "Purposes": purposes, "P": p,
		"Types": h.b.AssignmentTypes(), "Partners": h.b.Directory(c), "Coordinator": s.Role == broker.RoleCoordinator,
		"Due": time.Now().AddDate(0, 0, 14).Format(time.DateOnly)})
}

// purposeOrFirst is purposeOf, or without a code the first purpose the
// caller may use: a household is looked up and registered under a
// purpose too (the policy decides on household.write under it).
func (h *Handler) purposeOrFirst(c *broker.Caller, code string) (broker.PurposeChoice, error) {
	if code == "" {
		ps, err := h.b.Purposes(c)
		if err != nil {
			return broker.PurposeChoice{}, err
		}
		if len(ps) > 0 {
			return ps[0], nil
		}
	}
	return h.purposeOf(c, code)
}

// purposeOf returns the purpose code of the request's field "doel", if it
// is one the caller may use.
func (h *Handler) purposeOf(c *broker.Caller, code string) (broker.PurposeChoice, error) {
	ps, err := h.b.Purposes(c)
	if err != nil {
		return broker.PurposeChoice{}, err
	}
	for _, p := range ps {
		if p.Code == code {
			return p, nil
		}
	}
	return broker.PurposeChoice{}, &pageError{status: http.StatusBadRequest, title: "Kies een doel",
		text: "Ketenbrug toont alleen iets voor een doel (doelbinding), en dit doel kunt u niet kiezen.",
		next: "Kies een van de doelen die de pagina u aanbiedt.", reason: "purpose_choice"}
}

// householdOverview shows who is involved with a household, under one
// purpose.
func (h *Handler) householdOverview(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	q := r.URL.Query()
	id := q.Get("id")
	backLink := "/console/huishouden?id=" + url.QueryEscape(id)
	p, err := h.purposeOf(c, q.Get("doel"))
	if err != nil {
		return back(err, backLink, "Terug naar het huishouden")
	}
	c.Purpose = p.Code
	o, err := h.b.HouseholdOverview(r.Context(), c, id)
	if err != nil {
		return back(err, backLink, "Terug naar het huishouden")
	}
	return h.show(w, r, c, s, "overview", "Overzicht huishouden "+id, view{"O": o, "P": p, "Ref": id, "Back": backLink})
}

// dateField reads a date field: YYYY-MM-DD (an <input type="date">) or
// dd-mm-jjjj as a person types it; "" stays "".
func dateField(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	for _, layout := range []string{time.DateOnly, "02-01-2006", "2-1-2006"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", errors.New("geen datum")
}

func badDate(field string) error {
	return &pageError{status: http.StatusBadRequest, title: "Niet goed ingevuld",
		text: "Het veld “" + field + "” is geen datum.", next: "Vul de datum in als dd-mm-jjjj en verstuur het formulier opnieuw. Er is niets opgeslagen.",
		reason: "invalid_date"}
}

// memberRows is how many member rows the household form offers.
func memberRows(r *http.Request, have int) int {
	n, _ := strconv.Atoi(r.URL.Query().Get("rijen"))
	return min(max(n, have+2, 3), 20)
}

// householdForm registers a household or changes one: its members by
// label, role, date of birth and BSN (typed again: Ketenbrug keeps no
// readable BSN to fill in).
func (h *Handler) householdForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.URL.Query().Get("id")
	p, err := h.purposeOrFirst(c, r.URL.Query().Get("doel"))
	if err != nil {
		return back(err, "/console/huishoudens", "Naar huishoudens")
	}
	c.Purpose = p.Code
	ps, err := h.b.Purposes(c)
	if err != nil {
		return err
	}
	d := view{"Ref": id, "Municipalities": c.Partner.Municipalities, "P": p, "Purposes": ps}
	var members []broker.MemberView
	if id != "" {
		hv, err := h.b.Household(r.Context(), c, id)
		if err != nil {
			return back(err, "/console/huishoudens", "Naar huishoudens")
		}
		d["H"], members = hv, hv.Members
	}
	rows := make([]broker.MemberView, memberRows(r, len(members)))
	copy(rows, members)
	d["Rows"], d["More"] = rows, len(rows)+3
	title := "Nieuw huishouden"
	if id != "" {
		title = "Huishouden " + id + " bewerken"
	}
	return h.show(w, r, c, s, "household_form", title, d)
}

// householdSave stores the household of the form.
func (h *Handler) householdSave(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	f := r.PostForm
	id := strings.TrimSpace(f.Get("id"))
	formLink := "/console/huishouden/bewerken?id=" + url.QueryEscape(id)
	p, err := h.purposeOf(c, f.Get("doel"))
	if err != nil {
		return back(err, formLink, "Terug naar het formulier")
	}
	c.Purpose = p.Code
	in := broker.HouseholdInput{Municipality: f.Get("gemeente"), Area: strings.TrimSpace(f.Get("gebied"))}
	labels, roles, births, bsns := f["label"], f["rol"], f["geboortedatum"], f["bsn"]
	for i := range labels {
		label := strings.TrimSpace(labels[i])
		bsn := strings.TrimSpace(at(bsns, i))
		if label == "" && bsn == "" {
			continue
		}
		m := broker.MemberInput{Label: label, BSN: bsn, Role: at(roles, i)}
		date, err := dateField(at(births, i))
		if err != nil {
			return back(badDate("geboortedatum"), formLink, "Terug naar het formulier")
		}
		setBirth(&m, date)
		in.Members = append(in.Members, m)
	}
	hv, err := h.b.PutHousehold(r.Context(), c, id, in)
	if err != nil {
		return back(err, formLink, "Terug naar het formulier")
	}
	http.Redirect(w, r, "/console/huishouden?"+url.Values{"id": {hv.ID}, "doel": {p.Code}}.Encode(), http.StatusSeeOther)
	return nil
}

func at(vs []string, i int) string {
	if i < len(vs) {
		return vs[i]
	}
	return ""
}

// personForm asks for a BSN (a POSTed field, never in the URL).
func (h *Handler) personForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	ps, err := h.b.Purposes(c)
	if err != nil {
		return err
	}
	return h.show(w, r, c, s, "person", "Persoon opzoeken", view{"Purposes": ps, "Municipalities": c.Partner.Municipalities})
}

// personOverview answers the POST itself: the BSN goes nowhere else (no
// redirect, no link carries it).
func (h *Handler) personOverview(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	p, err := h.purposeOf(c, r.PostForm.Get("doel"))
	if err != nil {
		return back(err, "/console/persoon", "Terug naar het formulier")
	}
	c.Purpose = p.Code
	o, err := h.b.PersonOverview(r.Context(), c, strings.TrimSpace(r.PostForm.Get("bsn")), r.PostForm.Get("gemeente"))
	if err != nil {
		return back(err, "/console/persoon", "Terug naar het formulier")
	}
	ps, _ := h.b.Purposes(c)
	return h.show(w, r, c, s, "person", "Persoon opzoeken", view{"Purposes": ps, "Municipalities": c.Partner.Municipalities,
		"O": o, "P": p})
}

// sectorChoices are the sectors a consent may name.
var sectorChoices = []broker.Sector{broker.SectorMunicipality, broker.SectorEducation, broker.SectorWorkIncome,
	broker.SectorDebt, broker.SectorYouth, broker.SectorSocialServices, broker.SectorWMO, broker.SectorHealth, broker.SectorOther}

func (h *Handler) consentView(c *broker.Caller) (view, error) {
	ps, err := h.b.Purposes(c)
	if err != nil {
		return nil, err
	}
	return view{"Purposes": ps, "Sectors": sectorChoices, "Partners": h.b.Directory(c),
		"GivenBy": broker.GivenByValues, "Today": time.Now().Format(time.DateOnly)}, nil
}

// consentForm records a consent and looks up a person's consents.
func (h *Handler) consentForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	d, err := h.consentView(c)
	if err != nil {
		return err
	}
	return h.show(w, r, c, s, "consent", "Toestemming", d)
}

// consentRecord records the consent of the form and shows it; the BSN is
// not echoed.
func (h *Handler) consentRecord(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	f := r.PostForm
	formLink := "/console/toestemming"
	from, err := dateField(f.Get("vanaf"))
	if err != nil {
		return back(badDate("geldig vanaf"), formLink, "Terug naar het formulier")
	}
	until, err := dateField(f.Get("tot"))
	if err != nil {
		return back(badDate("geldig tot en met"), formLink, "Terug naar het formulier")
	}
	in := broker.Consent{Purpose: f.Get("doel"), GivenBy: f.Get("gegeven_door"), Evidence: strings.TrimSpace(f.Get("bewijs")),
		ValidFrom: from, ValidUntil: until, AllSectors: f.Get("alle") == "ja", Partners: f["organisatie"],
		Explicit: f.Get("uitdrukkelijk") == "ja", NotConditional: f.Get("niet_voorwaardelijk") == "ja"}
	for _, sec := range f["sector"] {
		in.Sectors = append(in.Sectors, broker.Sector(sec))
	}
	if _, err := h.purposeOf(c, in.Purpose); err != nil {
		return back(err, formLink, "Terug naar het formulier")
	}
	c.Purpose = in.Purpose
	cv, err := h.b.RecordConsent(r.Context(), c, strings.TrimSpace(f.Get("bsn")), in)
	if err != nil {
		return back(err, formLink, "Terug naar het formulier")
	}
	d, err := h.consentView(c)
	if err != nil {
		return err
	}
	d["Recorded"] = cv
	return h.show(w, r, c, s, "consent", "Toestemming vastgelegd", d)
}

// consentList shows a person's consents (BSN posted), each with a form
// to withdraw it.
func (h *Handler) consentList(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	p, err := h.purposeOrFirst(c, r.PostForm.Get("doel"))
	if err != nil {
		return back(err, "/console/toestemming", "Terug naar toestemming")
	}
	c.Purpose = p.Code
	list, err := h.b.Consents(r.Context(), c, strings.TrimSpace(r.PostForm.Get("bsn")), "")
	if err != nil {
		return back(err, "/console/toestemming", "Terug naar toestemming")
	}
	d, err := h.consentView(c)
	if err != nil {
		return err
	}
	d["List"], d["Listed"], d["P"] = list.Consents, true, p
	return h.show(w, r, c, s, "consent", "Toestemmingen", d)
}

// consentWithdraw withdraws one consent by its id.
func (h *Handler) consentWithdraw(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	p, err := h.purposeOrFirst(c, r.PostForm.Get("doel"))
	if err != nil {
		return back(err, "/console/toestemming", "Terug naar toestemming")
	}
	c.Purpose = p.Code
	cv, err := h.b.WithdrawConsent(r.Context(), c, r.PostForm.Get("id"), strings.TrimSpace(r.PostForm.Get("reden")))
	if err != nil {
		return back(err, "/console/toestemming", "Terug naar toestemming")
	}
	d, err := h.consentView(c)
	if err != nil {
		return err
	}
	d["Withdrawn"] = cv
	return h.show(w, r, c, s, "consent", "Toestemming ingetrokken", d)
}

// assignments lists the partner's assignments, given and received.
func (h *Handler) assignments(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	list, err := h.b.Assignments(r.Context(), c, broker.AssignmentQuery{})
	if err != nil {
		return err
	}
	return h.show(w, r, c, s, "assignments", "Opdrachten", view{"List": list.Assignments})
}

// assignment shows one assignment with the steps the viewer's side may
// take.
func (h *Handler) assignment(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	a, err := h.b.Assignment(r.Context(), c, r.URL.Query().Get("id"))
	if err != nil {
		return back(err, "/console/opdrachten", "Naar de opdrachten")
	}
	return h.show(w, r, c, s, "assignment", "Opdracht "+a.Type, view{"A": a})
}

// assignmentGive gives an assignment from the household page.
func (h *Handler) assignmentGive(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	f := r.PostForm
	hh := f.Get("huishouden")
	backLink := "/console/huishouden?id=" + url.QueryEscape(hh)
	p, err := h.purposeOf(c, f.Get("doel"))
	if err != nil {
		return back(err, backLink, "Terug naar het huishouden")
	}
	due, err := dateField(f.Get("uiterlijk"))
	if err != nil {
		return back(badDate("uiterlijk"), backLink, "Terug naar het huishouden")
	}
	c.Purpose = p.Code
	a, err := h.b.GiveAssignment(r.Context(), c, broker.AssignmentInput{Household: hh, Recipient: f.Get("ontvanger"),
		Type: f.Get("soort"), Instruction: strings.TrimSpace(f.Get("opdracht")), Due: due})
	if err != nil {
		return back(err, backLink, "Terug naar het huishouden")
	}
	http.Redirect(w, r, "/console/opdracht?id="+url.QueryEscape(a.ID), http.StatusSeeOther)
	return nil
}

// assignmentStep takes a step (accept, decline with a reason, complete
// with an outcome, cancel), under the assignment's own purpose.
func (h *Handler) assignmentStep(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.PostForm.Get("id")
	backLink := "/console/opdracht?id=" + url.QueryEscape(id)
	a, err := h.b.Assignment(r.Context(), c, id)
	if err != nil {
		return back(err, "/console/opdrachten", "Naar de opdrachten")
	}
	c.Purpose = a.Purpose
	if _, err := h.b.StepAssignment(r.Context(), c, id, r.PostForm.Get("stap"), strings.TrimSpace(r.PostForm.Get("tekst"))); err != nil {
		return back(err, backLink, "Terug naar de opdracht")
	}
	http.Redirect(w, r, backLink, http.StatusSeeOther)
	return nil
}
