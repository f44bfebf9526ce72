package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// followupHousehold is the household of the follow-up tests.
const followupHousehold = "hh-9"

// seedFollowups registers, on an env with the region's partners
// (amersfoort), the UWV and a school as connectors, household hh-9 with
// Sanne as its coordinator (the mother bsnA, the child bsnB), the
// consents for their sectors, and then the UWV's and the school's
// registrations with the mother: each a match signal to Sanne, which
// opens a follow-up. With kb, the Kredietbank registers first (no match:
// nobody else yet). It returns the follow-ups' ids by other partner.
func seedFollowups(t *testing.T, e *env, bsnA, bsnB string, kb bool) map[string]string {
	t.Helper()
	ctx := context.Background()
	for _, p := range []broker.Partner{
		{ID: "uwv", Name: "UWV Amersfoort", Sector: broker.SectorWorkIncome, Roles: []broker.Role{broker.RoleConnector},
			Level: 4, Municipalities: []string{"gem-amersfoort"}, Covenant: "2026-1"},
		{ID: "eemland-college", Name: "Eemland College", Sector: broker.SectorEducation, Roles: []broker.Role{broker.RoleConnector},
			Level: 4, Municipalities: []string{"gem-amersfoort"}, Covenant: "2026-1"},
	} {
		p.JWKS = testJWKS(t)
		if _, err := e.svc.RegisterPartner(ctx, e.operator, p); err != nil {
			t.Fatal(err)
		}
	}
	sanne := e.person(t, "gem-amersfoort", "s.bos", broker.RoleCoordinator)
	if _, err := e.svc.PutHousehold(ctx, sanne, followupHousehold, broker.HouseholdInput{Municipality: "gem-amersfoort",
		Members: []broker.MemberInput{{Label: "Moeder", Role: broker.MemberParent, BirthYear: 1985, BSN: bsnA},
			{Label: "Kind", Role: broker.MemberChild, BirthYear: 2016, BSN: bsnB}}}); err != nil {
		t.Fatal(err)
	}
	sectors := []broker.Sector{broker.SectorDebt, broker.SectorWorkIncome, broker.SectorEducation, broker.SectorMunicipality}
	for bsn, by := range map[string]string{bsnA: broker.GivenBySelf, bsnB: broker.GivenByParent} {
		if _, err := e.svc.RecordConsent(ctx, sanne, bsn, broker.Consent{Purpose: "integrale-ondersteuning", Sectors: sectors,
			GivenBy: by, Evidence: "dossier AMF-2026-0099", Explicit: true, NotConditional: true}); err != nil {
			t.Fatal(err)
		}
	}
	put := func(partner, ref, service string) {
		t.Helper()
		p, _ := e.svc.LookupPartner(partner)
		conn := &broker.Caller{Partner: *p, Sub: "connector", Role: broker.RoleConnector, RequestID: "r-seed", Purpose: "integrale-ondersteuning"}
		if _, _, err := e.svc.PutInvolvement(ctx, conn, ref, broker.InvolvementInput{BSN: bsnA, Service: service,
			ServiceLabel: service, Status: broker.InvolvementActive, Start: "2026-01-05",
			Contact: broker.Contact{Name: "Contact " + partner, Phone: "033-1234567"}}); err != nil {
			t.Fatal(err)
		}
	}
	if kb {
		put("kredietbank", "kb-2026-99", "schuldhulp")
	}
	put("uwv", "uwv-2026-3", "ww")
	put("eemland-college", "ec-2026-8", "leerplicht")
	l, err := e.svc.Followups(ctx, sanne, broker.FollowupQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, f := range l.Followups {
		ids[f.Partner] = f.ID
	}
	if ids["uwv"] == "" || ids["eemland-college"] == "" {
		t.Fatalf("the matches opened the follow-ups %v, want the UWV's and the school's", ids)
	}
	return ids
}

// person is a verified person of partner in role.
func (e *env) person(t *testing.T, partner, sub string, role broker.Role) *broker.Caller {
	t.Helper()
	p, err := e.svc.LookupPartner(partner)
	if err != nil {
		t.Fatal(err)
	}
	return &broker.Caller{Partner: *p, Sub: sub, Role: role, Purpose: "integrale-ondersteuning", RequestID: "r-" + sub,
		Person: broker.Person{ID: sub, Verified: true, Via: "key:test"}}
}

// makeOverdue moves the due date of follow-up id to before today, as
// the passing of time would.
func (e *env) makeOverdue(t *testing.T, id, due string) {
	t.Helper()
	if err := e.store.Update(func(tx broker.Tx) error {
		f, err := tx.Followup(id)
		if err != nil {
			return err
		}
		f.Due, f.Revision = due, f.Revision+1
		return tx.PutFollowup(f)
	}); err != nil {
		t.Fatal(err)
	}
}

// requestIDs are the request ids an error page shows.
var requestIDs = regexp.MustCompile(`c-[a-z0-9]{20}`)

// post posts form to path with the CSRF token of page from.
func (b *browser) post(path string, from page, form url.Values) page {
	b.t.Helper()
	form.Set("csrf", csrfOf(b.t, from.body))
	return b.do(http.MethodPost, b.e.srv.URL+path, form)
}

// TestFollowupPages: the coordinator's inbox shows the live follow-ups
// first, overdue on top; the follow-up page shows it in Dutch and its
// forms record a contact, close it with an outcome and name another
// lead; wrong input is answered in Dutch with the next step; to anyone
// but the lead and the coordinator a follow-up is not found, exactly as
// an id never used.
func TestFollowupPages(t *testing.T) {
	e := newEnvWith(t, regionClients())
	amersfoort(t, e)
	ids := seedFollowups(t, e, testBSN(1), testBSN(2), true)
	uwv, school := ids["uwv"], ids["eemland-college"]
	if _, ok := ids["kredietbank"]; ok {
		t.Fatalf("the first registration opened a follow-up: %v", ids)
	}
	// The school's follow-up is overdue: it comes first although the
	// UWV's was opened first.
	e.makeOverdue(t, school, "2026-01-05")
	// The sweep escalates it: a signal in the lead's inbox.
	if _, err := e.svc.SweepFollowups(context.Background()); err != nil {
		t.Fatal(err)
	}

	sanne := e.browser(t)
	home := sanne.login("gem-amersfoort", "sanne")
	if home.status != 200 {
		t.Fatalf("the inbox: %d", home.status)
	}
	body := home.body
	iFollow, iInbox := strings.Index(body, "Opvolging van matches"), strings.Index(body, "Berichten, nieuwste eerst")
	iSchool, iUWV := strings.Index(body, `href="/console/opvolging/`+school+`"`), strings.Index(body, `href="/console/opvolging/`+uwv+`"`)
	if iFollow < 0 || iInbox < iFollow || iSchool < iFollow || iUWV < iSchool || iUWV > iInbox {
		t.Fatalf("the inbox does not list the follow-ups first, overdue on top (%d %d %d %d): %s", iFollow, iSchool, iUWV, iInbox, body)
	}
	if row := body[iFollow:iUWV]; !strings.Contains(row, "Te laat</strong>, uiterlijk 05-01-2026") || !strings.Contains(row, "Eemland College") {
		t.Fatalf("the overdue follow-up's row: %s", row)
	}
	// The match signals and the escalation in the inbox link to their
	// follow-ups too.
	if n := strings.Count(body[iInbox:], `href="/console/opvolging/`); n != 3 {
		t.Fatalf("%d inbox items link to a follow-up, want 3", n)
	}
	if !strings.Contains(body[iInbox:], "<td>opvolging</td>") || !strings.Contains(body[iInbox:], "Opvolging van een match bij huishouden hh-9: te laat, uiterlijk 05-01-2026") {
		t.Fatalf("the escalation in the inbox: %s", body[iInbox:])
	}

	// The overdue follow-up's page.
	p := sanne.get("/console/opvolging/" + school)
	for _, want := range []string{"<h1>Opvolging huishouden hh-9</h1>", "Te laat:", "05-01-2026", "Eemland College",
		"<strong>Open</strong>", "s.bos (Gemeente Amersfoort (wijkteam))", "Geopend met het matchsignaal", "Ketenbrug",
		"Nog geen contact vastgelegd", "Contact vastleggen", "Eén keer gemeld aan de trekker en de teamleider",
		"Te laat: gemeld aan de trekker en de teamleider", "Eerste melding", "Afgestemd: de professionals werken samen verder",
		"Andere trekker"} {
		if !strings.Contains(p.body, want) {
			t.Fatalf("the follow-up page lacks %q: %s", want, p.body)
		}
	}

	t.Run("contact", func(t *testing.T) {
		// In the future: refused in Dutch, nothing recorded.
		future := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
		bad := sanne.post("/console/opvolging/"+school+"/contact", p, url.Values{"op": {future}})
		if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "ligt in de toekomst") ||
			!strings.Contains(bad.body, `href="/console/opvolging/`+school+`"`) {
			t.Fatalf("a contact in the future: %d %s", bad.status, bad.body)
		}
		if bad := sanne.post("/console/opvolging/"+school+"/contact", p, url.Values{"op": {"gisteren"}}); bad.status != http.StatusBadRequest ||
			!strings.Contains(bad.body, "Vul de datum in als dd-mm-jjjj") {
			t.Fatalf("a contact on no date: %d %s", bad.status, bad.body)
		}
		if bad := sanne.post("/console/opvolging/"+school+"/contact", p, url.Values{"op": {"01-02-2020"}}); bad.status != http.StatusBadRequest ||
			!strings.Contains(bad.body, "vóór de dag waarop de opvolging begon") || !strings.Contains(bad.body, "Terug naar de opvolging") {
			t.Fatalf("a contact before the follow-up: %d %s", bad.status, bad.body)
		}
		// With whom and when default to the other partner and today.
		ok := sanne.post("/console/opvolging/"+school+"/contact", p, url.Values{"met": {""}, "op": {""}})
		if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/console/opvolging/"+school {
			t.Fatalf("recording a contact: %d %s", ok.status, ok.body)
		}
		today := time.Now().In(amsterdam).Format("02-01-2006")
		after := sanne.get("/console/opvolging/" + school)
		for _, want := range []string{"<strong>Contact gelegd</strong>", "Met Eemland College op " + today, "Contact vastgelegd"} {
			if !strings.Contains(after.body, want) {
				t.Fatalf("after the contact the page lacks %q: %s", want, after.body)
			}
		}
		if n := len(e.audit(broker.ActionFollowupContact)); n != 1 {
			t.Fatalf("%d contacts audited, want 1", n)
		}
	})

	t.Run("close", func(t *testing.T) {
		// No outcome chosen, and one the policy does not know.
		none := sanne.post("/console/opvolging/"+school+"/afronden", p, url.Values{})
		if none.status != http.StatusBadRequest || !strings.Contains(none.body, "Kies een afloop") {
			t.Fatalf("closing without an outcome: %d %s", none.status, none.body)
		}
		unknown := sanne.post("/console/opvolging/"+school+"/afronden", p, url.Values{"afloop": {"zomaar"}})
		if unknown.status != http.StatusForbidden || !strings.Contains(unknown.body, "Kies een afloop uit de lijst.") ||
			!strings.Contains(unknown.body, "Terug naar de opvolging") {
			t.Fatalf("closing with an unknown outcome: %d %s", unknown.status, unknown.body)
		}
		ok := sanne.post("/console/opvolging/"+school+"/afronden", p, url.Values{"afloop": {"afgestemd"}})
		if ok.status != http.StatusSeeOther {
			t.Fatalf("closing: %d %s", ok.status, ok.body)
		}
		after := sanne.get("/console/opvolging/" + school)
		for _, want := range []string{"<strong>Afgerond</strong>", "Afloop", "Afgestemd: de professionals werken samen verder"} {
			if !strings.Contains(after.body, want) {
				t.Fatalf("after closing the page lacks %q: %s", want, after.body)
			}
		}
		if strings.Contains(after.body, "/afronden") || strings.Contains(after.body, "/contact\"") {
			t.Fatal("a closed follow-up still offers its forms")
		}
		// Closed twice: the page says it cannot now.
		again := sanne.post("/console/opvolging/"+school+"/afronden", p, url.Values{"afloop": {"afgestemd"}})
		if again.status != http.StatusConflict || !strings.Contains(again.body, "Kan nu niet") {
			t.Fatalf("closing twice: %d %s", again.status, again.body)
		}
		// A closed follow-up leaves the inbox's list.
		home := sanne.get("/console/").body
		if first := home[:strings.Index(home, "Berichten, nieuwste eerst")]; strings.Contains(first, `href="/console/opvolging/`+school+`"`) {
			t.Fatal("the closed follow-up is still listed first")
		}
	})

	// Piet (the Kredietbank, which serves the household) is neither lead
	// nor coordinator: for him the UWV's follow-up does not exist, exactly
	// as an id never used, whether he reads it or posts to it.
	piet := e.browser(t)
	pietHome := piet.login("kredietbank", "piet")
	if strings.Contains(pietHome.body, "/console/opvolging/"+uwv) {
		t.Fatal("Piet's inbox lists a follow-up he does not lead")
	}
	same := func(what string, a, b page) {
		t.Helper()
		na, nb := requestIDs.ReplaceAllString(a.body, "c-x"), requestIDs.ReplaceAllString(b.body, "c-x")
		if a.status != http.StatusNotFound || a.status != b.status || na != nb {
			t.Fatalf("%s: %d and %d, bodies differ:\n%s\n----\n%s", what, a.status, b.status, na, nb)
		}
		if !strings.Contains(na, "Niet gevonden") {
			t.Fatalf("%s: %s", what, na)
		}
	}
	same("reading", piet.get("/console/opvolging/"+uwv), piet.get("/console/opvolging/f-bestaatniet"))
	same("reading an id that cannot be one", piet.get("/console/opvolging/"+uwv), piet.get("/console/opvolging/f%20x"))
	same("recording a contact", piet.post("/console/opvolging/"+uwv+"/contact", pietHome, url.Values{}),
		piet.post("/console/opvolging/f-bestaatniet/contact", pietHome, url.Values{}))
	same("closing", piet.post("/console/opvolging/"+uwv+"/afronden", pietHome, url.Values{"afloop": {"afgestemd"}}),
		piet.post("/console/opvolging/f-bestaatniet/afronden", pietHome, url.Values{"afloop": {"afgestemd"}}))
	same("reassigning", piet.post("/console/opvolging/"+uwv+"/trekker", pietHome, url.Values{"organisatie": {"kredietbank"}, "persoon": {"p.deboer"}}),
		piet.post("/console/opvolging/f-bestaatniet/trekker", pietHome, url.Values{"organisatie": {"kredietbank"}, "persoon": {"p.deboer"}}))
	// Anna, a coordinator of another region's partner, neither.
	anna := e.browser(t)
	anna.login("partner-a", "anna")
	same("another partner's coordinator", anna.get("/console/opvolging/"+uwv), anna.get("/console/opvolging/f-bestaatniet"))

	t.Run("reassign", func(t *testing.T) {
		p := sanne.get("/console/opvolging/" + uwv)
		if bad := sanne.post("/console/opvolging/"+uwv+"/trekker", p, url.Values{"organisatie": {"kredietbank"}, "persoon": {" "}}); bad.status != http.StatusBadRequest ||
			!strings.Contains(bad.body, "de organisatie en de persoon zijn allebei nodig") {
			t.Fatalf("a lead without a person: %d %s", bad.status, bad.body)
		}
		// A partner that does not serve the household may not lead.
		if _, err := e.svc.RegisterPartner(context.Background(), e.operator, broker.Partner{ID: "ggd", Name: "GGD regio Utrecht",
			Sector: broker.SectorHealth, Roles: []broker.Role{broker.RoleProfessional}, Level: 4,
			Municipalities: []string{"gem-amersfoort"}, Covenant: "2026-1", JWKS: testJWKS(t)}); err != nil {
			t.Fatal(err)
		}
		denied := sanne.post("/console/opvolging/"+uwv+"/trekker", p, url.Values{"organisatie": {"ggd"}, "persoon": {"g.arts"}})
		if denied.status != http.StatusForbidden || !strings.Contains(denied.body, "Deze persoon mag de opvolging niet trekken") {
			t.Fatalf("a lead of a partner that does not serve the household: %d %s", denied.status, denied.body)
		}
		ok := sanne.post("/console/opvolging/"+uwv+"/trekker", p, url.Values{"organisatie": {"kredietbank"}, "persoon": {"p.deboer"}})
		if ok.status != http.StatusSeeOther {
			t.Fatalf("reassigning: %d %s", ok.status, ok.body)
		}
		after := sanne.get("/console/opvolging/" + uwv)
		if !strings.Contains(after.body, "p.deboer (Kredietbank Eemland)") || !strings.Contains(after.body, "Nieuwe trekker: p.deboer (Kredietbank Eemland)") {
			t.Fatalf("after reassigning: %s", after.body)
		}
		// Piet leads it now: his inbox lists it, his page has the contact
		// and close forms but not the coordinator's.
		home := piet.get("/console/")
		if !strings.Contains(home.body, `href="/console/opvolging/`+uwv+`"`) {
			t.Fatalf("the new lead's inbox does not list the follow-up: %s", home.body)
		}
		pp := piet.get("/console/opvolging/" + uwv)
		if pp.status != 200 || !strings.Contains(pp.body, "Contact vastleggen") || !strings.Contains(pp.body, "/afronden") ||
			strings.Contains(pp.body, "/trekker") {
			t.Fatalf("the lead's page: %d %s", pp.status, pp.body)
		}
		// And he closes it.
		if ok := piet.post("/console/opvolging/"+uwv+"/afronden", pp, url.Values{"afloop": {"overgedragen"}}); ok.status != http.StatusSeeOther {
			t.Fatalf("the lead closing: %d %s", ok.status, ok.body)
		}
		if after := sanne.get("/console/opvolging/" + uwv); !strings.Contains(after.body, "Overgedragen aan de andere professional") {
			t.Fatalf("the coordinator after the lead closed: %s", after.body)
		}
	})
}

