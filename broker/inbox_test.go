package broker_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// inbox reads partner's inbox as role without waiting.
func (e *invEnv) inbox(partner string, role broker.Role) []broker.InboxView {
	e.t.Helper()
	page, err := e.svc.Inbox(e.ctx, e.caller(partner, role, ""), 0, 100, 0)
	if err != nil {
		e.t.Fatalf("inbox of %s: %v", partner, err)
	}
	e.noBSN("an inbox", page)
	return page.Items
}

// fieldsOf names the fields present in a shown involvement.
func fieldsOf(v *broker.ShownInvolvement) map[string]bool {
	f := map[string]bool{}
	if v == nil {
		return f
	}
	if v.Partner != "" || v.PartnerName != "" || v.Sector != "" {
		f["partner"] = true
	}
	if v.Contact != nil {
		f["contact"] = true
	}
	if v.Service != "" || v.ServiceLabel != "" {
		f["service"] = true
	}
	if v.Status != "" {
		f["status"] = true
	}
	if v.Start != "" || v.End != "" {
		f["period"] = true
	}
	return f
}

// signalsAbout returns the unacknowledged signals in partner's inbox about
// partner about's involvements with this service.
func (e *invEnv) signalsAbout(partner string, role broker.Role, about, service string) []broker.InboxView {
	e.t.Helper()
	var out []broker.InboxView
	for _, it := range e.inbox(partner, role) {
		if it.Kind == broker.InboxMatch && it.About != nil && it.About.Partner == about && it.About.Service == service {
			out = append(out, it)
		}
	}
	return out
}

