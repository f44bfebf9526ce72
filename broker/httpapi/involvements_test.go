package httpapi

// Tests of the involvement, household, overview, sync and inbox routes over
// real HTTP on a loopback port: the whole system of package brokertest (a
// real broker.Service, bbolt store, audit log and OPA engine) behind this
// package's handler, and requests signed by the connector SDK with real
// keys. Every
// identifier of this file starts with "iv" so that it never clashes with the
// package's other tests.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/audit"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/broker/brokertest"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

const (
	ivBrokerID = "kb-iv-test"
	ivPurpose  = "integrale-ondersteuning"
)

// ivPartner is a partner of the test region and the roles it has keys for.
type ivPartner struct {
	id     string
	sector broker.Sector
	muni   string
	roles  []broker.Role
}

var ivRegion = []ivPartner{
	{"gem-a", broker.SectorMunicipality, "gem-a", []broker.Role{broker.RoleCoordinator}},
	{"gem-b", broker.SectorMunicipality, "gem-b", []broker.Role{broker.RoleCoordinator}},
	{"kredietbank", broker.SectorDebt, "gem-a", []broker.Role{broker.RoleConnector, broker.RolePrivacyOfficer}},
	{"cjg", broker.SectorYouth, "gem-a", []broker.Role{broker.RoleConnector, broker.RoleProfessional}},
	{"school", broker.SectorEducation, "gem-a", []broker.Role{broker.RoleConnector}},
	{"uwv", broker.SectorWorkIncome, "gem-a", []broker.Role{broker.RoleConnector}},
	{"fg", broker.SectorOther, "gem-a", []broker.Role{broker.RolePrivacyOfficer}},
	// A second youth partner of gem-a, and one of gem-b only.
	{"cjg-a2", broker.SectorYouth, "gem-a", []broker.Role{broker.RoleConnector, broker.RoleProfessional}},
	{"cjg-b", broker.SectorYouth, "gem-b", []broker.Role{broker.RoleConnector, broker.RoleProfessional}},
	// A second debt counsellor of gem-a (vroegsignalering is its statute).
	{"schuldhulp-a2", broker.SectorDebt, "gem-a", []broker.Role{broker.RoleConnector, broker.RoleProfessional}},
}

// ivEnv is a broker served on a loopback port.
type ivEnv struct {
	t        testing.TB
	ctx      context.Context
	svc      *broker.Service
	store    *boltstore.Store
	alog     *audit.Log
	srv      *httptest.Server
	logs     *brokertest.Buffer
	dbPath   string
	spool    string // the spool directory
	operator *broker.Caller
	ids      map[string]*connectors.Identity // "partner/role"
	clients  map[string]*connectors.Client
	// sys checks that no BSN the test used (bsn) is stored, logged or
	// audited.
	sys *brokertest.System
}

func ivNewEnv(t testing.TB) *ivEnv {
	t.Helper()
	return ivNewEnvWith(t, nil)
}

// brokerSigner is a new signing key of the broker's answers, and its
// public JWKS.
func brokerSigner(t testing.TB) (*protocol.Signer, json.RawMessage) {
	t.Helper()
	key, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := protocol.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := protocol.PublicSet(key)
	if err != nil {
		t.Fatal(err)
	}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		t.Fatal(err)
	}
	return signer, pubJSON
}