// outcomeBroker is a Broker that can say the active policy's outcomes.
type outcomeBroker struct {
	Broker
	m map[string]string
}

func (o outcomeBroker) FollowupOutcomes() map[string]string { return o.m }

// TestFollowupOutcomes: the close form offers the shipped policy data's
// outcomes, or the active policy's when the Broker can say them (by
// code, a name missing shown as its code); a history names them, and the
// broker's own ends, in Dutch.
func TestFollowupOutcomes(t *testing.T) {
	h := &Handler{b: stubBroker{}}
	if got := h.outcomes(); len(got) != 4 || got[0].Code != "afgestemd" || h.outcomeName("niet-bereikt") != "Andere professional niet bereikt" {
		t.Fatalf("the shipped outcomes: %v", got)
	}
	h.b = outcomeBroker{m: map[string]string{"zelf-opgelost": "Het gezin loste het zelf op", "afgestemd": "Afgestemd", "x": ""}}
	got := h.outcomes()
	if len(got) != 3 || got[0] != (outcomeChoice{"afgestemd", "Afgestemd"}) || got[1] != (outcomeChoice{"x", "x"}) ||
		got[2].Name != "Het gezin loste het zelf op" {
		t.Fatalf("the policy's outcomes: %v", got)
	}
	if n := h.outcomeName(broker.FollowupEndedPlan); n != "Het plan van het huishouden is gesloten" {
		t.Fatalf("a cancellation's reason: %q", n)
	}
	if n := h.outcomeName("overgedragen"); n != "Overgedragen aan de andere professional" {
		t.Fatalf("a shipped outcome the policy no longer has: %q", n)
	}
}

