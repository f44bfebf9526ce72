package console

import (
	"crypto/sha512"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestHeaders: every console answer carries the strict headers; the
// stylesheets are cached for a year under a content-hashed URL with an
// integrity hash that matches.
func TestHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	p := b.login("partner-a", "anna")
	for _, pg := range []page{p, b.get("/console/login"), b.get("/console/bestaat-niet")} {
		h := pg.header
		if h.Get("Content-Security-Policy") != "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" ||
			h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: headers %v", pg.url, h)
		}
		if inlineScript.MatchString(pg.body) || strings.Contains(pg.body, "style=") || strings.Contains(pg.body, "<style") {
			t.Fatalf("%s has inline script or style", pg.url)
		}
	}
	links := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)" integrity="([^"]+)">`).FindAllStringSubmatch(p.body, -1)
	if len(links) != 2 {
		t.Fatalf("stylesheets: %v", links)
	}
	for _, l := range links {
		l[1], l[2] = html.UnescapeString(l[1]), html.UnescapeString(l[2])
		resp, err := http.Get(e.srv.URL + l[1])
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sum := sha512.Sum384(body)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || l[2] != "sha384-"+base64.StdEncoding.EncodeToString(sum[:]) {
			t.Fatalf("%s: %d %v integrity %s", l[1], resp.StatusCode, resp.Header, l[2])
		}
	}
	// The inbox's one script: from the console's files, with its
	// integrity hash, served as JavaScript.
	scripts := regexp.MustCompile(`<script src="([^"]+)" integrity="([^"]+)" defer></script>`).FindAllStringSubmatch(p.body, -1)
	if len(scripts) != 1 || !strings.HasPrefix(scripts[0][1], "/console/static/inbox.js?v=") {
		t.Fatalf("scripts on the inbox: %v", scripts)
	}
	resp, err := http.Get(e.srv.URL + html.UnescapeString(scripts[0][1]))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := sha512.Sum384(js)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || html.UnescapeString(scripts[0][2]) != "sha384-"+base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("inbox.js: %v", resp.Header)
	}
	// No template carries inline script or style.
	files, _ := filepath.Glob("templates/*.html")
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if inlineScript.Match(raw) || regexp.MustCompile(`<style|\sstyle=|\son[a-z]+=`).Match(raw) {
			t.Fatalf("%s has inline script, style or event handler", f)
		}
	}
}

// inlineScript finds a script element that is not a file's: any <script
// but one whose src comes first.
var inlineScript = regexp.MustCompile(`<script(?:>|\s+[^s>])`)

// TestDemoLink: a demo sign-in link works once, from loopback only, and
// makes a session whose person is known via "demo"; without DemoLogin
// there is no link and no route.
func TestDemoLink(t *testing.T) {
	e := newEnv(t)
	if _, err := e.h.DemoLink("partner-a", "demo.regisseur", "Demo Regisseur", broker.RoleCoordinator); err == nil {
		t.Fatal("a demo link without DemoLogin")
	}
	if p := e.browser(t).get("/console/demo?t=x"); p.status != http.StatusNotFound {
		t.Fatalf("the demo route without DemoLogin: %d", p.status)
	}
	if _, err := New(Config{Broker: e.svc, Sessions: e.store, PublicURL: "https://broker.regio.example", DemoLogin: true}); err == nil {
		t.Fatal("demo sign-in accepted for a public URL that is not loopback")
	}
	h, err := New(Config{Broker: e.svc, Sessions: e.store, PublicURL: e.srv.URL, DemoLogin: true, Logger: testLogger(), Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	link, err := h.DemoLink("partner-a", "demo.regisseur", "Demo Regisseur", broker.RoleCoordinator)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	// The test server's handler is the old one: serve the new one here.
	serve := func(b *browser, raw string, remote string) page {
		req, _ := http.NewRequest(http.MethodGet, raw, nil)
		req.RemoteAddr = remote
		for _, c := range b.jar.Cookies(u) {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if cs := rec.Result().Cookies(); len(cs) > 0 {
			b.jar.SetCookies(u, cs)
		}
		return page{status: rec.Code, body: rec.Body.String(), header: rec.Header()}
	}
	b := e.browser(t)
	if p := serve(b, link, "192.0.2.7:5000"); p.status != http.StatusForbidden {
		t.Fatalf("from another machine: %d", p.status)
	}
	link, _ = h.DemoLink("partner-a", "demo.regisseur", "Demo Regisseur", broker.RoleCoordinator)
	if p := serve(b, link, "127.0.0.1:5000"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/" {
		t.Fatalf("the link: %d %v", p.status, p.header)
	}
	if p := serve(b, link, "127.0.0.1:5000"); p.status != http.StatusForbidden {
		t.Fatalf("the link used twice: %d", p.status)
	}
	p := serve(b, e.srv.URL+"/console/", "127.0.0.1:5000")
	if p.status != 200 || !strings.Contains(p.body, "Ingelogd als <strong>Demo Regisseur</strong> (demo.regisseur) namens Partner A") {
		t.Fatalf("the demo session: %d %.300s", p.status, p.body)
	}
	logins := e.audit(broker.ActionConsoleLogin)
	if last := logins[len(logins)-1]; last.Sub != "demo.regisseur" || last.SubVia != "demo" || last.SubKnown != broker.SubVerified {
		t.Fatalf("the demo login's audit entry: %+v", last)
	}
}
