package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/webhook"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// Tests of ambition levels 3 and 4 over loopback HTTP with real signed
// tokens: assignments, the joint plan, webhook push and dead letters.

// debtPurpose is a statute purpose: the municipality, social services and
// debt counselling, no consent needed.
const debtPurpose = "vroegsignalering-schulden"

// region is the partners of the collaboration tests, all serving gem-c.
type region struct {
	tb                       *testBroker
	coord, kb, kbProf, sd    *connectors.Client
	fg                       *connectors.Client
	partners                 map[string]broker.Partner
	coordFile, kbFile, kbPro string
	bsns                     map[string]string
}

// newRegion registers gem-c (coordinator), the kredietbank (connector and
// professional), the sociale dienst and a privacy office, at level,
// with webhooks where given, and household hh-c of three.
func newRegion(t *testing.T, tb *testBroker, level int, hooks map[string]string) *region {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	r := &region{tb: tb, partners: map[string]broker.Partner{}, bsns: map[string]string{}}
	keys := map[string]*testKey{}
	for _, p := range []struct {
		id     string
		sector broker.Sector
		roles  []broker.Role
	}{
		{"gem-c", broker.SectorMunicipality, []broker.Role{broker.RoleCoordinator}},
		{"kredietbank", broker.SectorDebt, []broker.Role{broker.RoleConnector, broker.RoleProfessional}},
		{"sociale-dienst", broker.SectorSocialServices, []broker.Role{broker.RoleConnector, broker.RoleProfessional}},
		{"fg-c", broker.SectorMunicipality, []broker.Role{broker.RolePrivacyOfficer}},
	} {
		k := newTestKey(t, protocol.AlgEdDSA)
		keys[p.id] = k
		req := map[string]any{"id": p.id, "name": "Partner " + p.id, "sector": p.sector, "roles": p.roles, "level": level,
			"municipalities": []string{"gem-c"}, "covenant": "2026-1", "jwks": jwksOf(t, k)}
		if hooks[p.id] != "" {
			req["webhook"] = hooks[p.id]
		}
		if p.id == "fg-c" {
			req["privacy_office"] = true
		}
		var out broker.Partner
		if err := tb.operator.JSON(ctx, http.MethodPost, "/v1/partners", "", req, &out); err != nil {
			t.Fatalf("registering %s: %v", p.id, err)
		}
		r.partners[p.id] = out
	}
	// The regisseur acts with a person key: closing a plan needs a
	// verified person.
	coordKey := newTestKey(t, protocol.AlgEdDSA)
	r.coord = tb.bindPerson(t, "gem-c", "c.regisseur", coordKey, broker.RoleCoordinator)
	r.kb = tb.client(t, keys["kredietbank"].identity(t, "kredietbank", "connector", broker.RoleConnector))
	r.kbProf = tb.client(t, keys["kredietbank"].identity(t, "kredietbank", "j.bakker", broker.RoleProfessional))
	r.sd = tb.client(t, keys["sociale-dienst"].identity(t, "sociale-dienst", "connector", broker.RoleConnector))
	r.fg = tb.bindPerson(t, "fg-c", "fg", newTestKey(t, protocol.AlgEdDSA), broker.RolePrivacyOfficer)
	r.coordFile = invIdentityFile(t, dir, coordKey, "gem-c", "c.regisseur", broker.RoleCoordinator)
	r.kbFile = invIdentityFile(t, dir, keys["kredietbank"], "kredietbank", "connector", broker.RoleConnector)
	r.kbPro = invIdentityFile(t, dir, keys["kredietbank"], "kredietbank", "j.bakker", broker.RoleProfessional)

	members := []map[string]any{}
	for _, m := range []struct {
		label, role string
		born        int
	}{{"moeder", "parent", 1988}, {"vader", "parent", 1985}, {"kind", "child", 2014}} {
		r.bsns[m.label] = newBSN(t)
		members = append(members, map[string]any{"label": m.label, "bsn": r.bsns[m.label], "role": m.role, "birth_year": m.born})
	}
	t.Cleanup(func() { tb.assertNoBSNInLogs(t, r.bsns["moeder"], r.bsns["vader"], r.bsns["kind"]) })
	if err := r.coord.JSON(ctx, http.MethodPut, "/v1/households/hh-c", debtPurpose,
		map[string]any{"municipality": "gem-c", "members": members}, nil); err != nil {
		t.Fatalf("registering the household: %v", err)
	}
	// The kredietbank serves the mother.
	if err := r.kb.JSON(ctx, http.MethodPut, "/v1/involvements/kb-17", debtPurpose, map[string]any{"bsn": r.bsns["moeder"],
		"service": "schuldhulp", "status": "active", "contact": map[string]string{"name": "J. Bakker"}}, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

// setLevel has the operator change partner id's level.
func (r *region) setLevel(t *testing.T, id string, level int) {
	t.Helper()
	p := r.partners[id]
	req := map[string]any{"name": p.Name, "sector": p.Sector, "roles": p.Roles, "level": level,
		"municipalities": p.Municipalities, "covenant": p.Covenant, "webhook": p.Webhook}
	var out broker.Partner
	if err := r.tb.operator.JSON(context.Background(), http.MethodPut, "/v1/partners/"+id, "", req, &out); err != nil {
		t.Fatalf("setting the level of %s: %v", id, err)
	}
	r.partners[id] = out
}

// call sends one request and returns the verified response, or the
// problem.
func call(t *testing.T, c *connectors.Client, method, path, purpose string, body any, hdr http.Header) (*connectors.Response, *connectors.ProblemError) {
	t.Helper()
	req := connectors.Request{Method: method, Path: path, Purpose: purpose, Header: hdr}
	if body != nil {
		req.Body = mustJSON(t, body)
	}
	resp, err := c.Do(context.Background(), req)
	var pe *connectors.ProblemError
	if errors.As(err, &pe) {
		return resp, pe
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, nil
}

func decode[T any](t *testing.T, resp *connectors.Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(resp.Body, &v); err != nil {
		t.Fatalf("decoding %s: %v", resp.Body, err)
	}
	return v
}

func due(days int) string { return time.Now().AddDate(0, 0, days).Format(time.DateOnly) }

func TestAssignmentsOverHTTP(t *testing.T) {
	tb := newTestBroker(t)
	r := newRegion(t, tb, 2, nil)
	give := map[string]any{"household": "hh-c", "recipient": "kredietbank", "type": "schuldenoverzicht", "due": due(10)}

	// Level 2: refused, with the reason.
	_, pe := call(t, r.coord, http.MethodPost, "/v1/assignments", debtPurpose, give, nil)
	if pe == nil || pe.Status != http.StatusForbidden || pe.Code != "denied" || !slices.Equal(pe.Reasons, []string{broker.ReasonLevelTooLow}) {
		t.Fatalf("at level 2: %v", pe)
	}
	for _, id := range []string{"gem-c", "kredietbank", "sociale-dienst"} {
		r.setLevel(t, id, 3)
	}

	// The recipient's connector long-polls its inbox while the assignment
	// is given.
	type polled struct {
		page broker.InboxPage
		err  error
	}
	poll := make(chan polled, 1)
	go func() {
		var p broker.InboxPage
		err := r.kb.JSON(context.Background(), http.MethodGet, "/v1/inbox?wait=30s", "", nil, &p)
		poll <- polled{p, err}
	}()
	time.Sleep(200 * time.Millisecond)
	resp, pe := call(t, r.coord, http.MethodPost, "/v1/assignments", debtPurpose, give, nil)
	if pe != nil {
		t.Fatal(pe)
	}
	a := decode[broker.AssignmentView](t, resp)
	if resp.Status != http.StatusCreated || resp.Header.Get("Location") != "/v1/assignments/"+a.ID || a.Status != broker.AssignmentProposed {
		t.Fatalf("give: %d %s %+v", resp.Status, resp.Header.Get("Location"), a)
	}
	var item broker.InboxView
	select {
	case p := <-poll:
		if p.err != nil {
			t.Fatal(p.err)
		}
		for _, it := range p.page.Items {
			if it.Kind == broker.InboxAssignment {
				item = it
			}
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the long-poll did not return the assignment")
	}
	if item.Assignment == nil || item.Assignment.ID != a.ID || !slices.Equal(item.Assignment.YourRefs, []string{"kb-17"}) {
		t.Fatalf("inbox item %+v", item)
	}
	if _, pe := call(t, r.kb, http.MethodPost, "/v1/inbox/"+item.ID+"/ack", "", nil, nil); pe != nil {
		t.Fatal(pe)
	}

	step := func(c *connectors.Client, step string, body any) (*connectors.Response, *connectors.ProblemError) {
		return call(t, c, http.MethodPost, "/v1/assignments/"+a.ID+"/"+step, debtPurpose, body, nil)
	}
	// Illegal steps: 409 problems.
	for _, tc := range []struct {
		c    *connectors.Client
		step string
		body any
	}{
		{r.coord, "accept", nil},
		{r.kb, "complete", map[string]string{"outcome": "klaar"}},
		{r.kb, "cancel", nil},
	} {
		if _, pe := step(tc.c, tc.step, tc.body); pe == nil || pe.Status != http.StatusConflict || pe.Code != "conflict" {
			t.Errorf("%s: %v, want 409", tc.step, pe)
		}
	}
	if _, pe := step(r.sd, "accept", nil); pe == nil || pe.Status != http.StatusNotFound {
		t.Errorf("a third partner accepts: %v", pe)
	}
	if _, pe := step(r.kb, "accept", map[string]string{"outcome": "x"}); pe == nil || pe.Status != http.StatusUnprocessableEntity {
		t.Errorf("an accept with an outcome: %v", pe)
	}
	if _, pe := step(r.kb, "accept", nil); pe != nil {
		t.Fatal(pe)
	}
	if _, pe := step(r.kb, "accept", nil); pe == nil || pe.Status != http.StatusConflict {
		t.Errorf("accept twice: %v", pe)
	}
	if _, pe := step(r.kb, "decline", map[string]string{"reason": "toch niet"}); pe == nil || pe.Status != http.StatusConflict {
		t.Errorf("decline after accept: %v", pe)
	}
	resp, pe = step(r.kb, "complete", map[string]string{"outcome": "Overzicht gemaakt."})
	if pe != nil {
		t.Fatal(pe)
	}
	if done := decode[broker.AssignmentView](t, resp); done.Status != broker.AssignmentCompleted || done.Outcome != "Overzicht gemaakt." {
		t.Fatalf("completed: %+v", done)
	}
	if _, pe := step(r.coord, "cancel", nil); pe == nil || pe.Status != http.StatusConflict {
		t.Errorf("cancel after completion: %v", pe)
	}

	// The giver's inbox has the accept and the completion.
	var page broker.InboxPage
	if err := r.coord.JSON(context.Background(), http.MethodGet, "/v1/inbox", "", nil, &page); err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, it := range page.Items {
		if it.Assignment != nil && it.Assignment.ID == a.ID {
			statuses = append(statuses, it.Assignment.Status)
		}
	}
	if !slices.Equal(statuses, []string{broker.AssignmentAccepted, broker.AssignmentCompleted}) {
		t.Errorf("the giver's inbox: %v", statuses)
	}

	// The audit trail and the mother's access report show every step, the
	// refused ones too: three illegal steps (409), a third partner's
	// accept (404), a second accept and a decline after it (409), a cancel
	// after completion (409). (The accept with an outcome is refused as
	// malformed before the assignment is read: about nobody.)
	var audited []string
	for _, e := range auditTrail(t, r.tb) {
		if strings.HasPrefix(e.Action, "assignment.") {
			audited = append(audited, e.Action+":"+e.Decision)
		}
	}
	want := []string{"assignment.give:deny", "assignment.give:allow",
		"assignment.accept:deny", "assignment.complete:deny", "assignment.cancel:deny", "assignment.accept:deny",
		"assignment.accept:allow", "assignment.accept:deny", "assignment.decline:deny", "assignment.complete:allow",
		"assignment.cancel:deny"}
	if !slices.Equal(audited, want) {
		t.Errorf("audit trail %v, want %v", audited, want)
	}
	var rep broker.SubjectAccessReport
	if err := r.fg.JSON(context.Background(), http.MethodPost, "/v1/audit/subject-access", "", map[string]string{"bsn": r.bsns["kind"], "reference": "AVG-2026-3"}, &rep); err != nil {
		t.Fatal(err)
	}
	var reported []string
	for _, row := range rep.Events {
		if strings.HasPrefix(row.Action, "assignment.") {
			reported = append(reported, row.Action+":"+row.Decision)
		}
	}
	if !slices.Equal(reported, want) {
		t.Errorf("access report %v, want %v", reported, want)
	}
}

func TestPlanOverHTTP(t *testing.T) {
	tb := newTestBroker(t)
	r := newRegion(t, tb, 4, nil)
	path := "/v1/households/hh-c/plan"
	plan := map[string]any{
		"goals": []map[string]any{{"id": "schulden", "title": "Schulden onder controle", "target": "2027-06-01"}},
		"agreements": []map[string]any{
			{"id": "w-kb", "goal": "schulden", "partner": "kredietbank", "action": "Budgetbeheer starten"},
			{"id": "w-sd", "goal": "schulden", "partner": "sociale-dienst", "action": "Bijzondere bijstand beoordelen"},
		},
	}
	// Without a precondition: 428.
	_, pe := call(t, r.coord, http.MethodPut, path, debtPurpose, plan, nil)
	if pe == nil || pe.Status != http.StatusPreconditionRequired || pe.Code != "precondition_required" {
		t.Fatalf("no If-Match: %v", pe)
	}
	resp, pe := call(t, r.coord, http.MethodPut, path, debtPurpose, plan, http.Header{"If-None-Match": {"*"}})
	if pe != nil {
		t.Fatal(pe)
	}
	if resp.Status != http.StatusCreated || resp.Header.Get("ETag") != `"1"` {
		t.Fatalf("create: %d, ETag %q", resp.Status, resp.Header.Get("ETag"))
	}
	if _, pe := call(t, r.coord, http.MethodPut, path, debtPurpose, plan, http.Header{"If-None-Match": {"*"}}); pe == nil || pe.Status != http.StatusPreconditionFailed {
		t.Fatalf("create twice: %v", pe)
	}

	// Two partners edit version 1 at the same time: one 200, one 412.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	run := func(i int, c *connectors.Client, method, p string, body any) {
		defer wg.Done()
		resp, pe := call(t, c, method, p, debtPurpose, body, http.Header{"If-Match": {`"1"`}})
		if pe != nil {
			statuses[i] = pe.Status
			return
		}
		statuses[i] = resp.Status
	}
	edited := map[string]any{"goals": plan["goals"], "agreements": plan["agreements"], "note": "na overleg"}
	wg.Add(2)
	go run(0, r.coord, http.MethodPut, path, edited)
	go run(1, r.kbProf, http.MethodPost, path+"/agreements/w-kb/status", map[string]string{"status": "in-progress"})
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
		t.Fatalf("concurrent edits: %v, want one 200 and one 412", statuses)
	}

	// The current version, with its ETag; as a printable document.
	resp, pe = call(t, r.kbProf, http.MethodGet, path, debtPurpose, nil, nil)
	if pe != nil {
		t.Fatal(pe)
	}
	cur := decode[broker.PlanView](t, resp)
	if cur.Version != 2 || resp.Header.Get("ETag") != `"2"` || len(cur.Agreements) != 2 {
		t.Fatalf("current: %+v (ETag %s)", cur, resp.Header.Get("ETag"))
	}
	resp, pe = call(t, r.coord, http.MethodGet, path+"?format=html", debtPurpose, nil, nil)
	if pe != nil {
		t.Fatal(pe)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(resp.Body), "Schulden onder controle") ||
		resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("html: %s %s", ct, resp.Body)
	}
	resp, pe = call(t, r.coord, http.MethodGet, path, debtPurpose, nil, http.Header{"Accept": {"text/markdown"}})
	if pe != nil {
		t.Fatal(pe)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") || !strings.Contains(string(resp.Body), "| w\\-kb |") {
		t.Fatalf("markdown: %s", resp.Body)
	}
	resp, pe = call(t, r.coord, http.MethodGet, path+"/history", debtPurpose, nil, nil)
	if pe != nil {
		t.Fatal(pe)
	}
	if h := decode[broker.PlanHistory](t, resp); len(h.Versions) != 2 {
		t.Fatalf("history: %+v", h)
	}

	// Closing ends the participant's access.
	if _, pe := call(t, r.coord, http.MethodPost, path+"/close", "", nil, nil); pe == nil || pe.Status != http.StatusPreconditionRequired {
		t.Fatalf("close without If-Match: %v", pe)
	}
	if _, pe := call(t, r.coord, http.MethodPost, path+"/close", "", nil, http.Header{"If-Match": {cur.ETag()}}); pe != nil {
		t.Fatal(pe)
	}
	if _, pe := call(t, r.kbProf, http.MethodGet, path, debtPurpose, nil, nil); pe == nil || pe.Status != http.StatusForbidden ||
		!slices.Contains(pe.Reasons, broker.ReasonNotParticipant) {
		t.Fatalf("a participant after the close: %v", pe)
	}

	// Level 3: no plan.
	r.setLevel(t, "gem-c", 3)
	if _, pe := call(t, r.coord, http.MethodGet, path, debtPurpose, nil, nil); pe == nil || !slices.Contains(pe.Reasons, broker.ReasonLevelTooLow) {
		t.Fatalf("at level 3: %v", pe)
	}
}

// hook is a partner's webhook on loopback that can be down. It serves the
// SDK's WebhookHandler, which checks every delivery's signature with the
// broker's published keys, and keeps the last raw delivery for replays.
type hook struct {
	srv       *httptest.Server
	up        atomic.Bool
	calls     atomic.Int32
	mu        sync.Mutex
	sdk       http.Handler
	delivered []broker.InboxView
	bad       atomic.Int32
	raw       *http.Request
	rawBody   []byte
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.calls.Add(1)
		if !h.up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.raw, h.rawBody = r.Clone(context.Background()), body
		sdk := h.sdk
		h.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		sdk.ServeHTTP(rec, r)
		if rec.Code == http.StatusUnauthorized {
			h.bad.Add(1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// serve hands the hook's deliveries to c's WebhookHandler.
func (h *hook) serve(c *connectors.Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sdk = c.WebhookHandler(func(_ context.Context, it broker.InboxView) error {
		h.mu.Lock()
		h.delivered = append(h.delivered, it)
		h.mu.Unlock()
		return nil
	})
}

// replay sends the last delivery the hook received, changed by edit, to
// handler and returns the status.
func (h *hook) replay(handler http.Handler, edit func(r *http.Request, body []byte) []byte) int {
	h.mu.Lock()
	r, body := h.raw.Clone(context.Background()), bytes.Clone(h.rawBody)
	h.mu.Unlock()
	body = edit(r, body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, r)
	return rec.Code
}

func (h *hook) got() []broker.InboxView {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.delivered)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A webhook that is down gets the delivery after it comes back; one that
// never comes back ends in the dead letters, and the item is still in the
// inbox: nothing is lost.
func TestWebhookDelivery(t *testing.T) {
	tb := newTestBrokerWith(t, func(c *SystemConfig) {
		c.Webhook = webhook.Settings{MaxAttempts: 4, Backoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	})
	kbHook, sdHook := newHook(t), newHook(t)
	r := newRegion(t, tb, 3, map[string]string{"kredietbank": kbHook.srv.URL + "/ketenbrug", "sociale-dienst": sdHook.srv.URL})
	kbHook.serve(r.kb)
	sdHook.serve(r.sd)

	// The kredietbank's webhook is down for its first attempts.
	resp, pe := call(t, r.coord, http.MethodPost, "/v1/assignments", debtPurpose, map[string]any{
		"household": "hh-c", "recipient": "kredietbank", "type": "schuldenoverzicht", "due": due(7)}, nil)
	if pe != nil {
		t.Fatal(pe)
	}
	a := decode[broker.AssignmentView](t, resp)
	eventually(t, "two failed attempts", func() bool { return kbHook.calls.Load() >= 2 })
	kbHook.up.Store(true)
	eventually(t, "the delivery", func() bool { return len(kbHook.got()) == 1 })
	if got := kbHook.got()[0]; got.Assignment == nil || got.Assignment.ID != a.ID || got.Kind != broker.InboxAssignment {
		t.Fatalf("delivered %+v", got)
	}
	if kbHook.bad.Load() != 0 {
		t.Fatal("a delivery's signature did not verify")
	}
	// What the SDK's handler refuses: 401 (or 405), never handed over.
	sdHandler := r.sd.WebhookHandler(func(context.Context, broker.InboxView) error {
		t.Error("a refused delivery was handed over")
		return nil
	})
	kbHandler := r.kb.WebhookHandler(func(context.Context, broker.InboxView) error {
		t.Error("a refused delivery was handed over")
		return nil
	})
	for _, tc := range []struct {
		name    string
		handler http.Handler
		edit    func(r *http.Request, body []byte) []byte
		want    int
	}{
		{"another partner's delivery", sdHandler, func(*http.Request, []byte) []byte { return nil }, http.StatusUnauthorized},
		{"changed body", kbHandler, func(_ *http.Request, b []byte) []byte {
			return bytes.Replace(b, []byte(`"kind":"assignment"`), []byte(`"kind":"match"     `), 1)
		}, http.StatusUnauthorized},
		{"other delivery id", kbHandler, func(r *http.Request, _ []byte) []byte {
			r.Header.Set(protocol.DeliveryHeader, "d-other")
			return nil
		}, http.StatusUnauthorized},
		{"no signature", kbHandler, func(r *http.Request, _ []byte) []byte {
			r.Header.Del(protocol.SignatureHeader)
			return nil
		}, http.StatusUnauthorized},
		{"not a POST", kbHandler, func(r *http.Request, _ []byte) []byte {
			r.Method = http.MethodGet
			return nil
		}, http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := kbHook.replay(tc.handler, func(r *http.Request, b []byte) []byte {
				if e := tc.edit(r, b); e != nil {
					return e
				}
				return b
			})
			if got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
	// Delivered counts as acknowledged (once the broker has recorded the
	// answer): the long-poll does not hand it over again.
	var page broker.InboxPage
	eventually(t, "the delivered item acknowledged", func() bool {
		if err := r.kb.JSON(context.Background(), http.MethodGet, "/v1/inbox", "", nil, &page); err != nil {
			t.Fatal(err)
		}
		return !slices.ContainsFunc(page.Items, func(it broker.InboxView) bool { return it.Kind == broker.InboxAssignment })
	})

	// The sociale dienst's webhook never comes up.
	resp, pe = call(t, r.coord, http.MethodPost, "/v1/assignments", debtPurpose, map[string]any{
		"household": "hh-c", "recipient": "sociale-dienst", "type": "intake", "instruction": "Intake bijzondere bijstand.", "due": due(7)}, nil)
	if pe != nil {
		t.Fatal(pe)
	}
	b := decode[broker.AssignmentView](t, resp)
	var dead broker.DeadLetterList
	eventually(t, "the dead letter", func() bool {
		if err := tb.operator.JSON(context.Background(), http.MethodGet, "/v1/webhooks/dead-letters", "", nil, &dead); err != nil {
			t.Fatal(err)
		}
		return len(dead.DeadLetters) == 1
	})
	dl := dead.DeadLetters[0]
	if dl.Partner != "sociale-dienst" || dl.Attempts != 4 || dl.LastError == "" || sdHook.calls.Load() != 4 {
		t.Fatalf("dead letter %+v after %d calls", dl, sdHook.calls.Load())
	}
	// Only the operator lists them.
	if _, pe := call(t, r.coord, http.MethodGet, "/v1/webhooks/dead-letters", "", nil, nil); pe == nil || pe.Status != http.StatusForbidden {
		t.Errorf("a coordinator lists dead letters: %v", pe)
	}
	// The item is still in the inbox.
	if err := r.sd.JSON(context.Background(), http.MethodGet, "/v1/inbox?wait=1s", "", nil, &page); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range page.Items {
		found = found || it.Assignment != nil && it.Assignment.ID == b.ID
	}
	if !found {
		t.Fatal("the dead-lettered item is not in the inbox")
	}
	// The CLI lists it; after the webhook is fixed, a retry delivers it.
	out := invMustCLI(t, tb, writeOperator(t, tb), "", "webhook", "dead-letters")
	if !strings.Contains(out, dl.ID) || !strings.Contains(out, "sociale-dienst") {
		t.Errorf("webhook dead-letters:\n%s", out)
	}
	sdHook.up.Store(true)
	out = invMustCLI(t, tb, writeOperator(t, tb), "", "webhook", "retry", dl.ID)
	if !strings.Contains(out, "queued again") {
		t.Errorf("webhook retry: %s", out)
	}
	eventually(t, "the retried delivery", func() bool { return len(sdHook.got()) == 1 })

	// The audit trail names the pushes and the dead letter.
	var count map[string]int
	eventually(t, "the retried delivery audited", func() bool {
		count = map[string]int{}
		for _, e := range auditTrail(t, tb) {
			count[e.Action]++
		}
		return count["webhook.deliver"] == 2
	})
	if count["webhook.dead-letter"] != 1 || count["webhook.retry"] != 1 {
		t.Errorf("audited webhook events: %v", count)
	}
}

// auditTrail reads the whole audit trail as the operator.
func auditTrail(t *testing.T, tb *testBroker) []broker.AuditEntry {
	t.Helper()
	var out struct {
		Entries []broker.AuditEntry `json:"entries"`
	}
	if err := tb.operator.JSON(context.Background(), http.MethodGet, "/v1/audit?limit=1000", "", nil, &out); err != nil {
		t.Fatal(err)
	}
	return out.Entries
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeOperator writes the test broker's operator identity to a file.
func writeOperator(t *testing.T, tb *testBroker) string {
	t.Helper()
	path := t.TempDir() + "/operator.json"
	if err := tb.operator.Identity().WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAssignmentAndPlanCommands(t *testing.T) {
	tb := newTestBroker(t)
	r := newRegion(t, tb, 4, nil)

	out := invMustCLI(t, tb, r.coordFile, "", "assignment", "give", "--household", "hh-c", "--to", "kredietbank",
		"--type", "schuldenoverzicht", "--purpose", debtPurpose)
	if !strings.Contains(out, "gave assignment a-") || !strings.Contains(out, "proposed") {
		t.Fatalf("give:\n%s", out)
	}
	id := strings.Fields(out)[2]
	out = invMustCLI(t, tb, r.kbFile, "", "assignment", "list", "--side", "recipient")
	if !strings.Contains(out, id) || !strings.Contains(out, "recipient") || !strings.Contains(out, "1 assignment(s)") {
		t.Fatalf("list:\n%s", out)
	}
	if out, err := invCLI(t, tb, r.coordFile, "", "assignment", "accept", id); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("the giver accepts: %v\n%s", err, out)
	}
	invMustCLI(t, tb, r.kbFile, "", "assignment", "accept", id)
	out = invMustCLI(t, tb, r.kbFile, "", "assignment", "complete", id, "--outcome", "Overzicht gemaakt.")
	if !strings.Contains(out, "is completed") {
		t.Fatalf("complete:\n%s", out)
	}
	out = invMustCLI(t, tb, r.coordFile, "", "assignment", "show", id)
	for _, want := range []string{"schuldenoverzicht, completed", "Overzicht gemaakt.", "accepted", "kredietbank/connector"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out = invMustCLI(t, tb, r.coordFile, "", "assignment", "give", "--household", "hh-c", "--to", "kredietbank",
		"--type", "schuldenoverzicht", "--purpose", debtPurpose)
	id2 := strings.Fields(out)[2]
	invMustCLI(t, tb, r.kbFile, "", "assignment", "decline", id2, "--reason", "Geen capaciteit.")
	out = invMustCLI(t, tb, r.coordFile, "", "assignment", "give", "--household", "hh-c", "--to", "kredietbank",
		"--type", "schuldenoverzicht", "--purpose", debtPurpose)
	id3 := strings.Fields(out)[2]
	out = invMustCLI(t, tb, r.coordFile, "", "assignment", "cancel", id3, "--reason", "Niet meer nodig.")
	if !strings.Contains(out, "is cancelled") {
		t.Fatalf("cancel:\n%s", out)
	}

	// The plan: create from a file, show, edit on a stale version, history.
	dir := t.TempDir()
	file := dir + "/plan.json"
	writeFile(t, file, `{"goals": [{"id": "schulden", "title": "Schulden onder controle"}],
		"agreements": [{"id": "w-kb", "goal": "schulden", "partner": "kredietbank", "action": "Budgetbeheer"}]}`)
	out = invMustCLI(t, tb, r.coordFile, "", "plan", "edit", "hh-c", "--purpose", debtPurpose, "--file", file, "--create")
	if !strings.Contains(out, "version 1") {
		t.Fatalf("plan edit --create:\n%s", out)
	}
	shown := dir + "/shown.json"
	invMustCLI(t, tb, r.coordFile, "", "plan", "show", "hh-c", "--purpose", debtPurpose, "--format", "json", "--out", shown)
	out = invMustCLI(t, tb, r.kbPro, "", "plan", "edit", "hh-c", "--purpose", debtPurpose, "--agreement", "w-kb", "--status", "in-progress", "--version", "1")
	if !strings.Contains(out, "version 2") {
		t.Fatalf("plan edit --agreement:\n%s", out)
	}
	// The coordinator's file was read at version 1: refused, readably.
	out, err := invCLI(t, tb, r.coordFile, "", "plan", "edit", "hh-c", "--purpose", debtPurpose, "--file", shown)
	if err == nil || !strings.Contains(err.Error(), "the plan changed since the version you edited") {
		t.Fatalf("a stale edit: %v\n%s", err, out)
	}
	out = invMustCLI(t, tb, r.kbPro, "", "plan", "show", "hh-c", "--purpose", debtPurpose)
	for _, want := range []string{"Plan of household hh-c — version 2, open", "Goal schulden: Schulden onder controle",
		"Partner kredietbank (kredietbank)", "in-progress"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan show lacks %q:\n%s", want, out)
		}
	}
	out = invMustCLI(t, tb, r.coordFile, "", "plan", "show", "hh-c", "--purpose", debtPurpose, "--format", "markdown")
	if !strings.HasPrefix(out, "# Gezamenlijk plan") {
		t.Errorf("plan show --format markdown:\n%s", out)
	}
	out = invMustCLI(t, tb, r.coordFile, "", "plan", "history", "hh-c", "--purpose", debtPurpose)
	if !strings.Contains(out, "plan created") || !strings.Contains(out, "kredietbank/j.bakker") {
		t.Errorf("plan history:\n%s", out)
	}
	out = invMustCLI(t, tb, r.coordFile, "", "plan", "edit", "hh-c", "--close", "--version", "2")
	if !strings.Contains(out, "version 3 (closed)") {
		t.Errorf("plan edit --close:\n%s", out)
	}
}