// TestUnassignedFollowupPage: a follow-up opened for another partner's
// match signal (followups.partner_sectors) has no person as lead until
// the coordinator names one; the inbox asks her to name one and the page
// says whom the match was signalled to and where to name the lead.
func TestUnassignedFollowupPage(t *testing.T) {
	e := newEnvWith(t, regionClients())
	amersfoort(t, e)
	uwv := seedFollowups(t, e, testBSN(1), testBSN(2), true)["uwv"]
	// The follow-up as the broker opens it for the Kredietbank's signal.
	if err := e.store.Update(func(tx broker.Tx) error {
		f, err := tx.Followup(uwv)
		if err != nil {
			return err
		}
		f.For, f.Lead, f.Revision = "kredietbank", broker.Actor{Partner: "kredietbank"}, f.Revision+1
		return tx.PutFollowup(f)
	}); err != nil {
		t.Fatal(err)
	}
	sanne := e.browser(t)
	home := sanne.login("gem-amersfoort", "sanne")
	i := strings.Index(home.body, `href="/console/opvolging/`+uwv+`"`)
	if i < 0 || !strings.Contains(home.body[max(0, i-400):i], "<strong>trekker benoemen</strong>") {
		t.Fatalf("the inbox does not ask to name a lead: %s", home.body)
	}
	p := sanne.get("/console/opvolging/" + uwv)
	for _, want := range []string{"Nog geen trekker:", "Match gemeld aan", "(nog niemand benoemd)", `href="#kop-trekker"`,
		"tot dan ziet alleen u deze opvolging"} {
		if !strings.Contains(p.body, want) {
			t.Fatalf("the page lacks %q: %s", want, p.body)
		}
	}
}