// ivNewEnvWith is ivNewEnv with policy engine pol (nil: the shared one
// with the embedded bundle).
func ivNewEnvWith(t testing.TB, pol broker.PolicyEngine) *ivEnv {
	t.Helper()
	sys := brokertest.New(t, brokertest.Options{ID: ivBrokerID, CheckJWKS: CheckJWKS, Policy: pol})
	ctx, svc, log := sys.Ctx, sys.Service, sys.Logger
	respSigner, pubJSON := brokerSigner(t)
	spool := ivSpoolDir(t)
	h, err := New(Config{Broker: svc, Signer: respSigner, PublicJWKS: pubJSON, Registry: prometheus.NewRegistry(), Logger: log,
		SpoolDir: spool})
	if err != nil {
		t.Fatal(err)
	}
	e := &ivEnv{t: t, ctx: ctx, svc: svc, store: sys.Store, alog: sys.Audit, logs: sys.Logs, dbPath: sys.DBPath, spool: spool,
		ids: map[string]*connectors.Identity{}, clients: map[string]*connectors.Client{}, sys: sys}
	e.srv = httptest.NewServer(e.echoCheck(h))
	t.Cleanup(e.close)

	opKey, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	opSet, _ := protocol.PublicSet(opKey)
	opJWKS, _ := json.Marshal(opSet)
	if _, _, err := svc.EnsureOperator(ctx, broker.Partner{ID: "operator", Name: "Operator", Sector: broker.SectorOther,
		Roles: []broker.Role{broker.RoleOperator}, Level: broker.MaxLevel, JWKS: opJWKS}); err != nil {
		t.Fatal(err)
	}
	op, _ := svc.LookupPartner("operator")
	e.operator = &broker.Caller{Partner: *op, Sub: "operator", Role: broker.RoleOperator, RequestID: "r-setup",
		Person: broker.Person{ID: "operator", Verified: true, Via: "key:setup"}}
	for _, p := range ivRegion {
		key, err := protocol.GenerateKey(protocol.AlgEdDSA)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := protocol.PublicSet(key)
		jwks, _ := json.Marshal(set)
		// fg is the region's privacy office (it reads the whole trail).
		if _, err := svc.RegisterPartner(ctx, e.operator, broker.Partner{ID: p.id, Name: "Partner " + p.id, Sector: p.sector,
			Municipalities: []string{p.muni}, Roles: p.roles, Level: 2, Covenant: "2026-1", JWKS: jwks,
			PrivacyOffice: p.id == "fg"}); err != nil {
			t.Fatalf("registering %s: %v", p.id, err)
		}
		priv, _ := json.Marshal(key)
		for _, role := range p.roles {
			raw, _ := json.Marshal(map[string]any{"partner": p.id, "sub": p.id + "-" + string(role), "role": role, "key": json.RawMessage(priv)})
			id, err := connectors.ParseIdentity(raw)
			if err != nil {
				t.Fatal(err)
			}
			c, err := connectors.New(connectors.Config{Server: e.srv.URL, Identity: id, Backoff: 10 * time.Millisecond,
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			k := p.id + "/" + string(role)
			e.ids[k], e.clients[k] = id, c
		}
	}
	return e
}

// close checks that no BSN the test used is in the metrics and stops the
// server; then (registered before it) the system checks the logs, the audit
// records and the bbolt file.
func (e *ivEnv) close() {
	t := e.t
	resp, err := http.Get(e.srv.URL + "/metrics")
	var metrics []byte
	if err == nil {
		metrics, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	e.srv.Close()
	for _, b := range e.used() {
		if bytes.Contains(metrics, []byte(b)) {
			t.Errorf("a BSN the test used is in the metrics")
		}
	}
}

// ivCapture keeps a copy of a response body.
type ivCapture struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (c *ivCapture) Write(p []byte) (int, error) {
	if c.body.Len() < 4<<20 {
		c.body.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// echoCheck wraps the handler: a response must not hold a BSN of the test
// that its request's body did not hold.
func (e *ivEnv) echoCheck(h http.Handler) http.Handler {
	const keep = 2 << 20
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		head, _ := io.ReadAll(io.LimitReader(r.Body, keep))
		whole := len(head) < keep
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		c := &ivCapture{ResponseWriter: w}
		h.ServeHTTP(c, r)
		if !whole {
			return
		}
		for _, b := range e.used() {
			if bytes.Contains(c.body.Bytes(), []byte(b)) && !bytes.Contains(head, []byte(b)) {
				e.t.Errorf("%s %s answered with a BSN its request did not send", r.Method, r.URL.Path)
			}
			if strings.Contains(r.RequestURI, b) {
				e.t.Errorf("a BSN was sent in a URL: %s", r.Method)
			}
		}
	})
}

// used returns every BSN the test used so far.
func (e *ivEnv) used() []string { return e.sys.UsedBSNs() }

// bsn returns a fresh valid BSN and remembers it for the leak checks.
func (e *ivEnv) bsn() string { return e.sys.BSN() }

func (e *ivEnv) client(partner string, role broker.Role) *connectors.Client {
	e.t.Helper()
	c, ok := e.clients[partner+"/"+string(role)]
	if !ok {
		e.t.Fatalf("no identity %s/%s", partner, role)
	}
	return c
}

// noPurpose, as do's purpose, sends an involvement write without one.
const noPurpose = "-"

// do sends a request; a problem comes back as the second result. An
// involvement write (PUT, end, sync) states the registration purpose
// ivPurpose when the test names none (noPurpose: none at all): the
// default policy requires one.
func (e *ivEnv) do(c *connectors.Client, method, path, purpose string, body []byte, contentType string) (*connectors.Response, *connectors.ProblemError) {
	e.t.Helper()
	switch {
	case purpose == noPurpose:
		purpose = ""
	case purpose == "" && method != http.MethodGet && strings.HasPrefix(path, "/v1/involvements/"):
		purpose = ivPurpose
	}
	resp, err := c.Do(e.ctx, connectors.Request{Method: method, Path: path, Purpose: purpose, Body: body, ContentType: contentType})
	if err != nil {
		var pe *connectors.ProblemError
		if errors.As(err, &pe) {
			return resp, pe
		}
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, nil
}

// json sends in as JSON and decodes the answer into out; it fails on a
// problem.
func (e *ivEnv) json(c *connectors.Client, method, path, purpose string, in, out any) *connectors.Response {
	e.t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	resp, pe := e.do(c, method, path, purpose, body, "")
	if pe != nil {
		e.t.Fatalf("%s %s: %v", method, path, pe)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, resp.Body)
		}
	}
	return resp
}

// auditEntries reads the whole trail as the privacy officer, over HTTP.
func (e *ivEnv) auditEntries() []broker.AuditEntry {
	e.t.Helper()
	var all []broker.AuditEntry
	for from := uint64(1); ; {
		var page broker.AuditPage
		e.json(e.client("fg", broker.RolePrivacyOfficer), http.MethodGet, fmt.Sprintf("/v1/audit?from=%d&limit=1000&reference=test-1", from), "", nil, &page)
		for _, a := range page.Entries {
			if a.Action != "audit.read" { // the test's own looks
				all = append(all, a)
			}
		}
		if page.Next == 0 {
			return all
		}
		from = page.Next
	}
}

// changes counts the change entries of an action (and object, when set).
func ivChanges(es []broker.AuditEntry, action, object string) int {
	n := 0
	for _, a := range es {
		if a.Event == broker.EventChange && a.Action == action && (object == "" || a.Object == object) {
			n++
		}
	}
	return n
}

func ivInvolvement(bsn, service string) map[string]any {
	return map[string]any{"bsn": bsn, "service": service, "service_label": "Dienst " + service, "status": "active",
		"start": "2026-09-01", "contact": map[string]string{"name": "Team", "phone": "033-4567890"}}
}

// list returns partner's references and their status.
func (e *ivEnv) list(partner string) map[string]string {
	e.t.Helper()
	var page broker.InvolvementPage
	e.json(e.client(partner, broker.RoleConnector), http.MethodGet, "/v1/involvements?limit=1000", "", nil, &page)
	out := map[string]string{}
	for _, v := range page.Involvements {
		out[v.Ref] = v.Status
	}
	return out
}

func ivExpect(t testing.TB, pe *connectors.ProblemError, status int, code, field string) {
	t.Helper()
	if pe == nil {
		t.Fatalf("no problem, want %d %s", status, code)
	}
	if pe.Status != status || pe.Code != code || pe.Field != field || pe.Detail == "" || pe.RequestID == "" {
		t.Fatalf("problem %d %s field %q (%s), want %d %s field %q", pe.Status, pe.Code, pe.Field, pe.Detail, status, code, field)
	}
}

func TestInvolvementPutIsIdempotentOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	kb := e.client("kredietbank", broker.RoleConnector)
	body, _ := json.Marshal(ivInvolvement(e.bsn(), "schuldregeling"))
	resp, pe := e.do(kb, http.MethodPut, "/v1/involvements/dossier-1", "", body, "")
	if pe != nil || resp.Status != http.StatusCreated {
		t.Fatalf("first PUT: %v %v", resp, pe)
	}
	var first broker.InvolvementView
	_ = json.Unmarshal(resp.Body, &first)
	resp, pe = e.do(kb, http.MethodPut, "/v1/involvements/dossier-1", "", body, "")
	if pe != nil || resp.Status != http.StatusOK {
		t.Fatalf("second PUT: %v %v", resp, pe)
	}
	var second broker.InvolvementView
	_ = json.Unmarshal(resp.Body, &second)
	if second.ID != first.ID || second.Revision != 1 {
		t.Fatalf("second PUT made %+v of %+v", second, first)
	}
	if n := ivChanges(e.auditEntries(), broker.ActionInvolvementWrite, "involvement:"+first.ID); n != 1 {
		t.Fatalf("two identical PUTs: %d audit entries, want 1", n)
	}
	if got := fmt.Sprint(e.list("kredietbank")); got != "map[dossier-1:active]" {
		t.Fatalf("list %s", got)
	}

	// End it; a foreign partner's end of the same reference is a 404.
	_, pe = e.do(e.client("cjg", broker.RoleConnector), http.MethodPost, "/v1/involvements/dossier-1/end", "", nil, "")
	ivExpect(t, pe, http.StatusNotFound, "not_found", "")
	var ended broker.InvolvementView
	e.json(kb, http.MethodPost, "/v1/involvements/dossier-1/end", "", map[string]string{"end": "2026-10-31"}, &ended)
	if ended.Status != broker.InvolvementEnded || ended.End != "2026-10-31" {
		t.Fatalf("ended %+v", ended)
	}
	var page broker.InvolvementPage
	e.json(kb, http.MethodGet, "/v1/involvements?status=active", "", nil, &page)
	if len(page.Involvements) != 0 {
		t.Fatalf("active after the end: %+v", page)
	}
	e.json(kb, http.MethodGet, "/v1/involvements?status=ended", "", nil, &page)
	if len(page.Involvements) != 1 {
		t.Fatalf("ended after the end: %+v", page)
	}
}

func TestInvolvementProblemsChangeNothing(t *testing.T) {
	e := ivNewEnv(t)
	kb := e.client("kredietbank", broker.RoleConnector)
	bsn := e.bsn()
	e.json(kb, http.MethodPut, "/v1/involvements/keep-1", "", ivInvolvement(bsn, "schuldregeling"), nil)
	raw := func(s string) []byte { return []byte(s) }
	good := func(edit func(map[string]any)) []byte {
		m := ivInvolvement(bsn, "schuldregeling")
		if edit != nil {
			edit(m)
		}
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name, method, path string
		client             *connectors.Client
		body               []byte
		status             int
		code, field        string
	}{
		{"invalid BSN", http.MethodPut, "/v1/involvements/r-1", kb, good(func(m map[string]any) { m["bsn"] = "123456789" }), 422, "invalid_input", "bsn"},
		{"BSN of 8 digits", http.MethodPut, "/v1/involvements/r-1", kb, good(func(m map[string]any) { m["bsn"] = bsn[:8] }), 422, "invalid_input", "bsn"},
		{"BSN as a number", http.MethodPut, "/v1/involvements/r-1", kb, good(func(m map[string]any) { m["bsn"] = 111222333 }), 400, "malformed_body", "bsn"},
		{"unknown field", http.MethodPut, "/v1/involvements/r-1", kb, good(func(m map[string]any) { m["diagnosis"] = "x" }), 400, "malformed_body", "diagnosis"},
		{"unknown nested field", http.MethodPut, "/v1/involvements/r-1", kb, good(func(m map[string]any) { m["contact"] = map[string]string{"fax": "1"} }), 400, "malformed_body", "fax"},
		{"BSN as a key", http.MethodPut, "/v1/involvements/r-1", kb, raw(`{"` + bsn + `":{"service":"schuldregeling"}}`), 400, "malformed_body", "[number]"},
		{"BSN as a duplicate key", http.MethodPut, "/v1/involvements/r-1", kb, raw(`{"service":"a","contact":{"` + bsn + `":1,"` + bsn + `":2}}`), 400, "malformed_body", "[number]"},
		{"duplicate key", http.MethodPut, "/v1/involvements/r-1", kb, raw(`{"bsn":"` + bsn + `","service":"a","service":"b"}`), 400, "malformed_body", "service"},
		{"trailing data", http.MethodPut, "/v1/involvements/r-1", kb, append(good(nil), []byte(` {}`)...), 400, "malformed_body", ""},
		{"not JSON", http.MethodPut, "/v1/involvements/r-1", kb, raw(`bsn=` + bsn), 400, "malformed_body", ""},
		{"no body", http.MethodPut, "/v1/involvements/r-1", kb, nil, 400, "malformed_body", ""},
		{"oversized body", http.MethodPut, "/v1/involvements/r-1", kb, good(func(m map[string]any) { m["service_label"] = strings.Repeat("x", DefaultMaxBody) }), 413, "too_large", ""},
		{"BSN as reference", http.MethodPut, "/v1/involvements/" + "999999990", kb, good(nil), 422, "invalid_input", "ref"},
		{"bad reference", http.MethodPut, "/v1/involvements/a%20b", kb, good(nil), 422, "invalid_input", "ref"},
		{"bad status", http.MethodPut, "/v1/involvements/r-1", kb, good(func(m map[string]any) { m["status"] = "paused" }), 422, "invalid_input", "status"},
		{"end before start", http.MethodPut, "/v1/involvements/r-1", kb, good(func(m map[string]any) { m["end"] = "2020-01-01" }), 422, "invalid_input", "end"},
		{"foreign reference ended", http.MethodPost, "/v1/involvements/keep-1/end", e.client("school", broker.RoleConnector), nil, 404, "not_found", ""},
		{"unknown reference ended", http.MethodPost, "/v1/involvements/nope/end", kb, nil, 404, "not_found", ""},
		{"end with unknown field", http.MethodPost, "/v1/involvements/keep-1/end", kb, raw(`{"end":"2026-12-01","why":"x"}`), 400, "malformed_body", "why"},
		{"coordinator registering", http.MethodPut, "/v1/involvements/r-1", e.client("gem-a", broker.RoleCoordinator), good(nil), 403, "denied", ""},
		{"bad status filter", http.MethodGet, "/v1/involvements?status=paused", kb, nil, 422, "invalid_input", "status"},
		{"bad limit", http.MethodGet, "/v1/involvements?limit=5000", kb, nil, 422, "invalid_input", "limit"},
	}
	before := e.auditEntries()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, pe := e.do(tt.client, tt.method, tt.path, "", tt.body, "")
			ivExpect(t, pe, tt.status, tt.code, tt.field)
			if strings.Contains(pe.Detail, bsn) {
				t.Errorf("the problem names the BSN: %s", pe.Detail)
			}
		})
	}
	// Registering needs a purpose (policy: involvement.write).
	if _, pe := e.do(kb, http.MethodPut, "/v1/involvements/r-1", noPurpose, good(nil), ""); pe == nil ||
		pe.Status != http.StatusForbidden || !slices.Contains(pe.Reasons, broker.ReasonPurposeMissing) {
		t.Errorf("a registration without a purpose: %+v", pe)
	}
	if got := fmt.Sprint(e.list("kredietbank")); got != "map[keep-1:active]" {
		t.Fatalf("after the refused requests kredietbank has %s", got)
	}
	if got := fmt.Sprint(e.list("school")); got != "map[]" {
		t.Fatalf("after the refused requests school has %s", got)
	}
	after := e.auditEntries()
	if n, m := ivChanges(after, broker.ActionInvolvementWrite, ""), ivChanges(before, broker.ActionInvolvementWrite, ""); n != m {
		t.Fatalf("refused requests changed something: %d change entries, was %d", n, m)
	}
}

