package console

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
)

// More of the operator's pages: the municipalities and their ambition
// levels, a partner's keys and person keys, and its login configuration.
// Each calls the same domain method as the API's partner, person and login
// endpoints (ketenbrug partner keys|person, ketenbrug login), with the
// session's verified caller: the domain decides (operators only, a
// verified person) and audits; the page only gathers the form.

func (h *Handler) operatorKeyPages() {
	h.Action("GET /console/gemeenten", false, h.municipalities)
	h.Action("POST /console/gemeenten", false, h.municipalityLevel)
	h.Action("GET /console/organisatie/sleutels", false, h.partnerKeys)
	h.Action("POST /console/organisatie/sleutels", false, h.partnerKeysSave)
	h.Action("POST /console/organisatie/persoon", false, h.personKeySave)
	h.Action("POST /console/organisatie/persoon/status", false, h.personKeyStatus)
	h.Action("POST /console/organisatie/persoon/verwijderen", false, h.personKeyRemove)
	h.Action("GET /console/organisatie/inloggen", false, h.loginForm)
	h.Action("POST /console/organisatie/inloggen", false, h.loginSave)
	h.Action("POST /console/organisatie/inloggen/verwijderen", false, h.loginRemove)
}

// municipalityRow is a municipality: an id in partners' municipalities,
// with the partner of the municipality sector under that id (nil when it
// is not registered) and the partners serving it.
type municipalityRow struct {
	ID      string
	P       *broker.Partner
	Serving []string
}

func (h *Handler) municipalities(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	return h.municipalityList(w, r, c, s, "")
}

// municipalityList shows each municipality with its ambition level, which
// bounds what the policy allows for its residents: as the domain reads
// it (municipalityFacts), the level of the partner of the municipality
// sector whose id is the municipality's; without one, no level at all.
func (h *Handler) municipalityList(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, done string) error {
	ps, err := h.b.Partners(r.Context(), c)
	if err != nil {
		return err
	}
	slices.SortFunc(ps, func(a, b broker.Partner) int { return strings.Compare(a.Name, b.Name) })
	byID := map[string]*municipalityRow{}
	row := func(id string) *municipalityRow {
		if byID[id] == nil {
			byID[id] = &municipalityRow{ID: id}
		}
		return byID[id]
	}
	for i, p := range ps {
		if p.Sector == broker.SectorMunicipality && p.Serves(p.ID) {
			row(p.ID).P = &ps[i]
		}
		for _, m := range p.Municipalities {
			if m != p.ID {
				row(m).Serving = append(row(m).Serving, p.Name)
			}
		}
	}
	rows := make([]municipalityRow, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		rows = append(rows, *byID[id])
	}
	return h.show(w, r, c, s, "municipalities", "Gemeenten en ambitieniveaus", view{"List": rows, "Done": done})
}

// municipalityLevel sets a municipality's ambition level through
// UpdatePartner, as ketenbrug partner update --level does.
func (h *Handler) municipalityLevel(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	const backLink, label = "/console/gemeenten", "Terug naar de gemeenten"
	p, err := h.b.Partner(r.Context(), c, r.PostFormValue("id"))
	if err != nil {
		return back(err, backLink, label)
	}
	lvl, err := strconv.Atoi(r.PostFormValue("niveau"))
	if err != nil {
		return back(&broker.ValidationError{Field: "level", Reason: "een getal van 1 tot en met 4"}, backLink, label)
	}
	old := p.Level
	p.Level = lvl
	if p, err = h.b.UpdatePartner(r.Context(), c, p); err != nil {
		return back(err, backLink, label)
	}
	msg := "Het ambitieniveau van " + p.Name + " is " + strconv.Itoa(p.Level) + " gebleven."
	if p.Level != old {
		msg = "Het ambitieniveau van " + p.Name + " is nu " + strconv.Itoa(p.Level) + " (was " + strconv.Itoa(old) + ")."
	}
	return h.municipalityList(w, r, c, s, msg)
}

