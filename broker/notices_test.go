package broker_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The notices of the data subject's rights (notices.go): rectification
// signals (AVG art. 19) and inform items (art. 14).

// itemsOf returns partner's unacknowledged items of kind.
func (e *invEnv) itemsOf(partner string, role broker.Role, kind string) []broker.InboxView {
	e.t.Helper()
	var out []broker.InboxView
	for _, it := range e.inbox(partner, role) {
		if it.Kind == kind {
			out = append(out, it)
		}
	}
	return out
}

// noPseudonym fails when an inbox item, as its recipient sees it, holds a
// pseudonym of the audit trail (or a BSN: e.inbox checks those).
func (e *invEnv) noPseudonym(items []broker.InboxView) {
	e.t.Helper()
	raw, _ := json.Marshal(items)
	subjects := map[broker.Pseudonym]bool{}
	for _, a := range e.entries() {
		for _, p := range a.Subjects {
			subjects[p] = true
		}
	}
	for p := range subjects {
		if p != "" && strings.Contains(string(raw), string(p)) {
			e.t.Fatalf("an inbox item names a pseudonym: %s", raw)
		}
	}
	if strings.Contains(string(raw), `"subject"`) {
		e.t.Fatalf("an inbox item has a subject: %s", raw)
	}
}

// controlledClock is a broker clock the test moves.
type controlledClock struct{ at atomic.Int64 }

func newClock() *controlledClock {
	c := &controlledClock{}
	c.at.Store(time.Now().UTC().UnixNano())
	return c
}
func (c *controlledClock) now() time.Time          { return time.Unix(0, c.at.Load()).UTC() }
func (c *controlledClock) advance(d time.Duration) { c.at.Add(int64(d)) }