// ivSync posts an NDJSON caseload as partner's connector.
func (e *ivEnv) sync(partner, query string, lines ...string) (broker.SyncResult, *connectors.ProblemError) {
	e.t.Helper()
	body := strings.Join(lines, "\n") + "\n"
	resp, pe := e.do(e.client(partner, broker.RoleConnector), http.MethodPost, "/v1/involvements/sync"+query, "", []byte(body), "application/x-ndjson")
	var res broker.SyncResult
	if pe == nil {
		if err := json.Unmarshal(resp.Body, &res); err != nil {
			e.t.Fatal(err)
		}
	}
	return res, pe
}

func ivLine(ref, bsn, service string) string {
	m := ivInvolvement(bsn, service)
	m["ref"] = ref
	b, _ := json.Marshal(m)
	return string(b)
}

func TestSyncOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	a, b, c := e.bsn(), e.bsn(), e.bsn()
	e.json(e.client("uwv", broker.RoleConnector), http.MethodPut, "/v1/involvements/old-1", "", ivInvolvement(c, "ww"), nil)
	res, pe := e.sync("uwv", "",
		ivLine("ww-1", a, "ww"),                                       // 1
		`{"ref":"ww-2","bsn":"123456789","service":"ww"}`,             // 2 elfproef
		`{"ref":"ww-3","bsn":"`+b+`","service":"ww","diagnosis":"x"}`, // 3 unknown field
		`not json`,               // 4
		``,                       // 5 blank: skipped, still counted as a line number
		ivLine("ww-6", b, "wia"), // 6
		`{"ref":"ww-1","bsn":"`+a+`","service":"ww"}`,                  // 7 twice
		`{"ref":"`+c+`","bsn":"`+c+`","service":"ww"}`,                 // 8 BSN as ref
		`{"ref":"ww-9","bsn":111222333,"service":"ww"}`,                // 9 BSN as a number
		`{"ref":"ww-10","bsn":"`+a+`","service":"ww","service":"wia"}`, // 10 duplicate key
		`{"ref":"ww-11","bsn":"`+strings.Repeat("1", maxSyncLine)+`"}`, // 11 too long
		ivLine("ww-12", c, "ww"),                                       // 12
		`{"ref":"ww-13","`+a+`":"ww"}`,                                 // 13 a BSN as a key
	)
	if pe != nil {
		t.Fatal(pe)
	}
	if res.Lines != 12 || res.Added != 3 || res.Rejected != 9 || res.Ended != 1 {
		t.Fatalf("result %+v", res)
	}
	var got []string
	for _, p := range res.Problems {
		got = append(got, fmt.Sprintf("%d:%s:%s", p.Line, p.Ref, p.Field))
		if p.Reason == "" {
			t.Errorf("line %d without a reason", p.Line)
		}
	}
	want := []string{"2:ww-2:bsn", "3:ww-3:diagnosis", "4::", "7:ww-1:ref", "8::ref", "9:ww-9:bsn", "10:ww-10:service", "11::line", "13:ww-13:[number]"}
	if !slices.Equal(got, want) {
		t.Fatalf("problems\n%q\nwant\n%q", got, want)
	}
	if got := fmt.Sprint(e.list("uwv")); got != "map[old-1:ended ww-1:active ww-12:active ww-6:active]" {
		t.Fatalf("stored %s", got)
	}

	// The next caseload no longer holds ww-6: it is ended. ww-12's line is
	// broken this time: refused, and ww-12 stays as it was.
	res, pe = e.sync("uwv", "", ivLine("ww-1", a, "ww"), `{"ref":"ww-12","bsn":"`+c+`","service":"ww","service":"ww"}`)
	if pe != nil || res.Ended != 1 || res.Unchanged != 1 || res.Rejected != 1 {
		t.Fatalf("second sync %+v %v", res, pe)
	}
	if got := fmt.Sprint(e.list("uwv")); got != "map[old-1:ended ww-1:active ww-12:active ww-6:ended]" {
		t.Fatalf("after the second sync %s", got)
	}
	// A dry run says what would happen and does nothing.
	res, pe = e.sync("uwv", "?dry_run=true", ivLine("ww-1", a, "ww"))
	if pe != nil || !res.DryRun || res.Ended != 1 {
		t.Fatalf("dry run %+v %v", res, pe)
	}
	if got := e.list("uwv")["ww-12"]; got != "active" {
		t.Fatalf("a dry run ended ww-12: %s", got)
	}
	// Only connectors and professionals sync.
	_, pe = e.do(e.client("gem-a", broker.RoleCoordinator), http.MethodPost, "/v1/involvements/sync", "", []byte(ivLine("x", a, "ww")+"\n"), "application/x-ndjson")
	ivExpect(t, pe, http.StatusForbidden, "denied", "")
}

