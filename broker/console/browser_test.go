package console

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The console's pages in a real browser: Debian's chromium, driven through
// the DevTools protocol (chromedp), against the console on a real HTTP
// server and a real OpenID provider. Every page a test visits is checked
// with axe-core (WCAG 2.1 A and AA): no violations.

var screenshots = flag.Bool("screenshots", false, "TestScreenshots rewrites docs/console/*.png")

// axeScript is axe-core's source, installed by .ci/setup.
const axeScript = "testdata/axe/node_modules/axe-core/axe.min.js"

// chromiumPath finds the browser; requireBrowser skips without it, and
// fails under CI=true, where the browser tests must run.
func requireBrowser(t *testing.T) string {
	t.Helper()
	why := ""
	path, err := exec.LookPath("chromium")
	if err != nil {
		if path, err = exec.LookPath("chromium-browser"); err != nil {
			why = "chromium is not installed (apt-get install -y chromium)"
		}
	}
	if why == "" {
		if _, err := os.Stat(axeScript); err != nil {
			why = "axe-core is not installed (npm ci --prefix broker/console/testdata/axe)"
		}
	}
	if why != "" {
		msg := why + ": run `bash .ci/setup` to test the console in a real browser"
		if os.Getenv("CI") == "true" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	}
	return path
}

// region is the browser tests' broker: a municipality at level 4 whose
// coordinator (Sanne) logs in, and a debt counsellor whose professional
// (Piet) does, both through the real provider.
type region struct {
	*env
	browser context.Context
	axe     string
	mu      sync.Mutex
	checked map[string]bool // pages checked with axe, by their h1
	bsnA    string          // the household's parent
	bsnB    string          // the household's child
}

// testBSN returns the n-th nine-digit number that passes the elfproef.
func testBSN(n int) string {
	for i := 200000000 + n*7919; ; i++ {
		s := fmt.Sprint(i)
		if _, err := broker.ParseBSN(s); err == nil {
			return s
		}
	}
}

// regionClients are the clients of the browser tests' region at the
// provider.
func regionClients() []opClient {
	return []opClient{
		{ClientID: "broker-amf", ClientSecret: "geheim-amf"},
		{ClientID: "broker-kb", ClientSecret: "geheim-kb"},
		{ClientID: "broker-fg", ClientSecret: "geheim-fg"},
		{ClientID: "broker-operator", ClientSecret: "geheim-operator"},
	}
}

// amersfoort registers the region's partners on e (made with
// regionClients) and their logins: the municipality's wijkteam, whose
// coordinator Sanne logs in, and the debt counsellor, whose professional
// Piet does.
func amersfoort(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []broker.Partner{
		{ID: "gem-amersfoort", Name: "Gemeente Amersfoort (wijkteam)", Sector: broker.SectorMunicipality,
			Roles: []broker.Role{broker.RoleCoordinator, broker.RoleProfessional}, Level: 4, Municipalities: []string{"gem-amersfoort"}, Covenant: "2026-1"},
		{ID: "kredietbank", Name: "Kredietbank Eemland", Sector: broker.SectorDebt,
			Roles: []broker.Role{broker.RoleProfessional, broker.RoleConnector}, Level: 4, Municipalities: []string{"gem-amersfoort"}, Covenant: "2026-1"},
	} {
		p.JWKS = testJWKS(t)
		if _, err := e.svc.RegisterPartner(ctx, e.operator, p); err != nil {
			t.Fatal(err)
		}
	}
	e.setLogin("gem-amersfoort", "broker-amf", "coordinator=amf-regisseurs")
	e.setLogin("kredietbank", "broker-kb", "professional=kb-medewerkers")
}

