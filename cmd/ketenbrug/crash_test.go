package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/connectors"
)

var crashRounds = flag.Int("crash.rounds", 20, "kill rounds of TestCrashSafety")

const crashPurpose = "integrale-ondersteuning"

// crashLedger records every write the harness attempted, and which of them
// the broker acknowledged with a 2xx.
type crashLedger struct {
	mu sync.Mutex
	// involvements by ref: what was sent, and whether it was acknowledged.
	invSent  map[string]broker.InvolvementInput
	invAcked map[string]bool
	// consents by evidence marker (unique per write), with the BSN index.
	conSent  map[string]int
	conAcked map[string]bool
	// collab: full-caseload syncs, assignments and plan edits.
	collab collabLedger
	// persons: person keys bound by the operator.
	persons personLedger
	// refused holds answers that a crash cannot explain (a 4xx problem).
	refused []error
}

// unexpected notes err when it is a refusal rather than a broker that went
// away.
func (l *crashLedger) unexpected(err error) {
	var pe *connectors.ProblemError
	if errors.As(err, &pe) && pe.Status < 500 {
		l.mu.Lock()
		l.refused = append(l.refused, err)
		l.mu.Unlock()
	}
}

func newCrashLedger() *crashLedger {
	return &crashLedger{invSent: map[string]broker.InvolvementInput{}, invAcked: map[string]bool{},
		conSent: map[string]int{}, conAcked: map[string]bool{},
		collab: newCollabLedger(crashSyncWorkers, crashPlanWorkers), persons: newPersonLedger()}
}

// Workers of each kind of write besides involvements and consents.
const crashSyncWorkers, crashPlanWorkers = 2, 2

// crashParties are the SDK clients of the partners the harness plays.
type crashParties struct {
	conn, pro, fg *connectors.Client
	// op is the operator init made, a verified person.
	op     *connectors.Client
	bsns   []string
	collab *collabParties
}

// TestCrashSafety runs the real `ketenbrug serve` binary, writes to it
// concurrently through the SDK — involvement upserts, consents,
// full-caseload syncs, assignments given, accepted and completed (level 3)
// and plan edits with If-Match (level 4) — kills it with SIGKILL at random
// moments and restarts it on the same data directory: every acknowledged
// write must survive, nothing unacknowledged may be half there (no change
// without its audit entry or the reverse, no inbox signal without its
// change), the audit chain must verify and bbolt's own consistency check
// must pass after every kill.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: builds and kills the broker binary")
	}
	started := time.Now()
	bin := buildBroker(t)
	dir := filepath.Join(t.TempDir(), "data")
	// The broker's temporary directory is the test's own, so that a file
	// it spooled there (a sync upload holds BSNs in clear) would be seen.
	childTmp := t.TempDir()
	b := &childBroker{t: t, bin: bin, dir: dir, id: "kb-crash", env: []string{"TMPDIR=" + childTmp}}
	b.init()
	b.start()
	parties := b.setupParties()
	ledger := newCrashLedger()

	rounds := *crashRounds
	checked := 0
	for round := 0; round < rounds; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		wg := startWriters(ctx, parties, ledger, round, true)
		time.Sleep(time.Duration(100+rand.IntN(600)) * time.Millisecond)
		b.kill()
		cancel()
		wg.Wait()
		checkBolt(t, dir, round)
		b.start()
		checkNoSpoolLeft(t, dir, childTmp, round)
		checked = verifyLedger(t, parties, ledger, round)
		if t.Failed() {
			t.FailNow()
		}
	}
	// A graceful stop at the end: it must exit cleanly and leave a
	// consistent file too.
	b.stop()
	checkBolt(t, dir, rounds)
	ledger.mu.Lock()
	cl := &ledger.collab
	syncs, syncsAcked := 0, 0
	for _, ss := range cl.syncs {
		for _, s := range ss {
			syncs++
			if s.acked {
				syncsAcked++
			}
		}
	}
	steps := map[string]int{}
	for _, st := range cl.assignments {
		steps[st]++
	}
	plans := 0
	for _, es := range cl.plans {
		plans += len(es)
	}
	t.Logf("%d kill rounds survived in %s, none lost: %d acknowledged writes checked in the last round; acknowledged: "+
		"%d of %d involvement upserts, %d of %d consents, %d of %d full-caseload syncs (%d lines), "+
		"%d assignments (last acknowledged step: %d proposed, %d accepted, %d completed), %d plan versions, "+
		"%d of %d person keys; "+
		"%d audit entries read, %d inbox items cross-checked",
		rounds, time.Since(started).Round(time.Millisecond), checked, countTrue(ledger.invAcked), len(ledger.invSent),
		countTrue(ledger.conAcked), len(ledger.conSent), syncsAcked, syncs, cl.syncLines,
		len(cl.assignments), steps[broker.AssignmentProposed], steps[broker.AssignmentAccepted], steps[broker.AssignmentCompleted],
		plans, countTrue(ledger.persons.acked), len(ledger.persons.sent), cl.auditNext-1, cl.inboxChecked)
	if syncsAcked == 0 || len(cl.assignments) == 0 || plans == 0 || countTrue(ledger.persons.acked) == 0 {
		t.Errorf("a kind of write was never acknowledged: the harness checked nothing of it")
	}
	ledger.mu.Unlock()
}

