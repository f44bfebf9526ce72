package console

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/inzage"
)

// officerFuncs are the template functions of these pages.
var officerFuncs = map[string]any{
	"reasons": reasonsText,
	// via says how a person was verified: "oidc:<issuer>", "key:<kid>",
	// "demo"; "" is a person only asserted by the organisation.
	"via": func(via string) string {
		switch {
		case via == "":
			return "niet geverifieerd (opgegeven door de organisatie)"
		case strings.HasPrefix(via, "oidc:"):
			return "geverifieerd via het inlogsysteem " + strings.TrimPrefix(via, "oidc:")
		case strings.HasPrefix(via, "key:"):
			return "geverifieerd met persoonlijke sleutel " + strings.TrimPrefix(via, "key:")
		case via == broker.DemoIssuer:
			return "geverifieerd via de demo-aanmelding"
		case via == "broker":
			return "Ketenbrug zelf"
		}
		return "geverifieerd via " + via
	},
	"short":   short,
	"list":    func(xs ...int) []int { return xs },
	"hasRole": func(rs []broker.Role, r broker.Role) bool { return slices.Contains(rs, r) },
	"purposeName": func(names map[string]string, code string) string {
		if code == "" {
			return "–"
		}
		if n, ok := names[code]; ok {
			return n
		}
		return strings.ReplaceAll(code, "-", " ")
	},
	"actionName": inzage.ActionName,
	"fieldNames": func(fs []string) string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = inzage.FieldName(f)
		}
		return strings.Join(out, ", ")
	},
	// residentReasons say why, for the resident (inzage), in words about
	// the organisation that asked.
	"residentReasons": func(rs []string) string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = inzage.ReasonName(r)
		}
		return strings.Join(out, "; ")
	},
	"vkey": versionKey,
}

func init() {
	for k, v := range map[string]string{
		broker.PolicyPending: "wacht op goedkeuring", broker.PolicyApproved: "goedgekeurd",
		broker.PolicyRetired: "vervangen", broker.PolicyRejected: "afgewezen", broker.PolicyActive: "actief",
		broker.DecisionAllow: "toegestaan", broker.DecisionDeny: "geweigerd",
		string(broker.PartnerSuspended): "geschorst",
		broker.EventDisclosure:          "inzage", broker.EventChange: "wijziging", broker.EventDenial: "weigering",
	} {
		if _, ok := words[k]; !ok {
			words[k] = v
		}
	}
}

// The privacy officer's pages: policy versions (the Rego side by side
// with the active version and a line diff, the test report, the dry-run
// impact, approve, reject and roll back), the audit search with the
// chain's verification, and the resident's access report. Each calls the
// same domain method as broker/httpapi, with the session's verified
// caller; the domain decides (four eyes, references) and audits.

var officerRoles = []broker.Role{broker.RolePrivacyOfficer}

func (h *Handler) officerPages() {
	h.Nav("Beleid", "/console/beleid", officerRoles...)
	h.Nav("Auditlogboek", "/console/audit", broker.RolePrivacyOfficer, broker.RoleOperator)
	h.Nav("Inzage inwoner", "/console/inzage", officerRoles...)

	h.Action("GET /console/beleid", false, h.policies)
	h.Action("GET /console/beleid/{v}", false, h.policy)
	h.Action("GET /console/beleid/{v}/proefdraai", false, h.policyDryRun)
	// Approving and rolling back need a recent login: the confirmation
	// page (GET, where a fresh login returns to) and the form (POST).
	h.Action("GET /console/beleid/{v}/goedkeuren", true, h.policyConfirm("approve"))
	h.Action("POST /console/beleid/{v}/goedkeuren", true, h.policyApprove)
	h.Action("GET /console/beleid/{v}/terugzetten", true, h.policyConfirm("rollback"))
	h.Action("POST /console/beleid/{v}/terugzetten", true, h.policyRollback)
	h.Action("POST /console/beleid/{v}/afwijzen", false, h.policyReject)
	h.Action("GET /console/audit", false, h.auditForm)
	h.Action("POST /console/audit", false, h.auditSearch)
	h.Action("GET /console/inzage", false, h.accessForm)
	h.Action("POST /console/inzage", false, h.accessReport)
}

