package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// The crash harness's full-caseload syncs, assignments (level 3) and plan
// edits (level 4): the writers, what they record when acknowledged, and
// the checks after each restart, cross-checked against the audit trail.

const (
	crashMunicipality = "gem-crash"
	crashDebt         = "crash-schuld" // receives the assignments, works in the plans
	crashAssignHH     = "hh-crash-a"
	// syncWindow lines a caseload; each next sync of a worker moves the
	// window by syncShift, so that every sync adds, changes and ends.
	syncWindow = 30
	syncShift  = 4
)

// crashPlanHH is the household whose plan plan worker w edits: one per
// worker, so that every If-Match is on the version the worker last saw.
func crashPlanHH(w int) string { return fmt.Sprintf("hh-crash-p%d", w) }

// crashSync is one full-caseload sync a worker sent: caseload n of the
// worker holds refs s<w>-<i> for i in [n·syncShift, n·syncShift+syncWindow),
// each with service sync-<w>-<n>.
type crashSync struct {
	n     int
	acked bool
}

func syncRef(w, i int) string        { return fmt.Sprintf("s%d-%05d", w, i) }
func syncService(w, n int) string    { return fmt.Sprintf("sync-%d-%d", w, n) }
func (s crashSync) holds(i int) bool { return i >= s.n*syncShift && i < s.n*syncShift+syncWindow }

// crashPlanEdit is an acknowledged plan version and the marker its note
// carried.
type crashPlanEdit struct {
	version uint64
	marker  string
}

// collabLedger is the part of the ledger for syncs, assignments and plans.
type collabLedger struct {
	syncs [][]crashSync // per sync worker, in the order sent
	// assignments by id: the status the last acknowledged step left.
	assignments map[string]string
	plans       [][]crashPlanEdit // per plan worker
	// The audit trail read so far, as far as the checks need it: for each
	// object, the allowed changes (action and detail).
	auditNext  uint64 // the next entry to read
	auditLast  string // the hash of the entry before auditNext
	auditIndex map[string][]broker.AuditEntry
	// Inbox cursors of the two partners whose inboxes are checked.
	inboxAfter map[string]string
	// Counts for the report.
	syncLines, inboxChecked int
}

func newCollabLedger(syncWorkers, planWorkers int) collabLedger {
	return collabLedger{syncs: make([][]crashSync, syncWorkers), assignments: map[string]string{},
		plans: make([][]crashPlanEdit, planWorkers), auditNext: 1, auditIndex: map[string][]broker.AuditEntry{},
		inboxAfter: map[string]string{}}
}

// assignmentRank orders the statuses the harness's assignments pass.
var assignmentRank = map[string]int{broker.AssignmentProposed: 1, broker.AssignmentAccepted: 2, broker.AssignmentCompleted: 3}

// collabParties are the partners of the level 3 and 4 writes.
type collabParties struct {
	coord   *connectors.Client   // the municipality's coordinator, level 4
	debt    *connectors.Client   // the debt counsellor's connector, level 4
	syncers []*connectors.Client // one partner per sync worker: a sync ends what its caseload lacks
}

// setupCollab registers the level 4 municipality and debt counsellor, the
// sync partners, and the households with their plans.
func (b *childBroker) setupCollab(p *crashParties, register func(id string, sector broker.Sector, level int, municipality string, role broker.Role) *connectors.Client, syncWorkers, planWorkers int) {
	t := b.t
	ctx := context.Background()
	cp := &collabParties{
		coord: register(crashMunicipality, broker.SectorMunicipality, 4, crashMunicipality, broker.RoleCoordinator),
		debt:  register(crashDebt, broker.SectorDebt, 4, crashMunicipality, broker.RoleConnector),
	}
	for w := range syncWorkers {
		cp.syncers = append(cp.syncers, register(fmt.Sprintf("crash-sync%d", w), broker.SectorDebt, 2, "gem-test", broker.RoleConnector))
	}
	households := []string{crashAssignHH}
	for w := range planWorkers {
		households = append(households, crashPlanHH(w))
	}
	for i, hh := range households {
		var members []map[string]any
		for j, role := range []string{"parent", "child"} {
			members = append(members, map[string]any{"label": fmt.Sprintf("lid %d", j+1), "bsn": newBSN(t), "role": role,
				"birth_year": 1985 + 25*j})
		}
		if err := cp.coord.JSON(ctx, http.MethodPut, "/v1/households/"+hh, debtPurpose,
			map[string]any{"municipality": crashMunicipality, "members": members}, nil); err != nil {
			t.Fatalf("registering household %s: %v", hh, err)
		}
		// The debt counsellor serves the household's parent.
		if err := cp.debt.JSON(ctx, http.MethodPut, fmt.Sprintf("/v1/involvements/hh-%d", i), debtPurpose, map[string]any{
			"bsn": members[0]["bsn"], "service": "schuldhulp", "status": "active", "contact": map[string]string{"name": "Crash"}}, nil); err != nil {
			t.Fatalf("the debt counsellor's involvement: %v", err)
		}
		if hh == crashAssignHH {
			continue
		}
		resp, err := cp.coord.Do(ctx, connectors.Request{Method: http.MethodPut, Path: "/v1/households/" + hh + "/plan",
			Purpose: debtPurpose, Body: planBody("created"), Header: http.Header{"If-None-Match": {"*"}}})
		if err != nil || resp.Status != http.StatusCreated {
			t.Fatalf("creating the plan of %s: %v", hh, err)
		}
	}
	p.collab = cp
}