func TestSyncRefusesABodyChangedAfterSigning(t *testing.T) {
	e := ivNewEnv(t)
	a := e.bsn()
	signed := []byte(ivLine("ww-1", a, "ww") + "\n")
	tampered := bytes.Replace(signed, []byte(`"ww"`), []byte(`"wv"`), 1)
	if len(tampered) != len(signed) || bytes.Equal(tampered, signed) {
		t.Fatal("the tampered body should differ in content only")
	}
	id := e.ids["uwv/connector"]
	now := time.Now()
	tok, err := id.Signer().SignRequest(protocol.Claims{Issuer: id.Partner, Subject: id.Sub, Audience: ivBrokerID, IssuedAt: now,
		Expiry: now.Add(time.Minute), ID: protocol.NewJTI(), Method: http.MethodPost, URI: "/v1/involvements/sync",
		Role: id.Role, Purpose: ivPurpose, BodyHash: protocol.BodyHash(signed)})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/involvements/sync", bytes.NewReader(tampered))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p Problem
	_ = json.Unmarshal(body, &p)
	if resp.StatusCode != http.StatusUnauthorized || p.Code != "token_body_hash_mismatch" || resp.Header.Get("Content-Type") != ProblemContentType {
		t.Fatalf("tampered sync: %d %s", resp.StatusCode, body)
	}
	if got := fmt.Sprint(e.list("uwv")); got != "map[]" {
		t.Fatalf("a tampered sync stored %s", got)
	}
	for _, a := range e.auditEntries() {
		if a.Partner == "uwv" {
			t.Fatalf("a tampered sync was audited as %+v", a)
		}
	}
}

