package console

import (
	"net/http"
	"net/url"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A BSN never travels in a console URL: URLs end up in the browser's
// history, bookmarks, proxy and server logs. Forms send a BSN only as a
// POSTed field; a URL that carries one anyway (typed, pasted, or a form
// sent by GET) is refused before anything is looked up, and the refusal
// is audited with the person's pseudonym.

// bsnIn returns a BSN found in u's path or query ("" for none); "?" when
// one is there but cannot be read out whole.
func bsnIn(u *url.URL) string {
	cands := []string{u.Path, u.RawQuery}
	if q, err := url.QueryUnescape(u.RawQuery); err == nil {
		cands = append(cands, q)
	}
	for _, s := range cands {
		if b := findBSN(s); b != "" {
			return b
		}
	}
	for _, s := range cands {
		if broker.ContainsBSN(s) {
			return "?"
		}
	}
	return ""
}

// findBSN returns the first run of nine digits in s, written with or
// without single spaces, dots or dashes between them, that passes the
// elfproef.
func findBSN(s string) string {
	isSep := func(c byte) bool { return c == ' ' || c == '.' || c == '-' || c == '+' }
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || (i > 0 && s[i-1] >= '0' && s[i-1] <= '9') {
			continue
		}
		var digits []byte
		j := i
		for j < len(s) {
			c := s[j]
			switch {
			case c >= '0' && c <= '9':
				digits = append(digits, c)
				j++
				continue
			case isSep(c) && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' && j > i:
				j++
				continue
			}
			break
		}
		if len(digits) == 9 {
			if b, err := broker.ParseBSN(string(digits)); err == nil {
				return b.Digits()
			}
		}
	}
	return ""
}

var errBSNInURL = &pageError{status: http.StatusBadRequest, title: "Geen BSN in het adres",
	text: "Het adres van deze pagina bevat een BSN. Een BSN hoort nooit in een adres: het blijft dan achter in de geschiedenis van de browser en in logbestanden. Ketenbrug heeft niets opgezocht; de weigering is vastgelegd.",
	next: "Wis dit adres uit de geschiedenis van uw browser. Zoek een persoon op via het formulier: daar typt u het BSN in een veld.",
	link: "/console/persoon", label: "Naar het formulier Persoon opzoeken", reason: "bsn_in_url"}

// refuseBSNInURL answers a URL with a BSN: refused and audited, as the
// session's person when there is a valid session.
func (h *Handler) refuseBSNInURL(w http.ResponseWriter, r *http.Request, bsn string) {
	var c *broker.Caller
	if s, p, err := h.session(r); err == nil {
		c = s.Caller(p, newRequestID())
	} else {
		c = &broker.Caller{RequestID: newRequestID()}
	}
	if bsn == "?" {
		bsn = ""
	}
	h.b.RecordBSNInURL(r.Context(), c, bsn)
	h.log.Info("console request refused", "reason", "bsn_in_url") // never the path or query
	render(w, errBSNInURL.status, "error", &Page{Title: errBSNInURL.title, Lang: langOf(r), Data: view{"Title": errBSNInURL.title,
		"Text": errBSNInURL.text, "Next": errBSNInURL.next, "Link": errBSNInURL.link, "Label": errBSNInURL.label, "RequestID": c.RequestID}})
}