// planBody is a plan whose goal, agreement and note carry marker.
func planBody(marker string) []byte {
	// Marshalling maps of strings cannot fail.
	raw, _ := json.Marshal(map[string]any{
		"goals":      []map[string]any{{"id": "schulden", "title": "Schulden onder controle " + marker}},
		"agreements": []map[string]any{{"id": "w-schuld", "goal": "schulden", "partner": crashDebt, "action": "Budgetbeheer " + marker}},
		"note":       marker,
	})
	return raw
}

// writeSyncs sends full caseloads as sync worker w until ctx ends or a
// sync is not acknowledged: then the worker waits for the next round, so
// that at most one unacknowledged sync follows the last acknowledged one
// in a round.
func writeSyncs(ctx context.Context, c *connectors.Client, l *crashLedger, w int) {
	for ctx.Err() == nil {
		l.mu.Lock()
		n := len(l.collab.syncs[w])
		l.collab.syncs[w] = append(l.collab.syncs[w], crashSync{n: n})
		l.mu.Unlock()
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		for i := n * syncShift; i < n*syncShift+syncWindow; i++ {
			_ = enc.Encode(map[string]any{"ref": syncRef(w, i), "bsn": l.bsn(i), "service": syncService(w, n),
				"status": broker.InvolvementActive, "contact": map[string]string{"name": "Sync " + syncRef(w, i)}})
		}
		// The harness varies caseloads freely (ends of more than the share a
		// sync may end at once are meant), so it allows mass ends.
		res, err := c.SyncWith(ctx, bytes.NewReader(body.Bytes()), broker.SyncOptions{Purpose: DefaultRegistrationPurpose, AllowMassEnd: true})
		if err == nil && (res.Lines != syncWindow || res.Rejected != 0) {
			err = &connectors.ProblemError{Status: http.StatusUnprocessableEntity, Detail: fmt.Sprintf("sync %d: %+v", n, res)}
		}
		if err != nil {
			l.unexpected(err)
			return
		}
		l.mu.Lock()
		l.collab.syncs[w][n].acked = true
		l.collab.syncLines += syncWindow
		l.mu.Unlock()
	}
}

