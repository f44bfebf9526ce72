package console

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// English second (issue 16): the console speaks Dutch, as its users do,
// and English to a browser that prefers it (Accept-Language). The
// catalogue covers what every page has — the layout (skip link, header,
// navigation, footer), role names — and the headings and titles of the
// pages; the rest of a page stays Dutch. Dutch is the key: a text not in
// the catalogue is shown as it is, so a page is never half empty.

// Languages the console speaks.
const (
	langNL = "nl"
	langEN = "en"
)

// langOf picks the language of r: English only when the browser ranks it
// above Dutch (a missing or unreadable header gives Dutch).
func langOf(r *http.Request) string {
	type pref struct {
		tag string
		q   float64
		i   int
	}
	var ps []pref
	for i, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if q > 0 && (primary == langNL || primary == langEN) {
			ps = append(ps, pref{primary, q, i})
		}
	}
	sort.SliceStable(ps, func(a, b int) bool { return ps[a].q > ps[b].q })
	if len(ps) > 0 && ps[0].tag == langEN {
		return langEN
	}
	return langNL
}

// english is the catalogue: Dutch text → English. A text with %s takes
// the arguments of tr.
var english = map[string]string{
	// The layout.
	"Naar de inhoud": "Skip to content", "Uitloggen": "Log out", "rol": "role", "Hoofdmenu": "Main menu",
	"Ketenbrug: gegevensuitwisseling in het sociaal domein. Wat u hier ziet, en wat u wordt geweigerd, staat in het auditlogboek; een inwoner kan opvragen wie zijn gegevens bekeek.": "Ketenbrug: data exchange in the social domain. What you see here, and what you are refused, is recorded in the audit trail; a resident can ask who looked at their data.",
	// The navigation.
	"Inbox": "Inbox", "Huishoudens": "Households", "Persoon": "Person", "Toestemming": "Consent", "Opdrachten": "Assignments",
	"Beleid": "Policy", "Auditlogboek": "Audit trail", "Inzage inwoner": "Resident's access report",
	"Organisaties": "Organisations", "Gemeenten": "Municipalities", "Onbestelbaar": "Undeliverable", "Gezondheid": "Health",
	"Cijfers": "Figures",
	// Roles.
	"regisseur": "coordinator", "professional": "professional", "privacyfunctionaris": "privacy officer",
	"beheerder": "operator", "koppeling": "connector", "analist": "analyst",
	// Headings and titles.
	"Start": "Start", "Ketenbrug": "Ketenbrug", "Berichten, nieuwste eerst": "Messages, newest first",
	"Inzage voor een inwoner": "Access report for a resident", "Overzicht voor de inwoner": "Report for the resident",
	"Opvolging van matches": "Follow-up of matches", "Opvolging huishouden %s": "Follow-up of household %s",
	"Opdracht %s": "Assignment %s", "Huishouden %s": "Household %s", "Huishouden %s bewerken": "Edit household %s",
	"Nieuw huishouden": "New household", "Overzicht huishouden %s": "Overview of household %s",
	"Onbestelbare berichten": "Undeliverable messages", "Gemeenten en ambitieniveaus": "Municipalities and ambition levels",
	"Organisatie %s wijzigen": "Change organisation %s", "Organisatie registreren": "Register an organisation",
	"Sleutels van %s": "Keys of %s", "Inlogregeling van %s": "Login configuration of %s",
	"Persoon opzoeken": "Look up a person", "Inloggen bij Ketenbrug": "Log in to Ketenbrug", "Inloggen": "Log in",
	"Uitgelogd": "Logged out", "Plan van huishouden %s": "Plan of household %s", "Plan van huishouden %s bewerken": "Edit the plan of household %s",
	"Plan gewijzigd terwijl u bewerkte": "The plan changed while you edited it", "Gezamenlijk plan — huishouden %s": "Joint plan — household %s",
	"Beleidsversie %s": "Policy version %s", "Versie %s goedkeuren": "Approve version %s", "Terugzetten naar versie %s": "Roll back to version %s",
	"Proefdraai van versie %s": "Dry run of version %s",
	"Cijfers van %s":           "Figures of %s",
	// Error pages.
	"Pagina niet gevonden": "Page not found", "Sessie beëindigd": "Session ended", "Tijdelijk niet beschikbaar": "Temporarily unavailable",
	"Er ging iets mis": "Something went wrong", "Niet goed ingevuld": "Not filled in correctly", "Geweigerd volgens de regels": "Refused by the rules",
	"Niet toegestaan": "Not allowed", "Niet gevonden": "Not found", "Intussen gewijzigd": "Changed in the meantime",
	"Formulier niet geaccepteerd": "Form not accepted", "Geen BSN in het adres": "No BSN in the address",
	"Geen toegang tot Ketenbrug": "No access to Ketenbrug", "Inloggen niet mogelijk": "Login not possible",
	"Demo-link ongeldig": "Demo link not valid", "Even geduld": "Please wait", "Inlogsysteem niet bereikbaar": "Login provider not reachable",
	"Inloggen afgebroken": "Login cancelled", "Opnieuw aanmelden nodig": "A fresh login is needed",
	"Persoonlijke aanmelding nodig": "A personal login is needed", "Goedkeuren door een tweede privacyfunctionaris": "Approval by a second privacy officer",
	"Kan nu niet": "Not possible now", "Te groot": "Too large", "Formulier onvolledig": "Form incomplete",
	"Rol niet beschikbaar": "Role not available", "Kies een doel": "Choose a purpose",
}

// titlePatterns turn a page title made from a pattern of the catalogue
// back into the pattern and its argument, for the layout's <title>
// (handlers pass titles made with string concatenation).
var titlePatterns = func() [][2]string {
	var out [][2]string
	for nl := range english {
		if pre, post, ok := strings.Cut(nl, "%s"); ok {
			out = append(out, [2]string{pre, post})
		}
	}
	// Longest first: "Plan van huishouden %s bewerken" before "Plan van huishouden %s".
	sort.Slice(out, func(a, b int) bool { return len(out[a][0])+len(out[a][1]) > len(out[b][0])+len(out[b][1]) })
	return out
}()

// tr returns Dutch text s in the page's language, filled with args.
func tr(p *Page, s string, args ...any) string {
	if p != nil && p.Lang == langEN {
		if en, ok := english[s]; ok {
			s = en
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// trTitle translates a page title: an entry of the catalogue, or one made
// from a pattern of it.
func trTitle(p *Page, title string) string {
	if p == nil || p.Lang != langEN {
		return title
	}
	if en, ok := english[title]; ok {
		return en
	}
	for _, pat := range titlePatterns {
		if arg, ok := strings.CutPrefix(title, pat[0]); ok && len(arg) > len(pat[1]) {
			if arg, ok = strings.CutSuffix(arg, pat[1]); ok {
				return tr(p, pat[0]+"%s"+pat[1], arg)
			}
		}
	}
	return title
}
