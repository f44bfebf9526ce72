package connectors

import "testing"

func TestRouteEscapesIDs(t *testing.T) {
	for _, c := range []struct {
		tmpl string
		ids  []string
		want string
	}{
		{"/v1/partners", nil, "/v1/partners"},
		{"/v1/partners/{}", []string{"school-1"}, "/v1/partners/school-1"},
		{"/v1/partners/{}/persons/{}", []string{"a/b", "c?d"}, "/v1/partners/a%2Fb/persons/c%3Fd"},
		{"/v1/households/{}/plan", []string{"gemeente:hh 1"}, "/v1/households/gemeente:hh%201/plan"},
	} {
		if got := route(c.tmpl, c.ids...); got != c.want {
			t.Errorf("route(%q, %q) = %q, want %q", c.tmpl, c.ids, got, c.want)
		}
	}
}
