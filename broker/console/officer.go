package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"

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

// diffContext is how many unchanged lines are shown around a change.
const diffContext = 3

// auditPages bounds the pages of the trail one search reads (each read is
// a call of AuditEntries, audited as the API's is).
const (
	auditPages    = 10
	auditPageSize = 1000
	auditShown    = 200
)
