package console

import (
	"net/http"
	"slices"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Nav adds a link to the navigation of the given roles (none: every
// role), after the links added before it.
func (h *Handler) Nav(label, path string, roles ...broker.Role) {
	h.nav = append(h.nav, NavItem{Label: label, Path: path, Roles: roles})
}

// frame is the Page of a session's request: the person, the CSRF token and
// the navigation of the role, with the current page marked.
func (h *Handler) frame(r *http.Request, c *broker.Caller, s *broker.ConsoleSession, title string, data any) *Page {
	id, _ := h.sessionID(r)
	p := &Page{Title: title, CSRF: csrf(id), Current: r.URL.Path, Data: data, Lang: langOf(r),
		Who: &Who{Name: s.Name, Person: s.Person, PartnerName: c.Partner.Name, PartnerID: c.Partner.ID, Role: s.Role, Roles: s.Roles}}
	if p.Who.Name == "" {
		p.Who.Name = s.Person
	}
	for _, n := range h.nav {
		if len(n.Roles) == 0 || slices.Contains(n.Roles, s.Role) {
			p.Nav = append(p.Nav, n)
		}
	}
	return p
}

// show renders page name (templates/<name>.html) for a session's request
// with status 200.
func (h *Handler) show(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, name, title string, data any) error {
	render(w, http.StatusOK, name, h.frame(r, c, s, title, data))
	return nil
}