// ivBSNAt returns a valid BSN for i without remembering it (the 500 000
// of the memory test are not scanned for).
func ivBSNAt(i int) string {
	for j := i * 13; ; j++ {
		s := strconv.Itoa(10_000_000 + j%90_000_000)
		sum := 0
		for k := 0; k < 8; k++ {
			sum += (9 - k) * int(s[k]-'0')
		}
		if d := sum % 11; d < 10 {
			return s + strconv.Itoa(d)
		}
	}
}

func TestSyncOfHalfAMillionLinesInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("500 000 lines take about a minute; run without -short")
	}
	const n = 500_000
	e := ivNewEnv(t)
	gen := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		for i := range n {
			fmt.Fprintf(bw, `{"ref":"c-%07d","bsn":"%s","service":"schuldregeling","service_label":"Schuldregeling","status":"active","start":"2026-01-01","contact":{"name":"Team Schuldhulp","phone":"033-1234567","email":"schuld@example.nl"}}`+"\n",
				i, ivBSNAt(i))
		}
		return bw.Flush()
	}
	hasher := protocol.NewBodyHasher()
	if err := gen(hasher); err != nil {
		t.Fatal(err)
	}
	size := hasher.Len()
	id := e.ids["kredietbank/connector"]
	now := time.Now()
	tok, err := id.Signer().SignRequest(protocol.Claims{Issuer: id.Partner, Subject: id.Sub, Audience: ivBrokerID, IssuedAt: now,
		Expiry: now.Add(5 * time.Minute), ID: protocol.NewJTI(), Method: http.MethodPost, URI: "/v1/involvements/sync",
		Role: id.Role, Purpose: ivPurpose, BodyHash: hasher.Sum()})
	if err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	start := time.Now()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(gen(pw)) }()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/involvements/sync", pr)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sync: %d %s", resp.StatusCode, body)
	}
	var res broker.SyncResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if res.Lines != n || res.Added != n || res.Rejected != 0 || res.Ended != 0 {
		t.Fatalf("result %+v", res)
	}
	grew := int64(peak.Load()) - int64(base)
	t.Logf("sync of %d lines (%d MiB): %v; HeapInuse peak %d MiB (%+d MiB over the %d MiB before)",
		n, size>>20, elapsed.Round(100*time.Millisecond), peak.Load()>>20, grew>>20, base>>20)
	// Bounded: far below the body's size; what grows with the caseload is
	// only the set of references seen (8-byte hashes).
	if grew > 192<<20 {
		t.Errorf("the heap grew by %d MiB for a %d MiB caseload", grew>>20, size>>20)
	}
	var page broker.InvolvementPage
	e.json(e.client("kredietbank", broker.RoleConnector), http.MethodGet, "/v1/involvements?after=c-0499990", "", nil, &page)
	if len(page.Involvements) != 9 || page.Involvements[8].Ref != "c-0499999" {
		t.Fatalf("the last references: %+v", page.Involvements)
	}
}