func TestRectificationSignals(t *testing.T) {
	type step func(e *invEnv, f family)
	correct := func(e *invEnv, f family) { e.put("kredietbank", "hh-1-kb", f.bsns["moeder"], "budgetbeheer") }
	end := func(e *invEnv, f family) {
		if _, err := e.svc.EndInvolvement(e.ctx, e.connector("kredietbank"), "hh-1-kb", ""); err != nil {
			e.t.Fatal(err)
		}
	}
	syncChange := func(e *invEnv, f family) {
		in := broker.InvolvementInput{BSN: f.bsns["moeder"], Service: "schuldregeling", ServiceLabel: "Schuldregeling",
			Status: broker.InvolvementActive, Start: "2026-01-05", Contact: broker.Contact{Name: "J. Jansen", Phone: "030-1234567"}}
		e.sync("kredietbank", broker.SyncItem{Line: 1, Ref: "hh-1-kb", Input: in})
	}
	syncEnd := func(e *invEnv, f family) { e.sync("kredietbank") }
	tests := []struct {
		name string
		// shown: who is shown the mother's debt involvement first.
		shown    bool
		advance  time.Duration
		change   step
		want     []string
		wantEnd  bool
		wantNone bool
	}{
		// Negative cases first.
		{name: "never shown: nothing", shown: false, change: correct, wantNone: true},
		{name: "shown outside the window: nothing", shown: true, advance: 31 * 24 * time.Hour, change: correct, wantNone: true},
		{name: "shown, the service corrected", shown: true, change: correct, want: []string{"service"}},
		{name: "shown, ended", shown: true, change: end, want: []string{"status", "period"}, wantEnd: true},
		{name: "shown, a sync changes the contact", shown: true, change: syncChange, want: []string{"contact"}},
		{name: "shown, a sync ends it", shown: true, change: syncEnd, want: []string{"status", "period"}, wantEnd: true},
		{name: "shown just inside the window", shown: true, advance: 29 * 24 * time.Hour, change: correct, want: []string{"service"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			e := newInvEnvWith(t, func(c *broker.Config) { c.Now = clock.now })
			f := e.newFamily("hh-1")
			e.consentAll(f)
			if tc.shown {
				o := e.overview("hh-1", invPurpose)
				if !slices.Contains(shownByLabel(o)["moeder"], "kredietbank") {
					t.Fatalf("the coordinator was not shown the debt involvement: %v", shownByLabel(o))
				}
			}
			clock.advance(tc.advance)
			tc.change(e, f)
			got := e.itemsOf("gem-a", broker.RoleCoordinator, broker.InboxRectification)
			// Partners never shown it get nothing, whatever happened.
			for _, p := range []string{"school", "cjg", "uwv", "sociale-dienst", "kredietbank"} {
				if it := e.itemsOf(p, broker.RoleConnector, broker.InboxRectification); len(it) != 0 {
					t.Fatalf("%s, never shown it, got %+v", p, it)
				}
			}
			if tc.wantNone {
				if len(got) != 0 {
					t.Fatalf("got %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("the coordinator got %d rectification signals, want 1: %+v", len(got), got)
			}
			it := got[0]
			r := it.Rectification
			if it.Household != "hh-1" || it.Ref != "" || r == nil || r.Partner != "kredietbank" || r.Ended != tc.wantEnd ||
				!slices.Equal(r.Changed, tc.want) || r.Request != "" {
				t.Fatalf("signal %+v %+v", it, r)
			}
			if it.About != nil || it.Inform != nil {
				t.Fatalf("a rectification signal shows no values: %+v", it)
			}
			e.noPseudonym(got)
			// The signal is audited as a disclosure to the coordinator.
			found := false
			for _, a := range e.entries() {
				for _, d := range a.Disclosed {
					if d.To == "gem-a" && d.Partner == "kredietbank" && len(d.Fields) > 0 && strings.HasPrefix(d.Fields[0], "changed:") {
						found = true
					}
				}
			}
			if !found {
				t.Fatal("the rectification signal is not in the audit trail")
			}
		})
	}
}

// A partner that was shown the involvement in a match signal is told with
// its own reference.
func TestRectificationReachesSignalledPartnersByTheirOwnReference(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	e.consentAll(f)
	// The CJG registers with the mother: the kredietbank (serving her) is
	// signalled and is shown the CJG's involvement.
	e.put("cjg", "coaching-1", f.bsns["moeder"], "gezinscoaching")
	if len(e.signalsAbout("kredietbank", broker.RoleConnector, "cjg", "gezinscoaching")) != 1 {
		t.Fatal("the kredietbank was not signalled")
	}
	e.put("cjg", "coaching-1", f.bsns["moeder"], "opvoedondersteuning")
	got := e.itemsOf("kredietbank", broker.RoleConnector, broker.InboxRectification)
	if len(got) != 1 || got[0].Ref != "hh-1-kb" || got[0].Household != "" || !slices.Equal(got[0].Rectification.Changed, []string{"service"}) {
		t.Fatalf("the kredietbank got %+v", got)
	}
	e.noPseudonym(got)
	// The same correction again changes nothing and signals nothing.
	e.put("cjg", "coaching-1", f.bsns["moeder"], "opvoedondersteuning")
	if n := len(e.itemsOf("kredietbank", broker.RoleConnector, broker.InboxRectification)); n != 1 {
		t.Fatalf("an unchanged write signalled again: %d", n)
	}
}

func TestInformItems(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	e.consentAll(f)
	// The four registrations of the family raised one inform item each
	// for the coordinator, who informs the household (inform.responsible
	// "coordinator").
	regs := e.itemsOf("gem-a", broker.RoleCoordinator, broker.InboxInform)
	if len(regs) != 4 {
		t.Fatalf("the coordinator got %d inform items for four registrations: %+v", len(regs), regs)
	}
	byLabel := map[string]*broker.InformSignal{}
	for _, it := range regs {
		if it.Household != "hh-1" || it.Inform == nil || it.Inform.Event != broker.InformRegistration || len(it.Inform.Members) != 1 {
			t.Fatalf("item %+v", it)
		}
		byLabel[it.Inform.Members[0].Label] = it.Inform
	}
	if s := byLabel["moeder"]; s == nil || s.By != "kredietbank" || !slices.Equal(s.Members[0].Partners, []string{"kredietbank"}) ||
		s.Purpose != invPurpose || s.Grounds != "consent" || s.Basis == "" || !strings.Contains(s.Exceptions, "art. 14 lid 5") {
		t.Fatalf("the mother's registration: %+v", s)
	}
	e.noPseudonym(regs)
	// Nobody else is responsible.
	for _, p := range []string{"school", "cjg", "uwv", "kredietbank", "sociale-dienst"} {
		if it := e.itemsOf(p, broker.RoleConnector, broker.InboxInform); len(it) != 0 {
			t.Fatalf("%s got %+v", p, it)
		}
	}
	// A change of an involvement is no new registration.
	e.put("kredietbank", "hh-1-kb", f.bsns["moeder"], "budgetbeheer")
	if n := len(e.itemsOf("gem-a", broker.RoleCoordinator, broker.InboxInform)); n != 4 {
		t.Fatalf("a correction raised an inform item: %d", n)
	}
	// An overview under consent raises none.
	e.overview("hh-1", invPurpose)
	if n := len(e.itemsOf("gem-a", broker.RoleCoordinator, broker.InboxInform)); n != 4 {
		t.Fatalf("an overview under consent raised an inform item: %d", n)
	}
	// An overview under a statute purpose does: what was disclosed to
	// whom, under which purpose and basis, by household and member label.
	o := e.overview("hh-1", debtPurpose)
	if !slices.Contains(shownByLabel(o)["moeder"], "kredietbank") {
		t.Fatalf("the statute overview did not show the debt involvement: %v", shownByLabel(o))
	}
	all := e.itemsOf("gem-a", broker.RoleCoordinator, broker.InboxInform)
	if len(all) != 5 {
		t.Fatalf("after a statute overview: %d inform items, want 5", len(all))
	}
	d := all[4]
	s := d.Inform
	if d.Household != "hh-1" || s.Event != broker.InformDisclosure || s.Action != broker.ActionHouseholdOverview || s.By != "gem-a" ||
		s.Purpose != debtPurpose || s.Grounds != "statute" || s.Basis == "" || len(s.Bases) == 0 ||
		len(s.Members) != 1 || s.Members[0].Label != "moeder" || !slices.Equal(s.Members[0].Partners, []string{"kredietbank"}) ||
		len(s.Members[0].Fields) == 0 {
		t.Fatalf("disclosure item %+v %+v", d, s)
	}
	e.noPseudonym(all)
}

// A sync registers in bulk: one inform item per new involvement in a
// household, none for a person in no household.
func TestInformItemsOfASync(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	before := len(e.itemsOf("gem-a", broker.RoleCoordinator, broker.InboxInform))
	stranger := e.bsn()
	e.sync("sociale-dienst",
		broker.SyncItem{Line: 1, Ref: "sd-1", Input: broker.InvolvementInput{BSN: f.bsns["vader"], Service: "bijstand"}},
		broker.SyncItem{Line: 2, Ref: "sd-2", Input: broker.InvolvementInput{BSN: stranger, Service: "bijstand"}})
	got := e.itemsOf("gem-a", broker.RoleCoordinator, broker.InboxInform)[before:]
	if len(got) != 1 || got[0].Inform.Members[0].Label != "vader" || got[0].Inform.By != "sociale-dienst" {
		t.Fatalf("after the sync: %+v", got)
	}
	if it := e.itemsOf("sociale-dienst", broker.RoleConnector, broker.InboxInform); len(it) != 0 {
		t.Fatalf("the registering partner got %+v", it)
	}
}

// sync has partner's connector sync this whole caseload and fails on error.
func (e *invEnv) sync(partner string, items ...broker.SyncItem) broker.SyncResult {
	e.t.Helper()
	res, err := e.svc.Sync(e.ctx, e.connector(partner), caseload(items...), broker.SyncOptions{})
	if err != nil {
		e.t.Fatalf("sync of %s: %v", partner, err)
	}
	return res
}