// versionKey is a policy version as it goes in a console path: its first
// 16 hex characters in two groups of eight, so that no run of nine digits
// (which the console refuses as a BSN) can appear in the address. The
// domain resolves the prefix.
func versionKey(id string) string {
	if len(id) < 16 {
		return id
	}
	return id[:8] + "_" + id[8:16]
}

func versionOf(r *http.Request) string { return strings.ReplaceAll(r.PathValue("v"), "_", "") }

func policyLink(id, page string) string {
	l := "/console/beleid/" + versionKey(id)
	if page != "" {
		l += "/" + page
	}
	return l
}

// versionRow is a policy version as the list shows it.
type versionRow struct {
	broker.PolicyVersion
	Key string
}

// policies lists the stored versions, newest first.
func (h *Handler) policies(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	vs, err := h.b.Policies(r.Context(), c)
	if err != nil {
		return err
	}
	rows := make([]versionRow, len(vs))
	for i, v := range vs {
		rows[i] = versionRow{v, versionKey(v.ID)}
	}
	return h.show(w, r, c, s, "policies", "Beleid", view{"List": rows})
}

// active returns the active version of vs, if any.
func active(vs []broker.PolicyVersion) (broker.PolicyVersion, bool) {
	for _, v := range vs {
		if v.Status == broker.PolicyActive {
			return v, true
		}
	}
	return broker.PolicyVersion{}, false
}

// policy shows one version: who uploaded and approved it and how they
// were verified, its test report, its files beside the active version's
// with a line diff, and the forms to approve, reject or roll back.
func (h *Handler) policy(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	ctx := r.Context()
	v, err := h.b.PolicyBundle(ctx, c, versionOf(r))
	if err != nil {
		return back(err, "/console/beleid", "Terug naar het beleid")
	}
	vs, err := h.b.Policies(ctx, c)
	if err != nil {
		return err
	}
	d := view{"V": v, "Key": versionKey(v.ID)}
	var old map[string]string
	if act, ok := active(vs); ok && act.ID != v.ID {
		a, err := h.b.PolicyBundle(ctx, c, act.ID)
		if err != nil {
			return back(err, "/console/beleid", "Terug naar het beleid")
		}
		d["Active"] = a
		if old, err = bundleFiles(a.Bundle); err != nil {
			d["BundleError"] = true
		}
	}
	cur, err := bundleFiles(v.Bundle)
	if err != nil {
		d["BundleError"] = true
	}
	d["Files"] = compareFiles(old, cur, d["Active"] != nil)
	return h.show(w, r, c, s, "policy", "Beleidsversie "+short(v.ID), d)
}

// policyDryRun shows how the version would have decided the recent
// decisions: the changes grouped by reason.
func (h *Handler) policyDryRun(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	rep, err := h.b.DryRun(r.Context(), c, versionOf(r), 0)
	if err != nil {
		return back(err, "/console/beleid", "Terug naar het beleid")
	}
	return h.show(w, r, c, s, "policy_dryrun", "Proefdraai van versie "+short(rep.Version),
		view{"R": rep, "Key": versionKey(rep.Version), "Groups": dryRunGroups(rep.Examples)})
}

// dryRunGroup is the changed decisions with one reason.
type dryRunGroup struct {
	Reason  string
	Changes []broker.DryRunChange
}

// dryRunGroups groups changes by the reason of the change: the new
// decision's reasons for a refusal, the old one's for a newly allowed
// decision.
func dryRunGroups(cs []broker.DryRunChange) []dryRunGroup {
	var out []dryRunGroup
	idx := map[string]int{}
	for _, c := range cs {
		key := decisionReason(c)
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, dryRunGroup{Reason: key})
		}
		out[i].Changes = append(out[i].Changes, c)
	}
	return out
}

func decisionReason(c broker.DryRunChange) string {
	switch {
	case !c.After.Allow && len(c.After.Reasons) > 0:
		return "Nu geweigerd: " + reasonsText(c.After.Reasons)
	case c.After.Allow && !c.Before.Allow:
		return "Nu toegestaan (was: " + reasonsText(c.Before.Reasons) + ")"
	case c.After.Allow:
		return "Andere velden getoond"
	}
	return "Nu geweigerd"
}

// reasonsText names policy reasons in Dutch (their code when unknown).
func reasonsText(rs []string) string {
	if len(rs) == 0 {
		return "geen reden"
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = reasonName(r)
	}
	return strings.Join(out, "; ")
}

