package console

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// pageError is an answer as a Dutch page: what happened and the next step.
type pageError struct {
	status int
	title  string
	text   string
	next   string // the next step, in words
	link   string // where the next step starts, if anywhere
	label  string // the link's text
	reason string // for the log
}

func (e *pageError) Error() string { return e.reason + ": " + e.title }

var errPageNotFound = &pageError{status: http.StatusNotFound, title: "Pagina niet gevonden",
	text: "Deze pagina bestaat niet in de console.", next: "Ga naar de startpagina.", link: "/console/", label: "Naar de startpagina",
	reason: "not_found"}

// errNoSession: no (known) session cookie; the browser is sent to log in.
var errNoSession = errors.New("no session")

// sessionEnded is a session that expired or was revoked.
type sessionEnded struct {
	partner string
	reason  string // idle_timeout, absolute_timeout, partner_suspended, person_suspended, login_changed, role_removed
}

func (e *sessionEnded) Error() string { return "session ended: " + e.reason }

// freshLoginNeeded sends the browser to log in again before an action.
type freshLoginNeeded struct{ partner, next string }

func (e *freshLoginNeeded) Error() string { return "a fresh login is needed" }

// loginRefused is a refused login; it has been audited.
type loginRefused struct {
	reason  string
	partner string
	person  string
	page    *pageError
}

func (e *loginRefused) Error() string { return "login refused: " + e.reason }

var endedText = map[string]string{
	"idle_timeout":      "U was te lang niet actief; uw sessie is daarom beëindigd.",
	"absolute_timeout":  "Uw sessie duurde langer dan de toegestane tijd en is daarom beëindigd.",
	"partner_suspended": "Uw organisatie is in Ketenbrug geschorst; uw sessie is beëindigd. Vraag de beheerder van de regio waarom.",
	"person_suspended":  "Uw toegang in Ketenbrug is geschorst; uw sessie is beëindigd. Vraag de beheerder van uw organisatie waarom.",
	"login_changed":     "De inlogregeling van uw organisatie is gewijzigd; uw sessie is beëindigd.",
	"role_removed":      "Uw organisatie heeft de rol waarin u werkte niet meer; uw sessie is beëindigd.",
}

// fail is the one map from errors to answers.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		page    *pageError
		ended   *sessionEnded
		fresh   *freshLoginNeeded
		refused *loginRefused
	)
	switch {
	case errors.Is(err, errNoSession):
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	case errors.As(err, &fresh):
		q := url.Values{"partner": {fresh.partner}, "fresh": {"1"}, "next": {fresh.next}}
		http.Redirect(w, r, "/console/login?"+q.Encode(), http.StatusSeeOther)
		return
	case errors.As(err, &page):
	case errors.As(err, &ended):
		text, ok := endedText[ended.reason]
		if !ok {
			text = "Uw sessie is beëindigd."
		}
		page = &pageError{status: http.StatusUnauthorized, title: "Sessie beëindigd", text: text,
			next: "Log opnieuw in om verder te werken.", link: loginLink(ended.partner, false, ""), label: "Opnieuw inloggen",
			reason: "session_" + ended.reason}
	case errors.As(err, &refused):
		page = refused.page
	case errors.Is(err, broker.ErrUnavailable), errors.Is(err, broker.ErrAuditFailed):
		page = &pageError{status: http.StatusServiceUnavailable, title: "Tijdelijk niet beschikbaar",
			text: "Ketenbrug kan dit nu niet doen; er is niets veranderd.", next: "Probeer het over enkele minuten opnieuw.",
			link: "/console/", label: "Opnieuw proberen", reason: "unavailable"}
	default:
		page = &pageError{status: http.StatusInternalServerError, title: "Er ging iets mis",
			text: "Er ging aan de kant van Ketenbrug iets mis; er is niets getoond of veranderd.",
			next: "Probeer het opnieuw. Blijft dit gebeuren, meld het dan aan de beheerder van de regio, met het tijdstip.",
			link: "/console/", label: "Naar de startpagina", reason: "internal"}
	}
	if page.status >= 500 {
		h.log.Error("console request failed", "path", r.URL.Path, "reason", page.reason, "error", err)
	} else {
		h.log.Info("console request refused", "path", r.URL.Path, "reason", page.reason)
	}
	render(w, page.status, tmplError, page)
}

