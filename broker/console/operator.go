package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The operator's pages: partners (list, register, change, suspend and
// activate), dead letters (list, retry) and health. Each calls the same
// domain method as broker/httpapi with the session's caller; the domain
// decides (operators only, a verified person) and audits.

var operatorRoles = []broker.Role{broker.RoleOperator}

func (h *Handler) operatorPages() {
	h.Nav("Organisaties", "/console/organisaties", operatorRoles...)
	h.Nav("Gemeenten", "/console/gemeenten", operatorRoles...)
	h.Nav("Onbestelbaar", "/console/onbestelbaar", operatorRoles...)
	h.Nav("Gezondheid", "/console/gezondheid", operatorRoles...)

	h.Action("GET /console/organisaties", false, h.partners)
	h.Action("GET /console/organisatie", false, h.partnerForm)
	h.Action("POST /console/organisatie", false, h.partnerSave)
	h.Action("POST /console/organisatie/status", false, h.partnerStatus)
	h.Action("GET /console/onbestelbaar", false, h.deadLetters)
	h.Action("POST /console/onbestelbaar", false, h.deadLetterRetry)
	h.Action("GET /console/gezondheid", false, h.health)
	h.Action("POST /console/gezondheid", false, h.health)
}

func (h *Handler) partners(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	return h.partnerList(w, r, c, s, "")
}

func (h *Handler) partnerList(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, done string) error {
	ps, err := h.b.Partners(r.Context(), c)
	if err != nil {
		return err
	}
	slices.SortFunc(ps, func(a, b broker.Partner) int { return strings.Compare(a.ID, b.ID) })
	return h.show(w, r, c, s, "partners", "Organisaties", view{"List": ps, "Done": done})
}

// partnerForm registers a new partner (no id) or changes one.
func (h *Handler) partnerForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	d := view{"Sectors": broker.Sectors, "Roles": partnerRoles}
	if id := strings.TrimSpace(r.URL.Query().Get("id")); id != "" {
		p, err := h.b.Partner(r.Context(), c, id)
		if err != nil {
			return back(err, "/console/organisaties", "Terug naar de organisaties")
		}
		d["P"], d["Edit"] = p, true
		return h.show(w, r, c, s, "partner_form", "Organisatie "+p.Name+" wijzigen", d)
	}
	d["P"] = broker.Partner{Level: 1}
	return h.show(w, r, c, s, "partner_form", "Organisatie registreren", d)
}

// partnerRoles are the roles a partner can be given.
var partnerRoles = []broker.Role{broker.RoleConnector, broker.RoleProfessional, broker.RoleCoordinator, broker.RolePrivacyOfficer, broker.RoleOperator, broker.RoleAnalyst}