// ivFamily registers household hh-1 of gem-a with four members and their
// involvements, over HTTP. It returns the BSNs by label.
func (e *ivEnv) family() map[string]string {
	e.t.Helper()
	bsns := map[string]string{}
	var members []map[string]any
	for _, m := range []struct {
		label, role string
		year        int
	}{{"moeder", "parent", 1988}, {"vader", "parent", 1985}, {"kind 1", "child", 2014}, {"kind 2", "child", 2019}} {
		bsns[m.label] = e.bsn()
		members = append(members, map[string]any{"label": m.label, "bsn": bsns[m.label], "role": m.role, "birth_year": m.year})
	}
	var h broker.HouseholdView
	resp := e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodPut, "/v1/households/hh-1", ivPurpose,
		map[string]any{"municipality": "gem-a", "area": "centrum", "members": members}, &h)
	if resp.Status != http.StatusOK || len(h.Members) != 4 {
		e.t.Fatalf("household %d %+v", resp.Status, h)
	}
	for _, r := range []struct{ partner, ref, member, service string }{
		{"kredietbank", "kb-1", "moeder", "schuldregeling"}, {"uwv", "ww-1", "vader", "ww"},
		{"school", "ib-1", "kind 1", "extra-ondersteuning"}, {"cjg", "og-1", "kind 2", "opvoedondersteuning"},
	} {
		e.json(e.client(r.partner, broker.RoleConnector), http.MethodPut, "/v1/involvements/"+r.ref, "", ivInvolvement(bsns[r.member], r.service), nil)
	}
	return bsns
}

// overview asks hh-1's overview as gem-a's coordinator and summarises it.
func (e *ivEnv) overview() (broker.Overview, string) {
	e.t.Helper()
	var o broker.Overview
	e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/households/hh-1/involvements", ivPurpose, nil, &o)
	var parts []string
	for _, m := range o.Members {
		var ps []string
		for _, v := range m.Involvements {
			ps = append(ps, v.Partner)
		}
		parts = append(parts, m.Label+"="+strings.Join(ps, ","))
	}
	return o, strings.Join(parts, " ")
}

func (e *ivEnv) setLevel(id string, level int) {
	e.t.Helper()
	p, _ := e.svc.LookupPartner(id)
	q := *p
	q.Level = level
	if _, err := e.svc.UpdatePartner(e.ctx, e.operator, q); err != nil {
		e.t.Fatal(err)
	}
}

func TestOverviewOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	if _, got := e.overview(); got != "moeder= vader= kind 1= kind 2=" {
		t.Fatalf("before consent: %s", got)
	}
	// The CJG professional records the consents; the next request shows.
	prof := e.client("cjg", broker.RoleProfessional)
	var mother broker.ConsentView
	e.json(prof, http.MethodPost, "/v1/consents", ivPurpose, map[string]any{"bsn": bsns["moeder"], "purpose": ivPurpose,
		"sectors": []string{"debt", "youth", "education"}, "given_by": "self", "evidence": "form 2026-1", "explicit": true, "not_conditional": true}, &mother)
	for _, k := range []string{"kind 1", "kind 2"} {
		e.json(prof, http.MethodPost, "/v1/consents", ivPurpose, map[string]any{"bsn": bsns[k], "purpose": ivPurpose,
			"sectors": []string{"youth", "education"}, "given_by": "parent", "evidence": "form 2026-1", "explicit": true, "not_conditional": true}, nil)
	}
	o, got := e.overview()
	if got != "moeder=kredietbank vader= kind 1=school kind 2=cjg" {
		t.Fatalf("level 2 after consent: %s", got)
	}
	if v := o.Members[0].Involvements[0]; v.Service != "schuldregeling" || v.Status != "active" || v.Start != "2026-09-01" || v.Contact == nil {
		t.Fatalf("level 2 shows %+v", v)
	}

	// Level 1: core partners only, partner and contact only.
	e.setLevel("gem-a", 1)
	resp := e.json(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/households/hh-1/involvements", ivPurpose, nil, &o)
	if fmt.Sprint(len(o.Members[0].Involvements), len(o.Members[2].Involvements), len(o.Members[3].Involvements)) != "0 0 1" || o.Level != 1 {
		t.Fatalf("level 1: %s", resp.Body)
	}
	var doc struct {
		Members []struct {
			Involvements []map[string]any `json:"involvements"`
		} `json:"members"`
	}
	_ = json.Unmarshal(resp.Body, &doc)
	for k := range doc.Members[3].Involvements[0] {
		if !slices.Contains([]string{"partner", "partner_name", "sector", "contact"}, k) {
			t.Errorf("level 1 shows %q: %s", k, resp.Body)
		}
	}
	e.setLevel("gem-a", 2)

	// Withdrawn: hidden in the next request.
	e.json(prof, http.MethodPost, "/v1/consents/"+mother.ID+"/withdraw", "", map[string]string{"reason": "withdrawn"}, nil)
	if _, got := e.overview(); got != "moeder= vader= kind 1=school kind 2=cjg" {
		t.Fatalf("after the withdrawal: %s", got)
	}

	// To another municipality's coordinator the household does not exist
	// (TestHouseholdOfAnotherMunicipalityIsMissing).
	_, pe := e.do(e.client("gem-b", broker.RoleCoordinator), http.MethodGet, "/v1/households/hh-1/involvements", ivPurpose, nil, "")
	ivExpect(t, pe, http.StatusNotFound, "not_found", "")
	_, pe = e.do(e.client("gem-b", broker.RoleCoordinator), http.MethodGet, "/v1/households/hh-1", ivPurpose, nil, "")
	ivExpect(t, pe, http.StatusNotFound, "not_found", "")
	// Without a purpose in the token: refused.
	_, pe = e.do(e.client("gem-a", broker.RoleCoordinator), http.MethodGet, "/v1/households/hh-1/involvements", "", nil, "")
	ivExpect(t, pe, http.StatusForbidden, "denied", "")

	// One person, BSN in the body.
	var po broker.Overview
	body, _ := json.Marshal(map[string]string{"bsn": bsns["kind 1"]})
	resp, pe = e.do(e.client("gem-a", broker.RoleCoordinator), http.MethodPost, "/v1/persons/involvements", ivPurpose, body, "")
	if pe != nil {
		t.Fatal(pe)
	}
	_ = json.Unmarshal(resp.Body, &po)
	if len(po.Members) != 1 || len(po.Members[0].Involvements) != 1 || po.Members[0].Involvements[0].Partner != "school" {
		t.Fatalf("person overview %s", resp.Body)
	}
	for _, tt := range []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"invalid BSN", `{"bsn":"123456789"}`, 422, "invalid_input", "bsn"},
		{"unknown field", `{"bsn":"` + bsns["moeder"] + `","name":"x"}`, 400, "malformed_body", "name"},
	} {
		_, pe := e.do(e.client("gem-a", broker.RoleCoordinator), http.MethodPost, "/v1/persons/involvements", ivPurpose, []byte(tt.body), "")
		ivExpect(t, pe, tt.status, tt.code, tt.field)
	}

	// Every answer was audited with what it showed.
	disclosures := 0
	for _, a := range e.auditEntries() {
		if a.Event == broker.EventDisclosure && (a.Action == broker.ActionHouseholdOverview || a.Action == broker.ActionPersonOverview) {
			disclosures++
		}
	}
	if disclosures != 5 {
		t.Errorf("%d overview disclosures audited, want 5", disclosures)
	}
}