// refusalNames are the domain's refusal codes (broker/refusal.go).
var refusalNames = map[string]string{
	broker.RefusalConflict: "paste niet bij de stand van dat moment", broker.RefusalForbidden: "niet toegestaan",
	broker.RefusalNotFound: "niet gevonden", broker.RefusalPrecondition: "intussen door een ander gewijzigd",
	broker.RefusalInvalid: "niet goed ingevuld",
}

func reasonName(r string) string {
	if t, ok := deniedText[r]; ok {
		return strings.TrimSuffix(t, ".")
	}
	if t, ok := refusalNames[r]; ok {
		return t
	}
	return r
}

// policyConfirm is the confirmation page of an approval or rollback,
// reached after a fresh login.
func (h *Handler) policyConfirm(what string) ActionFunc {
	return func(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
		v, err := h.b.PolicyBundle(r.Context(), c, versionOf(r))
		if err != nil {
			return back(err, "/console/beleid", "Terug naar het beleid")
		}
		v.Bundle = nil
		title := "Versie " + short(v.ID) + " goedkeuren"
		if what == "rollback" {
			title = "Terugzetten naar versie " + short(v.ID)
		}
		return h.show(w, r, c, s, "policy_confirm", title, view{"V": v, "Key": versionKey(v.ID), "What": what})
	}
}

func (h *Handler) policyApprove(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	v, err := h.b.ApprovePolicy(r.Context(), c, versionOf(r))
	if err != nil {
		return back(err, policyLink(versionOf(r), ""), "Terug naar de versie")
	}
	return h.policyDone(w, r, c, s, v, "De versie is goedgekeurd en is nu het geldende beleid.")
}

func (h *Handler) policyRollback(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	v, err := h.b.RollbackPolicy(r.Context(), c, versionOf(r))
	if err != nil {
		return back(err, policyLink(versionOf(r), ""), "Terug naar de versie")
	}
	return h.policyDone(w, r, c, s, v, "Het beleid is teruggezet: deze versie is weer het geldende beleid.")
}

func (h *Handler) policyReject(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	v, err := h.b.RejectPolicy(r.Context(), c, versionOf(r), strings.TrimSpace(r.PostFormValue("toelichting")))
	if err != nil {
		return back(err, policyLink(versionOf(r), ""), "Terug naar de versie")
	}
	return h.policyDone(w, r, c, s, v, "De versie is afgewezen; de indiener ziet uw toelichting en kan een verbeterde versie insturen.")
}

// policyDone answers a change on the POST itself with the list.
func (h *Handler) policyDone(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession, v broker.PolicyVersion, msg string) error {
	vs, err := h.b.Policies(r.Context(), c)
	if err != nil {
		return err
	}
	rows := make([]versionRow, len(vs))
	for i, x := range vs {
		rows[i] = versionRow{x, versionKey(x.ID)}
	}
	return h.show(w, r, c, s, "policies", "Beleid", view{"List": rows, "Done": msg, "Changed": short(v.ID)})
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Bundle files: the text files of an OPA bundle (tar.gz), for reading
// only.
const (
	maxBundleFile  = 1 << 20
	maxBundleTotal = 8 << 20
)

var errBundle = errors.New("console: unreadable policy bundle")

// bundleFiles returns the Rego and data files of a bundle by path.
func bundleFiles(bundle []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(bundle) == 0 {
		return out, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(bundle))
	if err != nil {
		return out, errBundle
	}
	tr := tar.NewReader(zr)
	total := 0
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, errBundle
		}
		name := strings.TrimPrefix(path.Clean("/"+hd.Name), "/")
		ext := path.Ext(name)
		if hd.Typeflag != tar.TypeReg || (ext != ".rego" && ext != ".json" && ext != ".yaml" && ext != ".yml") ||
			strings.HasPrefix(path.Base(name), ".") {
			continue
		}
		if hd.Size > maxBundleFile || total+int(hd.Size) > maxBundleTotal {
			return out, errBundle
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxBundleFile))
		if err != nil {
			return out, errBundle
		}
		total += len(b)
		out[name] = string(b)
	}
}

// fileDiff is one file of a version beside the active version's.
type fileDiff struct {
	Name string
	// State: "gelijk", "gewijzigd", "nieuw", "vervallen" (or "" without
	// an active version to compare with).
	State   string
	Rows    []diffRow
	Added   int
	Removed int
	TooBig  bool
}

