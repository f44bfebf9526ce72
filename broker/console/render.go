package console

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // dates in Europe/Amsterdam on any machine

	"github.com/ketenbrug/ketenbrug/broker"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*.css static/*.js
var staticFS embed.FS

// Page is what every template gets: the layout reads Title, Who, CSRF,
// Nav and Print; the page's own part reads Data.
type Page struct {
	Title string
	// Who is the person logged in; nil on pages outside a session (login,
	// errors), which then show no person, navigation or logout.
	Who *Who
	// CSRF is the session's form token: every form that posts puts it
	// in the hidden field "csrf" ({{template "csrf" .}}).
	CSRF string
	// Nav is the navigation of the person's role; Current the path of
	// the item to mark as the current page.
	Nav     []NavItem
	Current string
	// Print: a page for paper (the plan for the household meeting):
	// the layout leaves out the header, navigation and footer.
	Print bool
	// Lang is the page's language: "nl", or "en" for a browser that
	// prefers English (lang.go).
	Lang string
	Data any
}

// Who is the logged-in person as the header shows them.
type Who struct {
	Name, Person, PartnerName string
	PartnerID                 string
	Role                      broker.Role
	Roles                     []broker.Role
}

// NavItem is one link of the navigation.
type NavItem struct {
	Label, Path string
	// Roles the item is shown to; none: every role.
	Roles []broker.Role
}

// asset is a static file, served under a name that carries its content
// hash (so it can be cached for a year) and with its integrity hash.
type asset struct {
	URL       string // /console/static/<name>?v=<hash>
	Integrity string // sha384-…
	body      []byte
}

// stylesheets in the order the layout links them.
var stylesheets = []string{"utrecht-html.css", "ketenbrug.css"}

var assets = func() map[string]*asset {
	out := map[string]*asset{}
	css, _ := fs.Glob(staticFS, "static/*.css")
	js, _ := fs.Glob(staticFS, "static/*.js")
	for _, f := range append(css, js...) {
		body, err := staticFS.ReadFile(f)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		sri := sha512.Sum384(body)
		name := path.Base(f)
		out[name] = &asset{URL: "/console/static/" + name + "?v=" + hex.EncodeToString(sum[:8]),
			Integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:]), body: body}
	}
	return out
}()

// serveStatic serves the embedded stylesheets and the inbox's script:
// immutable for a year (the URL changes with the content).
func serveStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := "text/css; charset=utf-8"
	if path.Ext(r.PathValue("file")) == ".js" {
		ct = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, r.PathValue("file"), time.Time{}, bytes.NewReader(a.body))
}

// amsterdam is the time zone dates are shown in.
var amsterdam = func() *time.Location {
	l, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return time.UTC
	}
	return l
}()

// funcs are the template functions every page may use.
var funcs = template.FuncMap{
	"role": roleName,
	// tr and trTitle give Dutch text in the page's language (lang.go).
	"tr":      tr,
	"trTitle": trTitle,
	// date shows a YYYY-MM-DD date or a time as dd-mm-jjjj.
	"date": func(v any) string {
		switch d := v.(type) {
		case time.Time:
			if d.IsZero() {
				return "onbekend"
			}
			return d.In(amsterdam).Format("02-01-2006")
		case string:
			if t, err := time.Parse(time.DateOnly, d); err == nil {
				return t.Format("02-01-2006")
			}
			if d == "" {
				return "–"
			}
			return d
		}
		return fmt.Sprint(v)
	},
	// time shows a moment as dd-mm-jjjj uu:mm, Dutch time.
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "onbekend"
		}
		return t.In(amsterdam).Format("02-01-2006 15:04")
	},
	"word": word,
	// member names a member's role in a household.
	"member": func(role string) string {
		if role == broker.MemberParent {
			return "ouder"
		}
		return word(role)
	},
	"join":   strings.Join,
	"assets": func() []*asset { return []*asset{assets[stylesheets[0]], assets[stylesheets[1]]} },
	// script is the console's one script file (static/<name>.js), linked
	// by the page that uses it with its integrity hash.
	"script": func(name string) *asset { return assets[name+".js"] },
	"has":    func(list []string, s string) bool { return slices.Contains(list, s) },
	"add":    func(a, b int) int { return a + b },
	"now":    time.Now,
	// planData and inputData give the "planGoals" template a plan's
	// goals and agreements with the partners' names.
	"planData": planData,
	// planOwn is planData with a status form on the agreements of the
	// viewer's own partner (own), for the plan page.
	"planOwn": func(v broker.PlanView, own, csrf, purpose string) view {
		d := planData(v)
		d["Own"], d["CSRF"], d["Household"], d["Purpose"], d["Version"] = own, csrf, v.Household, purpose, v.Version
		return d
	},
	"inputData": func(in broker.PlanInput, names map[string]string) view {
		return view{"Goals": in.Goals, "Agreements": in.Agreements, "Names": names}
	},
	"goalStatuses": func() []string {
		return []string{broker.GoalOpen, broker.GoalInProgress, broker.GoalAchieved, broker.GoalDropped}
	},
	"agreementStatuses": func() []string {
		return []string{broker.AgreementPlanned, broker.AgreementInProgress, broker.AgreementDone, broker.AgreementCancelled}
	},
}

// templates are the pages, each parsed with the layout.
var templates = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.New(name).Funcs(funcs).Funcs(officerFuncs).Funcs(followupFuncs).ParseFS(templateFS, "templates/layout.html", f))
	}
	return out
}()

// render writes page p with template name (templates/<name>.html).
func render(w http.ResponseWriter, status int, name string, p *Page) {
	if p.Title == "" {
		p.Title = "Ketenbrug"
	}
	renderPart(w, status, name, "layout", p)
}

// renderPart renders the template part of page name, without the layout:
// a fragment of a page that a script swaps in (the inbox list).
func renderPart(w http.ResponseWriter, status int, name, part string, p *Page) {
	t, ok := templates[name]
	if !ok {
		panic("console: no template " + name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, part, p); err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// roleNames are the roles as a person reads them.
var roleNames = map[broker.Role]string{
	broker.RoleProfessional:   "professional",
	broker.RoleCoordinator:    "regisseur",
	broker.RolePrivacyOfficer: "privacyfunctionaris",
	broker.RoleOperator:       "beheerder",
	broker.RoleConnector:      "koppeling",
	broker.RoleAnalyst:        "analist",
}

func roleName(r broker.Role) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return string(r)
}

// words are the domain's codes (statuses, member roles, sectors, given
// by) as a person reads them; word returns the code itself when unknown.
var words = map[string]string{
	// member roles
	broker.MemberChild: "kind", broker.MemberOther: "overig",
	// assignment statuses
	broker.AssignmentProposed: "voorgesteld", broker.AssignmentAccepted: "aangenomen", broker.AssignmentDeclined: "geweigerd",
	broker.AssignmentCompleted: "afgerond", broker.AssignmentCancelled: "geannuleerd",
	// consent states and givers
	broker.ConsentActive: "geldig", broker.ConsentExpired: "verlopen", broker.ConsentNotYet: "nog niet geldig",
	broker.ConsentWithdrawn: "ingetrokken",
	broker.GivenBySelf:      "de persoon zelf", broker.GivenByParent: "ouder (met gezag)", broker.GivenByGuardian: "voogd",
	broker.GivenByRepresentative: "wettelijk vertegenwoordiger",
	// plan
	broker.GoalOpen: "open", broker.GoalInProgress: "bezig", broker.GoalAchieved: "bereikt", broker.GoalDropped: "vervallen",
	broker.AgreementPlanned: "gepland", broker.AgreementDone: "gedaan",
	broker.PlanClosed: "gesloten",
	// inbox kinds
	broker.InboxMatch: "match", broker.InboxAssignment: "opdracht", broker.InboxPlan: "plan", broker.InboxFollowup: "opvolging",
	// sectors
	string(broker.SectorMunicipality): "gemeente", string(broker.SectorEducation): "onderwijs",
	string(broker.SectorWorkIncome): "werk en inkomen", string(broker.SectorDebt): "schuldhulp",
	string(broker.SectorYouth): "jeugd", string(broker.SectorSocialServices): "sociale dienst",
	string(broker.SectorWMO): "Wmo", string(broker.SectorHealth): "zorg",
	// assignment sides
	broker.SideGiver: "gegeven", broker.SideRecipient: "ontvangen",
}

func word(v any) string {
	s := fmt.Sprint(v)
	if w, ok := words[s]; ok {
		return w
	}
	return s
}

// planData gives the "planGoals" template a plan's goals and agreements
// with the partners' names.
func planData(v broker.PlanView) view {
	names := map[string]string{}
	as := make([]broker.Agreement, len(v.Agreements))
	for i, a := range v.Agreements {
		as[i] = a.Agreement
		if a.PartnerName != "" {
			names[a.Partner] = a.PartnerName
		}
	}
	return view{"Goals": v.Goals, "Agreements": as, "Names": names}
}