func TestHouseholdProblemsChangeNothing(t *testing.T) {
	e := ivNewEnv(t)
	coord := e.client("gem-a", broker.RoleCoordinator)
	a, b := e.bsn(), e.bsn()
	member := func(label, bsn string) map[string]any {
		return map[string]any{"label": label, "bsn": bsn, "role": "parent", "birth_year": 1980}
	}
	body := func(m map[string]any) []byte {
		raw, _ := json.Marshal(m)
		return raw
	}
	tests := []struct {
		name        string
		client      *connectors.Client
		path        string
		body        []byte
		status      int
		code, field string
	}{
		{"invalid BSN of the second member", coord, "/v1/households/hh-1", body(map[string]any{"municipality": "gem-a",
			"members": []any{member("moeder", a), member("vader", "123456789")}}), 422, "invalid_input", "members[1].bsn"},
		{"unknown member field", coord, "/v1/households/hh-1", body(map[string]any{"municipality": "gem-a",
			"members": []any{map[string]any{"label": "moeder", "bsn": a, "role": "parent", "religion": "x"}}}), 400, "malformed_body", "religion"},
		{"unknown field", coord, "/v1/households/hh-1", body(map[string]any{"municipality": "gem-a", "income": 1,
			"members": []any{member("moeder", a)}}), 400, "malformed_body", "income"},
		{"oversized", coord, "/v1/households/hh-1", body(map[string]any{"municipality": "gem-a", "area": strings.Repeat("a", DefaultMaxBody),
			"members": []any{member("moeder", a)}}), 413, "too_large", ""},
		{"other municipality", e.client("gem-b", broker.RoleCoordinator), "/v1/households/hh-1", body(map[string]any{"municipality": "gem-a",
			"members": []any{member("moeder", a)}}), 403, "denied", ""},
		{"connector", e.client("kredietbank", broker.RoleConnector), "/v1/households/hh-1", body(map[string]any{"municipality": "gem-a",
			"members": []any{member("moeder", a)}}), 403, "denied", ""},
		{"bad id", coord, "/v1/households/HH_1", body(map[string]any{"municipality": "gem-a",
			"members": []any{member("moeder", a)}}), 422, "invalid_input", "id"},
		{"same person twice", coord, "/v1/households/hh-1", body(map[string]any{"municipality": "gem-a",
			"members": []any{member("moeder", b), member("vader", b)}}), 422, "invalid_input", "members[1].bsn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, pe := e.do(tt.client, http.MethodPut, tt.path, ivPurpose, tt.body, "")
			ivExpect(t, pe, tt.status, tt.code, tt.field)
		})
	}
	_, pe := e.do(coord, http.MethodGet, "/v1/households/hh-1", ivPurpose, nil, "")
	ivExpect(t, pe, http.StatusNotFound, "not_found", "")
	if n := ivChanges(e.auditEntries(), broker.ActionHouseholdWrite, ""); n != 0 {
		t.Fatalf("refused household writes left %d change entries", n)
	}
}

