package broker

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

// Formats a plan renders to, for the plan meeting (planbijeenkomst).
const (
	PlanFormatJSON     = "json"
	PlanFormatHTML     = "html"
	PlanFormatMarkdown = "markdown"
)

// RenderPlan renders v as a printable document: HTML (one page, printable,
// no scripts, no external resources) or Markdown. Every text from the plan
// is escaped for the format.
func RenderPlan(v *PlanView, format string) ([]byte, string, error) {
	switch format {
	case PlanFormatHTML:
		var b bytes.Buffer
		if err := planHTML.Execute(&b, v); err != nil {
			return nil, "", err
		}
		return b.Bytes(), "text/html; charset=utf-8", nil
	case PlanFormatMarkdown:
		return planMarkdown(v), "text/markdown; charset=utf-8", nil
	}
	return nil, "", invalid("format", "html or markdown")
}

// agreementsOf returns the agreements for goal id.
func (v *PlanView) agreementsOf(id string) []AgreementView {
	var out []AgreementView
	for _, a := range v.Agreements {
		if a.Goal == id {
			out = append(out, a)
		}
	}
	return out
}

func (a *AgreementView) partnerLabel() string {
	if a.PartnerName != "" {
		return a.PartnerName + " (" + a.Partner + ")"
	}
	return a.Partner
}

var planHTML = template.Must(template.New("plan").Funcs(template.FuncMap{
	"agreements": func(v *PlanView, goal string) []AgreementView { return v.agreementsOf(goal) },
	"partner":    func(a AgreementView) string { return a.partnerLabel() },
	"date":       dash,
	"join":       strings.Join,
}).Parse(`<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>Plan huishouden {{.Household}} — versie {{.Version}}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }
th, td { border: 1px solid #999; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
.meta { color: #444; }
@media print { body { margin: 1cm; } }
</style>
</head>
<body>
<h1>Gezamenlijk plan — huishouden {{.Household}}</h1>
<p class="meta">Versie {{.Version}}{{if ne .Version .Latest}} (de huidige versie is {{.Latest}}){{end}}, status {{.Status}}.
Regisseur: {{.Coordinator.Sub}} ({{.Coordinator.Partner}}). Doel van de gegevensverwerking: {{.Purpose}}.<br>
Gezinsleden: {{join .Members ", "}}.<br>
Laatste wijziging: {{.Change}}, door {{.ChangedBy.Sub}} ({{.ChangedBy.Partner}}) op {{.ChangedAt.Format "2006-01-02 15:04"}} UTC.</p>
{{$v := .}}
{{range .Goals}}
<h2>Doel: {{.Title}}</h2>
<p class="meta">Status {{.Status}}, streefdatum {{date .Target}} ({{.ID}})</p>
<table>
<tr><th>Werkafspraak</th><th>Partner</th><th>Actie</th><th>Uiterlijk</th><th>Status</th></tr>
{{range agreements $v .ID}}<tr><td>{{.ID}}</td><td>{{partner .}}</td><td>{{.Action}}</td><td>{{date .Due}}</td><td>{{.Status}}</td></tr>
{{else}}<tr><td colspan="5">Nog geen werkafspraken.</td></tr>
{{end}}</table>
{{else}}
<p>Het plan heeft nog geen doelen.</p>
{{end}}
<p class="meta">Opgesteld door Ketenbrug voor de planbijeenkomst. Dit document bevat persoonsgegevens: bewaar en deel het alleen volgens het privacyreglement.</p>
</body>
</html>
`))

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mdEscape escapes text for Markdown: the characters that start markup,
// and line breaks (a table cell is one line).
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '.', '!', '|', '<', '>', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func planMarkdown(v *PlanView) []byte {
	var b bytes.Buffer
	e := mdEscape
	fmt.Fprintf(&b, "# Gezamenlijk plan — huishouden %s\n\n", e(v.Household))
	fmt.Fprintf(&b, "- Versie: %d", v.Version)
	if v.Version != v.Latest {
		fmt.Fprintf(&b, " (de huidige versie is %d)", v.Latest)
	}
	fmt.Fprintf(&b, "\n- Status: %s\n", e(v.Status))
	fmt.Fprintf(&b, "- Regisseur: %s (%s)\n", e(v.Coordinator.Sub), e(v.Coordinator.Partner))
	fmt.Fprintf(&b, "- Doel van de gegevensverwerking: %s\n", e(v.Purpose))
	members := make([]string, len(v.Members))
	for i, m := range v.Members {
		members[i] = e(m)
	}
	fmt.Fprintf(&b, "- Gezinsleden: %s\n", strings.Join(members, ", "))
	fmt.Fprintf(&b, "- Laatste wijziging: %s, door %s (%s) op %s UTC\n\n", e(v.Change), e(v.ChangedBy.Sub),
		e(v.ChangedBy.Partner), v.ChangedAt.UTC().Format("2006-01-02 15:04"))
	if len(v.Goals) == 0 {
		b.WriteString("Het plan heeft nog geen doelen.\n\n")
	}
	for _, g := range v.Goals {
		fmt.Fprintf(&b, "## Doel: %s\n\n", e(g.Title))
		fmt.Fprintf(&b, "Status %s, streefdatum %s (%s)\n\n", e(g.Status), e(dash(g.Target)), e(g.ID))
		as := v.agreementsOf(g.ID)
		if len(as) == 0 {
			b.WriteString("Nog geen werkafspraken.\n\n")
			continue
		}
		b.WriteString("| Werkafspraak | Partner | Actie | Uiterlijk | Status |\n|---|---|---|---|---|\n")
		for _, a := range as {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", e(a.ID), e(a.partnerLabel()), e(a.Action), e(dash(a.Due)), e(a.Status))
		}
		b.WriteString("\n")
	}
	b.WriteString("_Opgesteld door Ketenbrug voor de planbijeenkomst. Dit document bevat persoonsgegevens: bewaar en deel het alleen volgens het privacyreglement._\n")
	return b.Bytes()
}
