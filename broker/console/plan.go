package console

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The joint plan of a household (ambition level 4): shown, printed for the
// household meeting, and edited with If-Match. An edit made on a version
// that is no longer the latest is not an error page but a merge page: your
// version, the current one, or a combination of both.

// planLink is the plan page of household id under purpose.
func planLink(page, id, purpose string) string {
	return "/console/" + page + "?" + url.Values{"id": {id}, "doel": {purpose}}.Encode()
}

// planPurpose reads the purpose of a plan request; without one the page
// asks for it.
func (h *Handler) planPurpose(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, id string) (broker.PurposeChoice, bool, error) {
	code := r.URL.Query().Get("doel")
	if r.Method == http.MethodPost {
		code = r.PostForm.Get("doel")
	}
	if code == "" {
		ps, err := h.b.Purposes(c)
		if err != nil {
			return broker.PurposeChoice{}, false, err
		}
		return broker.PurposeChoice{}, false, h.show(w, r, c, s, "plan_purpose", "Plan van huishouden "+id, view{"Ref": id, "Purposes": ps})
	}
	p, err := h.purposeOf(c, code)
	if err != nil {
		return p, false, back(err, "/console/huishouden?id="+url.QueryEscape(id), "Terug naar het huishouden")
	}
	c.Purpose = p.Code
	return p, true, nil
}

// plan shows the latest version of the plan.
func (h *Handler) plan(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.URL.Query().Get("id")
	p, ok, err := h.planPurpose(w, r, c, s, id)
	if !ok || err != nil {
		return err
	}
	v, err := h.b.Plan(r.Context(), c, id, 0)
	if errors.Is(err, broker.ErrNotFound) {
		if _, herr := h.b.Household(r.Context(), c, id); herr == nil {
			return h.show(w, r, c, s, "plan", "Plan van huishouden "+id, view{"Ref": id, "P": p, "None": true,
				"Coordinator": s.Role == broker.RoleCoordinator})
		}
	}
	if err != nil {
		return back(err, "/console/huishouden?id="+url.QueryEscape(id), "Terug naar het huishouden")
	}
	return h.show(w, r, c, s, "plan", "Plan van huishouden "+id, view{"Ref": id, "P": p, "V": v,
		"Coordinator": s.Role == broker.RoleCoordinator})
}

// planPrint is the plan on paper, for the household meeting.
func (h *Handler) planPrint(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.URL.Query().Get("id")
	p, ok, err := h.planPurpose(w, r, c, s, id)
	if !ok || err != nil {
		return err
	}
	v, err := h.b.Plan(r.Context(), c, id, 0)
	if err != nil {
		return back(err, planLink("plan", id, p.Code), "Terug naar het plan")
	}
	pg := h.frame(r, c, s, "Plan van huishouden "+id+" – afdruk", view{"V": v, "P": p, "Ref": id})
	pg.Print = true
	render(w, http.StatusOK, "plan_print", pg)
	return nil
}

// planRows is the plan as the edit form has it: rows of goals and
// agreements, a few empty rows to add to.
type planRows struct {
	Goals      []broker.Goal
	Agreements []broker.Agreement
}

// newGoalID names a goal added in the form, so that an agreement in the
// same form can name it.
func newGoalID() string { return "g-" + strings.ToLower(rand.Text()[:8]) }

func editRows(goals []broker.Goal, agreements []broker.AgreementView) planRows {
	var pr planRows
	pr.Goals = append(pr.Goals, goals...)
	for range 2 {
		pr.Goals = append(pr.Goals, broker.Goal{ID: newGoalID()})
	}
	for _, a := range agreements {
		pr.Agreements = append(pr.Agreements, a.Agreement)
	}
	pr.Agreements = append(pr.Agreements, broker.Agreement{}, broker.Agreement{})
	return pr
}

