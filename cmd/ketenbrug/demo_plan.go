package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// plan plays level 4: the joint household plan, edited by two sides under
// optimistic concurrency, printed for the household meeting.
func (d *demo) plan(ctx context.Context) error {
	coord, pro := d.client["regisseur-amf"], d.client["schuldhulp"]
	plan := broker.PlanInput{
		Goals: []broker.Goal{
			{ID: "rust", Title: "Rust in de financiën", Target: dueIn(180)},
			{ID: "school", Title: "Kind gaat met plezier naar school", Target: dueIn(120)},
		},
		Agreements: []broker.Agreement{
			{ID: "budget", Goal: "rust", Partner: "kredietbank", Action: "Budgetbeheer starten en schuldeisers benaderen", Due: dueIn(30)},
			{ID: "gesprek", Goal: "school", Partner: "gem-amersfoort", Action: "Gesprek met ouder en mentor plannen", Due: dueIn(21)},
		},
	}
	v1, err := d.putPlan(ctx, coord, plan, connectors.Precondition{IfNoneMatch: "*"})
	if err != nil {
		return err
	}
	d.say("Level 4 — the coordinator opens the joint plan (één gezin, één plan): %d goals, %d work agreements; version %d, ETag %s.",
		len(v1.Goals), len(v1.Agreements), v1.Version, v1.ETag())

	// Both sides edit version 1: the first write wins, the second gets 412.
	resp, err := pro.SetAgreementStatus(ctx, amfHousehold, "budget", "in-progress", amfPurpose, v1.ETag())
	if err != nil {
		return err
	}
	plan.Note = "Na de planbijeenkomst"
	_, err = d.putPlan(ctx, coord, plan, connectors.Precondition{IfMatch: v1.ETag()})
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusPreconditionFailed {
		return fmt.Errorf("a stale plan edit was not refused with 412: %v", err)
	}
	d.say("The debt counsellor marks her agreement in progress (version %s); the coordinator's edit of version 1 at the same time",
		strings.Trim(resp.Header.Get("ETag"), `"`))
	d.detail("is refused (%d %s) instead of overwriting it: she reloads and saves on top of the new version.", pe.Status, pe.Code)
	cur, err := planView(coord.GetPlan(ctx, amfHousehold, amfPurpose, connectors.PlanQuery{}))
	if err != nil {
		return err
	}
	for i := range plan.Agreements {
		for _, ag := range cur.Agreements {
			if ag.ID == plan.Agreements[i].ID {
				plan.Agreements[i].Status = ag.Status
			}
		}
	}
	latest, err := d.putPlan(ctx, coord, plan, connectors.Precondition{IfMatch: cur.ETag()})
	if err != nil {
		return err
	}
	doc, err := coord.GetPlan(ctx, amfHousehold, amfPurpose, connectors.PlanQuery{Format: broker.PlanFormatMarkdown})
	if err != nil {
		return err
	}
	hist, err := coord.PlanHistory(ctx, amfHousehold, amfPurpose)
	if err != nil {
		return err
	}
	d.say("Version %d, with %d versions in its history; printed as Markdown (%d lines) or HTML for the household meeting:",
		latest.Version, len(hist.Versions), strings.Count(string(doc.Body), "\n"))
	for _, ag := range latest.Agreements {
		d.detail("%-8s %s · %s · by %s · %s", ag.ID, ag.PartnerName, ag.Action, ag.Due, ag.Status)
	}
	return nil
}

func (d *demo) putPlan(ctx context.Context, c *connectors.Client, in broker.PlanInput, pre connectors.Precondition) (broker.PlanView, error) {
	return planView(c.PutPlan(ctx, amfHousehold, amfPurpose, in, pre))
}

// planView decodes a plan answer (JSON, the default format).
func planView(resp *connectors.Response, err error) (broker.PlanView, error) {
	var v broker.PlanView
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(resp.Body, &v)
}
