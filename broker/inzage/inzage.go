// Package inzage renders a resident's access report (AVG art. 15) for the
// resident to read: in plain Dutch, grouped per organisation, naming who
// did what, when, for which purpose, on which legal basis, what was shown
// and what was refused — and why, in words about the organisation, not
// codes. The console's printable page and the command line's report
// (ketenbrug audit subject-access) both use it, so a resident gets the
// same account whichever way the privacy officer answers.
package inzage

import (
	"cmp"
	"slices"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Group is the events of one organisation in the report.
type Group struct {
	Partner, Name, Role, Contact string
	Rows                         []broker.SubjectAccessRow
}

// Groups gathers the report's events per organisation, in time order
// within each, the organisations by name.
func Groups(rep broker.SubjectAccessReport) []Group {
	var groups []Group
	idx := map[string]int{}
	for _, e := range rep.Events {
		i, ok := idx[e.Partner]
		if !ok {
			i = len(groups)
			idx[e.Partner] = i
			name := e.PartnerName
			if name == "" {
				name = e.Partner
			}
			groups = append(groups, Group{Partner: e.Partner, Name: name, Role: e.PartnerRole, Contact: e.PartnerContact})
		}
		groups[i].Rows = append(groups[i].Rows, e)
	}
	slices.SortStableFunc(groups, func(a, b Group) int { return cmp.Compare(a.Name, b.Name) })
	return groups
}

// actionNames say in plain Dutch what an audited action did.
var actionNames = map[string]string{
	broker.ActionHouseholdOverview: "bekeek het overzicht van het huishouden", broker.ActionPersonOverview: "bekeek het overzicht van de persoon",
	broker.ActionHouseholdWrite: "legde het huishouden vast of wijzigde het", broker.ActionInvolvementWrite: "meldde dat zij bij u betrokken is",
	broker.ActionConsentRecord: "legde uw toestemming vast", broker.ActionConsentRead: "bekeek uw toestemmingen",
	broker.ActionConsentWithdraw: "legde vast dat u uw toestemming introk", broker.ActionMatchSignal: "kreeg een melding dat een andere organisatie ook bij u betrokken is",
	broker.ActionAssignmentGive: "gaf een opdracht", broker.ActionAssignmentReceive: "ontving een opdracht",
	broker.ActionAssignmentAccept: "nam een opdracht aan", broker.ActionAssignmentDecline: "weigerde een opdracht",
	broker.ActionAssignmentComplete: "rondde een opdracht af", broker.ActionAssignmentCancel: "trok een opdracht in",
	broker.ActionAssignmentRead: "bekeek een opdracht", broker.ActionPlanRead: "bekeek het gezamenlijke plan",
	broker.ActionPlanWrite: "wijzigde het gezamenlijke plan", broker.ActionPlanStatus: "werkte een afspraak in het plan bij",
	broker.ActionPlanClose: "sloot het gezamenlijke plan", broker.ActionInvolvementPurge: "verwijderde een verlopen betrokkenheid",
	broker.ActionRestrictionRecord: "legde een beperking van de verwerking vast", broker.ActionRestrictionRead: "bekeek de beperkingen van de verwerking",
	broker.ActionRestrictionLift: "hief een beperking van de verwerking op", "console.refused": "typte uw BSN in een adres; Ketenbrug weigerde",
	"involvement.sync": "gaf door bij welke inwoners zij betrokken is, u inbegrepen",
}

// ActionName says what action a did, in plain Dutch; an action without a
// description keeps its code.
func ActionName(a string) string {
	if n, ok := actionNames[a]; ok {
		return n
	}
	return a
}

// shownFields name the fields an overview, a plan or an assignment shows.
var shownFields = map[string]string{
	"partner": "organisatie", "contact": "contactpersoon", "service": "dienst", "status": "status", "period": "periode",
	"assignment": "opdracht", "plan": "plan", "goals": "doelen", "agreements": "werkafspraken", "outcome": "uitkomst",
	"reason": "reden", "sector": "sector", "members": "gezinsleden", "instruction": "opdrachttekst",
}

// FieldName names a shown field in plain Dutch.
func FieldName(f string) string {
	if n, ok := shownFields[f]; ok {
		return n
	}
	return f
}

// reasonNames say why a request about the resident was refused, in words
// about the organisation that asked (the resident reads them).
var reasonNames = map[string]string{
	broker.ReasonNoConsent:                "er was geen geldige toestemming van u voor dit doel en deze organisatie",
	broker.ReasonPurposeNotAllowed:        "de organisatie mocht dit doel niet gebruiken",
	broker.ReasonPurposeMissing:           "de organisatie noemde geen doel",
	broker.ReasonLevelTooLow:              "zo ver werken de organisaties in uw gemeente nog niet samen",
	broker.ReasonCovenantNotSigned:        "de organisatie had de afspraken van de regio niet ondertekend",
	broker.ReasonOtherMunicipality:        "de organisatie werkt niet voor uw gemeente",
	broker.ReasonOtherArea:                "de organisatie werkt niet in uw wijk",
	broker.ReasonRoleNotAllowed:           "de medewerker mocht dit in die functie niet",
	broker.ReasonSectorNotAllowed:         "dit soort organisatie mag dit niet",
	broker.ReasonNoRelation:               "de organisatie had geen band met u of uw huishouden die dit rechtvaardigt",
	broker.ReasonNotParticipant:           "de organisatie doet niet mee aan het plan",
	broker.ReasonNotCoordinator:           "alleen de regisseur van uw huishouden mag dit",
	broker.ReasonAssignmentTypeNotAllowed: "dit soort opdracht mocht de organisatie niet geven",
	broker.ReasonTextNotAllowed:           "bij dit soort opdracht mag geen vrije tekst staan",
	broker.ReasonPolicyError:              "de regels konden niet worden toegepast, en dan weigert Ketenbrug altijd",
	broker.ReasonBSNNotAllowed:            "de organisatie mag uw BSN niet gebruiken",
	broker.ReasonNotFollowupParty:         "alleen wie een afspraak om contact op te nemen oppakt, en de regisseur, mogen die zien",
	broker.ReasonLeadNotAllowed:           "die medewerker mocht het contact niet oppakken",
	broker.ReasonOutcomeUnknown:           "de afloop paste niet bij de afgesproken lijst",
	broker.ReasonRestricted:               "u had de verwerking laten beperken",
	broker.ReasonObjected:                 "u had bezwaar gemaakt",
	broker.ReasonPersonNotVerified:        "Ketenbrug wist niet zeker welke medewerker het vroeg",
	broker.RefusalConflict:                "het paste niet bij de stand van dat moment",
	broker.RefusalForbidden:               "het was niet toegestaan",
	broker.RefusalNotFound:                "het werd niet gevonden",
	broker.RefusalPrecondition:            "een ander had het intussen gewijzigd",
	broker.RefusalInvalid:                 "het was niet goed ingevuld",
}

// ReasonName says why, for the resident; an unknown code is kept.
func ReasonName(r string) string {
	if n, ok := reasonNames[r]; ok {
		return n
	}
	return r
}