// planForm edits the plan: the coordinator's.
func (h *Handler) planForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.URL.Query().Get("id")
	p, ok, err := h.planPurpose(w, r, c, s, id)
	if !ok || err != nil {
		return err
	}
	d := view{"Ref": id, "P": p, "Partners": h.planPartners(c)}
	v, err := h.b.Plan(r.Context(), c, id, 0)
	switch {
	case errors.Is(err, broker.ErrNotFound):
		d["Version"], d["Rows"] = uint64(0), editRows(nil, nil)
	case err != nil:
		return back(err, planLink("plan", id, p.Code), "Terug naar het plan")
	default:
		d["Version"], d["Rows"], d["V"] = v.Version, editRows(v.Goals, v.Agreements), v
	}
	return h.show(w, r, c, s, "plan_form", "Plan van huishouden "+id+" bewerken", d)
}

// planPartners are the partners an agreement may name: the caller's own
// and those of the directory.
func (h *Handler) planPartners(c *broker.Caller) []broker.DirectoryEntry {
	return append([]broker.DirectoryEntry{{ID: c.Partner.ID, Name: c.Partner.Name, Sector: c.Partner.Sector}}, h.b.Directory(c)...)
}

// planInput reads the plan of the form; empty rows are left out.
func planInput(f url.Values) broker.PlanInput {
	in := broker.PlanInput{Goals: []broker.Goal{}, Agreements: []broker.Agreement{}, Note: strings.TrimSpace(f.Get("toelichting"))}
	in.Ends, _ = dateField(f.Get("loopt_tot"))
	ids, titles, statuses, targets := f["doel_id"], f["doel_titel"], f["doel_status"], f["doel_streef"]
	for i := range ids {
		if strings.TrimSpace(at(titles, i)) == "" {
			continue
		}
		t, _ := dateField(at(targets, i))
		in.Goals = append(in.Goals, broker.Goal{ID: ids[i], Title: strings.TrimSpace(at(titles, i)), Status: at(statuses, i), Target: t})
	}
	aids, goals, partners, actions, dues, astat := f["afspraak_id"], f["afspraak_doel"], f["afspraak_partner"], f["afspraak_actie"], f["afspraak_uiterlijk"], f["afspraak_status"]
	for i := range goals {
		if strings.TrimSpace(at(actions, i)) == "" {
			continue
		}
		due, _ := dateField(at(dues, i))
		in.Agreements = append(in.Agreements, broker.Agreement{ID: at(aids, i), Goal: goals[i], Partner: at(partners, i),
			Action: strings.TrimSpace(at(actions, i)), Due: due, Status: at(astat, i)})
	}
	return in
}

// planSave writes the plan on the version the form was made from; if
// someone else wrote a newer one meanwhile, the answer is the merge page.
func (h *Handler) planSave(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	f := r.PostForm
	id := f.Get("id")
	p, ok, err := h.planPurpose(w, r, c, s, id)
	if !ok || err != nil {
		return err
	}
	base, err := strconv.ParseUint(f.Get("versie"), 10, 64)
	if err != nil {
		return back(&pageError{status: http.StatusBadRequest, title: "Formulier onvolledig", text: "Het formulier noemt niet op welke versie u werkte.",
			next: "Open het plan opnieuw en bewerk het daar.", reason: "plan_version"}, planLink("plan", id, p.Code), "Naar het plan")
	}
	mine := planInput(f)
	_, err = h.b.PutPlan(r.Context(), c, id, base, mine)
	if errors.Is(err, broker.ErrPreconditionFailed) {
		return h.planMerge(w, r, c, s, p, id, base, mine)
	}
	if err != nil {
		return back(err, planLink("plan/bewerken", id, p.Code), "Terug naar het bewerken")
	}
	http.Redirect(w, r, planLink("plan", id, p.Code), http.StatusSeeOther)
	return nil
}