func countTrue(m map[string]bool) int {
	n := 0
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}

// writeInvolvements upserts fresh involvements until ctx ends.
func writeInvolvements(ctx context.Context, c *connectors.Client, l *crashLedger, round, w int) {
	for n := 0; ctx.Err() == nil; n++ {
		ref := fmt.Sprintf("r%02d-w%d-%04d", round, w, n)
		in := broker.InvolvementInput{BSN: l.bsn(w), Service: "schuldhulp-" + ref, Status: "active",
			Contact: broker.Contact{Name: "Contact " + ref, Phone: fmt.Sprintf("030 %03d %04d", round*10+w, n%10000)}}
		l.mu.Lock()
		l.invSent[ref] = in
		l.mu.Unlock()
		var view broker.InvolvementView
		if err := c.JSON(ctx, http.MethodPut, "/v1/involvements/"+url.PathEscape(ref), DefaultRegistrationPurpose, in, &view); err != nil {
			l.unexpected(err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		l.mu.Lock()
		l.invAcked[ref] = true
		l.mu.Unlock()
	}
}

// bsns is set by setupParties; workers pick from it.
var crashBSNs []string

func (l *crashLedger) bsn(i int) string { return crashBSNs[i%len(crashBSNs)] }

// writeConsents records consents, each with a unique evidence marker,
// until ctx ends.
func writeConsents(ctx context.Context, c *connectors.Client, p *crashParties, l *crashLedger, round, w int) {
	for n := 0; ctx.Err() == nil; n++ {
		marker := fmt.Sprintf("crash-r%02d-w%d-%04d", round, w, n)
		bi := (w + n) % len(p.bsns)
		l.mu.Lock()
		l.conSent[marker] = bi
		l.mu.Unlock()
		body := map[string]any{"bsn": p.bsns[bi], "purpose": crashPurpose, "sectors": []string{"debt", "youth"},
			"given_by": "self", "evidence": marker}
		if err := c.JSON(ctx, http.MethodPost, "/v1/consents", crashPurpose, body, nil); err != nil {
			l.unexpected(err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		l.mu.Lock()
		l.conAcked[marker] = true
		l.mu.Unlock()
	}
}

// verifyLedger checks the running broker against the ledger and returns
// how many acknowledged writes it checked.
func verifyLedger(t *testing.T, p *crashParties, l *crashLedger, round int) int {
	t.Helper()
	ctx := context.Background()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.refused {
		t.Errorf("round %d: a write was refused: %v", round, err)
	}
	l.refused = nil
	checked := 0

	// Involvements: every acknowledged one present; everything present
	// complete (exactly what was sent).
	seen := map[string]bool{}
	after := ""
	for {
		var page broker.InvolvementPage
		path := "/v1/involvements?limit=1000"
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		if err := p.conn.JSON(ctx, http.MethodGet, path, "", nil, &page); err != nil {
			t.Fatalf("round %d: listing involvements: %v", round, err)
		}
		for _, v := range page.Involvements {
			seen[v.Ref] = true
			in, ok := l.invSent[v.Ref]
			if !ok {
				t.Errorf("round %d: involvement %s was never sent", round, v.Ref)
				continue
			}
			if v.Service != in.Service || v.Status != in.Status || v.Contact != in.Contact {
				t.Errorf("round %d: involvement %s is half there: %+v, sent %+v", round, v.Ref, v, in)
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	for ref, acked := range l.invAcked {
		if acked {
			checked++
			if !seen[ref] {
				t.Errorf("round %d: acknowledged involvement %s is lost", round, ref)
			}
		}
	}

	// Consents, searched per person by the privacy officer.
	present := map[string]bool{}
	for bi, bsn := range p.bsns {
		var list broker.ConsentList
		if err := p.fg.JSON(ctx, http.MethodPost, "/v1/consents/search", crashPurpose, map[string]string{"bsn": bsn, "reference": "crash-check"}, &list); err != nil {
			t.Fatalf("round %d: searching consents: %v", round, err)
		}
		for _, c := range list.Consents {
			sent, ok := l.conSent[c.Evidence]
			if !ok || sent != bi {
				t.Errorf("round %d: consent %s (evidence %q) was never sent for this person", round, c.ID, c.Evidence)
				continue
			}
			present[c.Evidence] = true
			if c.Purpose != crashPurpose || c.GivenBy != "self" || len(c.Sectors) != 2 || c.State != broker.ConsentActive {
				t.Errorf("round %d: consent %s is half there: %+v", round, c.Evidence, c)
			}
		}
	}
	for marker, acked := range l.conAcked {
		if acked {
			checked++
			if !present[marker] {
				t.Errorf("round %d: acknowledged consent %s is lost", round, marker)
			}
		}
	}

	checked += verifyCollab(t, p, l, round)
	checked += verifyPersons(t, p, l, round)

	// The audit chain.
	var rep broker.AuditVerification
	if err := p.fg.JSON(ctx, http.MethodGet, "/v1/audit/verify", "", nil, &rep); err != nil {
		t.Fatalf("round %d: verifying the audit chain: %v", round, err)
	}
	if !rep.OK || len(rep.Problems) > 0 {
		t.Errorf("round %d: the audit chain does not verify: %+v", round, rep)
	}
	return checked
}

// checkNoSpoolLeft checks, after a restart, that no spool file of the
// killed broker survived: the spool directory is empty (a leftover is
// removed at start-up) and nothing was ever written to the system's
// temporary directory.
func checkNoSpoolLeft(t *testing.T, dir, tmp string, round int) {
	t.Helper()
	spooled, err := os.ReadDir(filepath.Join(dir, spoolDir))
	if err != nil {
		t.Fatalf("round %d: the spool directory: %v", round, err)
	}
	for _, e := range spooled {
		t.Errorf("round %d: %s survived the restart in the spool directory", round, e.Name())
	}
	tmps, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tmps {
		t.Errorf("round %d: the broker wrote %s to its TMPDIR", round, e.Name())
	}
}

// checkBolt opens the store file of a stopped broker and runs bbolt's
// consistency check.
func checkBolt(t *testing.T, dir string, round int) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(dir, storeFile), boltstore.Config{Logger: discardLogger()})
	if err != nil {
		t.Fatalf("round %d: opening the store after the kill: %v", round, err)
	}
	if err := st.Check(); err != nil {
		t.Errorf("round %d: bbolt check: %v", round, err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("round %d: closing the store: %v", round, err)
	}
}

// setupParties registers the partners the harness plays, as the operator
// that init made.
func (b *childBroker) setupParties() *crashParties {
	t := b.t
	op, err := connectors.LoadIdentity(filepath.Join(b.dir, operatorFile))
	if err != nil {
		t.Fatal(err)
	}
	opc := b.client(op)
	register := func(id string, sector broker.Sector, level int, municipality string, role broker.Role) *connectors.Client {
		ident, pub, err := connectors.NewIdentity(id, "crash-"+string(role), string(role), "EdDSA")
		if err != nil {
			t.Fatal(err)
		}
		req := map[string]any{"id": id, "name": "Crash " + id, "sector": sector, "roles": []broker.Role{role},
			"level": level, "municipalities": []string{municipality}, "covenant": "2026-1", "jwks": json.RawMessage(pub),
			"privacy_office": role == broker.RolePrivacyOfficer}
		if err := opc.JSON(context.Background(), http.MethodPost, "/v1/partners", "", req, nil); err != nil {
			t.Fatalf("registering %s: %v", id, err)
		}
		return b.client(ident)
	}
	mk := func(id string, sector broker.Sector, role broker.Role) *connectors.Client {
		return register(id, sector, 2, "gem-test", role)
	}
	p := &crashParties{
		op:   opc,
		conn: mk("crash-kb", broker.SectorDebt, broker.RoleConnector),
		pro:  mk("crash-cjg", broker.SectorYouth, broker.RoleProfessional),
		fg:   mk("crash-fg", broker.SectorMunicipality, broker.RolePrivacyOfficer),
	}
	for i := range 4 {
		p.bsns = append(p.bsns, newBSN(t))
		// The CJG serves each person whose consents it records: the
		// relation the policy needs (no_relation otherwise).
		if err := p.pro.JSON(context.Background(), http.MethodPut, fmt.Sprintf("/v1/involvements/crash-cjg-%d", i), DefaultRegistrationPurpose, map[string]any{
			"bsn": p.bsns[i], "service": "opvoedondersteuning", "status": "active", "start": "2026-09-01"}, nil); err != nil {
			t.Fatalf("the CJG's involvement %d: %v", i, err)
		}
	}
	crashBSNs = p.bsns
	mk(crashPersonPartner, broker.SectorYouth, broker.RoleProfessional)
	b.setupCollab(p, register, crashSyncWorkers, crashPlanWorkers)
	return p
}

// errNotReady is returned while a child broker is starting.
var errNotReady = errors.New("not ready")

// waitReady polls /readyz until it answers 200.
func waitReady(base string, timeout time.Duration, exited <-chan struct{}) error {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the broker exited")
		default:
		}
		resp, err := hc.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errNotReady
}

// startWriters starts the harness's writers of one round until ctx ends:
// four of involvements, two of consents, the syncers, one of assignments,
// one of person keys and, with plans, the plan editors.
func startWriters(ctx context.Context, parties *crashParties, ledger *crashLedger, round int, plans bool) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { writeInvolvements(ctx, parties.conn, ledger, round, w) })
	}
	for w := range 2 {
		wg.Go(func() { writeConsents(ctx, parties.pro, parties, ledger, round, w) })
	}
	for w, c := range parties.collab.syncers {
		wg.Go(func() { writeSyncs(ctx, c, ledger, w) })
	}
	wg.Go(func() { writeAssignments(ctx, parties.collab, ledger, round) })
	wg.Go(func() { writePersonKeys(ctx, parties.op, ledger, round) })
	if plans {
		for w := range crashPlanWorkers {
			wg.Go(func() { writePlans(ctx, parties.collab.coord, ledger, round, w) })
		}
	}
	return &wg
}
