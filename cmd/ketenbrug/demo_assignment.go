package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// The second household of the story lives in Amersfoort, a municipality
// at ambition level 4. Its parent is the Kredietbank client of the debt
// export (demoBSN(10)), so the assignment meets an involvement the
// recipient already has.
const (
	amfHousehold = "hh-2077"
	amfPurpose   = "vroegsignalering-schulden"
)

// refusedAssignment shows level 3 refused where the municipality works at
// level 2.
func (d *demo) refusedAssignment(ctx context.Context) error {
	_, err := d.client["regisseur"].GiveAssignment(ctx, amfPurpose, map[string]any{
		"household": "hh-1042", "recipient": "kredietbank", "type": "schuldenoverzicht", "due": dueIn(14),
	})
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) {
		return fmt.Errorf("an assignment at level 2 was not refused: %v", err)
	}
	d.say("Leusden's coordinator tries to give the Kredietbank an assignment: refused (%d), reasons %s — Leusden works at %s;",
		pe.Status, strings.Join(pe.Reasons, ", "), levelName(2))
	d.detail("assignments belong to %s.", levelName(3))
	return nil
}

// assignment plays level 3 in Amersfoort: an assignment travels from the
// coordinator to the Kredietbank's inbox and back through its lifecycle.
func (d *demo) assignment(ctx context.Context) error {
	coord, kb := d.client["regisseur-amf"], d.client["kredietbank"]
	members := []broker.MemberInput{
		{Label: "ouder", BSN: demoBSN(10), Role: broker.MemberParent, BirthDate: "1991-05-14"},
		{Label: "kind", BSN: demoBSN(11), Role: broker.MemberChild, BirthDate: "2016-10-02"},
	}
	if _, err := coord.PutHousehold(ctx, amfHousehold, amfPurpose,
		broker.HouseholdInput{Municipality: "gem-amersfoort", Area: "vathorst", Members: members}); err != nil {
		return err
	}
	d.say("Amersfoort works at %s. Its wijkteam's coordinator registers household %s (ouder, kind). Purpose now:", levelName(4), amfHousehold)
	d.detail("early debt signalling, a statutory task (Wet gemeentelijke schuldhulpverlening): no consent needed, but only")
	d.detail("debt-related partners and the fields the policy names.")

	// The Kredietbank's connector is already waiting on its inbox, past
	// the items it has seen.
	seen, err := kb.Inbox(ctx, connectors.InboxQuery{})
	if err != nil {
		return err
	}
	type polled struct {
		page broker.InboxPage
		err  error
	}
	poll := make(chan polled, 1)
	go func() {
		p, err := kb.Inbox(ctx, connectors.InboxQuery{After: seen.Next, Wait: 10 * time.Second})
		poll <- polled{p, err}
	}()
	time.Sleep(100 * time.Millisecond)
	a, err := coord.GiveAssignment(ctx, amfPurpose, map[string]any{
		"household": amfHousehold, "recipient": "kredietbank", "type": "schuldenoverzicht", "due": dueIn(14),
	})
	if err != nil {
		return err
	}
	d.say("Level 3 — she gives the Kredietbank an assignment (opdracht) %q, due %s: %s. The policy allows no free text", a.Type, a.Due, a.Status)
	d.detail("for this type, so nothing about the household travels beyond what the type itself says.")
	p := <-poll
	if p.err != nil {
		return p.err
	}
	var item *broker.InboxView
	for i, it := range p.page.Items {
		if it.Assignment != nil && it.Assignment.ID == a.ID {
			item = &p.page.Items[i]
		}
	}
	if item == nil {
		return fmt.Errorf("the assignment did not reach the Kredietbank's inbox")
	}
	d.say("The Kredietbank's connector, long-polling its inbox, receives it at once (with its own dossier %s) and acknowledges.",
		strings.Join(item.Assignment.YourRefs, ", "))
	if err := kb.AckInbox(ctx, item.ID); err != nil {
		return err
	}

	// Every step states the purpose it is taken for: the assignment's.
	_, err = coord.AcceptAssignment(ctx, a.ID, amfPurpose)
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusConflict {
		return fmt.Errorf("the giver accepting her own assignment was not refused with 409: %v", err)
	}
	d.say("The coordinator tries to accept it herself: refused (%d %s) — only the recipient accepts.", pe.Status, pe.Code)

	if _, err := kb.AcceptAssignment(ctx, a.ID, amfPurpose); err != nil {
		return err
	}
	done, err := kb.CompleteAssignment(ctx, a.ID, amfPurpose, "Overzicht gemaakt: 6 schuldeisers, afspraak budgetbeheer.")
	if err != nil {
		return err
	}
	back, err := coord.Inbox(ctx, connectors.InboxQuery{})
	if err != nil {
		return err
	}
	var steps []string
	for _, it := range back.Items {
		if it.Assignment != nil && it.Assignment.ID == a.ID {
			steps = append(steps, it.Assignment.Status)
		}
	}
	d.say("The Kredietbank accepts and completes it (%q); the coordinator's inbox shows: %s.",
		done.Outcome, strings.Join(steps, " → "))
	return nil
}

func dueIn(days int) string { return time.Now().AddDate(0, 0, days).Format(time.DateOnly) }
