# Tests of followups.rego: match follow-ups. Every rule and every reason
# code it adds has a test here.
package ketenbrug_test

import data.ketenbrug

# A follow-up the coordinator leads, about the household of the fixtures.
followup_facts := {
	"id": "f-1",
	"state": "open",
	"lead_partner": "gem-leusden",
	"lead_sub": "c.devries",
	"coordinator_partner": "gem-leusden",
	"coordinator_sub": "c.devries",
}

# Action act on the follow-up by the coordinator, at level 2.
followup_step(act) := {
	"action": act,
	"purpose": "integrale-ondersteuning",
	"now": now,
	"caller": coordinator,
	"municipality": municipality(2),
	"household": household,
	"followup": followup_facts,
}

# The coordinator names a debt counsellor as lead, who serves the
# household; every member consented to debt counselling.
reassign := object.union(followup_step("followup.reassign"), {
	"subjects": subjects,
	"target": partner("kredietbank", "debt"),
	"followup": object.union(followup_facts, {"new_lead_sub": "j.bakker", "new_lead_serves": true}),
	"relations": ["coordinator"],
})

test_the_coordinator_reads_the_followup if {
	d := ketenbrug.decision with input as followup_step("followup.read")
	allowed(d)
}

test_the_lead_reads_the_followup if {
	x := object.union(followup_step("followup.read"), {
		"caller": professional,
		"followup": object.union(followup_facts, {"lead_partner": "kredietbank", "lead_sub": "j.bakker"}),
	})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_another_person_of_the_coordinators_partner_does_not_read_it if {
	x := object.union(followup_step("followup.read"), {"caller": object.union(coordinator, {"sub": "a.collega"})})
	d := ketenbrug.decision with input as x
	denied_for(d, "not_followup_party")
}

test_another_partner_does_not_read_it if {
	x := object.union(followup_step("followup.read"), {"caller": professional})
	d := ketenbrug.decision with input as x
	denied_for(d, "not_followup_party")
}

test_a_lead_without_a_person_is_nobody if {
	x := object.union(followup_step("followup.read"), {
		"caller": object.union(coordinator, {"sub": ""}),
		"followup": object.union(followup_facts, {"lead_sub": "", "coordinator_sub": ""}),
	})
	d := ketenbrug.decision with input as x
	denied_for(d, "not_followup_party")
}

# A follow-up opened for a partner's match signal names that partner as
# lead but no person until the coordinator names one: nobody of that
# partner sees it meanwhile, the coordinator does.
unassigned := object.union(followup_facts, {"lead_partner": "kredietbank", "lead_sub": ""})

test_nobody_of_an_unassigned_partner_reads_it if {
	x := object.union(followup_step("followup.read"), {"caller": professional, "followup": unassigned})
	d := ketenbrug.decision with input as x
	denied_for(d, "not_followup_party")
}

test_the_coordinator_reads_an_unassigned_followup if {
	d := ketenbrug.decision with input as object.union(followup_step("followup.read"), {"followup": unassigned})
	allowed(d)
}

test_the_coordinator_names_a_person_of_the_unassigned_partner if {
	x := object.union(reassign, {"followup": object.union(unassigned, {"new_lead_sub": "j.bakker", "new_lead_serves": true})})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_the_list_hides_an_unassigned_followup_from_its_partner if {
	x := object.union(followup_step("followup.list"), {"caller": professional, "followups": [unassigned]})
	d := ketenbrug.decision with input as x
	d.show == {}
}

test_missing_followup_facts_deny if {
	d := ketenbrug.decision with input as json.remove(followup_step("followup.read"), ["followup"])
	denied_for(d, "not_followup_party")
}

test_a_connector_does_not_read_followups if {
	x := object.union(followup_step("followup.read"), {"caller": object.union(coordinator, {"role": "connector"})})
	d := ketenbrug.decision with input as x
	denied_for(d, "role_not_allowed")
}

test_contact_needs_level_2 if {
	d := ketenbrug.decision with input as followup_step("followup.contact")
	allowed(d)
	x := object.union(followup_step("followup.contact"), {"municipality": municipality(1)})
	low := ketenbrug.decision with input as x
	denied_for(low, "level_too_low")
}

test_close_with_a_known_outcome if {
	x := object.union(followup_step("followup.close"), {"followup": object.union(followup_facts, {"outcome": "afgestemd"})})
	d := ketenbrug.decision with input as x
	allowed(d)
	"AVG art. 5 lid 1 sub c en e" in d.bases
}

test_close_with_an_unknown_outcome_denied if {
	x := object.union(followup_step("followup.close"), {"followup": object.union(followup_facts, {"outcome": "weet-niet"})})
	d := ketenbrug.decision with input as x
	denied_for(d, "outcome_unknown")
}

test_close_without_an_outcome_denied if {
	d := ketenbrug.decision with input as followup_step("followup.close")
	denied_for(d, "outcome_unknown")
}

test_close_is_not_blocked_by_the_level if {
	x := object.union(followup_step("followup.close"), {
		"municipality": municipality(1),
		"followup": object.union(followup_facts, {"outcome": "geen-actie-nodig"}),
	})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_the_coordinator_names_a_serving_partner_as_lead if {
	d := ketenbrug.decision with input as reassign
	allowed(d)
}

test_the_coordinator_names_a_colleague_as_lead if {
	x := object.union(reassign, {
		"target": partner("gem-leusden", "municipality"),
		"followup": object.union(followup_facts, {"new_lead_sub": "a.collega"}),
	})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_a_partner_that_does_not_serve_the_household_cannot_lead if {
	x := object.union(reassign, {"followup": object.union(reassign.followup, {"new_lead_serves": false})})
	d := ketenbrug.decision with input as x
	denied_for(d, "lead_not_allowed")
}

test_a_lead_in_a_sector_not_listed_cannot_lead if {
	x := object.union(reassign, {"target": partner("ggd", "health")})
	d := ketenbrug.decision with input as x
	denied_for(d, "lead_not_allowed")
}

test_a_lead_is_a_person if {
	x := object.union(reassign, {"followup": object.union(reassign.followup, {"new_lead_sub": ""})})
	d := ketenbrug.decision with input as x
	denied_for(d, "lead_not_allowed")
}

test_only_the_coordinator_names_the_lead if {
	x := object.union(reassign, {
		"caller": professional,
		"followup": object.union(reassign.followup, {"lead_partner": "kredietbank", "lead_sub": "j.bakker"}),
	})
	d := ketenbrug.decision with input as x
	denied_for(d, "not_coordinator")
}

test_a_lead_without_the_members_consent_cannot_lead if {
	x := object.union(reassign, {
		"target": partner("uwv", "work-income"),
		"subjects": {"p:moeder": subjects["p:moeder"]},
	})
	d := ketenbrug.decision with input as x
	denied_for(d, "no_consent")
}

test_the_list_shows_only_the_callers_followups if {
	x := {
		"action": "followup.list",
		"now": now,
		"caller": coordinator,
		"followups": [
			followup_facts,
			object.union(followup_facts, {"id": "f-2", "lead_partner": "kredietbank", "lead_sub": "j.bakker"}),
			object.union(followup_facts, {
				"id": "f-3", "lead_partner": "kredietbank", "lead_sub": "j.bakker",
				"coordinator_sub": "iemand-anders",
			}),
		],
	}
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {"f-1": ["followup"], "f-2": ["followup"]}
}

test_an_empty_list_shows_nothing if {
	d := ketenbrug.decision with input as {"action": "followup.list", "now": now, "caller": coordinator}
	allowed(d)
	d.show == {}
}
