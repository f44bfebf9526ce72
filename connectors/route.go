package connectors

import (
	"net/url"
	"strings"
)

// route builds an API path from a template in which each "{}" takes the
// next id. Every id is escaped here, and only here, so that an id with a
// '/' or '?' in it names one resource and never another path.
func route(template string, ids ...string) string {
	var b strings.Builder
	for _, id := range ids {
		before, after, ok := strings.Cut(template, "{}")
		if !ok {
			panic("connectors: more ids than {} in " + template)
		}
		b.WriteString(before)
		b.WriteString(url.PathEscape(id))
		template = after
	}
	if strings.Contains(template, "{}") {
		panic("connectors: fewer ids than {} in the route")
	}
	b.WriteString(template)
	return b.String()
}

// withQuery appends q to path, when it holds anything.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
