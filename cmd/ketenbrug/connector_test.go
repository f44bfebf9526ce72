package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/brokertest"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// newPartnerIdentity registers partner id with one connector key and
// writes its identity file.
func newPartnerIdentity(t *testing.T, op *connectors.Client, dir, id string, sector broker.Sector) string {
	return newPartnerAt(t, op, dir, id, sector, broker.RoleConnector, 2)
}

// newPartnerAt registers partner id of gem-test at level with one
// identity of role, and returns the identity file.
func newPartnerAt(t *testing.T, op *connectors.Client, dir, id string, sector broker.Sector, role broker.Role, level int) string {
	t.Helper()
	ident, pub, err := connectors.NewIdentity(id, "connector", string(role), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, id+".json")
	if err := ident.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	req := map[string]any{"id": id, "name": "Test " + id, "sector": sector, "roles": []broker.Role{role},
		"level": level, "municipalities": []string{"gem-test"}, "covenant": "2026-1", "jwks": json.RawMessage(pub)}
	if err := op.JSON(context.Background(), http.MethodPost, "/v1/partners", "", req, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConnectorSyncIsIdempotent(t *testing.T) {
	tb := newTestBroker(t)
	dir := t.TempDir()
	idPath := newPartnerIdentity(t, tb.operator, dir, "kredietbank", broker.SectorDebt)
	ident, err := connectors.LoadIdentity(idPath)
	if err != nil {
		t.Fatal(err)
	}
	c := tb.client(t, ident)
	job := syncJob{adapter: "debt", file: filepath.Join("..", "..", "connectors", "debt", "testdata", "kredietbank.csv")}
	ctx := context.Background()

	dry := job
	dry.dryRun = true
	plan, err := syncExport(ctx, c, dry)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Rows == 0 || plan.Plan == nil || plan.Plan.Added != plan.Rows || plan.Result != nil {
		t.Fatalf("dry run: rows %d, plan %+v, result %+v", plan.Rows, plan.Plan, plan.Result)
	}
	var page broker.InvolvementPage
	if err := c.JSON(ctx, http.MethodGet, "/v1/involvements", "", nil, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Involvements) != 0 {
		t.Fatalf("a dry run stored %d involvements", len(page.Involvements))
	}

	first, err := syncExport(ctx, c, job)
	if err != nil {
		t.Fatal(err)
	}
	if first.Result.Added != first.Rows {
		t.Fatalf("first sync added %d of %d rows", first.Result.Added, first.Rows)
	}
	again, err := syncExport(ctx, c, job)
	if err != nil {
		t.Fatal(err)
	}
	if r := again.Result; r.Added+r.Changed+r.Ended != 0 || r.Unchanged != first.Rows {
		t.Fatalf("second sync of the same file changed something: %+v", r)
	}
	if len(first.Skipped) == 0 {
		t.Log("the sample export has no bad rows")
	}
	for _, p := range first.Skipped {
		if p.Line == 0 || p.Reason == "" {
			t.Errorf("skipped row without line or reason: %+v", p)
		}
	}
}

// restartable is a broker on a fixed data directory and address that can
// be stopped and started again.
type restartable struct {
	t    *testing.T
	dir  string
	addr string
	sys  *System
	stop func()
	done chan error
}

func (r *restartable) start() {
	r.t.Helper()
	sys, err := CreateSystem(context.Background(), SystemConfig{DataDir: r.dir, ID: testBrokerID, FourEyes: true,
		PolicyTimeout: 2 * time.Second, Logger: discardLogger()})
	if err != nil {
		r.t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; ; i++ {
		if ln, err = net.Listen("tcp", r.addr); err == nil || i == 50 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	r.sys, r.stop, r.done = sys, stop, make(chan error, 1)
	go func() { r.done <- serveUntilDone(ctx, sys, ln, discardLogger()) }()
}

func (r *restartable) halt() {
	r.stop()
	<-r.done
	if err := r.sys.Close(); err != nil {
		r.t.Error(err)
	}
}

// give has coord give n assignments to kb-test about household hh-d, over
// HTTP, and returns their ids.
func (r *restartable) give(coord *connectors.Client, n int) []string {
	r.t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		var a broker.AssignmentView
		if err := coord.JSON(context.Background(), http.MethodPost, "/v1/assignments", "vroegsignalering-schulden",
			map[string]any{"household": "hh-d", "recipient": "kb-test", "type": "schuldenoverzicht", "due": due(7 + i)}, &a); err != nil {
			r.t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

func TestConnectorDaemonDeliversEachItemOnceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	r := &restartable{t: t, dir: filepath.Join(dir, "data"), addr: "127.0.0.1:0"}
	r.start()
	defer func() {
		if r.sys != nil {
			r.halt()
		}
	}()
	// The operator, as init registers it.
	opIdent, pub, err := connectors.NewIdentity(operatorID, "operator", string(broker.RoleOperator), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.sys.Service.EnsureOperator(context.Background(), broker.Partner{ID: operatorID, Name: "Operator",
		Sector: broker.SectorOther, Roles: []broker.Role{broker.RoleOperator}, Level: broker.MaxLevel, JWKS: pub}); err != nil {
		t.Fatal(err)
	}
	op, err := connectors.New(connectors.Config{Server: "http://" + r.addr, Identity: opIdent})
	if err != nil {
		t.Fatal(err)
	}
	// A municipality at level 3 whose coordinator gives assignments to a
	// debt counsellor's connector, which runs the daemon.
	idPath := newPartnerAt(t, op, dir, "kb-test", broker.SectorDebt, broker.RoleConnector, 3)
	coordIdent, err := connectors.LoadIdentity(newPartnerAt(t, op, dir, "gem-test", broker.SectorMunicipality, broker.RoleCoordinator, 3))
	if err != nil {
		t.Fatal(err)
	}
	coord, err := connectors.New(connectors.Config{Server: "http://" + r.addr, Identity: coordIdent})
	if err != nil {
		t.Fatal(err)
	}
	if err := coord.JSON(context.Background(), http.MethodPut, "/v1/households/hh-d", "vroegsignalering-schulden",
		map[string]any{"municipality": "gem-test", "members": []map[string]any{{"label": "ouder", "bsn": newBSN(t), "role": "parent"}}}, nil); err != nil {
		t.Fatal(err)
	}

	outbox := filepath.Join(dir, "outbox")
	cfg := &daemonConfig{Server: "http://" + r.addr, Identity: idPath, Outbox: outbox, InboxWait: "1s"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- runDaemon(ctx, cfg, &brokertest.Buffer{}) }()
	defer func() { cancel(); <-stopped }()

	waitFiles := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			entries, _ := os.ReadDir(outbox)
			var names []string
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "item-") {
					names = append(names, e.Name())
				}
			}
			if len(names) >= n || time.Now().After(deadline) {
				return names
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	given := r.give(coord, 3)
	if got := waitFiles(3); len(got) != 3 {
		t.Fatalf("before the restart the outbox has %v", got)
	}
	r.halt()
	r.start() // same data directory, same address
	given = append(given, r.give(coord, 2)...)
	waitFiles(5)
	time.Sleep(1500 * time.Millisecond) // give a duplicate every chance to appear
	got := waitFiles(0)
	if len(got) != 5 {
		t.Fatalf("after the restart the outbox has %d items, want exactly 5: %v", len(got), got)
	}
	var delivered []string
	for _, name := range got {
		var it broker.InboxView
		b, err := os.ReadFile(filepath.Join(outbox, name))
		if err != nil || json.Unmarshal(b, &it) != nil || it.Assignment == nil {
			t.Fatalf("outbox file %s is not an assignment: %s", name, b)
		}
		delivered = append(delivered, it.Assignment.ID)
	}
	slices.Sort(delivered)
	slices.Sort(given)
	if !slices.Equal(delivered, given) {
		t.Fatalf("the outbox holds assignments %v, want each of %v once", delivered, given)
	}
	var left []broker.InboxItem
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := r.sys.Store.View(func(tx broker.ReadTx) error {
			var err error
			left, err = tx.Inbox("kb-test", 0, 100, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) != 0 {
		t.Fatalf("%d items delivered but not acknowledged", len(left))
	}
}