// diffRow is one row of the side-by-side table: the active version's
// line on the left, this version's on the right. Kind: "same", "del",
// "add", "change", or "skip" (Skipped unchanged lines left out).
type diffRow struct {
	Kind       string
	OldN, NewN int
	Old, New   string
	Skipped    int
}

// diffContext is how many unchanged lines are shown around a change.
const diffContext = 3

// compareFiles pairs the files of the active version (old) and this one.
func compareFiles(old, cur map[string]string, compare bool) []fileDiff {
	names := map[string]bool{}
	for n := range old {
		names[n] = true
	}
	for n := range cur {
		names[n] = true
	}
	var out []fileDiff
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range names {
			if !yield(k) {
				return
			}
		}
	}) {
		o, inOld := old[n]
		c, inCur := cur[n]
		f := fileDiff{Name: n}
		switch {
		case !compare:
			f.Rows = diffLines(nil, splitLines(c), false)
		case !inOld:
			f.State = "nieuw"
			f.Rows = diffLines(nil, splitLines(c), true)
		case !inCur:
			f.State = "vervallen"
			f.Rows = diffLines(splitLines(o), nil, true)
		case o == c:
			f.State = "gelijk"
		default:
			f.State = "gewijzigd"
			ol, cl := splitLines(o), splitLines(c)
			if len(ol)*len(cl) > 4_000_000 {
				f.TooBig = true
				f.Rows = diffLines(nil, cl, false)
			} else {
				f.Rows = diffLines(ol, cl, true)
			}
		}
		for _, r := range f.Rows {
			switch r.Kind {
			case "add":
				f.Added++
			case "del":
				f.Removed++
			case "change":
				f.Added++
				f.Removed++
			}
		}
		if !compare {
			f.Added = 0
		}
		out = append(out, f)
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// diffLines is the side-by-side line diff of a and b (a longest common
// subsequence); with trim, long runs of unchanged lines are folded to
// diffContext lines around each change. Without compare (a is nil and
// there is nothing to compare with) every line of b is "same".
func diffLines(a, b []string, trim bool) []diffRow {
	n, m := len(a), len(b)
	// lcs[i][j]: the length of the LCS of a[i:] and b[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var rows []diffRow
	var dels, adds []diffRow
	flush := func() {
		// Pair removed and added lines side by side as changes.
		k := 0
		for ; k < len(dels) && k < len(adds); k++ {
			rows = append(rows, diffRow{Kind: "change", OldN: dels[k].OldN, Old: dels[k].Old, NewN: adds[k].NewN, New: adds[k].New})
		}
		rows = append(rows, dels[k:]...)
		if k < len(adds) {
			rows = append(rows, adds[k:]...)
		}
		dels, adds = dels[:0], adds[:0]
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			flush()
			rows = append(rows, diffRow{Kind: "same", OldN: i + 1, Old: a[i], NewN: j + 1, New: b[j]})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			if a == nil && !trim {
				rows = append(rows, diffRow{Kind: "same", NewN: j + 1, New: b[j]})
			} else {
				adds = append(adds, diffRow{Kind: "add", NewN: j + 1, New: b[j]})
			}
			j++
		default:
			dels = append(dels, diffRow{Kind: "del", OldN: i + 1, Old: a[i]})
			i++
		}
	}
	flush()
	if !trim {
		return rows
	}
	// Fold unchanged lines further than diffContext from any change.
	near := make([]bool, len(rows))
	for k, r := range rows {
		if r.Kind != "same" {
			for d := max(0, k-diffContext); d <= min(len(rows)-1, k+diffContext); d++ {
				near[d] = true
			}
		}
	}
	var out []diffRow
	for k := 0; k < len(rows); k++ {
		if near[k] {
			out = append(out, rows[k])
			continue
		}
		e := k
		for e < len(rows) && !near[e] {
			e++
		}
		out = append(out, diffRow{Kind: "skip", Skipped: e - k})
		k = e - 1
	}
	return out
}

