package broker_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestAuditDisclosures(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	e.consentAll(f)
	e.overview("hh-1", invPurpose) // gem-a is shown the family
	// A partner's own privacy officer, beside the region's privacy office.
	own := broker.Partner{ID: "fg-kb", Name: "FG kredietbank", Sector: broker.SectorDebt, Municipalities: []string{"gem-a"},
		Roles: []broker.Role{broker.RolePrivacyOfficer}, Level: 2, Covenant: "2026-1", JWKS: json.RawMessage(`{"keys":[]}`)}
	if _, err := e.svc.RegisterPartner(e.ctx, e.operator, own); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	office := e.caller("fg", broker.RolePrivacyOfficer, "")
	asserted := e.caller("fg", broker.RolePrivacyOfficer, "")
	asserted.Person = broker.Person{ID: asserted.Sub}
	q := func(partner, bsn, ref string) broker.DisclosureQuery {
		return broker.DisclosureQuery{Partner: partner, BSN: bsn, From: today, To: today, Reference: ref}
	}
	// Negative cases first: each refused, and each refusal audited (about
	// the person, when one was named).
	refusals := []struct {
		name  string
		c     *broker.Caller
		q     broker.DisclosureQuery
		want  error
		field string
	}{
		{"a coordinator", e.coordinator("gem-a", invPurpose), q("gem-a", "", "DL-1"), broker.ErrForbidden, ""},
		{"a connector, about a person", e.connector("kredietbank"), q("", f.bsns["moeder"], "DL-1"), broker.ErrForbidden, ""},
		{"a partner's own privacy officer", e.caller("fg-kb", broker.RolePrivacyOfficer, ""), q("", f.bsns["moeder"], "DL-1"), broker.ErrForbidden, ""},
		{"an asserted person", asserted, q("gem-a", "", "DL-1"), broker.ErrForbidden, ""},
		{"no reference", office, q("gem-a", "", ""), broker.ErrInvalid, "reference"},
		{"a BSN as reference", office, q("gem-a", "", "DL-"+f.bsns["vader"]), broker.ErrInvalid, "reference"},
		{"both a partner and a person", office, q("gem-a", f.bsns["moeder"], "DL-1"), broker.ErrInvalid, "partner"},
		{"neither", office, q("", "", "DL-1"), broker.ErrInvalid, "partner"},
		{"a bad period", office, broker.DisclosureQuery{Partner: "gem-a", From: "gisteren", To: today, Reference: "DL-1"}, broker.ErrInvalid, "from"},
		{"to before from", office, broker.DisclosureQuery{Partner: "gem-a", From: today, To: "2020-01-01", Reference: "DL-1"}, broker.ErrInvalid, "to"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			before := e.head()
			_, err := e.svc.AuditDisclosures(e.ctx, tc.c, tc.q)
			if !errors.Is(err, tc.want) || invalidField(err) != tc.field {
				t.Fatalf("%v, want %v (field %q)", err, tc.want, tc.field)
			}
			denials := 0
			for _, a := range e.entriesSince(before) {
				if a.Action == broker.ActionAuditDisclosures && a.Decision == broker.DecisionDeny {
					denials++
					if tc.q.BSN != "" && tc.q.Partner == "" && len(a.Subjects) != 1 {
						t.Fatalf("the refusal is not audited about the person: %+v", a)
					}
				}
			}
			if denials != 1 {
				t.Fatalf("%d denials audited, want 1", denials)
			}
		})
	}
	t.Run("what a partner was shown", func(t *testing.T) {
		before := e.head()
		rep, err := e.svc.AuditDisclosures(e.ctx, office, q("gem-a", "", "DL-2026-7"))
		if err != nil {
			t.Fatal(err)
		}
		e.noBSN("a disclosure report", rep)
		owners := map[string]bool{}
		for _, r := range rep.Rows {
			if r.To != "gem-a" {
				t.Fatalf("row of another partner: %+v", r)
			}
			owners[r.Partner] = true
		}
		if !owners["kredietbank"] || rep.Reference != "DL-2026-7" {
			t.Fatalf("report %+v", rep)
		}
		var look *broker.AuditEntry
		for _, a := range e.entriesSince(before) {
			if a.Action == broker.ActionAuditDisclosures && a.Decision == broker.DecisionAllow {
				look = &a
			}
		}
		if look == nil || look.Detail["reference"] != "DL-2026-7" || look.Object != "audit:partner/gem-a" {
			t.Fatalf("the query is not audited: %+v", look)
		}
	})
	t.Run("what was shown about a person", func(t *testing.T) {
		rep, err := e.svc.AuditDisclosures(e.ctx, e.operator, q("", f.bsns["moeder"], "DL-2026-8"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) == 0 || !slices.ContainsFunc(rep.Rows, func(r broker.DisclosureRow) bool { return r.To == "gem-a" }) {
			t.Fatalf("report %+v", rep)
		}
		subject := rep.Rows[0].Subject
		for _, r := range rep.Rows {
			if r.Subject != subject {
				t.Fatalf("a row about another person: %+v", r)
			}
		}
		// A period without disclosures answers nothing.
		rep, err = e.svc.AuditDisclosures(e.ctx, e.operator, broker.DisclosureQuery{BSN: f.bsns["moeder"],
			From: "2020-01-01", To: "2020-12-31", Reference: "DL-2026-8"})
		if err != nil || len(rep.Rows) != 0 {
			t.Fatalf("another period: %v %+v", err, rep.Rows)
		}
	})
}

