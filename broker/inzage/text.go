package inzage

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
)

// roleNames say in what capacity a person acted.
var roleNames = map[broker.Role]string{
	broker.RoleConnector: "het systeem van de organisatie", broker.RoleProfessional: "hulpverlener",
	broker.RoleCoordinator: "regisseur", broker.RolePrivacyOfficer: "privacyfunctionaris", broker.RoleOperator: "beheerder",
}

// controllerRoles say what part an organisation has in the processing.
var controllerRoles = map[string]string{
	"controller": "verwerkingsverantwoordelijke", "joint-controller": "gezamenlijk verwerkingsverantwoordelijke",
	"processor": "verwerker",
}

// Who says who acted: the person when the broker verified who it was,
// otherwise the organisation's own reference, which the broker cannot
// vouch for.
func Who(e broker.SubjectAccessRow) string {
	var who string
	switch {
	case e.Sub == "":
		who = "de organisatie"
	case e.SubKnown == broker.SubVerified:
		who = e.Sub + " (geverifieerd)"
	default:
		who = "medewerker met eigen kenmerk van de organisatie " + e.Sub
	}
	if n, ok := roleNames[e.Role]; ok {
		who += ", als " + n
	}
	return who
}

// What says what was done or refused, and what was shown.
func What(e broker.SubjectAccessRow) string {
	what := ActionName(e.Action)
	if e.Decision == broker.DecisionDeny {
		reasons := make([]string, len(e.Reasons))
		for i, r := range e.Reasons {
			reasons[i] = ReasonName(r)
		}
		what += " — geweigerd"
		if len(reasons) > 0 {
			what += ": " + strings.Join(reasons, "; ")
		}
		return what
	}
	for _, d := range e.Shown {
		fields := make([]string, len(d.Fields))
		for i, f := range d.Fields {
			fields[i] = FieldName(f)
		}
		what += "; getoond: dat " + d.Partner + " bij u betrokken is (" + strings.Join(fields, ", ") + ")"
		if d.To != "" && d.To != e.Partner {
			what += ", aan " + d.To
		}
	}
	return what
}

// same reports whether two rows say the same thing (all but the time).
func same(a, b broker.SubjectAccessRow) bool {
	return a.Sub == b.Sub && a.SubKnown == b.SubKnown && a.Role == b.Role && a.Action == b.Action &&
		a.Purpose == b.Purpose && a.Decision == b.Decision && slices.Equal(a.Reasons, b.Reasons) &&
		slices.Equal(a.Bases, b.Bases) && slices.EqualFunc(a.Shown, b.Shown, func(x, y broker.Disclosure) bool {
		return x.Partner == y.Partner && x.To == y.To && x.Involvement == y.Involvement && slices.Equal(x.Fields, y.Fields)
	})
}

// WriteText writes the report as plain Dutch text: per organisation, each
// event once with who, when, what, purpose and legal basis; a run of the
// same event is one line with how often and between which times.
// purposes names purpose codes (purpose list); ref is the request's
// reference.
func WriteText(w io.Writer, rep broker.SubjectAccessReport, ref string, purposes map[string]string) error {
	var b strings.Builder
	b.WriteString("Overzicht voor de inwoner: wie heeft via Ketenbrug gegevens over u bekeken of opgevraagd (AVG artikel 15)\n")
	if ref != "" {
		fmt.Fprintf(&b, "Kenmerk van uw verzoek: %s. ", ref)
	}
	fmt.Fprintf(&b, "Opgesteld op %s door Ketenbrug (%s).\n", rep.GeneratedAt.Local().Format("02-01-2006 15:04"), rep.Broker)
	groups := Groups(rep)
	if len(groups) == 0 {
		b.WriteString("\nKetenbrug heeft geen gegevens over u laten zien of opgevraagd, en niets geweigerd.\n")
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s\n", g.Name)
		var about []string
		if r, ok := controllerRoles[g.Role]; ok {
			about = append(about, "Rol bij de verwerking: "+r+".")
		}
		if g.Contact != "" {
			about = append(about, "Vragen over uw gegevens bij deze organisatie: "+g.Contact+".")
		}
		if len(about) > 0 {
			fmt.Fprintf(&b, "  %s\n", strings.Join(about, " "))
		}
		for i := 0; i < len(g.Rows); {
			e, n := g.Rows[i], 1
			for i+n < len(g.Rows) && same(e, g.Rows[i+n]) {
				n++
			}
			when := e.Time.Local().Format("02-01-2006 15:04")
			if n > 1 {
				when = fmt.Sprintf("%d keer, van %s tot %s", n, when, g.Rows[i+n-1].Time.Local().Format("02-01-2006 15:04"))
			}
			fmt.Fprintf(&b, "  %s  %s: %s\n", when, Who(e), What(e))
			var why []string
			if e.Purpose != "" {
				name := purposes[e.Purpose]
				if name == "" {
					name = strings.ReplaceAll(e.Purpose, "-", " ")
				}
				why = append(why, "doel: "+name)
			}
			if len(e.Bases) > 0 {
				why = append(why, "wettelijke grond: "+strings.Join(e.Bases, "; "))
			}
			if len(why) > 0 {
				fmt.Fprintf(&b, "      %s\n", strings.Join(why, "; "))
			}
			i += n
		}
	}
	b.WriteString("\nDit overzicht komt uit het auditlogboek van Ketenbrug, dat niet ongemerkt kan worden gewijzigd. " +
		"Het bevat alleen wat via Ketenbrug ging; organisaties houden daarnaast hun eigen dossiers.\n")
	_, err := io.WriteString(w, b.String())
	return err
}