// auditForm is the audit search, with the chain's verification.
func (h *Handler) auditForm(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	// Only the entries added since the last clean check are walked: the
	// page is loaded often, the trail only grows. The operator's health
	// page offers the full walk.
	ver, err := h.b.VerifyAuditNew(r.Context(), c)
	if err != nil {
		return err
	}
	return h.show(w, r, c, s, "audit", "Auditlogboek", view{"Verify": ver, "Q": auditFields{}, "Officer": s.Role == broker.RolePrivacyOfficer})
}

// auditFields are the search form's fields, to fill the form again. The
// BSN of a search by person is not among them: the answer never shows it,
// not even in the form's field, so ByPerson only says that one was given.
type auditFields struct {
	Reference, RequestID, Partner, Action, Decision, Since, Until string
	ByPerson                                                      bool
}

// auditPages bounds the pages of the trail one search reads (each read is
// a call of AuditEntries, audited as the API's is).
const (
	auditPages    = 10
	auditPageSize = 1000
	auditShown    = 200
)

// auditSearch answers the search on the POST: the entries that match,
// read page by page through AuditEntries until some match or the bound.
// A person is searched by BSN, a POSTed field only; the domain keeps a
// partner's officer within the persons its partner serves (outside, the
// answer is that of a person without entries) and audits the look with
// the person's pseudonym.
func (h *Handler) auditSearch(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	f := auditFields{Reference: strings.TrimSpace(r.PostFormValue("kenmerk")), RequestID: strings.TrimSpace(r.PostFormValue("verzoek")),
		Partner: strings.TrimSpace(r.PostFormValue("organisatie")), Action: strings.TrimSpace(r.PostFormValue("handeling")),
		Decision: r.PostFormValue("besluit"), Since: r.PostFormValue("van"), Until: r.PostFormValue("tot")}
	bsn := strings.TrimSpace(r.PostFormValue("bsn"))
	f.ByPerson = bsn != ""
	q := broker.AuditQuery{Reference: f.Reference, RequestID: f.RequestID, Partner: f.Partner, Action: f.Action,
		Limit: auditPageSize, From: 1, BSN: bsn}
	switch f.Decision {
	case "", broker.DecisionAllow, broker.DecisionDeny:
		q.Decision = f.Decision
	default:
		return back(&broker.ValidationError{Field: "decision", Reason: "toegestaan of geweigerd"}, "/console/audit", "Terug naar het zoeken")
	}
	var err error
	if q.Since, err = dayStart(f.Since, 0); err != nil {
		return back(&broker.ValidationError{Field: "valid_from", Reason: "een datum als 2026-05-01"}, "/console/audit", "Terug naar het zoeken")
	}
	if q.Until, err = dayStart(f.Until, 1); err != nil {
		return back(&broker.ValidationError{Field: "valid_until", Reason: "een datum als 2026-05-31"}, "/console/audit", "Terug naar het zoeken")
	}
	if from := r.PostFormValue("vanaf"); from != "" {
		if n, err := strconv.ParseUint(from, 10, 64); err == nil && n > 0 {
			q.From = n
		}
	}
	var found []broker.AuditEntry
	var next uint64
	for range auditPages {
		pg, err := h.b.AuditEntries(r.Context(), c, q)
		if err != nil {
			return back(err, "/console/audit", "Terug naar het zoeken")
		}
		found = append(found, pg.Entries...)
		next = pg.Next
		if pg.Next == 0 || len(found) > 0 {
			break
		}
		q.From = pg.Next
	}
	more := false
	if len(found) > auditShown {
		found, more = found[:auditShown], true
		next = found[len(found)-1].Seq + 1
	}
	// A search by person is not continued by a form: that form would have
	// to carry the BSN back to the browser. The person narrows the period
	// instead (the page says so), typing the number again.
	personMore := f.ByPerson && next != 0
	if f.ByPerson {
		next = 0
	}
	// The chain is verified on the search page itself (auditForm), not
	// on every search: a walk of the whole trail.
	return h.show(w, r, c, s, "audit", "Auditlogboek", view{"Q": f, "Searched": true, "Entries": found,
		"Next": next, "More": more, "PersonMore": personMore, "Officer": s.Role == broker.RolePrivacyOfficer})
}

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

// dayStart parses a YYYY-MM-DD date as the start of that day (plus days)
// in Dutch time; "" is the zero time.
func dayStart(s string, days int) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, amsterdam)
	if err != nil {
		return time.Time{}, err
	}
	return t.AddDate(0, 0, days), nil
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