func newRegion(t *testing.T) *region {
	t.Helper()
	chromium := requireBrowser(t)
	e := newEnvWith(t, regionClients())
	amersfoort(t, e)
	ctx := context.Background()
	r := &region{env: e, checked: map[string]bool{}, bsnA: testBSN(1), bsnB: testBSN(2)}
	// The debt counsellor's system registered that it serves the parent.
	kb, _ := e.svc.LookupPartner("kredietbank")
	conn := &broker.Caller{Partner: *kb, Sub: "connector", Role: broker.RoleConnector, RequestID: "r-seed", Purpose: "integrale-ondersteuning"}
	if _, _, err := e.svc.PutInvolvement(ctx, conn, "kb-2026-17", broker.InvolvementInput{BSN: r.bsnA, Service: "schuldhulp",
		ServiceLabel: "Schuldhulpverlening", Status: broker.InvolvementActive, Start: "2026-01-05",
		Contact: broker.Contact{Name: "Piet de Boer", Phone: "033-1234567"}}); err != nil {
		t.Fatal(err)
	}
	axe, err := os.ReadFile(axeScript)
	if err != nil {
		t.Fatal(err)
	}
	r.axe = string(axe)

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium), chromedp.Flag("headless", "new"), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "nl-NL"), chromedp.Env("LANG=nl_NL.UTF-8", "LANGUAGE=nl"),
		chromedp.Flag("accept-lang", "nl-NL,nl"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	r.browser = browser
	t.Cleanup(func() {
		if !t.Failed() {
			t.Logf("axe-core: 0 violations on %d pages: %s", len(r.checked), strings.Join(slices.Sorted(func(yield func(string) bool) {
				for k := range r.checked {
					if !yield(k) {
						return
					}
				}
			}), "; "))
		}
	})
	return r
}

// tab is one person's browser: its own browser context (cookies), one
// tab.
type tab struct {
	t   *testing.T
	r   *region
	ctx context.Context
}