// The alert hook counts per caller in a sliding hour, on a controlled clock.
func TestUnusualVolumeOfOverviews(t *testing.T) {
	type alert struct {
		partner string
		count   int
	}
	var alerts []alert
	v := broker.NewOverviewVolume(3, func(partner string, count int) { alerts = append(alerts, alert{partner, count}) })
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	// Three overviews an hour are usual, also by two persons of a partner.
	for i := range 3 {
		v.OverviewAnswered("gem-a", "c.een", at(i))
		v.OverviewAnswered("gem-a", "c.twee", at(i))
	}
	if len(alerts) != 0 {
		t.Fatalf("alerts at the threshold: %+v", alerts)
	}
	// The fourth within the hour alerts, once.
	v.OverviewAnswered("gem-a", "c.een", at(30))
	v.OverviewAnswered("gem-a", "c.een", at(31))
	if len(alerts) != 1 || alerts[0] != (alert{"gem-a", 4}) {
		t.Fatalf("alerts %+v", alerts)
	}
	// An hour later the window has slid: the count is back under, and a
	// new burst alerts again.
	v.OverviewAnswered("gem-a", "c.een", at(95))
	for i := range 3 {
		v.OverviewAnswered("gem-a", "c.een", at(96+i))
	}
	if len(alerts) != 2 {
		t.Fatalf("alerts after the window slid: %+v", alerts)
	}
	// Off at 0.
	off := broker.NewOverviewVolume(0, func(string, int) { t.Fatal("alert while off") })
	for i := range 10 {
		off.OverviewAnswered("gem-a", "c.een", at(i))
	}
}

// countingWatcher records the overviews the service reports.
type countingWatcher struct{ calls []string }

func (w *countingWatcher) OverviewAnswered(partner, sub string, at time.Time) {
	w.calls = append(w.calls, partner+"/"+sub)
}

func TestServiceReportsOverviewsToTheWatcher(t *testing.T) {
	w := &countingWatcher{}
	e := newInvEnvWith(t, func(c *broker.Config) { c.OverviewWatcher = w })
	f := e.newFamily("hh-1")
	e.consentAll(f)
	// A refused overview is no overview answered.
	if _, err := e.svc.HouseholdOverview(e.ctx, e.connector("school"), "hh-1"); err == nil {
		t.Fatal("the school's connector was shown the household")
	}
	e.overview("hh-1", invPurpose)
	if !slices.Equal(w.calls, []string{"gem-a/c.regisseur"}) {
		t.Fatalf("watcher calls %v", w.calls)
	}
}
