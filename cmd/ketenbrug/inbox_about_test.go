package main

import (
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func TestInboxAbout(t *testing.T) {
	for _, tc := range []struct {
		it   broker.InboxView
		want string
	}{
		{broker.InboxView{Kind: broker.InboxAssignment, Assignment: &broker.AssignmentView{ID: "a-1", Type: "intake",
			Status: broker.AssignmentCompleted, Due: "2026-12-01", Giver: broker.Actor{Partner: "gem-c"}, Outcome: "gedaan"}},
			`assignment a-1 "intake" completed, due 2026-12-01, from gem-c: gedaan`},
		{broker.InboxView{Kind: broker.InboxPlan, Plan: &broker.PlanSignal{Version: 3, Status: "open", Change: "agreement budget: in-progress",
			ChangedBy: broker.Actor{Partner: "kredietbank"}}}, "plan version 3 (open): agreement budget: in-progress by kredietbank"},
		{broker.InboxView{Kind: broker.InboxMatch}, "-"},
	} {
		if got := inboxAbout(tc.it); got != tc.want {
			t.Errorf("inboxAbout(%s) = %q, want %q", tc.it.Kind, got, tc.want)
		}
	}
}
