package console

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Demo sign-in: `ketenbrug demo --keep` prints a one-time link per demo
// persona, so a newcomer sees the console without an identity provider.
// It exists only where Config.DemoLogin is set (serve
// --console-demo-login, off by default), only for a loopback public URL,
// and a link is taken only from a loopback client, once, within
// demoLinkTTL. The session it makes is a session like a login's, with the
// person known via "demo" (broker.DemoIssuer) in the audit trail.

// demoLinkTTL is how long a demo sign-in link stays valid.
const demoLinkTTL = 24 * time.Hour

type demoGrant struct {
	partner, person, name string
	roles                 []broker.Role
	created               time.Time
}

type demoLinks struct {
	mu sync.Mutex
	m  map[string]demoGrant // by the SHA-256 of the link's token
}

func newDemoLinks() *demoLinks { return &demoLinks{m: map[string]demoGrant{}} }

// ErrDemoLoginOff: DemoLink was called without Config.DemoLogin.
var ErrDemoLoginOff = errors.New("console: demo sign-in is not enabled (Config.DemoLogin, serve --console-demo-login)")

// DemoLink returns a one-time sign-in link for person of partner in the
// given roles (the first is the one acted in).
func (h *Handler) DemoLink(partner, person, name string, roles ...broker.Role) (string, error) {
	if !h.cfg.DemoLogin {
		return "", ErrDemoLoginOff
	}
	p, err := h.b.LookupPartner(partner)
	if err != nil {
		return "", err
	}
	for _, r := range roles {
		if !p.HasRole(r) {
			return "", errors.New("console: partner " + partner + " does not have the role " + string(r))
		}
	}
	if len(roles) == 0 {
		return "", errors.New("console: a demo persona needs a role")
	}
	tok := randomToken()
	h.demo.mu.Lock()
	h.demo.m[hash32(tok)] = demoGrant{partner: partner, person: person, name: name, roles: roles, created: h.cfg.Now()}
	h.demo.mu.Unlock()
	return h.cfg.PublicURL + "/console/demo?" + url.Values{"t": {tok}}.Encode(), nil
}

var errDemoLink = &pageError{status: http.StatusForbidden, title: "Demo-link ongeldig",
	text: "Deze aanmeldlink van de demo is al gebruikt, verlopen of niet van deze broker, of komt niet van deze computer.",
	next: "Start de demo opnieuw (ketenbrug demo --keep) en gebruik een nieuwe link, in een browser op dezelfde computer.",
	link: "/console/login", label: "Naar inloggen", reason: "demo_link_refused"}

// isLoopback reports whether the client of r is on this machine.
func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// demoLogin takes a demo link: once, from loopback, and starts a session.
func (h *Handler) demoLogin(w http.ResponseWriter, r *http.Request) error {
	if !isLoopback(r) {
		return errDemoLink
	}
	key := hash32(r.URL.Query().Get("t"))
	h.demo.mu.Lock()
	g, ok := h.demo.m[key]
	delete(h.demo.m, key)
	h.demo.mu.Unlock()
	now := h.cfg.Now()
	if !ok || now.Sub(g.created) > demoLinkTTL {
		return errDemoLink
	}
	p, err := h.b.LookupPartner(g.partner)
	if err != nil || p.Status != broker.PartnerActive {
		return errDemoLink
	}
	ident := broker.LoginIdentity{Person: g.person, Name: g.name, Roles: g.roles}
	return h.startSession(w, r, p, pendingLogin{partner: p.ID, issuer: broker.DemoIssuer, clientID: "demo", next: "/console/"}, ident, now)
}
