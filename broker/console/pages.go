package console

import (
	"errors"
	"net/http"
	"net/url"

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
	// requestID names the request in the audit trail, shown so that a
	// person can quote it to the operator.
	requestID string
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
	case domainPage(err) != nil:
		page = domainPage(err)
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
	var req *inRequest
	if errors.As(err, &req) && page.requestID == "" {
		cp := *page
		cp.requestID = req.id
		page = &cp
	}
	var back *backTo
	if errors.As(err, &back) && page.link == "/console/" && back.link != "" {
		cp := *page
		cp.link, cp.label = back.link, back.label
		page = &cp
	}
	render(w, page.status, "error", &Page{Title: page.title, Lang: langOf(r), Data: view{"Title": page.title, "Text": page.text,
		"Next": page.next, "Link": page.link, "Label": page.label, "RequestID": page.requestID}})
}

// view is a template's data when no type fits better.
type view map[string]any

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