// writeAssignments gives assignments and takes them through accept and
// complete, recording each step when it is acknowledged. A step that is
// not acknowledged leaves its assignment where it is.
func writeAssignments(ctx context.Context, p *collabParties, l *crashLedger, round int) {
	for n := 0; ctx.Err() == nil; n++ {
		var a broker.AssignmentView
		err := p.coord.JSON(ctx, http.MethodPost, "/v1/assignments", debtPurpose, map[string]any{"household": crashAssignHH,
			"recipient": crashDebt, "type": "schuldenoverzicht", "due": due(14)}, &a)
		if err != nil {
			l.unexpected(err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		l.ackAssignment(a.ID, broker.AssignmentProposed)
		for _, step := range []struct{ name, status, outcome string }{
			{broker.StepAccept, broker.AssignmentAccepted, ""},
			{broker.StepComplete, broker.AssignmentCompleted, fmt.Sprintf("Klaar r%02d-%04d", round, n)},
		} {
			var body any
			if step.outcome != "" {
				body = map[string]string{"outcome": step.outcome}
			}
			if err := p.debt.JSON(ctx, http.MethodPost, "/v1/assignments/"+a.ID+"/"+step.name, debtPurpose, body, nil); err != nil {
				l.unexpected(err)
				break
			}
			l.ackAssignment(a.ID, step.status)
		}
	}
}

func (l *crashLedger) ackAssignment(id, status string) {
	l.mu.Lock()
	l.collab.assignments[id] = status
	l.mu.Unlock()
}

// writePlans edits plan worker w's household plan with If-Match on the
// version it last saw; after an edit that was not acknowledged it reads
// the plan again, since the edit may have been made.
func writePlans(ctx context.Context, c *connectors.Client, l *crashLedger, round, w int) {
	path := "/v1/households/" + crashPlanHH(w) + "/plan"
	var version uint64
	for n := 0; ctx.Err() == nil; n++ {
		if version == 0 {
			var cur broker.PlanView
			if err := c.JSON(ctx, http.MethodGet, path, debtPurpose, nil, &cur); err != nil {
				l.unexpected(err)
				time.Sleep(5 * time.Millisecond)
				continue
			}
			version = cur.Version
		}
		marker := fmt.Sprintf("crash-r%02d-p%d-%04d", round, w, n)
		resp, err := c.Do(ctx, connectors.Request{Method: http.MethodPut, Path: path, Purpose: debtPurpose,
			Body: planBody(marker), Header: http.Header{"If-Match": {broker.PlanETag(version)}}})
		if err != nil {
			l.unexpected(err)
			version = 0
			time.Sleep(5 * time.Millisecond)
			continue
		}
		var v broker.PlanView
		if err := json.Unmarshal(resp.Body, &v); err != nil || v.Version != version+1 {
			l.unexpected(&connectors.ProblemError{Status: http.StatusUnprocessableEntity,
				Detail: fmt.Sprintf("plan edit on version %d answered %s", version, resp.Body)})
			version = 0
			continue
		}
		version = v.Version
		l.mu.Lock()
		l.collab.plans[w] = append(l.collab.plans[w], crashPlanEdit{version: v.Version, marker: marker})
		l.mu.Unlock()
	}
}

// readAudit reads the audit entries written since the last call and
// indexes the allowed changes of assignments and plans by object. It
// first reads the last entry it saw again: its hash must not have changed
// (the chain's verification covers everything before it).
func (l *collabLedger) readAudit(t *testing.T, fg *connectors.Client, round int) {
	t.Helper()
	from := l.auditNext
	if from > 1 {
		from--
	}
	for {
		var page struct {
			Entries []broker.AuditEntry `json:"entries"`
		}
		if err := fg.JSON(context.Background(), http.MethodGet, fmt.Sprintf("/v1/audit?from=%d&limit=1000&reference=crash-check", from), "", nil, &page); err != nil {
			t.Fatalf("round %d: reading the audit trail: %v", round, err)
		}
		for _, e := range page.Entries {
			if e.Seq < l.auditNext {
				if e.Seq == l.auditNext-1 && e.Hash != l.auditLast {
					t.Errorf("round %d: audit entry %d changed across the restart", round, e.Seq)
				}
				continue
			}
			if e.Seq != l.auditNext {
				t.Fatalf("round %d: audit entry %d follows %d", round, e.Seq, l.auditNext-1)
			}
			l.auditNext, l.auditLast = e.Seq+1, e.Hash
			if e.Decision == "allow" && (strings.HasPrefix(e.Object, "assignment:") || strings.HasPrefix(e.Object, "plan:")) &&
				(strings.HasPrefix(e.Action, "assignment.") || strings.HasPrefix(e.Action, "plan.")) && e.Event == broker.EventChange {
				l.auditIndex[e.Object] = append(l.auditIndex[e.Object], e)
			}
			if e.Decision == "allow" && e.Action == "partner.person.put" && e.Event == broker.EventChange {
				l.auditIndex["person:"+e.Detail["person"]] = append(l.auditIndex["person:"+e.Detail["person"]], e)
			}
		}
		if len(page.Entries) < 1000 {
			return
		}
		from = l.auditNext
	}
}

// stepActions names the audit action of the step that leaves a status.
var stepActions = map[string]string{broker.AssignmentProposed: broker.ActionAssignmentGive,
	broker.AssignmentAccepted: broker.ActionAssignmentAccept, broker.AssignmentCompleted: broker.ActionAssignmentComplete}

// verifyCollab checks syncs, assignments, plans and inboxes against the
// ledger and the audit trail; the caller holds l.mu. It returns how many
// acknowledged writes it checked.
func verifyCollab(t *testing.T, p *crashParties, l *crashLedger, round int) int {
	t.Helper()
	cl := &l.collab
	cl.readAudit(t, p.fg, round)
	checked := 0
	for w, c := range p.collab.syncers {
		checked += verifySyncs(t, c, w, cl.syncs[w], round)
	}

	// Assignments: every acknowledged one at least at its acknowledged
	// step; every one present (acknowledged or not) with an audit entry
	// for each of its steps, and no audited step it lacks.
	present := map[string]broker.AssignmentView{}
	var list broker.AssignmentList
	if err := p.collab.coord.JSON(context.Background(), http.MethodGet, "/v1/assignments?side=giver&household="+crashAssignHH, "", nil, &list); err != nil {
		t.Fatalf("round %d: listing assignments: %v", round, err)
	}
	for _, a := range list.Assignments {
		present[a.ID] = a
	}
	for id, status := range cl.assignments {
		checked++
		a, ok := present[id]
		if !ok {
			// Beyond one listing's bound (MaxAssignmentList): ask for it.
			if err := p.collab.coord.JSON(context.Background(), http.MethodGet, "/v1/assignments/"+id, "", nil, &a); err != nil {
				t.Errorf("round %d: acknowledged assignment %s is lost: %v", round, id, err)
				continue
			}
			present[id] = a
		}
		if assignmentRank[a.Status] < assignmentRank[status] {
			t.Errorf("round %d: assignment %s is %s, acknowledged %s", round, id, a.Status, status)
		}
	}
	for _, a := range present {
		checkAssignmentAudit(t, cl, a, round)
	}

	// Plans: every acknowledged version present with its content; every
	// version with its audit entry, and no audited version missing.
	for w, edits := range cl.plans {
		hh := crashPlanHH(w)
		var h broker.PlanHistory
		if err := p.collab.coord.JSON(context.Background(), http.MethodGet, "/v1/households/"+hh+"/plan/history", debtPurpose, nil, &h); err != nil {
			t.Fatalf("round %d: plan history of %s: %v", round, hh, err)
		}
		byVersion := map[uint64]broker.PlanVersion{}
		for _, v := range h.Versions {
			byVersion[v.Version] = v
		}
		for _, e := range edits {
			checked++
			v, ok := byVersion[e.version]
			if !ok {
				t.Errorf("round %d: acknowledged plan version %d of %s is lost", round, e.version, hh)
				continue
			}
			if !strings.HasSuffix(v.Change, "— "+e.marker) {
				t.Errorf("round %d: plan version %d of %s says %q, acknowledged with %s", round, e.version, hh, v.Change, e.marker)
			}
		}
		audited := map[uint64]bool{}
		// Audit objects name a household by municipality:id.
		for _, e := range cl.auditIndex["plan:"+crashMunicipality+broker.HouseholdRefSep+hh] {
			n, err := strconv.ParseUint(e.Detail["version"], 10, 64)
			if err != nil {
				t.Errorf("round %d: audit entry %d of %s names no version", round, e.Seq, hh)
				continue
			}
			audited[n] = true
			if _, ok := byVersion[n]; !ok {
				t.Errorf("round %d: plan version %d of %s is audited but not there", round, n, hh)
			}
		}
		for n := range byVersion {
			if !audited[n] {
				t.Errorf("round %d: plan version %d of %s is there without its audit entry", round, n, hh)
			}
		}
		for i, v := range h.Versions {
			if v.Version != uint64(i+1) {
				t.Errorf("round %d: plan history of %s has version %d at place %d", round, hh, v.Version, i+1)
			}
		}
	}

	// Inboxes: no signal without its change.
	latest := map[string]uint64{}
	for w := range cl.plans {
		var h broker.PlanHistory
		if err := p.collab.coord.JSON(context.Background(), http.MethodGet, "/v1/households/"+crashPlanHH(w)+"/plan/history", debtPurpose, nil, &h); err != nil {
			t.Fatal(err)
		}
		latest[crashPlanHH(w)] = uint64(len(h.Versions))
	}
	for name, c := range map[string]*connectors.Client{"debt": p.collab.debt, "coordinator": p.collab.coord} {
		for {
			path := "/v1/inbox?limit=500"
			if after := cl.inboxAfter[name]; after != "" {
				path += "&after=" + url.QueryEscape(after)
			}
			var page broker.InboxPage
			if err := c.JSON(context.Background(), http.MethodGet, path, "", nil, &page); err != nil {
				t.Fatalf("round %d: the %s's inbox: %v", round, name, err)
			}
			for _, it := range page.Items {
				cl.inboxChecked++
				switch {
				case it.Assignment != nil:
					a, ok := present[it.Assignment.ID]
					if !ok {
						if err := p.collab.coord.JSON(context.Background(), http.MethodGet, "/v1/assignments/"+it.Assignment.ID, "", nil, &a); err != nil {
							t.Errorf("round %d: inbox item %s about assignment %s, which is not there: %v", round, it.ID, it.Assignment.ID, err)
							continue
						}
					}
					if assignmentRank[a.Status] < assignmentRank[it.Assignment.Status] {
						t.Errorf("round %d: inbox item %s says %s, the assignment is %s", round, it.ID, it.Assignment.Status, a.Status)
					}
				case it.Plan != nil:
					if it.Plan.Version > latest[it.Plan.Household] {
						t.Errorf("round %d: inbox item %s about plan version %d of %s, which is at %d", round, it.ID,
							it.Plan.Version, it.Plan.Household, latest[it.Plan.Household])
					}
				}
			}
			if page.Next != "" {
				cl.inboxAfter[name] = page.Next
			}
			if len(page.Items) < 500 {
				break
			}
		}
	}
	return checked
}

// checkAssignmentAudit cross-checks one assignment with the audit trail:
// an audit entry for every step it took, and no audited step it lacks.
func checkAssignmentAudit(t *testing.T, cl *collabLedger, a broker.AssignmentView, round int) {
	t.Helper()
	entries := cl.auditIndex["assignment:"+a.ID]
	var audited []string
	for _, e := range entries {
		audited = append(audited, e.Detail["status"])
	}
	var steps []string
	for _, s := range a.Steps {
		steps = append(steps, s.Status)
	}
	if strings.Join(audited, ",") != strings.Join(steps, ",") {
		t.Errorf("round %d: assignment %s took steps %v, the audit trail has %v", round, a.ID, steps, audited)
	}
	for i, e := range entries {
		if i < len(a.Steps) && e.Action != stepActions[a.Steps[i].Status] {
			t.Errorf("round %d: assignment %s step %s audited as %s", round, a.ID, a.Steps[i].Status, e.Action)
		}
	}
	if len(steps) == 0 || steps[len(steps)-1] != a.Status {
		t.Errorf("round %d: assignment %s is %s after steps %v", round, a.ID, a.Status, steps)
	}
}

// verifySyncs checks sync worker w's involvements against the caseloads it
// sent. The last acknowledged caseload a is there line by line, except
// where a later, unacknowledged caseload (in flight at a kill) took
// effect; what no caseload from a on holds is ended; and nothing is there
// that no caseload sent.
func verifySyncs(t *testing.T, c *connectors.Client, w int, sent []crashSync, round int) int {
	t.Helper()
	last := -1
	for i, s := range sent {
		if s.acked {
			last = i
		}
	}
	after := ""
	got := map[int]broker.InvolvementView{}
	for {
		path := "/v1/involvements?limit=1000"
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		var page broker.InvolvementPage
		if err := c.JSON(context.Background(), http.MethodGet, path, "", nil, &page); err != nil {
			t.Fatalf("round %d: listing sync worker %d's involvements: %v", round, w, err)
		}
		for _, v := range page.Involvements {
			var i int
			if _, err := fmt.Sscanf(v.Ref, fmt.Sprintf("s%d-%%05d", w), &i); err != nil || syncRef(w, i) != v.Ref {
				t.Errorf("round %d: involvement %s was never synced", round, v.Ref)
				continue
			}
			got[i] = v
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	// sentBy says whether caseload n sent line i with this content.
	sentBy := func(n, i int, v broker.InvolvementView) bool {
		return sent[n].holds(i) && v.Service == syncService(w, n) && v.Contact.Name == "Sync "+syncRef(w, i)
	}
	for i, v := range got {
		ok := false
		for n := range sent {
			ok = ok || sentBy(n, i, v)
		}
		if !ok {
			t.Errorf("round %d: involvement %s is half there or never sent: %+v", round, v.Ref, v)
		}
	}
	if last < 0 {
		return 0
	}
	later := sent[last+1:] // sent after the last acknowledged one, none acknowledged
	for i := 0; i < (len(sent)-1)*syncShift+syncWindow; i++ {
		v, there := got[i]
		inLater, endedByLater := false, false
		for _, s := range later {
			inLater = inLater || s.holds(i) && there && sentBy(s.n, i, v) && v.Status == broker.InvolvementActive
			endedByLater = endedByLater || !s.holds(i)
		}
		switch {
		case sent[last].holds(i):
			switch {
			case !there:
				t.Errorf("round %d: line %s of acknowledged sync %d is lost", round, syncRef(w, i), last)
			case inLater:
			case v.Status == broker.InvolvementEnded && endedByLater:
			case v.Status != broker.InvolvementActive || !sentBy(last, i, v):
				t.Errorf("round %d: line %s of acknowledged sync %d is %+v", round, syncRef(w, i), last, v)
			}
		case there && !inLater && v.Status != broker.InvolvementEnded:
			t.Errorf("round %d: %s is not in acknowledged sync %d but is %s", round, v.Ref, last, v.Status)
		}
	}
	return 1
}
