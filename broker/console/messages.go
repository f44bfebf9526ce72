package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The one map from the domain's errors to the pages a person reads, as
// broker/httpapi/problem.go maps them to problems: what happened, in
// Dutch, and the next step. A page handler returns the domain's error
// as it is (wrapped in back(err, link, label) to send the person back to
// the form they came from); fail turns it into the page. The domain has
// audited every refusal that concerns a person before it returned.

// backTo names where the next step of an error starts: the form the
// person came from.
type backTo struct {
	err         error
	link, label string
}

func (b *backTo) Error() string { return b.err.Error() }
func (b *backTo) Unwrap() error { return b.err }

// back wraps err so that its page links to link (a console path) with
// label; nil stays nil.
func back(err error, link, label string) error {
	if err == nil {
		return nil
	}
	return &backTo{err: err, link: link, label: label}
}

// deniedText says per policy reason why a request was refused.
var deniedText = map[string]string{
	broker.ReasonNoConsent:                "Er is geen geldige toestemming van de betrokkene voor dit doel en uw organisatie of sector.",
	broker.ReasonPurposeNotAllowed:        "Uw organisatie of rol mag dit doel niet gebruiken.",
	broker.ReasonPurposeMissing:           "U heeft geen doel gekozen; zonder doel geeft Ketenbrug niets.",
	broker.ReasonLevelTooLow:              "Het ambitieniveau van de gemeente staat dit nog niet toe.",
	broker.ReasonCovenantNotSigned:        "Uw organisatie heeft het convenant van de regio niet (meer) ondertekend.",
	broker.ReasonOtherMunicipality:        "Dit hoort bij een gemeente waarvoor uw organisatie niet werkt.",
	broker.ReasonOtherArea:                "Dit hoort bij een ander gebied dan het uwe.",
	broker.ReasonRoleNotAllowed:           "Uw rol mag dit niet.",
	broker.ReasonSectorNotAllowed:         "Uw sector mag dit niet.",
	broker.ReasonNoRelation:               "Uw organisatie heeft geen relatie met dit huishouden of deze persoon die dit doel vraagt (regie, betrokkenheid of opdracht).",
	broker.ReasonNotParticipant:           "Uw organisatie neemt niet deel aan dit plan.",
	broker.ReasonNotCoordinator:           "Alleen de regisseur van het huishouden mag dit.",
	broker.ReasonAssignmentTypeNotAllowed: "Dit soort opdracht mag uw organisatie niet geven, of niet aan deze organisatie.",
	broker.ReasonTextNotAllowed:           "Bij dit soort opdracht mag geen vrije tekst staan, of de tekst is te lang.",
	broker.ReasonPolicyError:              "De regels konden niet worden toegepast; Ketenbrug weigert dan altijd.",
	broker.ReasonNotFollowupParty:         "Alleen de trekker en de regisseur zien deze opvolging.",
	broker.ReasonLeadNotAllowed:           "Deze persoon mag de opvolging niet trekken: kies iemand van uw eigen organisatie of van een organisatie die het huishouden ondersteunt.",
	broker.ReasonOutcomeUnknown:           "Kies een afloop uit de lijst.",
}

// fieldNames are the domain's field names as the forms label them.
var fieldNames = map[string]string{
	"bsn": "BSN", "purpose": "doel", "given_by": "gegeven door", "evidence": "bewijs", "valid_from": "geldig vanaf",
	"valid_until": "geldig tot en met", "sectors": "sectoren", "partners": "organisaties", "label": "naam",
	"role": "rol", "birth_date": "geboortedatum", "birth_year": "geboortejaar", "municipality": "gemeente",
	"household": "huishouden", "recipient": "ontvanger", "type": "soort", "instruction": "opdracht",
	"due": "uiterlijk", "reason": "reden", "outcome": "uitkomst", "title": "titel", "action": "actie",
	"target": "streefdatum", "goal": "doel", "partner": "organisatie", "status": "status", "note": "toelichting",
	"reference": "kenmerk", "comment": "toelichting", "decision": "besluit", "since": "van", "until": "tot",
	"from": "van", "to": "tot en met",
	// follow-ups (followup.go)
	"with": "met organisatie", "on": "datum van het contact", "lead": "trekker", "sub": "persoon",
}

// fieldName names a domain field path (members[2].bsn) in Dutch.
func fieldName(path string) string {
	last := path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		last = path[i+1:]
	}
	if i := strings.IndexByte(last, '['); i >= 0 {
		last = last[:i]
	}
	n, ok := fieldNames[last]
	if !ok {
		n = last
	}
	if i := strings.IndexByte(path, '['); i >= 0 {
		if j := strings.IndexByte(path[i:], ']'); j > 0 {
			n += " (regel " + path[i+1:i+j] + " plus één)"
		}
	}
	return n
}

