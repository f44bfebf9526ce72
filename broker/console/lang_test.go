package console

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestLangOf: English only for a browser that ranks it above Dutch.
func TestLangOf(t *testing.T) {
	for header, want := range map[string]string{
		"": "nl", "nl-NL,nl;q=0.9,en;q=0.8": "nl", "en-GB,en;q=0.9": "en", "en-US,en;q=0.9,nl;q=0.8": "en",
		"de-DE, en;q=0.5": "en", "de-DE": "nl", "nl;q=0.5, en;q=0.6": "en", "en;q=0": "nl", "en;q=x, nl": "nl", "fr, nl-BE": "nl",
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Language", header)
		if got := langOf(r); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
	en := &Page{Lang: langEN}
	for nl, want := range map[string]string{
		"Sleutels van Kredietbank Eemland": "Keys of Kredietbank Eemland", "Plan van huishouden hh-7 bewerken": "Edit the plan of household hh-7",
		"Plan van huishouden hh-7": "Plan of household hh-7", "Auditlogboek": "Audit trail", "Iets anders": "Iets anders",
	} {
		if got := trTitle(en, nl); got != want {
			t.Errorf("title %q: %q, want %q", nl, got, want)
		}
	}
	if got := trTitle(&Page{Lang: langNL}, "Auditlogboek"); got != "Auditlogboek" {
		t.Errorf("Dutch title %q", got)
	}
}

// TestEnglish: a browser that prefers English gets the layout, the
// navigation, role names and the headings in English; Dutch stays the
// default; every navigation label and role name is in the catalogue.
func TestEnglish(t *testing.T) {
	e := newEnv(t)
	anna := e.browser(t)
	anna.login("partner-a", "anna") // coordinator
	get := func(path, lang string) (string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		resp, err := anna.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Header
	}
	body, hd := get("/console/", "en-GB,en;q=0.9,nl;q=0.5")
	for _, want := range []string{`<html lang="en"`, "<title>Start – Ketenbrug</title>", "Skip to content", "Log out", "role: <strong>coordinator</strong>",
		">Households</a>", ">Assignments</a>", "<h1>Inbox</h1>", "Messages, newest first", "data exchange in the social domain"} {
		if !strings.Contains(body, want) {
			t.Errorf("the English inbox lacks %q", want)
		}
	}
	if hd.Get("Vary") != "Accept-Language" {
		t.Errorf("Vary: %q", hd.Get("Vary"))
	}
	if body, _ := get("/console/huishoudens", "en"); !strings.Contains(body, "<h1>Households</h1>") || !strings.Contains(body, "<title>Households – Ketenbrug</title>") {
		t.Errorf("the English households page: %.600s", body)
	}
	if body, _ := get("/console/bestaat-niet", "en"); !strings.Contains(body, "<h1>Page not found</h1>") {
		t.Errorf("the English error page: %.600s", body)
	}
	for _, lang := range []string{"", "nl-NL,nl;q=0.9,en;q=0.8"} {
		body, _ := get("/console/", lang)
		for _, want := range []string{`<html lang="nl"`, "Naar de inhoud", "Uitloggen", ">Huishoudens</a>", "<h1>Inbox</h1>", "rol: <strong>regisseur</strong>"} {
			if !strings.Contains(body, want) {
				t.Errorf("Accept-Language %q: the inbox lacks %q", lang, want)
			}
		}
	}
	for _, n := range e.h.nav {
		if _, ok := english[n.Label]; !ok {
			t.Errorf("navigation label %q is not in the catalogue", n.Label)
		}
	}
	for _, name := range roleNames {
		if _, ok := english[name]; !ok {
			t.Errorf("role name %q is not in the catalogue", name)
		}
	}
}
