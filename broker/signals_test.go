package broker_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/brokertest"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/policy"
)

// signalPolicy is the real engine, counting the bulk and the one-line
// match-signal questions, and failing or declining bulk questions when
// told to.
type signalPolicy struct {
	*policy.Engine
	bulk, single atomic.Int64
	failBulk     bool // a bulk question fails (a policy error)
	declineBulk  bool // a bulk question is answered without signals (an older bundle)
	failAll      bool // every match-signal question fails
}

func (p *signalPolicy) Decide(ctx context.Context, in *broker.DecisionInput) (broker.Decision, error) {
	if in.Action == broker.ActionMatchSignal {
		if in.SignalQuestion != nil {
			p.bulk.Add(1)
		} else {
			p.single.Add(1)
		}
		if p.failAll || p.failBulk && in.SignalQuestion != nil {
			return broker.Decision{Reasons: []string{broker.ReasonPolicyError}}, fmt.Errorf("%w: told to fail", broker.ErrPolicy)
		}
	}
	d, err := p.Engine.Decide(ctx, in)
	if p.declineBulk && in.SignalQuestion != nil {
		d.Signals = nil
	}
	return d, err
}

// signalRegion is a broker on a seeded region (cmd/ketenbrug-bench/dataset)
// with a fixed clock, some households with a joint plan that ended (the
// consents recorded before its end end with it), some with a shielded
// member, and some persons with a restriction or an objection.
func signalRegion(t *testing.T, pol broker.PolicyEngine) (*brokertest.System, *dataset.Dataset, int) {
	t.Helper()
	ds, err := dataset.New(dataset.Config{Seed: 18, Persons: 3000})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := broker.NewPseudonymizer(bytes.Repeat([]byte{18}, broker.MinSecretLen))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	sys := brokertest.New(t, brokertest.Options{Policy: pol, Adjust: func(cfg *broker.Config) {
		cfg.Pseudonyms, cfg.Now = ps, func() time.Time { return now }
		if _, err := dataset.Load(ctx, cfg.Store, ps, ds, dataset.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		err := cfg.Store.Update(func(tx broker.Tx) error {
			for h := range ds.Households() {
				if h%5 != 0 && h%7 != 0 && h%11 != 0 {
					continue
				}
				hh, err := tx.Household(dataset.MunicipalityID(ds.HouseholdMunicipality(h)), dataset.HouseholdID(h))
				if err != nil {
					return err
				}
				switch {
				case h%5 == 0:
					hh.PlanTerm = &broker.PlanTerm{Purpose: "integrale-ondersteuning", Ends: "2026-06-30"}
				case h%7 == 0:
					hh.Members[0].Shielded = true
				default:
					kind := broker.KindRestriction
					if h%2 == 0 {
						kind = broker.KindObjection
					}
					if err := tx.PutRestriction(broker.Restriction{ID: "r-" + strconv.Itoa(h), Subject: hh.Members[0].Subject,
						Kind: kind, Purpose: "integrale-ondersteuning", Ground: "accuracy-contested", RecordedAt: now.Add(-time.Hour)}); err != nil {
						return err
					}
					continue
				}
				if err := tx.PutHousehold(hh); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}})
	inHouseholds := 0
	for h := ds.Households() - 1; h >= 0 && inHouseholds == 0; h-- {
		hh := ds.Household(h)
		inHouseholds = hh.Members[len(hh.Members)-1].Person + 1
	}
	return sys, ds, inHouseholds
}

// householdLines is a caseload of household members, as
// BenchmarkSyncImport's: the involvements of the data set, each moved to
// a random member of a household.
func householdLines(ds *dataset.Dataset, inHouseholds, round, n int) []broker.SyncItem {
	lines := make([]broker.SyncItem, n)
	for i := range lines {
		v := ds.Involvement((round*n + i) % ds.Involvements())
		v.Input.BSN = ds.BSN(int(dataset.Uint64(uint64(round), uint64(i)) % uint64(inHouseholds)))
		lines[i] = broker.SyncItem{Line: i + 1, Ref: "s" + strconv.Itoa(round) + "-" + strconv.Itoa(i), Input: v.Input}
	}
	return lines
}

// signalView is what a match signal is: the inbox item and its audit
// disclosures.
type signalView struct {
	Partner, Kind, Ref, Household string
	About                         *broker.ShownInvolvement
	Subject                       broker.Pseudonym
	Created                       time.Time
	Disclosed                     []broker.Disclosure
}

func signalViews(items []broker.InboxItem) []signalView {
	out := make([]signalView, len(items))
	for i := range items {
		it := &items[i]
		out[i] = signalView{Partner: it.Partner, Kind: it.Kind, Ref: it.Ref, Household: it.Household, About: it.About,
			Subject: it.Subject, Created: it.Created, Disclosed: broker.Disclosed(it)}
	}
	return out
}

func sameSignals(t *testing.T, name string, bulk, perLine []broker.InboxItem) {
	t.Helper()
	b, p := signalViews(bulk), signalViews(perLine)
	for i := range min(len(b), len(p)) {
		if !reflect.DeepEqual(b[i], p[i]) {
			t.Fatalf("%s: signal %d differs:\n bulk     %+v %+v\n per line %+v %+v", name, i, b[i], *b[i].About, p[i], *p[i].About)
		}
	}
	if len(b) != len(p) {
		t.Fatalf("%s: %d signals in bulk, %d per line", name, len(b), len(p))
	}
}

// TestBulkSignalsEqualPerLine holds the bulk match-signal question of a
// sync chunk to the one-line questions it replaces: on a seeded region,
// for caseloads of household members of partners of every sector, the
// same inbox items (recipient, involvement shown with the same fields,
// the recipient's reference, the coordinator's household) with the same
// audit disclosures, in the same order; and the bulk path asks no
// one-line question.
func TestBulkSignalsEqualPerLine(t *testing.T) {
	pol := &signalPolicy{Engine: brokertest.Engine(t)}
	sys, ds, inHouseholds := signalRegion(t, pol)
	total, fields := 0, map[string]bool{}
	for pi, dp := range ds.ChainPartners() {
		p, err := sys.Service.LookupPartner(dp.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := &broker.Caller{Partner: *p, Sub: "connector", Role: broker.RoleConnector, RequestID: "r-signals", Purpose: "integrale-ondersteuning"}
		chunk, need, err := sys.Service.SignalChunk(c, householdLines(ds, inHouseholds, pi, 300))
		if err != nil {
			t.Fatal(err)
		}
		single := pol.single.Load()
		bulk, err := sys.Service.BulkSignals(sys.Ctx, c, chunk, need)
		if err != nil {
			t.Fatal(err)
		}
		if n := pol.single.Load() - single; n != 0 {
			t.Fatalf("%s: the bulk path asked %d one-line questions", p.ID, n)
		}
		perLine, err := sys.Service.PerLineSignals(sys.Ctx, c, chunk, need)
		if err != nil {
			t.Fatal(err)
		}
		sameSignals(t, p.ID, bulk, perLine)
		total += len(bulk)
		for _, it := range bulk {
			fields[fmt.Sprint(broker.Disclosed(&it)[0].Fields)] = true
		}
	}
	// The region must exercise the rules: many signals, with the fields of
	// more than one level.
	if total < 200 || len(fields) < 2 {
		t.Fatalf("%d signals with %d sets of fields: the region exercises too little", total, len(fields))
	}
	t.Logf("%d signals, %d bulk questions, %d one-line questions; fields %v", total, pol.bulk.Load(), pol.single.Load(), fields)
}

// TestBulkSignalsFallBackPerLine: a bulk question that fails, or that the
// policy does not answer in bulk (a bundle without the bulk rules), is
// asked per line, with the same answers; when every question fails there
// is no signal, and the sync itself succeeds (fail closed).
func TestBulkSignalsFallBackPerLine(t *testing.T) {
	pol := &signalPolicy{Engine: brokertest.Engine(t)}
	sys, ds, inHouseholds := signalRegion(t, pol)
	p, err := sys.Service.LookupPartner(ds.ChainPartners()[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	c := &broker.Caller{Partner: *p, Sub: "connector", Role: broker.RoleConnector, RequestID: "r-signals", Purpose: "integrale-ondersteuning"}
	chunk, need, err := sys.Service.SignalChunk(c, householdLines(ds, inHouseholds, 1, 200))
	if err != nil {
		t.Fatal(err)
	}
	want, err := sys.Service.BulkSignals(sys.Ctx, c, chunk, need)
	if err != nil || len(want) == 0 {
		t.Fatalf("%d signals, %v", len(want), err)
	}
	for _, mode := range []string{"fail", "decline"} {
		pol.failBulk, pol.declineBulk = mode == "fail", mode == "decline"
		single := pol.single.Load()
		got, err := sys.Service.BulkSignals(sys.Ctx, c, chunk, need)
		if err != nil {
			t.Fatal(err)
		}
		sameSignals(t, mode, got, want)
		if pol.single.Load() == single {
			t.Fatalf("%s: no one-line question was asked", mode)
		}
	}
	pol.failBulk, pol.declineBulk, pol.failAll = false, false, true
	res, err := sys.Service.Sync(sys.Ctx, c, func(yield func(broker.SyncItem) bool) {
		for _, it := range householdLines(ds, inHouseholds, 1, 200) {
			if !yield(it) {
				return
			}
		}
	}, broker.SyncOptions{AllowMassEnd: true})
	if err != nil {
		t.Fatalf("a sync whose signal questions fail: %v", err)
	}
	if res.Signals != 0 || res.Added == 0 {
		t.Fatalf("a sync whose signal questions fail: %d added, %d signals", res.Added, res.Signals)
	}
}

// TestSyncSignalsInBulk: a real sync delivers the bulk path's signals and
// discloses them in its audit entry.
func TestSyncSignalsInBulk(t *testing.T) {
	pol := &signalPolicy{Engine: brokertest.Engine(t)}
	sys, ds, inHouseholds := signalRegion(t, pol)
	p, err := sys.Service.LookupPartner(ds.ChainPartners()[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	c := &broker.Caller{Partner: *p, Sub: "connector", Role: broker.RoleConnector, RequestID: "r-signals", Purpose: "integrale-ondersteuning"}
	lines := householdLines(ds, inHouseholds, 2, 300)
	chunk, need, err := sys.Service.SignalChunk(c, lines)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sys.Service.PerLineSignals(sys.Ctx, c, chunk, need)
	if err != nil {
		t.Fatal(err)
	}
	before := len(sys.Entries())
	res, err := sys.Service.Sync(sys.Ctx, c, func(yield func(broker.SyncItem) bool) {
		for _, it := range lines {
			if !yield(it) {
				return
			}
		}
	}, broker.SyncOptions{AllowMassEnd: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Signals != len(want) {
		t.Fatalf("the sync raised %d signals, the one-line questions %d", res.Signals, len(want))
	}
	// The disclosures of the sync's entries, without the involvement ids
	// (the sync gives its new involvements ids of their own).
	key := func(d broker.Disclosure) string { return fmt.Sprint(d.Subject, d.Partner, d.Fields, d.To) }
	wantKeys := map[string]int{}
	for i := range want {
		for _, d := range broker.Disclosed(&want[i]) {
			wantKeys[key(d)]++
		}
	}
	for _, e := range sys.Entries()[before:] {
		if e.Action != "involvement.sync" {
			continue
		}
		for _, d := range e.Disclosed {
			// Inform and rectification notices are disclosed too.
			if _, ok := wantKeys[key(d)]; ok && d.Partner == p.ID {
				wantKeys[key(d)]--
			}
		}
	}
	for k, n := range wantKeys {
		if n != 0 {
			t.Fatalf("disclosure %s: %d more expected than the sync recorded", k, n)
		}
	}
}