// planMerge shows your version, the current one and their combination,
// each with a button to save it on the current version.
func (h *Handler) planMerge(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, p broker.PurposeChoice, id string, base uint64, mine broker.PlanInput) error {
	cur, err := h.b.Plan(r.Context(), c, id, 0)
	if err != nil {
		return back(err, planLink("plan", id, p.Code), "Naar het plan")
	}
	var was broker.PlanView
	if base > 0 {
		if was, err = h.b.Plan(r.Context(), c, id, base); err != nil {
			return back(err, planLink("plan", id, p.Code), "Naar het plan")
		}
	}
	combined := combine(was, cur, mine)
	render(w, http.StatusConflict, "plan_merge", h.frame(r, c, s, "Plan gewijzigd terwijl u bewerkte", view{"Ref": id, "P": p,
		"Cur": cur, "Mine": mine, "Combined": combined, "Note": mine.Note, "Names": partnerNames(h.planPartners(c))}))
	return nil
}

func partnerNames(ds []broker.DirectoryEntry) map[string]string {
	m := map[string]string{}
	for _, d := range ds {
		m[d.ID] = d.Name
	}
	return m
}

// combine merges your edit (mine, made on was) into the current version
// (cur), item by item (by id): what you changed or added wins over what
// stayed as it was; what you removed goes, unless someone else changed it
// meanwhile; what only the other person changed stays theirs.
func combine(was, cur broker.PlanView, mine broker.PlanInput) broker.PlanInput {
	out := broker.PlanInput{Note: mine.Note, Ends: cur.Ends}
	if mine.Ends != was.Ends {
		out.Ends = mine.Ends // you changed the end: yours
	}
	wasAgreements := make([]broker.Agreement, len(was.Agreements))
	for i, a := range was.Agreements {
		wasAgreements[i] = a.Agreement
	}
	curAgreements := make([]broker.Agreement, len(cur.Agreements))
	for i, a := range cur.Agreements {
		curAgreements[i] = a.Agreement
	}
	out.Goals = merge3(was.Goals, cur.Goals, mine.Goals, func(g broker.Goal) string { return g.ID })
	out.Agreements = merge3(wasAgreements, curAgreements, mine.Agreements, func(a broker.Agreement) string { return a.ID })
	// An agreement whose goal the merge dropped goes with it.
	goals := map[string]bool{}
	for _, g := range out.Goals {
		goals[g.ID] = true
	}
	kept := out.Agreements[:0]
	for _, a := range out.Agreements {
		if goals[a.Goal] {
			kept = append(kept, a)
		}
	}
	out.Agreements = kept
	return out
}

// merge3 merges lists of items with ids three ways; the current order
// first, then items only you added.
func merge3[T comparable](was, cur, mine []T, id func(T) string) []T {
	index := func(l []T) map[string]T {
		m := make(map[string]T, len(l))
		for _, x := range l {
			m[id(x)] = x
		}
		return m
	}
	w, m := index(was), index(mine)
	var out []T
	for _, c := range cur {
		k := id(c)
		old, inWas := w[k]
		yours, inMine := m[k]
		switch {
		case !inMine && inWas && old == c:
			// you removed it and nobody changed it: gone
		case !inMine:
			out = append(out, c) // new from the other, or changed by them
		case inWas && yours == old:
			out = append(out, c) // you left it alone: theirs
		default:
			out = append(out, yours) // you changed it: yours
		}
	}
	c := index(cur)
	for _, x := range mine {
		if _, inCur := c[id(x)]; inCur {
			continue
		}
		if _, inWas := w[id(x)]; inWas {
			continue // removed by the other after you read it: stays removed
		}
		out = append(out, x)
	}
	return out
}

// planAgreement sets the status of one work agreement: a participant's
// own (the domain decides whose), on the version shown.
func (h *Handler) planAgreement(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	f := r.PostForm
	id := f.Get("id")
	p, ok, err := h.planPurpose(w, r, c, s, id)
	if !ok || err != nil {
		return err
	}
	version, _ := strconv.ParseUint(f.Get("versie"), 10, 64)
	if _, err := h.b.SetAgreementStatus(r.Context(), c, id, f.Get("afspraak"), version, f.Get("status")); err != nil {
		return back(err, planLink("plan", id, p.Code), "Terug naar het plan")
	}
	http.Redirect(w, r, planLink("plan", id, p.Code), http.StatusSeeOther)
	return nil
}