// partnerSave registers (RegisterPartner) or changes (UpdatePartner) a
// partner from the form.
func (h *Handler) partnerSave(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	f := r.PostForm
	edit := f.Get("bewerken") == "1"
	id := strings.TrimSpace(f.Get("id"))
	backLink := "/console/organisatie"
	if edit {
		backLink += "?id=" + id
	}
	p := broker.Partner{ID: id, Name: strings.TrimSpace(f.Get("naam")), Sector: broker.Sector(f.Get("sector")),
		Covenant: strings.TrimSpace(f.Get("convenant")), Webhook: strings.TrimSpace(f.Get("webhook")),
		PrivacyOffice: f.Get("privacybureau") == "1", ControllerRole: f.Get("verwerkingsrol"),
		PrivacyContact: strings.TrimSpace(f.Get("privacycontact"))}
	for _, cert := range strings.FieldsFunc(f.Get("certificaten"), func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if cert = strings.TrimSpace(cert); cert != "" {
			p.ClientCerts = append(p.ClientCerts, cert)
		}
	}
	if tl := strings.TrimSpace(f.Get("teamleider")); tl != "" {
		partner, sub, ok := strings.Cut(tl, "/")
		if !ok || partner == "" || sub == "" {
			return back(&broker.ValidationError{Field: "team_lead", Reason: "organisatie/gebruikersnaam, zoals gem-leusden/t.teamleider"},
				backLink, "Terug naar het formulier")
		}
		p.TeamLead = &broker.Actor{Partner: partner, Sub: sub}
	}
	lvl, err := strconv.Atoi(f.Get("niveau"))
	if err != nil {
		return back(&broker.ValidationError{Field: "level", Reason: "een getal van 1 tot en met 4"}, backLink, "Terug naar het formulier")
	}
	p.Level = lvl
	for _, m := range strings.FieldsFunc(f.Get("gemeenten"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
		p.Municipalities = append(p.Municipalities, m)
	}
	for _, ro := range f["rol"] {
		p.Roles = append(p.Roles, broker.Role(ro))
	}
	var out broker.Partner
	if edit {
		out, err = h.b.UpdatePartner(r.Context(), c, p)
	} else {
		if k := strings.TrimSpace(f.Get("sleutels")); k != "" {
			if !json.Valid([]byte(k)) {
				return back(&broker.ValidationError{Field: "jwks", Reason: "geen geldige JSON (een JWKS)"}, backLink, "Terug naar het formulier")
			}
			p.JWKS = json.RawMessage(k)
		}
		out, err = h.b.RegisterPartner(r.Context(), c, p)
	}
	if err != nil {
		return back(err, backLink, "Terug naar het formulier")
	}
	what := "gewijzigd"
	if !edit {
		what = "geregistreerd"
	}
	return h.partnerList(w, r, c, s, out.Name+" is "+what+".")
}

// partnerStatus suspends or activates a partner.
func (h *Handler) partnerStatus(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	st := broker.PartnerStatus(r.PostFormValue("status"))
	if st != broker.PartnerActive && st != broker.PartnerSuspended {
		return back(&broker.ValidationError{Field: "status", Reason: "actief of geschorst"}, "/console/organisaties", "Terug naar de organisaties")
	}
	p, err := h.b.SetPartnerStatus(r.Context(), c, r.PostFormValue("id"), st)
	if err != nil {
		return back(err, "/console/organisaties", "Terug naar de organisaties")
	}
	msg := p.Name + " is geschorst: haar sleutels en aanmeldingen werken niet meer tot u haar weer activeert."
	if st == broker.PartnerActive {
		msg = p.Name + " is weer actief."
	}
	return h.partnerList(w, r, c, s, msg)
}

func (h *Handler) deadLetters(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	return h.deadLetterList(w, r, c, s, "")
}

func (h *Handler) deadLetterList(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, done string) error {
	l, err := h.b.DeadLetters(r.Context(), c)
	if err != nil {
		return err
	}
	return h.show(w, r, c, s, "deadletters", "Onbestelbare berichten", view{"List": l.DeadLetters, "Done": done})
}

func (h *Handler) deadLetterRetry(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	d, err := h.b.RetryDeadLetter(r.Context(), c, r.PostFormValue("id"))
	if err != nil {
		return back(err, "/console/onbestelbaar", "Terug naar de onbestelbare berichten")
	}
	return h.deadLetterList(w, r, c, s, "Bericht "+d.ID+" voor "+d.Partner+" wordt opnieuw bezorgd.")
}

// health shows whether the broker is ready (its store and active policy)
// and whether the audit chain verifies: on a GET only the entries added
// since the last clean check are walked (VerifyAuditNew), since the page
// is loaded often; the button posts for the full walk (VerifyAudit),
// which also finds a rewrite of entries checked before.
func (h *Handler) health(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	verify, full := h.b.VerifyAuditNew, r.Method == http.MethodPost
	if full {
		verify = h.b.VerifyAudit
	}
	ver, err := verify(r.Context(), c)
	if err != nil {
		return back(err, "/console/gezondheid", "Terug naar de gezondheid")
	}
	d := view{"Verify": ver, "Ready": true, "Full": full}
	if err := h.b.Ready(r.Context()); err != nil {
		d["Ready"], d["ReadyError"] = false, err.Error()
	}
	return h.show(w, r, c, s, "health", "Gezondheid", d)
}