func TestMatchSignals(t *testing.T) {
	e := newInvEnv(t)
	f := e.newFamily("hh-1")
	e.consentAll(f) // the mother: debt, youth, education, work and income

	// The CJG starts family coaching for the mother, where the debt
	// counsellor is already involved: the coordinator gets a signal.
	e.put("cjg", "coaching-1", f.bsns["moeder"], "gezinscoaching")
	items := e.signalsAbout("gem-a", broker.RoleCoordinator, "cjg", "gezinscoaching")
	if len(items) != 1 {
		t.Fatalf("the coordinator got %d signals, want 1: %+v", len(items), items)
	}
	sig := items[0]
	if sig.Kind != broker.InboxMatch || sig.Household != "hh-1" || sig.Ref != "" || sig.Acked {
		t.Fatalf("signal %+v", sig)
	}
	// The signal shows no more than the coordinator's overview does.
	o := e.overview("hh-1", invPurpose)
	var inOverview *broker.ShownInvolvement
	for _, m := range o.Members {
		for i, v := range m.Involvements {
			if v.Partner == "cjg" && v.Service == "gezinscoaching" {
				inOverview = &m.Involvements[i]
			}
		}
	}
	if inOverview == nil {
		t.Fatal("the overview does not show the involvement the signal is about")
	}
	overviewFields := fieldsOf(inOverview)
	for f := range fieldsOf(sig.About) {
		if !overviewFields[f] {
			t.Errorf("the signal shows %s, the overview does not", f)
		}
	}
	raw, _ := json.Marshal(sig)
	if strings.Contains(string(raw), "p:") || strings.Contains(string(raw), "subject") {
		t.Errorf("the signal carries the pseudonym: %s", raw)
	}
	// The other partner involved with the mother, whose sector she
	// consented to, gets a signal naming its own reference.
	if kb := e.signalsAbout("kredietbank", broker.RoleConnector, "cjg", "gezinscoaching"); len(kb) != 1 || kb[0].Ref != "hh-1-kb" || kb[0].Household != "" {
		t.Errorf("kredietbank's signals: %+v", kb)
	}
	// The signals are audited as disclosures to their recipients.
	to := map[string]bool{}
	for _, a := range e.entries() {
		for _, d := range a.Disclosed {
			if d.To != "" && d.Partner == "cjg" {
				to[d.To] = true
			}
		}
	}
	if !to["gem-a"] || !to["kredietbank"] {
		t.Errorf("signal disclosures audited to %v", to)
	}

	// Acknowledged, it is not delivered again; a repeat of the same PUT
	// signals nothing new.
	acked, err := e.svc.AckInbox(e.ctx, e.coordinator("gem-a", ""), sig.ID)
	if err != nil || !acked.Acked {
		t.Fatalf("ack: %+v, %v", acked, err)
	}
	if _, err := e.svc.AckInbox(e.ctx, e.connector("kredietbank"), sig.ID); !errors.Is(err, broker.ErrNotFound) {
		t.Errorf("another partner acking the coordinator's item: %v", err)
	}
	e.put("cjg", "coaching-1", f.bsns["moeder"], "gezinscoaching")
	if items := e.signalsAbout("gem-a", broker.RoleCoordinator, "cjg", "gezinscoaching"); len(items) != 0 {
		t.Fatalf("after the ack and an idempotent PUT: %+v", items)
	}

	t.Run("shielded member", func(t *testing.T) {
		// A new involvement with the shielded child signals nobody.
		fs := e.newFamily("hh-3", "kind 2")
		e.put("school", "lln-shielded", fs.bsns["kind 2"], "lwoo")
		for _, p := range []string{"gem-a", "cjg", "kredietbank", "uwv"} {
			role := broker.RoleConnector
			if p == "gem-a" {
				role = broker.RoleCoordinator
			}
			if got := e.signalsAbout(p, role, "school", "lwoo"); len(got) != 0 {
				t.Errorf("%s got a signal about the shielded child: %+v", p, got)
			}
		}
		// Nor does the CJG, involved only with the shielded child, hear of
		// a new involvement with the mother: that would tell it the child
		// lives with her.
		f2 := e.newFamily("hh-2", "kind 2")
		e.consentAll(f2)
		e.put("uwv", "ww-moeder", f2.bsns["moeder"], "wia")
		if got := e.signalsAbout("cjg", broker.RoleConnector, "uwv", "wia"); len(got) != 0 {
			t.Errorf("the CJG learned of the shielded child's household: %+v", got)
		}
		// One shielded member shields the household's other members from
		// the same callers: nobody outside shielded.visible_to_* (by
		// default nobody) hears of the mother either.
		if got := e.signalsAbout("gem-a", broker.RoleCoordinator, "uwv", "wia"); len(got) != 0 {
			t.Errorf("the coordinator's signals about the mother's WIA: %+v", got)
		}
		if got := e.signalsAbout("school", broker.RoleConnector, "uwv", "wia"); len(got) != 0 {
			t.Errorf("the school's signals about the mother's WIA: %+v", got)
		}
	})
	t.Run("no consent", func(t *testing.T) {
		e.put("sociale-dienst", "bijstand-1", f.bsns["vader"], "bijstand")
		if got := e.signalsAbout("gem-a", broker.RoleCoordinator, "sociale-dienst", "bijstand"); len(got) != 0 {
			t.Errorf("a signal about the father, who did not consent: %+v", got)
		}
	})
	t.Run("level 1", func(t *testing.T) {
		e.setLevel("gem-a", 1)
		defer e.setLevel("gem-a", 2)
		e.put("cjg", "coaching-2", f.bsns["kind 1"], "schoolmaatschappelijk-werk")
		if got := e.signalsAbout("gem-a", broker.RoleCoordinator, "cjg", "schoolmaatschappelijk-werk"); len(got) != 0 {
			t.Errorf("a signal at level 1: %+v", got)
		}
	})
	t.Run("recipient the subject did not consent to", func(t *testing.T) {
		// The social services serve the father. The mother consented to
		// debt, youth, education and work and income — not to the social
		// services — so they must not learn of her budget coaching.
		e.put("kredietbank", "budget-1", f.bsns["moeder"], "budgetcoaching")
		if got := e.signalsAbout("gem-a", broker.RoleCoordinator, "kredietbank", "budgetcoaching"); len(got) != 1 {
			t.Fatalf("the coordinator got %d signals", len(got))
		}
		if got := e.signalsAbout("sociale-dienst", broker.RoleConnector, "kredietbank", "budgetcoaching"); len(got) != 0 {
			t.Errorf("the social services got %d signal(s) about the mother, who did not consent to them", len(got))
		}
	})
}

func TestInboxAckAndWait(t *testing.T) {
	e := newInvEnv(t)
	// Acknowledging an item that is not the caller's is not found, and
	// writes nothing.
	mark := e.head()
	for _, id := range []string{"1", "999"} {
		if _, err := e.svc.AckInbox(e.ctx, e.connector("cjg"), id); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("acking %s: %v, want not found", id, err)
		}
	}
	for _, id := range []string{"0", "-1", "x", ""} {
		if _, err := e.svc.AckInbox(e.ctx, e.connector("cjg"), id); invalidField(err) != "id" {
			t.Errorf("acking %q: %v, want invalid id", id, err)
		}
	}
	if es := e.entriesSince(mark); len(es) != 0 {
		t.Errorf("refused acks left audit entries: %+v", es)
	}
	// A long-poll with nothing to deliver answers empty after the wait.
	start := time.Now()
	page, err := e.svc.Inbox(e.ctx, e.connector("cjg"), 0, 10, 150*time.Millisecond)
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("empty long-poll: %+v, %v", page, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
		t.Errorf("a 150ms long-poll took %v", d)
	}
	if _, err := e.svc.Inbox(e.ctx, e.connector("cjg"), 0, 10, broker.MaxInboxWait+time.Second); invalidField(err) != "wait" {
		t.Errorf("a too long wait: %v", err)
	}
}