// loginLink is the start of a login for partner ("" shows the picker).
func loginLink(partner string, fresh bool, next string) string {
	q := url.Values{}
	if partner != "" {
		q.Set("partner", partner)
	}
	if fresh {
		q.Set("fresh", "1")
	}
	if next != "" {
		q.Set("next", next)
	}
	if len(q) == 0 {
		return "/console/login"
	}
	return "/console/login?" + q.Encode()
}

// roleNames are the roles as a person reads them.
var roleNames = map[broker.Role]string{
	broker.RoleProfessional:   "professional",
	broker.RoleCoordinator:    "regisseur",
	broker.RolePrivacyOfficer: "privacyfunctionaris",
	broker.RoleOperator:       "beheerder",
	broker.RoleConnector:      "koppeling",
}

var funcs = template.FuncMap{
	"role": func(r broker.Role) string {
		if n, ok := roleNames[r]; ok {
			return n
		}
		return string(r)
	},
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "onbekend"
		}
		return t.Local().Format("02-01-2006 15:04")
	},
}

const layout = `{{define "top"}}<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – Ketenbrug</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}button{font:inherit;padding:.3rem .8rem}</style>
</head><body><main>{{end}}
{{define "bottom"}}</main></body></html>{{end}}`

var (
	tmplError = template.Must(template.New("error").Funcs(funcs).Parse(layout + `{{template "top" .}}
<h1>{{.Title}}</h1>
<p>{{.Text}}</p>
<p><strong>Wat nu?</strong> {{.Next}}</p>
{{if .Link}}<p><a href="{{.Link}}">{{.Label}}</a></p>{{end}}
{{template "bottom" .}}`))
	tmplPicker = template.Must(template.New("picker").Funcs(funcs).Parse(layout + `{{template "top" .}}
<h1>Inloggen bij Ketenbrug</h1>
{{if .Partners}}<p>Kies uw organisatie; u logt in bij het inlogsysteem van uw eigen organisatie.</p>
<ul>{{range .Partners}}<li><a href="{{.Link}}">{{.Name}}</a></li>{{end}}</ul>
{{else}}<p>Er is nog geen organisatie waarvoor inloggen is ingesteld.</p>
<p><strong>Wat nu?</strong> Vraag de beheerder van de regio om het inlogsysteem van uw organisatie te registreren (ketenbrug partner login set).</p>{{end}}
{{template "bottom" .}}`))
	tmplLanding = template.Must(template.New("landing").Funcs(funcs).Parse(layout + `{{template "top" .}}
<h1>Ketenbrug</h1>
<p>Ingelogd als <strong>{{.S.Name}}</strong> ({{.S.Person}}) namens {{.PartnerName}}, in de rol {{role .S.Role}}.</p>
<p>Laatst aangemeld bij uw organisatie: {{time .S.AuthTime}}.</p>
{{if gt (len .S.Roles) 1}}<form method="post" action="/console/role">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Werken in de rol <select name="role">{{range .S.Roles}}<option value="{{.}}"{{if eq . $.S.Role}} selected{{end}}>{{role .}}</option>{{end}}</select></label>
<button type="submit">Kies rol</button></form>{{end}}
<form method="post" action="/console/logout"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">Uitloggen</button></form>
{{template "bottom" .}}`))
	tmplLoggedOut = template.Must(template.New("out").Funcs(funcs).Parse(layout + `{{template "top" .}}
<h1>Uitgelogd</h1>
<p>U bent uitgelogd bij Ketenbrug. Sluit de browser als u ook bij uw organisatie wilt uitloggen, of log daar uit.</p>
<p><a href="{{.Link}}">Opnieuw inloggen</a></p>
{{template "bottom" .}}`))
)

// view is what a template gets; Title feeds the layout.
type view map[string]any

func render(w http.ResponseWriter, status int, t *template.Template, data any) {
	v, ok := data.(view)
	if !ok {
		if p, isPage := data.(*pageError); isPage {
			v = view{"Title": p.title, "Text": p.text, "Next": p.next, "Link": p.link, "Label": p.label}
		}
	}
	if _, has := v["Title"]; !has {
		v["Title"] = "Ketenbrug"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = t.Execute(w, v)
}
