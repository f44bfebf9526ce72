package broker_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/rego"
)

// TestEveryActionFollowsItsPurposeRule holds the broker to the purpose rule
// each action declares in the policy data (data.json, actions.*.purpose):
// asked without a purpose, an action whose purpose is "required" is refused
// with purpose_missing (or, where the purpose travels in the body, a
// validation error on it), and one whose purpose is "optional" or "ignored"
// is not refused for lacking one. An action of the policy data without a
// case here fails the test, so docs and behaviour cannot drift apart.
func TestEveryActionFollowsItsPurposeRule(t *testing.T) {
	raw, err := rego.Bundle.ReadFile("data.json")
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		Config struct {
			Actions map[string]struct {
				Purpose string `json:"purpose"`
			} `json:"actions"`
		} `json:"ketenbrug_config"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}

	e, f := planFamily(t)
	if _, err := e.svc.PutPlan(e.ctx, e.coord(), "hh-1", 0, firstPlan); err != nil {
		t.Fatal(err)
	}
	give := func(purpose string) (broker.AssignmentView, error) {
		return e.svc.GiveAssignment(e.ctx, e.coordinator("gem-a", purpose), broker.AssignmentInput{
			Household: "hh-1", Recipient: "kredietbank", Type: "schuldenoverzicht", Due: e.day(14)})
	}
	consent := e.consent(f.bsns["moeder"], broker.GivenBySelf, broker.SectorDebt)
	// newFollowup stores a live follow-up of the coordinator about the
	// kredietbank's involvement with the mother, and returns its id.
	newFollowup := func() string {
		t.Helper()
		var subjects []broker.Pseudonym
		if err := e.store.View(func(tx broker.ReadTx) error {
			h, err := tx.Household("gem-a", "hh-1")
			for _, m := range h.Members {
				subjects = append(subjects, m.Subject)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("f-purpose-%d", e.reqs.Add(1))
		coord := broker.Actor{Partner: "gem-a", Sub: "c.regisseur"}
		now := time.Now().UTC()
		if err := e.store.Update(func(tx broker.Tx) error {
			return tx.PutFollowup(broker.Followup{ID: id, Municipality: "gem-a", Household: "hh-1", Purpose: invPurpose,
				Partner: "kredietbank", Subjects: subjects, Coordinator: coord,
				Lead: coord, Due: now.AddDate(0, 0, 14).Format(time.DateOnly), State: broker.FollowupOpen,
				CreatedAt: now, UpdatedAt: now, Revision: 1})
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	kb := func(purpose string) *broker.Caller { return e.caller("kredietbank", broker.RoleConnector, purpose) }
	// step gives a fresh assignment (under the plan's purpose) and takes
	// the steps before the one asked about, all with the purpose; the
	// last step with the purpose given.
	step := func(purpose string, steps ...string) error {
		a, err := give(invPurpose)
		if err != nil {
			return err
		}
		last := len(steps) - 1
		for i, s := range steps {
			p, c, text := invPurpose, kb, ""
			if i == last {
				p = purpose
			}
			switch s {
			case broker.StepCancel:
				c = func(p string) *broker.Caller { return e.coordinator("gem-a", p) }
			case broker.StepDecline, broker.StepComplete:
				text = "tekst"
			}
			if _, err := e.svc.StepAssignment(e.ctx, c(p), a.ID, s, text); err != nil {
				return err
			}
		}
		return nil
	}
	cases := map[string]func(purpose string) error{
		broker.ActionHouseholdOverview: func(p string) error {
			_, err := e.svc.HouseholdOverview(e.ctx, e.coordinator("gem-a", p), "hh-1")
			return err
		},
		broker.ActionPersonOverview: func(p string) error {
			_, err := e.svc.PersonOverview(e.ctx, e.coordinator("gem-a", p), f.bsns["moeder"], "")
			return err
		},
		broker.ActionHouseholdList: func(p string) error {
			_, err := e.svc.Households(e.ctx, e.coordinator("gem-a", p), "", "", 0)
			return err
		},
		broker.ActionHouseholdWrite: func(p string) error {
			h, err := e.svc.Household(e.ctx, e.coordinator("gem-a", p), "hh-1")
			if err != nil {
				return err
			}
			in := broker.HouseholdInput{Municipality: h.Municipality, Area: h.Area}
			for _, m := range familyMembers {
				m.BSN = f.bsns[m.Label]
				in.Members = append(in.Members, m)
			}
			_, err = e.svc.PutHousehold(e.ctx, e.coordinator("gem-a", p), "hh-1", in)
			return err
		},
		broker.ActionInvolvementWrite: func(p string) error {
			_, _, err := e.svc.PutInvolvement(e.ctx, e.caller("kredietbank", broker.RoleConnector, p), "p-1",
				broker.InvolvementInput{BSN: f.bsns["vader"], Service: "budgetbeheer", Status: broker.InvolvementActive, Start: "2026-01-05"})
			return err
		},
		broker.ActionConsentRecord: func(p string) error {
			// The purpose of a consent travels in its body.
			_, err := e.svc.RecordConsent(e.ctx, e.professional("cjg", invPurpose), f.bsns["vader"], broker.Consent{
				Purpose: p, Sectors: []broker.Sector{broker.SectorDebt}, GivenBy: broker.GivenBySelf, Evidence: "form"})
			return err
		},
		broker.ActionConsentRead: func(p string) error {
			_, err := e.svc.Consents(e.ctx, e.professional("cjg", p), f.bsns["moeder"], "")
			return err
		},
		broker.ActionConsentWithdraw: func(p string) error {
			_, err := e.svc.WithdrawConsent(e.ctx, e.professional("cjg", p), consent.ID, "")
			return err
		},
		// A restriction's purpose travels in its body (re-integratie here,
		// so that it touches none of the other cases); the token's is
		// ignored.
		broker.ActionRestrictionRecord: func(p string) error {
			_, err := e.svc.RecordRestriction(e.ctx, e.professional("kredietbank", p), f.bsns["moeder"],
				broker.RestrictionInput{Kind: broker.KindObjection, Purpose: "re-integratie"})
			return err
		},
		broker.ActionRestrictionRead: func(p string) error {
			_, err := e.svc.Restrictions(e.ctx, e.professional("kredietbank", p), f.bsns["moeder"], "")
			return err
		},
		broker.ActionRestrictionLift: func(p string) error {
			r, err := e.svc.RecordRestriction(e.ctx, e.professional("kredietbank", invPurpose), f.bsns["moeder"],
				broker.RestrictionInput{Kind: broker.KindRestriction, Ground: broker.GroundUnlawful, Purpose: "re-integratie"})
			if err != nil {
				return err
			}
			_, err = e.svc.LiftRestriction(e.ctx, e.professional("kredietbank", p), r.ID, "", "")
			return err
		},
		broker.ActionAssignmentGive: func(p string) error {
			_, err := give(p)
			return err
		},
		broker.ActionAssignmentAccept:   func(p string) error { return step(p, broker.StepAccept) },
		broker.ActionAssignmentDecline:  func(p string) error { return step(p, broker.StepDecline) },
		broker.ActionAssignmentComplete: func(p string) error { return step(p, broker.StepAccept, broker.StepComplete) },
		broker.ActionAssignmentCancel:   func(p string) error { return step(p, broker.StepCancel) },
		broker.ActionPlanRead: func(p string) error {
			_, err := e.svc.Plan(e.ctx, e.coordinator("gem-a", p), "hh-1", 0)
			return err
		},
		broker.ActionPlanWrite: func(p string) error {
			cur, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 0)
			if err != nil {
				return err
			}
			_, err = e.svc.PutPlan(e.ctx, e.coordinator("gem-a", p), "hh-1", cur.Version, firstPlan)
			return err
		},
		broker.ActionPlanStatus: func(p string) error {
			cur, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 0)
			if err != nil {
				return err
			}
			_, err = e.svc.SetAgreementStatus(e.ctx, e.professional("kredietbank", p), "hh-1", "w-kb", cur.Version, broker.AgreementInProgress)
			return err
		},
		broker.ActionFollowupRead: func(p string) error {
			_, err := e.svc.Followup(e.ctx, e.coordinator("gem-a", p), newFollowup())
			return err
		},
		broker.ActionFollowupList: func(p string) error {
			newFollowup()
			_, err := e.svc.Followups(e.ctx, e.coordinator("gem-a", p), broker.FollowupQuery{})
			return err
		},
		broker.ActionFollowupContact: func(p string) error {
			_, err := e.svc.StepFollowup(e.ctx, e.coordinator("gem-a", p), newFollowup(), broker.FollowupStepContact,
				broker.FollowupStepInput{})
			return err
		},
		broker.ActionFollowupClose: func(p string) error {
			_, err := e.svc.StepFollowup(e.ctx, e.coordinator("gem-a", p), newFollowup(), broker.FollowupStepClose,
				broker.FollowupStepInput{Outcome: "afgestemd"})
			return err
		},
		broker.ActionFollowupReassign: func(p string) error {
			_, err := e.svc.StepFollowup(e.ctx, e.coordinator("gem-a", p), newFollowup(), broker.FollowupStepReassign,
				broker.FollowupStepInput{Lead: &broker.Actor{Partner: "gem-a", Sub: "a.collega"}})
			return err
		},
		broker.ActionPlanClose: nil, // below: it ends the plan
		// The figures hold no personal data: no purpose is asked.
		broker.ActionStatisticsRead: func(p string) error {
			_, err := e.svc.Statistics(e.ctx, e.caller("fg", broker.RolePrivacyOfficer, p), broker.StatisticsQuery{Municipality: "gem-a"})
			return err
		},
	}
	// The broker asks these on a partner's behalf, never under a caller's
	// token: a match signal under the registering request's purpose (or
	// integrated support), receiving an assignment under the giver's.
	internal := []string{broker.ActionMatchSignal, broker.ActionAssignmentReceive}

	for action, spec := range data.Config.Actions {
		if slices.Contains(internal, action) {
			continue
		}
		run, listed := cases[action]
		if !listed {
			t.Errorf("action %s of the policy data has no case in this test", action)
			continue
		}
		if run == nil {
			continue
		}
		err := run("")
		var denied *broker.DeniedError
		missing := errors.As(err, &denied) && slices.Contains(denied.Reasons, broker.ReasonPurposeMissing)
		var invalid *broker.ValidationError
		bodyPurpose := errors.As(err, &invalid) && invalid.Field == "purpose"
		switch spec.Purpose {
		case "required":
			if !missing && !bodyPurpose {
				t.Errorf("%s without a purpose: %v; data.json says required, want purpose_missing", action, err)
			}
		case "optional", "ignored":
			if missing || bodyPurpose {
				t.Errorf("%s without a purpose: %v; data.json says %s", action, err, spec.Purpose)
			}
		default:
			t.Errorf("%s: unknown purpose rule %q", action, spec.Purpose)
		}
		if spec.Purpose == "required" {
			if err := run(invPurpose); err != nil {
				t.Errorf("%s with the purpose: %v", action, err)
			}
		}
	}
	// plan.close is optional: the coordinator closes without one.
	if data.Config.Actions[broker.ActionPlanClose].Purpose != "optional" {
		t.Fatalf("plan.close is %q in data.json; this test expects optional", data.Config.Actions[broker.ActionPlanClose].Purpose)
	}
	cur, err := e.svc.Plan(e.ctx, e.coord(), "hh-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ClosePlan(e.ctx, e.coordinator("gem-a", ""), "hh-1", cur.Version); err != nil {
		t.Errorf("plan.close without a purpose: %v", err)
	}
}