// keyIDs are the key ids ("kid") of a JWKS, to show which keys are set
// without showing the keys.
func keyIDs(raw json.RawMessage) []string {
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if json.Unmarshal(raw, &set) != nil {
		return nil
	}
	out := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kid == "" {
			k.Kid = "(zonder kid)"
		}
		out = append(out, k.Kid)
	}
	return out
}

// personRow is a person key as the page shows it.
type personRow struct {
	broker.PersonKey
	Kids []string
}

func (h *Handler) partnerKeys(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	return h.partnerKeysPage(w, r, c, s, r.URL.Query().Get("id"), "")
}

// partnerKeysPage shows a partner's organisation keys and person keys,
// with the forms to change them.
func (h *Handler) partnerKeysPage(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, id, done string) error {
	p, err := h.b.Partner(r.Context(), c, strings.TrimSpace(id))
	if err != nil {
		return back(err, "/console/organisaties", "Terug naar de organisaties")
	}
	ks, err := h.b.PersonKeys(r.Context(), c, p.ID)
	if err != nil {
		return back(err, "/console/organisaties", "Terug naar de organisaties")
	}
	rows := make([]personRow, len(ks))
	for i, k := range ks {
		rows[i] = personRow{k, keyIDs(k.JWKS)}
	}
	return h.show(w, r, c, s, "partner_keys", "Sleutels van "+p.Name, view{"P": p, "OrgKids": keyIDs(p.JWKS),
		"HasOrgKeys": p.HasOrgKeys(), "Persons": rows, "Done": done})
}

// jwksField reads a JWKS from a form field; the domain checks the keys.
func jwksField(v string) (json.RawMessage, error) {
	v = strings.TrimSpace(v)
	if v == "" || !json.Valid([]byte(v)) {
		return nil, &broker.ValidationError{Field: "jwks", Reason: "geen geldige JSON (een JWKS met de publieke sleutels)"}
	}
	return json.RawMessage(v), nil
}

func keysLink(id string) string { return "/console/organisatie/sleutels?id=" + id }

// partnerKeysSave replaces the organisation's keys (SetPartnerKeys): a set
// holding the old and the new key keeps both working during a rotation.
func (h *Handler) partnerKeysSave(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.PostFormValue("id")
	jwks, err := jwksField(r.PostFormValue("sleutels"))
	if err == nil {
		_, err = h.b.SetPartnerKeys(r.Context(), c, id, jwks)
	}
	if err != nil {
		return back(err, keysLink(id), "Terug naar de sleutels")
	}
	return h.partnerKeysPage(w, r, c, s, id, "De sleutels van de organisatie zijn vervangen.")
}

// personKeySave binds a person's key and roles (PutPersonKey), or
// replaces those of a person already bound.
func (h *Handler) personKeySave(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.PostFormValue("id")
	k := broker.PersonKey{Person: strings.TrimSpace(r.PostFormValue("persoon"))}
	for _, ro := range r.PostForm["rol"] {
		k.Roles = append(k.Roles, broker.Role(ro))
	}
	jwks, err := jwksField(r.PostFormValue("sleutels"))
	if err == nil {
		k.JWKS = jwks
		k, err = h.b.PutPersonKey(r.Context(), c, id, k)
	}
	if err != nil {
		return back(err, keysLink(id), "Terug naar de sleutels")
	}
	return h.partnerKeysPage(w, r, c, s, id, "De sleutel van "+k.Person+" is vastgelegd.")
}

// personKeyStatus suspends or activates one person of a partner.
func (h *Handler) personKeyStatus(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id, person := r.PostFormValue("id"), r.PostFormValue("persoon")
	st := broker.PartnerStatus(r.PostFormValue("status"))
	if st != broker.PartnerActive && st != broker.PartnerSuspended {
		return back(&broker.ValidationError{Field: "status", Reason: "actief of geschorst"}, keysLink(id), "Terug naar de sleutels")
	}
	if _, err := h.b.SetPersonStatus(r.Context(), c, id, person, st); err != nil {
		return back(err, keysLink(id), "Terug naar de sleutels")
	}
	msg := person + " is geschorst: de sleutel en de aanmeldingen van deze persoon werken niet meer tot u hem weer activeert."
	if st == broker.PartnerActive {
		msg = person + " is weer actief."
	}
	return h.partnerKeysPage(w, r, c, s, id, msg)
}

