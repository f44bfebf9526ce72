package console

import (
	"net/http"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/inzage"
)

// accessPDF answers the report as a PDF file of its plain text, the
// wording of the CLI's report (inzage.WriteText), named after the
// request's reference.
func accessPDF(w http.ResponseWriter, rep broker.SubjectAccessReport, ref string, purposes map[string]string) error {
	var text strings.Builder
	if err := inzage.WriteText(&text, rep, ref, purposes); err != nil {
		return err
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == ':' {
			return '-'
		}
		return r
	}, ref) // the domain allows letters, digits and . _ : / - in a reference
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="inzage-`+name+`.pdf"`)
	_, err := w.Write(textPDF("Overzicht voor de inwoner, "+ref, strings.Split(strings.TrimRight(text.String(), "\n"), "\n")))
	return err
}

// accessForm asks for the resident's BSN (a form field) and the request's
// reference.
func (h *Handler) accessForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	return h.show(w, r, c, s, "access_form", "Inzage voor een inwoner", nil)
}

// accessReport answers the access request on the POST itself, as a page
// for paper or (the form's second button) as a PDF: no BSN on it, nothing
// in the URL. The PDF is asked on the form, not on the report page, which
// would have to carry the BSN back to the browser for it.
func (h *Handler) accessReport(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	ref := strings.TrimSpace(r.PostFormValue("kenmerk"))
	rep, err := h.b.SubjectAccess(r.Context(), c, strings.TrimSpace(r.PostFormValue("bsn")), ref)
	if err != nil {
		return back(err, "/console/inzage", "Terug naar het inzageformulier")
	}
	purposes := map[string]string{}
	if ps, err := h.b.Purposes(c); err == nil {
		for _, p := range ps {
			purposes[p.Code] = p.Name
		}
	}
	if r.PostFormValue("als") == "pdf" {
		return accessPDF(w, rep, ref, purposes)
	}
	groups := inzage.Groups(rep)
	pg := h.frame(r, c, s, "Overzicht voor de inwoner", view{"R": rep, "Groups": groups, "Ref": ref, "Purposes": purposes})
	pg.Print = true
	render(w, http.StatusOK, "access_report", pg)
	return nil
}