func TestInboxOverHTTP(t *testing.T) {
	e := ivNewEnv(t)
	bsns := e.family()
	prof := e.client("cjg", broker.RoleProfessional)
	e.json(prof, http.MethodPost, "/v1/consents", ivPurpose, map[string]any{"bsn": bsns["moeder"], "purpose": ivPurpose,
		"sectors": []string{"debt", "youth"}, "given_by": "self", "evidence": "form 2026-1", "explicit": true, "not_conditional": true}, nil)
	coord := e.client("gem-a", broker.RoleCoordinator)
	// The family's registrations raised inform items (AVG art. 14) for the
	// coordinator, which has handed them over.
	var informs broker.InboxPage
	e.json(coord, http.MethodGet, "/v1/inbox", "", nil, &informs)
	for _, it := range informs.Items {
		if it.Kind != broker.InboxInform {
			t.Fatalf("before the registration: %+v", it)
		}
		e.json(coord, http.MethodPost, "/v1/inbox/"+it.ID+"/ack", "", nil, nil)
	}

	// The coordinator long-polls; the CJG registers with the mother.
	type result struct {
		page broker.InboxPage
		err  error
	}
	got := make(chan result, 1)
	go func() {
		var page broker.InboxPage
		err := coord.JSON(e.ctx, http.MethodGet, "/v1/inbox?wait=20s", "", nil, &page)
		got <- result{page, err}
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	e.json(e.client("cjg", broker.RoleConnector), http.MethodPut, "/v1/involvements/coaching-1", "", ivInvolvement(bsns["moeder"], "gezinscoaching"), nil)
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("the long-poll answered %v after the signal", waited)
	}
	// Beside the match signal, the registration's inform item.
	var it broker.InboxView
	matches := 0
	for _, x := range r.page.Items {
		if x.Kind == broker.InboxMatch {
			it, matches = x, matches+1
		}
	}
	if matches != 1 || it.Household != "hh-1" || it.About == nil || it.About.Partner != "cjg" {
		t.Fatalf("inbox %+v", r.page)
	}

	_, pe := e.do(e.client("kredietbank", broker.RoleConnector), http.MethodPost, "/v1/inbox/"+it.ID+"/ack", "", nil, "")
	ivExpect(t, pe, http.StatusNotFound, "not_found", "")
	var acked broker.InboxView
	e.json(coord, http.MethodPost, "/v1/inbox/"+it.ID+"/ack", "", nil, &acked)
	if !acked.Acked || acked.ID != it.ID {
		t.Fatalf("ack %+v", acked)
	}
	var page broker.InboxPage
	e.json(coord, http.MethodGet, "/v1/inbox", "", nil, &page)
	if slices.ContainsFunc(page.Items, func(x broker.InboxView) bool { return x.ID == it.ID || x.Kind == broker.InboxMatch }) {
		t.Fatalf("after the ack: %+v", page)
	}
	for _, tt := range []struct{ path, field string }{
		{"/v1/inbox?wait=2m", "wait"}, {"/v1/inbox?wait=soon", "wait"}, {"/v1/inbox?after=x", "after"}, {"/v1/inbox?limit=9999", "limit"},
	} {
		_, pe := e.do(coord, http.MethodGet, tt.path, "", nil, "")
		ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", tt.field)
	}
	_, pe = e.do(coord, http.MethodPost, "/v1/inbox/abc/ack", "", nil, "")
	ivExpect(t, pe, http.StatusUnprocessableEntity, "invalid_input", "id")
}

func TestNDJSONLines(t *testing.T) {
	in := "{\"ref\":\"a\",\"bsn\":\"111222333\",\"service\":\"x\"}\r\n" + // 1, CRLF
		"\n" + // 2 blank
		"   \t\n" + // 3 blank
		"{\"ref\":\"b\",\"unknown\":1}\n" + // 4
		strings.Repeat("x", maxSyncLine+1) + "\n" + // 5 too long
		"{\"ref\":\"c\",\"service\":\"y\"}" // 6, no final newline
	var got []string
	for it := range ndjson(strings.NewReader(in)) {
		s := fmt.Sprintf("%d:%s:%s", it.Line, it.Ref, it.Input.Service)
		if it.Err != nil {
			var ve *broker.ValidationError
			if !errors.As(it.Err, &ve) {
				t.Errorf("line %d: %T %v is no validation error", it.Line, it.Err, it.Err)
			}
			s += ":" + ve.Field
		}
		got = append(got, s)
	}
	want := []string{"1:a:x", "4:b::unknown", "5:::line", "6:c:y"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

var ivNineDigits = regexp.MustCompile(`[0-9]{9}`)

func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{
		"",
		"\n\n\n",
		`{"ref":"r-1","bsn":"111222333","service":"ww","status":"active","start":"2026-01-01","contact":{"name":"A","phone":"033-1234567"}}` + "\n",
		`{"ref":"r-1","bsn":"111222333"}` + "\r\n" + `{"ref":"r-2"}`,
		`{"ref":"r-1","ref":"r-2"}` + "\n",
		`{"ref":"r-1","colour":"blue"}` + "\n",
		`{"ref":"r-1","contact":{"fax":"1"}}` + "\n",
		`{"ref":1}` + "\n" + `[1,2]` + "\n" + `null` + "\n" + `"x"` + "\n",
		`{"ref":"r-1"} {"ref":"r-2"}` + "\n",
		`{{{{` + "\n" + `}}}}`,
		strings.Repeat("[", 100) + "\n",
		strings.Repeat("a", maxSyncLine+10) + "\nok\n",
		"\x00\xff\xfe\n{\"ref\":\"\xff\"}\n",
		`{"ref":"r-1","bsn":111222333}` + "\n" + `{"ref":"r-1","bsn":1112223330000000000000000}` + "\n" + `{"bsn":"111222333",}` + "\n",
		`{"111222333":1}` + "\n" + `{"ref":"r","contact":{"111222333":1}}` + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		newlines := bytes.Count(data, []byte("\n"))
		last := 0
		n := 0
		for it := range ndjson(bytes.NewReader(data)) {
			n++
			if it.Line <= last {
				t.Fatalf("line %d after line %d", it.Line, last)
			}
			last = it.Line
			if it.Line > newlines+1 {
				t.Fatalf("line %d of an input with %d newlines", it.Line, newlines)
			}
			if it.Err != nil {
				var ve *broker.ValidationError
				if !errors.As(it.Err, &ve) || ve.Reason == "" {
					t.Fatalf("line %d: %T %v is no validation error with a reason", it.Line, it.Err, it.Err)
				}
				// A reason never quotes a number that could be a BSN.
				if ivNineDigits.MatchString(ve.Reason) || ivNineDigits.MatchString(ve.Field) {
					t.Fatalf("line %d: the reason quotes the input: %s %s", it.Line, ve.Field, ve.Reason)
				}
				continue
			}
			// A line that parsed is strict JSON of a sync line: it
			// round-trips.
			var l syncLine
			l.Ref, l.InvolvementInput = it.Ref, it.Input
			raw, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			var back syncLine
			if err := decodeStrict(raw, &back); err != nil || back.Ref != it.Ref || back.InvolvementInput != it.Input {
				t.Fatalf("line %d does not round-trip: %v", it.Line, err)
			}
		}
		if n > newlines+1 {
			t.Fatalf("%d items from %d newlines", n, newlines)
		}
	})
}
