// Package console is the broker's web console for persons: coordinators
// (regisseurs), professionals, privacy officers and operators. It is an
// adapter beside httpapi: it calls the domain (package broker) with the
// session's verified Caller and nothing else of the project, so every
// decision is the policy's and every action is audited exactly as the same
// API call. All text a person reads is Dutch and names the next step.
//
// # Login and sessions
//
// Login is OpenID Connect at the partner's own provider (login.go:
// authorization code with PKCE, state and nonce kept server-side, the
// answer bound to the starting browser); the session (session.go) is kept
// in the store under the SHA-256 of a __Host- cookie (Secure over https,
// HttpOnly, SameSite=Lax), checked on every request (timeouts, partner and
// person suspended, login changed, role removed) and yields a
// broker.Caller whose Person is verified via "oidc:<issuer>". A demo
// sign-in link (demo.go, Config.DemoLogin, loopback only, used once)
// makes the same kind of session with Person.Via "demo".
//
// # Adding a page
//
// A page is a handler registered with Action and a template:
//
//	h.Action("GET /console/beleid", false, h.policies)  // fresh=true: recent login needed
//	h.Nav("Beleid", "/console/beleid", broker.RolePrivacyOfficer)
//
//	func (h *Handler) policies(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
//		vs, err := h.b.Policies(r.Context(), c)   // the domain decides and audits
//		if err != nil {
//			return back(err, "/console/beleid", "Terug naar het beleid")
//		}
//		return h.show(w, r, c, s, "policies", "Beleid", vs)   // templates/policies.html
//	}
//
// The handler reaches the domain through h.b, the Broker interface
// (console.go): a page that needs another domain method adds it there, with
// the signature *broker.Service already has, so the console keeps calling
// exactly what httpapi calls. A person's purpose goes in c.Purpose before
// the call (purposeOf, purposeOrFirst: only the purposes Service.Purposes
// offers the caller); whatever the page lets a person pick, the domain
// decides.
//
// Action checks the session first; for any method but GET and HEAD it also
// checks the form (http.CrossOriginProtection and the session's CSRF token
// in the field "csrf", which {{template "csrf" $}} writes) before the
// handler runs. A handler returns the domain's error as it is; fail (the
// one place errors become pages) maps it through domainPage
// (messages.go) to a Dutch page with the next step, and back(err, link,
// label) points that step at the form the person came from. Add a domain
// error or policy reason there, never in a handler.
//
// Templates live in templates/<name>.html, each defining "content"; the
// layout (templates/layout.html) gives every page the skip link, the
// header with the person, role and logout form, the navigation of the
// role (Nav) and the footer, and links the stylesheets. The template
// functions (render.go) show dates as dd-mm-jjjj ("date", "time") and the
// domain's codes in Dutch ("word", "role"). Page.Print leaves the header,
// navigation and footer out (a page for paper).
//
// # Opvolging van matches (follow-ups)
//
// Nederlands. Een matchsignaal aan de regisseur van een huishouden
// ("een andere organisatie is ook betrokken") opent een opvolging: de
// trekker (de regisseur, of wie de regisseur aanwijst) neemt contact op
// met die andere organisatie en legt vóór de vervaldatum vast hoe het
// afliep. Bovenaan de inbox staat "Opvolging van matches": eerst wat te
// laat is (gemarkeerd "Te laat", met de vervaldatum), dan de open
// opvolgingen op vervaldatum. De pagina van een opvolging
// (/console/opvolging/{id}) toont het huishouden, de andere organisatie,
// de trekker, de regisseur, de vervaldatum, de status (Open, Contact
// gelegd, Afgerond, Vervallen), de escalaties, het contact, de afloop en
// het verloop als tabel. Met de formulieren legt de trekker of de
// regisseur een contact vast (met wie: standaard de andere organisatie;
// op welke dag: standaard vandaag, niet in de toekomst) en rondt af met
// een afloop uit de lijst van het beleid (afgestemd, geen actie nodig,
// overgedragen, niet bereikt); alleen de regisseur wijst een andere
// trekker aan (een organisatie en de gebruikersnaam van de persoon). Wie
// geen trekker of regisseur is, krijgt "Niet gevonden", precies als voor
// een opvolging die niet bestaat.
//
// English. A match signal to a household's coordinator opens a follow-up
// (followup.go): the inbox lists the caller's live follow-ups first,
// overdue ones on top (Broker.Followups sorts them so), and each links to
// /console/opvolging/{id}, which shows the follow-up in Dutch with its
// steps as a history table and the forms of its steps, each a POST
// through Action (CSRF and origin checked) to .../contact, .../afronden
// and, for the coordinator only, .../trekker; each is
// Broker.StepFollowup under the follow-up's own purpose, and the
// domain's refusals (not_followup_party, lead_not_allowed,
// outcome_unknown) are the pages of messages.go. The close form offers
// the shipped policy data's outcomes (rego/data.json, followups.outcomes)
// unless the Broker says which the active policy has (outcomeSource); the
// policy decides either way. To anyone but the lead and the coordinator
// the domain answers a follow-up as not found, and so does the console:
// the same page as for an id never used (followup_test.go proves it).
// Screenshots: docs/console/opvolging.png, docs/console/inbox-opvolging.png.
//
// # The privacy officer's and the operator's pages
//
// officer.go serves the privacy officer (FG): the policy versions
// (/console/beleid: status, uploader and approver and how each was
// verified), one version's files beside the active version's with a line
// diff computed here (diffLines, a plain table; the bundle is read with
// Broker.PolicyBundle), its test report, the dry-run impact grouped by
// reason, approve and roll back (Action with fresh: a confirmation page
// that a fresh login returns to, then the form) and reject with a
// comment; the audit search (/console/audit: the reference the domain
// requires, request id, person (a posted BSN, AuditQuery.BSN; never shown
// back, not even in the form), partner, action, decision, period, read
// page by page through AuditEntries, with VerifyAuditNew's status); and the
// resident's access report (/console/inzage: the BSN posted, answered on
// the POST as a page for paper, grouped per organisation). A version goes
// in a path as versionKey (its first 16 hex characters in two groups), so
// that no nine-digit run in an id is taken for a BSN. operator.go serves
// the operator: partners (register, change through UpdatePartner, suspend,
// activate), dead letters (retry) and health (the audit chain checked
// from the last clean check on, VerifyAuditNew, or in full on a button,
// VerifyAudit); operator_keys.go the municipalities and their ambition
// levels, a partner's keys and person keys (SetPartnerKeys, PutPersonKey,
// SetPersonStatus, RemovePersonKey) and its login configuration
// (SetLoginConfig, RemoveLoginConfig). Four eyes, references and
// every other rule stay in the domain: the pages show its refusals
// (ErrFourEyes has its own message in messages.go). Every error page of
// an action shows the request id its audit entries carry, so a person can
// quote it and an officer can search the trail by it.
//
// # Rules every page keeps
//
//   - No inline script or style: the Content-Security-Policy (CSP) allows
//     scripts and styles from /console/static/ only. The one script is
//     the live inbox's (static/inbox.js, live.go): it asks
//     /console/inbox/nieuw for news (a long-poll over Broker.Inbox, which
//     does not count as use of the session) and swaps in the list the
//     server rendered. Every page works without JavaScript.
//   - No BSN in a URL, title, log line or the browser's history: a BSN is
//     only ever a POSTed form field, answered on the POST itself (render,
//     never redirect with it). ServeHTTP refuses any console URL that
//     carries a BSN, and the domain audits the refusal with the person's
//     pseudonym (RecordBSNInURL).
//   - Pages with personal data are answered with Cache-Control: no-store
//     (ServeHTTP sets it on every answer but the static files).
//   - State changes only by POST through Action (CSRF and origin checked).
//   - Every page passes axe-core at WCAG 2.1 A and AA: labels on every
//     field, one h1, tables with th scope, landmarks from the layout;
//     the browser tests run axe on each page (browser_test.go).
//
// # Static files
//
// static/ holds the vendored NL Design System CSS (utrecht-html.css, see
// static/VENDORED.md), the console's own ketenbrug.css (the design
// tokens and the layout) and inbox.js (the live inbox, no dependencies). They are embedded, served from /console/static/
// with a content hash in the URL, cached for a year and linked with a
// Subresource Integrity hash.
//
// # Tests
//
// The login's tests run against a real OpenID provider (oidc-provider,
// testdata/op); the pages' tests drive Debian's chromium through chromedp
// (browser_test.go) and run axe-core (testdata/axe) on every page. Both
// skip when node, the npm packages or chromium are missing, and fail
// instead under CI=true. `go test ./broker/console -run TestScreenshots
// -screenshots` rewrites docs/console/*.png.
package console