func (r *region) tab(t *testing.T) *tab {
	ctx, cancel := chromedp.NewContext(r.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	return &tab{t: t, r: r, ctx: ctx}
}

func (b *tab) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// get runs one action that returns a value.
func get[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// eval runs JavaScript for its effect (through the DevTools protocol, so
// the page's CSP does not apply).
func (b *tab) eval(js string) {
	b.t.Helper()
	b.run(chromedp.Evaluate[chromedp.Void](js))
}

// loaded waits until a navigation that the action started has loaded:
// the old document is marked first, and the mark must be gone.
func (b *tab) loaded(action chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.eval(`window.__kbOld = true`)
	b.run(action)
	deadline := time.Now().Add(20 * time.Second)
	for {
		done, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.__kbOld === undefined && document.readyState === "complete"`))
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatal("the page did not load")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// open goes to a console path (or a full URL).
func (b *tab) open(path string) {
	b.t.Helper()
	if strings.HasPrefix(path, "/") {
		path = b.r.srv.URL + path
	}
	b.loaded(chromedp.Navigate(path))
}

// submit clicks the submit button of the form that sel finds (a button).
func (b *tab) submit(sel string) {
	b.t.Helper()
	b.loaded(chromedp.Click(chromedp.CSS(sel)))
}

func (b *tab) set(sel, value string) {
	b.t.Helper()
	b.run(chromedp.SetValue(chromedp.CSS(sel), value))
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	return get(b, chromedp.Text(chromedp.CSS(sel)))
}

func (b *tab) h1() string { return b.text("h1") }

func (b *tab) url() string {
	return get(b, chromedp.Location())
}

// see checks that the page's h1 is title and its text holds each of want,
// and runs axe-core on it.
func (b *tab) see(title string, want ...string) {
	b.t.Helper()
	if got := b.h1(); got != title {
		b.t.Fatalf("on %s: h1 %q, want %q; page: %.600s", b.url(), got, title, b.text("main"))
	}
	body := b.text("body")
	for _, w := range want {
		if !strings.Contains(body, w) {
			b.t.Fatalf("page %q lacks %q: %.1500s", title, w, body)
		}
	}
	b.axe(title)
}

type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
}

// axe runs axe-core on the page at WCAG 2.1 A and AA; any violation
// fails the test.
func (b *tab) axe(name string) {
	b.t.Helper()
	if !get(b, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)) {
		b.eval(b.r.axe)
	}
	res := get(b, chromedp.Evaluate[axeResult](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})`,
		chromedp.EvalAwaitPromise))
	if len(res.Violations) > 0 {
		raw, _ := json.MarshalIndent(res.Violations, "", "  ")
		b.t.Fatalf("axe-core: %d violations on %q (%s):\n%s", len(res.Violations), name, b.url(), raw)
	}
	b.r.mu.Lock()
	b.r.checked[name] = true
	b.r.mu.Unlock()
}

// login signs user in for partner through the real provider's form.
func (b *tab) login(partner, user string) {
	b.t.Helper()
	b.open("/console/login?partner=" + partner)
	if !strings.HasPrefix(b.url(), b.r.srv.URL+"/console/") { // the provider asks who it is
		b.set(`input[name="username"]`, user)
		b.submit(`button`)
	}
	if !strings.HasPrefix(b.url(), b.r.srv.URL+"/console/") {
		b.t.Fatalf("after login at %s: %.300s", b.url(), b.text("body"))
	}
}

// shot saves a screenshot of the whole page as docs/console/<name>.png,
// when TestScreenshots asks.
type shooter func(b *tab, name string)

// journey is the coordinator's and professional's work, start to end; shot
// (if not nil) takes the screenshots.
func journey(t *testing.T, r *region, shot shooter) {
	if shot == nil {
		shot = func(*tab, string) {}
	}
	ctx := context.Background()
	sanne := r.tab(t)
	sanne.login("gem-amersfoort", "sanne")
	sanne.see("Inbox", "Ingelogd als Sanne Bos (s.bos) namens Gemeente Amersfoort (wijkteam), in de rol regisseur", "Er zijn geen berichten.")
	if got := sanne.text(".kb-who"); !strings.Contains(got, "Sanne Bos") || !strings.Contains(got, "Uitloggen") {
		t.Fatalf("header: %q", got)
	}

	// She registers the household: the BSNs only in form fields.
	sanne.open("/console/huishouden/bewerken")
	sanne.see("Nieuw huishouden")
	sanne.set("#hh-id", "hh-7")
	sanne.set("#m0-label", "Moeder")
	sanne.set("#m0-geb", "1985-03-14")
	sanne.set("#m0-bsn", r.bsnA)
	sanne.set("#m1-label", "Kind")
	sanne.run(chromedp.SetValue(chromedp.CSS("#m1-rol"), "child"))
	sanne.set("#m1-geb", "2016-09-01")
	sanne.set("#m1-bsn", r.bsnB)
	shot(sanne, "huishouden-registreren")
	sanne.submit(`main form button[type="submit"]`)
	sanne.see("Huishouden hh-7", "Moeder", "Kind", "14-03-1985", "AVG art. 6 lid 1 sub a")
	if u := sanne.url(); strings.Contains(u, r.bsnA) || strings.Contains(u, r.bsnB) {
		t.Fatalf("a BSN in the URL %s", u)
	}

	// She looks it up, and asks the overview under integrated support:
	// without consent the debt counsellor is not shown.
	sanne.open("/console/huishoudens")
	sanne.see("Huishoudens")
	sanne.set("#hh-id", "hh-7")
	sanne.submit(`main form button`)
	sanne.see("Huishouden hh-7")
	shot(sanne, "huishouden")
	sanne.run(chromedp.Click(chromedp.CSS("#doel-integrale-ondersteuning")))
	sanne.submit(`form[action="/console/huishouden/overzicht"] button`)
	sanne.see("Overzicht huishouden hh-7", "Grondslag: AVG art. 6 lid 1 sub a", "Geen betrokkenheid die u onder dit doel mag zien.")
	if strings.Contains(sanne.text("main"), "Kredietbank") {
		t.Fatal("the overview shows the debt counsellor without consent")
	}

	// She records the mother's consent for the debt sector.
	sanne.open("/console/toestemming")
	sanne.see("Toestemming")
	sanne.set("#t-bsn", r.bsnA)
	sanne.run(chromedp.Click(chromedp.CSS("#doel-integrale-ondersteuning")), chromedp.Click(chromedp.CSS("#t-sector-debt")), chromedp.Click(chromedp.CSS("#t-sector-municipality")))
	sanne.set("#t-bewijs", "dossier AMF-2026-0042, getekend formulier")
	shot(sanne, "toestemming")
	sanne.submit(`form[action="/console/toestemming"] button[type="submit"]`)
	sanne.see("Toestemming", "Toestemming vastgelegd", "gegeven door de persoon zelf")
	if strings.Contains(sanne.text("body"), r.bsnA) {
		t.Fatal("the consent page echoes the BSN")
	}
	// And the child's, given by the mother (a parent with authority).
	sanne.set("#t-bsn", r.bsnB)
	sanne.run(chromedp.SetValue(chromedp.CSS("#t-door"), "parent"), chromedp.Click(chromedp.CSS("#doel-integrale-ondersteuning")),
		chromedp.Click(chromedp.CSS("#t-sector-debt")), chromedp.Click(chromedp.CSS("#t-sector-municipality")))
	sanne.set("#t-bewijs", "dossier AMF-2026-0042, getekend door de moeder")
	sanne.submit(`form[action="/console/toestemming"] button[type="submit"]`)
	sanne.see("Toestemming", "Toestemming vastgelegd", "gegeven door ouder (met gezag)")

	// The overview changed: the debt counsellor is shown now.
	sanne.open("/console/huishouden/overzicht?id=hh-7&doel=integrale-ondersteuning")
	sanne.see("Overzicht huishouden hh-7", "Kredietbank Eemland", "Schuldhulpverlening", "05-01-2026")
	shot(sanne, "overzicht")

	// The person overview: BSN posted, answered on the POST.
	sanne.open("/console/persoon")
	sanne.see("Persoon opzoeken")
	sanne.set("#p-bsn", r.bsnA)
	sanne.submit(`main form button[type="submit"]`)
	sanne.see("Persoon opzoeken", "Betrokken organisaties", "Kredietbank Eemland")
	if u := sanne.url(); u != r.srv.URL+"/console/persoon" {
		t.Fatalf("the person's overview is at %s", u)
	}

	// She gives the debt counsellor an assignment.
	sanne.open("/console/huishouden?id=hh-7")
	sanne.run(chromedp.SetValue(chromedp.CSS("#op-ontvanger"), "kredietbank"), chromedp.SetValue(chromedp.CSS("#op-soort"), "intake"))
	sanne.set("#op-opdracht", "Graag een intakegesprek over de betalingsachterstanden.")
	sanne.submit(`form[action="/console/opdracht/geven"] button`)
	sanne.see("Opdracht intake", "voorgesteld", "kredietbank")
	assignmentURL := sanne.url()

	// Piet, the professional, finds it in his inbox, accepts and
	// completes it.
	piet := r.tab(t)
	piet.login("kredietbank", "piet")
	piet.see("Inbox", "Opdracht “intake” voor huishouden")
	shot(piet, "inbox")
	piet.submit(`main table a[href^="/console/opdracht?id="]`)
	piet.see("Opdracht intake", "voorgesteld", "Graag een intakegesprek")
	shot(piet, "opdracht")
	piet.submit(`input[value="accept"] ~ button`)
	piet.see("Opdracht intake", "aangenomen")
	piet.set("#uitkomst", "Intake gehouden; schuldenoverzicht volgt.")
	piet.submit(`input[value="complete"] ~ div ~ button`)
	piet.see("Opdracht intake", "afgerond", "Intake gehouden")
	piet.open("/console/opdrachten")
	piet.see("Opdrachten", "afgerond")

	// A second assignment, which Piet declines with a reason.
	sanne.open("/console/huishouden?id=hh-7")
	sanne.run(chromedp.SetValue(chromedp.CSS("#op-ontvanger"), "kredietbank"), chromedp.SetValue(chromedp.CSS("#op-soort"), "huisbezoek"))
	sanne.set("#op-opdracht", "Huisbezoek samen met het wijkteam.")
	sanne.submit(`form[action="/console/opdracht/geven"] button`)
	sanne.see("Opdracht huisbezoek", "voorgesteld")
	piet.open(strings.TrimPrefix(sanne.url(), r.srv.URL))
	piet.see("Opdracht huisbezoek", "voorgesteld")
	piet.set("#weiger-reden", "Geen capaciteit deze maand; graag via het wijkteam.")
	piet.submit(`input[value="decline"] ~ div ~ button`)
	piet.see("Opdracht huisbezoek", "geweigerd", "Geen capaciteit deze maand")

	// Sanne sees the steps in her inbox, newest first.
	sanne.open("/console/")
	sanne.see("Inbox", "afgerond", "geweigerd")
	first := sanne.text("main tbody tr")
	sanne.open(strings.TrimPrefix(assignmentURL, r.srv.URL))
	sanne.see("Opdracht intake", "afgerond")
	if !strings.Contains(first, "geweigerd") {
		t.Fatalf("the newest inbox item is not the declined assignment: %q", first)
	}

	// The joint plan: she draws it up.
	sanne.open("/console/plan?id=hh-7&doel=integrale-ondersteuning")
	sanne.see("Plan van huishouden hh-7", "nog geen gezamenlijk plan")
	sanne.open("/console/plan/bewerken?id=hh-7&doel=integrale-ondersteuning")
	sanne.see("Plan van huishouden hh-7 bewerken")
	sanne.set("#g0-titel", "Schulden stabiliseren")
	sanne.set("#g0-streef", "2026-12-31")
	sanne.set("#a0-actie", "Schuldenoverzicht opstellen")
	sanne.run(chromedp.SetValue(chromedp.CSS("#a0-partner"), "kredietbank"))
	sanne.set("#a0-uiterlijk", "2026-10-01")
	sanne.set("#loopt_tot", "2027-06-30")
	sanne.submit(`main form button[type="submit"]`)
	sanne.see("Plan van huishouden hh-7", "Schulden stabiliseren", "Schuldenoverzicht opstellen", "Kredietbank Eemland", "01-10-2026",
		"Loopt tot en met 30-06-2027")
	shot(sanne, "plan")

	// A stale edit: she opens the form on version 1; meanwhile a colleague
	// adds a goal (version 2); her save shows the merge page.
	sanne.open("/console/plan/bewerken?id=hh-7&doel=integrale-ondersteuning")
	sanne.set("#g0-titel", "Schulden stabiliseren en budget op orde")
	amf, _ := r.svc.LookupPartner("gem-amersfoort")
	colleague := &broker.Caller{Partner: *amf, Sub: "s.bos", Role: broker.RoleCoordinator, Purpose: "integrale-ondersteuning",
		RequestID: "r-colleague", Person: broker.Person{ID: "s.bos", Verified: true, Via: "key:test"}}
	cur, err := r.svc.Plan(ctx, colleague, "hh-7", 0)
	if err != nil {
		t.Fatal(err)
	}
	in := broker.PlanInput{Goals: append(slices.Clone(cur.Goals), broker.Goal{ID: "g-school", Title: "Schoolgang van het kind"}), Note: "doel school", Ends: cur.Ends}
	for _, a := range cur.Agreements {
		in.Agreements = append(in.Agreements, a.Agreement)
	}
	if _, err := r.svc.PutPlan(ctx, colleague, "hh-7", cur.Version, in); err != nil {
		t.Fatal(err)
	}
	sanne.submit(`main form button[type="submit"]`)
	sanne.see("Plan gewijzigd terwijl u bewerkte",
		"Iemand anders wijzigde het plan terwijl u bewerkte", "uw versie, de huidige versie, of combineer",
		"Schulden stabiliseren en budget op orde", "Schoolgang van het kind")
	shot(sanne, "plan-samenvoegen")
	sanne.submit(`#kop-comb ~ form button`)
	sanne.see("Plan van huishouden hh-7", "Schulden stabiliseren en budget op orde", "Schoolgang van het kind", "Versie 3",
		"Loopt tot en met 30-06-2027")

	// The print view for the household meeting.
	sanne.open("/console/plan/afdruk?id=hh-7&doel=integrale-ondersteuning")
	sanne.see("Gezamenlijk plan — huishouden hh-7", "Moeder, Kind", "Schoolgang van het kind")
	if n := sanne.count("header, nav"); n != 0 {
		t.Fatalf("the print view has %d header/nav elements", n)
	}
	shot(sanne, "plan-afdruk")

	// Piet updates his own work agreement in the plan.
	piet.open("/console/plan?id=hh-7&doel=integrale-ondersteuning")
	piet.see("Plan van huishouden hh-7", "De status van de werkafspraken van uw eigen organisatie")
	piet.run(chromedp.SetValue(chromedp.CSS(`form[action="/console/plan/afspraak"] select`), broker.AgreementInProgress))
	piet.submit(`form[action="/console/plan/afspraak"] button`)
	piet.see("Plan van huishouden hh-7", "Versie 4")
	if got := get(piet, chromedp.Value(chromedp.CSS(`form[action="/console/plan/afspraak"] select`))); got != broker.AgreementInProgress {
		t.Fatalf("the agreement's status is %q", got)
	}

	// The child's consent is withdrawn: listed by BSN (posted), withdrawn
	// with a reason.
	sanne.open("/console/toestemming")
	sanne.set("#l-bsn", r.bsnB)
	sanne.submit(`form[action="/console/toestemmingen"] button`)
	sanne.see("Toestemming", "Toestemmingen van deze persoon", "geldig")
	sanne.set(`form[action="/console/toestemming/intrekken"] input[name="reden"]`, "Ingetrokken door de moeder")
	sanne.submit(`form[action="/console/toestemming/intrekken"] button`)
	sanne.see("Toestemming", "Toestemming ingetrokken")
	if len(r.audit(broker.ActionConsentWithdraw)) != 1 {
		t.Fatal("the withdrawal is not audited")
	}

	// Every console action was audited with the verified person.
	var give broker.AuditEntry
	for _, a := range r.audit(broker.ActionAssignmentGive) {
		give = a
	}
	if give.Sub != "s.bos" || give.SubKnown != broker.SubVerified || give.SubVia != "oidc:"+r.op || give.Decision != broker.DecisionAllow {
		t.Fatalf("the assignment's audit entry: %+v", give)
	}
}

func (b *tab) count(sel string) int {
	return get(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
}

// TestBrowserJourney: a coordinator signs in through the real provider,
// registers and looks up a household, records a consent and sees the
// overview change, gives an assignment; a professional accepts and
// completes it; a stale plan edit is shown as a merge; the plan prints.
// Every page passes axe-core.
func TestBrowserJourney(t *testing.T) {
	start := time.Now()
	r := newRegion(t)
	journey(t, r, nil)
	t.Logf("journey in chromium: %s", time.Since(start).Round(100*time.Millisecond))
}

// TestScreenshots rewrites docs/console/*.png from the journey, with
// -screenshots (go test ./broker/console -run TestScreenshots -screenshots).
func TestScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to rewrite docs/console/*.png")
	}
	dir := filepath.Join("..", "..", "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := newRegion(t)
	shot := func(b *tab, name string) {
		png := get(b, chromedp.FullScreenshot(100)) // quality 100: PNG
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	journey(t, r, shot)
	officerJourney(t, r, shot)  // officer_test.go
	operatorJourney(t, r, shot) // operator_browser_test.go
	followupJourney(t, r, shot) // followup_browser_test.go
}

// TestBrowserAttacks: each attack is refused in a real browser, and
// audited where it concerns a person.
func TestBrowserAttacks(t *testing.T) {
	r := newRegion(t)
	sanne := r.tab(t)
	sanne.open("/console/login")
	sanne.see("Inloggen bij Ketenbrug", "Gemeente Amersfoort (wijkteam)")
	sanne.login("gem-amersfoort", "sanne")
	sanne.see("Inbox")
	sanne.open("/console/plan?id=hh-1")
	sanne.see("Plan van huishouden hh-1", "Doel (doelbinding)")
	sanne.open("/console/opdracht?id=a-bestaat-niet")
	sanne.see("Niet gevonden", "Wat nu?")

	t.Run("a form posted without the CSRF token", func(t *testing.T) {
		sanne.t = t
		sanne.open("/console/toestemming")
		sanne.set("#t-bsn", r.bsnA)
		sanne.set("#t-bewijs", "dossier 1")
		sanne.eval(`document.querySelectorAll('input[name="csrf"]').forEach(e => e.remove())`)
		before := len(r.audit(broker.ActionConsentRecord))
		sanne.submit(`form[action="/console/toestemming"] button[type="submit"]`)
		sanne.see("Formulier niet geaccepteerd")
		if len(r.audit(broker.ActionConsentRecord)) != before {
			t.Fatal("the consent was recorded")
		}
	})

	t.Run("a form posted from another origin", func(t *testing.T) {
		sanne.t = t
		// A page on another origin (another port: same site, other
		// origin) carries a form with a valid token, as a thief of it
		// would; the browser sends the session cookie (SameSite=Lax
		// allows same-site), and the console refuses the origin.
		sanne.open("/console/toestemming")
		token := get(sanne, chromedp.Value(chromedp.CSS(`input[name="csrf"]`)))
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="en"><title>evil</title><form method="post" action="%s/console/toestemming">
<input name="csrf" value="%s"><input name="bsn" value="%s"><input name="doel" value="integrale-ondersteuning">
<input name="gegeven_door" value="self"><input name="sector" value="debt"><input name="bewijs" value="x"><button>go</button></form>`,
				r.srv.URL, token, r.bsnB)
		}))
		defer evil.Close()
		before := len(r.audit(broker.ActionConsentRecord))
		sanne.open(evil.URL)
		sanne.submit("button")
		sanne.see("Formulier niet geaccepteerd")
		if len(r.audit(broker.ActionConsentRecord)) != before {
			t.Fatal("the consent was recorded")
		}
	})

	t.Run("a BSN typed into the URL", func(t *testing.T) {
		sanne.t = t
		sanne.open("/console/huishouden?id=" + r.bsnB)
		sanne.see("Geen BSN in het adres", "Ketenbrug heeft niets opgezocht")
		sanne.open("/console/persoon?bsn=" + r.bsnB[:4] + "." + r.bsnB[4:6] + "." + r.bsnB[6:])
		sanne.see("Geen BSN in het adres")
		refusals := r.audit("console.refused")
		if len(refusals) != 2 {
			t.Fatalf("%d audited refusals, want 2", len(refusals))
		}
		for _, a := range refusals {
			if a.Sub != "s.bos" || a.Decision != broker.DecisionDeny || len(a.Reasons) != 1 || a.Reasons[0] != "bsn_in_url" || len(a.Subjects) != 1 {
				t.Fatalf("refusal %+v", a)
			}
			raw, _ := json.Marshal(a)
			if strings.Contains(string(raw), r.bsnB) {
				t.Fatal("the audit entry holds the BSN")
			}
		}
		// The person's pseudonym: the resident's access report shows it.
		b, _ := broker.ParseBSN(r.bsnB)
		if refusals[0].Subjects[0] != r.pseudonym(t, b) {
			t.Fatal("the refusal does not name the person")
		}
	})

	t.Run("a suspended person", func(t *testing.T) {
		sanne.t = t
		ctx := context.Background()
		if _, err := r.svc.PutPersonKey(ctx, r.operator, "gem-amersfoort", broker.PersonKey{Person: "s.bos",
			Roles: []broker.Role{broker.RoleCoordinator}, JWKS: testJWKS(t)}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.SetPersonStatus(ctx, r.operator, "gem-amersfoort", "s.bos", broker.PartnerSuspended); err != nil {
			t.Fatal(err)
		}
		sanne.open("/console/huishoudens")
		sanne.see("Sessie beëindigd", "Uw toegang in Ketenbrug is geschorst")
		ends := r.audit(broker.ActionConsoleRevoked)
		if last := ends[len(ends)-1]; last.Sub != "s.bos" || last.Detail["reason"] != "person_suspended" {
			t.Fatalf("the end is audited as %+v", last)
		}
		sanne.open("/console/huishoudens") // the session is gone: to login
		if !strings.Contains(sanne.url(), "/console/login") && !strings.Contains(sanne.url(), "/interaction/") {
			t.Fatalf("after suspension the console is at %s", sanne.url())
		}
	})

	t.Run("an expired session", func(t *testing.T) {
		piet := r.tab(t)
		piet.login("kredietbank", "piet")
		piet.see("Inbox")
		piet.submit(`.kb-who button`)
		piet.see("Uitgelogd")
		piet.login("kredietbank", "piet")
		piet.see("Inbox")
		r.offset.Add(int64(DefaultIdleTimeout + time.Minute))
		defer r.offset.Add(-int64(DefaultIdleTimeout + time.Minute))
		piet.open("/console/opdrachten")
		piet.see("Sessie beëindigd", "te lang niet actief")
		ends := r.audit(broker.ActionConsoleRevoked)
		if last := ends[len(ends)-1]; last.Sub != "p.deboer" || last.Detail["reason"] != "idle_timeout" {
			t.Fatalf("the end is audited as %+v", last)
		}
	})
}

// pseudonym is the broker's pseudonym of b.
func (r *region) pseudonym(t *testing.T, b broker.BSN) broker.Pseudonym {
	t.Helper()
	return r.pseudonyms.Pseudonym(b)
}