// personKeyRemove unbinds a person's key and roles.
func (h *Handler) personKeyRemove(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id, person := r.PostFormValue("id"), r.PostFormValue("persoon")
	if err := h.b.RemovePersonKey(r.Context(), c, id, person); err != nil {
		return back(err, keysLink(id), "Terug naar de sleutels")
	}
	return h.partnerKeysPage(w, r, c, s, id, "De sleutel van "+person+" is verwijderd.")
}

func loginLinkOf(id string) string { return "/console/organisatie/inloggen?id=" + id }

// loginFields is the login form's content.
type loginFields struct {
	broker.LoginConfig
	RoleMap, Scopes string
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	return h.loginPage(w, r, c, s, r.URL.Query().Get("id"), "")
}

// loginPage shows a partner's login configuration (the OpenID provider
// its people log in at, and how its claims map to roles) as a form.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, id, done string) error {
	p, err := h.b.Partner(r.Context(), c, strings.TrimSpace(id))
	if err != nil {
		return back(err, "/console/organisaties", "Terug naar de organisaties")
	}
	lc, err := h.b.LoginConfig(r.Context(), c, p.ID)
	has := err == nil
	if err != nil && !errors.Is(err, broker.ErrNotFound) {
		return back(err, "/console/organisaties", "Terug naar de organisaties")
	}
	f := loginFields{LoginConfig: lc, Scopes: strings.Join(lc.Scopes, " ")}
	maps := make([]string, len(lc.RoleMap))
	for i, m := range lc.RoleMap {
		maps[i] = string(m.Role) + "=" + m.Value
	}
	f.RoleMap = strings.Join(maps, "\n")
	return h.show(w, r, c, s, "partner_login", "Inlogregeling van "+p.Name, view{"P": p, "L": f, "Has": has, "Done": done})
}

// loginSave sets the login configuration (SetLoginConfig, as ketenbrug
// login set): the domain checks the provider's address, the claims, the
// roles against the partner's and that the client secret file is readable.
func (h *Handler) loginSave(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.PostFormValue("id")
	f := r.PostForm
	lc := broker.LoginConfig{Issuer: strings.TrimSpace(f.Get("issuer")), ClientID: strings.TrimSpace(f.Get("client")),
		ClientSecretFile: strings.TrimSpace(f.Get("geheim")), PersonClaim: strings.TrimSpace(f.Get("persoonclaim")),
		NameClaim: strings.TrimSpace(f.Get("naamclaim")), RolesClaim: strings.TrimSpace(f.Get("rollenclaim")),
		Scopes: strings.Fields(f.Get("scopes"))}
	for _, line := range strings.FieldsFunc(f.Get("rollen"), func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		m, err := broker.ParseRoleMapping(line)
		if err != nil {
			return back(err, loginLinkOf(id), "Terug naar de inlogregeling")
		}
		lc.RoleMap = append(lc.RoleMap, m)
	}
	if _, err := h.b.SetLoginConfig(r.Context(), c, id, lc); err != nil {
		return back(err, loginLinkOf(id), "Terug naar de inlogregeling")
	}
	return h.loginPage(w, r, c, s, id, "De inlogregeling is vastgelegd. Wie nu is aangemeld, blijft dat; nieuwe aanmeldingen volgen de nieuwe regeling.")
}

// loginRemove removes the login configuration: the partner's console
// sessions end at their next request.
func (h *Handler) loginRemove(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	id := r.PostFormValue("id")
	if err := h.b.RemoveLoginConfig(r.Context(), c, id); err != nil {
		return back(err, loginLinkOf(id), "Terug naar de inlogregeling")
	}
	return h.loginPage(w, r, c, s, id, "De inlogregeling is verwijderd: de mensen van deze organisatie kunnen niet meer inloggen in de console en wie nog is aangemeld, wordt afgemeld.")
}