// domainPage is the page of an error of the domain; nil when err is not
// one.
func domainPage(err error) *pageError {
	var (
		invalid *broker.ValidationError
		denied  *broker.DeniedError
	)
	home := func(p *pageError) *pageError {
		if p.link == "" {
			p.link, p.label = "/console/", "Naar de startpagina"
		}
		return p
	}
	switch {
	case errors.As(err, &invalid):
		text := "Het veld “" + fieldName(invalid.Field) + "” is niet goed ingevuld (" + invalid.Reason + ")."
		if strings.Contains(invalid.Field, "bsn") {
			text = "Het BSN in het veld “" + fieldName(invalid.Field) + "” is geen geldig BSN (negen cijfers die de elfproef doorstaan)."
		}
		return home(&pageError{status: http.StatusBadRequest, title: "Niet goed ingevuld", text: text,
			next: "Ga terug naar het formulier, verbeter het veld en verstuur het opnieuw. Er is niets opgeslagen.", reason: "invalid"})
	case errors.As(err, &denied):
		var parts []string
		for _, r := range denied.Reasons {
			if t, ok := deniedText[r]; ok {
				parts = append(parts, t)
			}
		}
		if len(parts) == 0 {
			parts = append(parts, "De regels van de regio staan dit niet toe.")
		}
		next := "Kies een ander doel als dat past, of leg vast wat ontbreekt (bijvoorbeeld de toestemming). Twijfelt u, vraag dan de privacyfunctionaris van uw organisatie."
		return home(&pageError{status: http.StatusForbidden, title: "Geweigerd volgens de regels", text: strings.Join(parts, " "),
			next: next, reason: "denied:" + strings.Join(denied.Reasons, ",")})
	case errors.Is(err, broker.ErrPersonNotVerified):
		return home(&pageError{status: http.StatusForbidden, title: "Persoonlijke aanmelding nodig",
			text: "Dit mag alleen een persoon van wie Ketenbrug weet wie het is.", next: "Log in via het inlogsysteem van uw organisatie.",
			reason: broker.ReasonPersonNotVerified})
	case errors.Is(err, broker.ErrFourEyes):
		return home(&pageError{status: http.StatusForbidden, title: "Goedkeuren door een tweede privacyfunctionaris",
			text:   "Vier ogen: wie een beleidsversie indiende, keurt haar niet zelf goed. Een versie van iemand die niet geverifieerd was, kan niet worden goedgekeurd. Er is niets veranderd.",
			next:   "Vraag een andere privacyfunctionaris om de versie te beoordelen en goed te keuren, of dien haar opnieuw in als geverifieerde persoon.",
			reason: "four_eyes"})
	case errors.Is(err, broker.ErrForbidden), errors.Is(err, broker.ErrUnauthenticated):
		return home(&pageError{status: http.StatusForbidden, title: "Niet toegestaan",
			text: "U mag dit in uw rol niet doen.", next: "Kies op de startpagina een andere rol als u die heeft, of vraag de beheerder van uw organisatie.",
			reason: "forbidden"})
	case errors.Is(err, broker.ErrNotFound):
		return home(&pageError{status: http.StatusNotFound, title: "Niet gevonden",
			text:   "Ketenbrug vindt dit niet, of u mag het niet zien; die twee worden bewust niet onderscheiden.",
			next:   "Controleer het kenmerk. Hoort het bij uw werk, dan ontbreekt misschien een relatie (regie, betrokkenheid of opdracht) of een toestemming.",
			reason: "not_found"})
	case errors.Is(err, broker.ErrPreconditionFailed):
		return home(&pageError{status: http.StatusConflict, title: "Intussen gewijzigd",
			text: "Iemand anders wijzigde dit terwijl u bewerkte; uw wijziging is niet opgeslagen.",
			next: "Open de huidige versie en breng uw wijziging opnieuw aan.", reason: "precondition_failed"})
	case errors.Is(err, broker.ErrConflict):
		return home(&pageError{status: http.StatusConflict, title: "Kan nu niet",
			text: "Dit past niet bij de huidige stand (bijvoorbeeld een opdracht die al is afgerond, of een plan dat is gesloten).",
			next: "Bekijk de huidige stand en kies wat daar past.", reason: "conflict"})
	case errors.Is(err, broker.ErrTooLarge):
		return home(&pageError{status: http.StatusRequestEntityTooLarge, title: "Te groot",
			text: "Wat u verstuurde is groter dan Ketenbrug aanneemt.", next: "Maak het korter en verstuur het opnieuw.", reason: "too_large"})
	case errors.Is(err, broker.ErrInvalid):
		return home(&pageError{status: http.StatusBadRequest, title: "Niet goed ingevuld",
			text: "Wat u invulde klopt niet: " + err.Error() + ".", next: "Ga terug naar het formulier en verbeter het.", reason: "invalid"})
	}
	return nil
}
