package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ketenbrug/ketenbrug/connectors"
)

// followUp shows that a match is a promise: the match signal opened a
// follow-up for the coordinator, due in ten working days; she gets in
// touch with the CJG's coach and closes it with an outcome from the
// policy's list. Nobody else sees it: to the CJG it does not exist.
func (d *demo) followUp(ctx context.Context) error {
	coord := d.client["regisseur"]
	live, err := coord.Followups(ctx, connectors.FollowupQuery{State: "live"})
	if err != nil {
		return err
	}
	if len(live) == 0 {
		return fmt.Errorf("the match signal opened no follow-up")
	}
	f := live[0]
	d.say("The match is a promise: a follow-up for the coordinator (lead %s), to get in touch with %s by %s — ten working days, public holidays not counted.",
		f.Lead.Sub, f.Partner, f.Due)
	_, err = d.client["cjg"].Followup(ctx, f.ID)
	var pe *connectors.ProblemError
	if !errors.As(err, &pe) {
		return fmt.Errorf("the CJG could read the coordinator's follow-up: %v", err)
	}
	d.detail("The CJG asks for it: %d %s, as for a follow-up that does not exist.", pe.Status, pe.Code)
	if _, err := coord.ContactFollowup(ctx, f.ID, f.Purpose, "", ""); err != nil {
		return err
	}
	closed, err := coord.CloseFollowup(ctx, f.ID, f.Purpose, "afgestemd")
	if err != nil {
		return err
	}
	d.say("She calls the coach and closes it: %s, outcome %q, %d steps audited (open, contact, close).",
		closed.State, closed.Outcome, len(closed.Steps))
	return nil
}
