# Tests of plans.rego: the joint household plan (level 4). Every rule
# and every reason code it adds has a test here.
package ketenbrug_test

import data.ketenbrug

# The debt counsellor, a participant, reads the plan or updates its own
# agreement.
participant := object.union(professional, {"municipalities": ["gem-leusden"]})

test_participant_reads_the_open_plan if {
	d := ketenbrug.decision with input as object.union(plan_read, {"caller": participant})
	allowed(d)
}

# A partner without a work agreement: the municipality's WMO desk, to
# which the household consented.
outsider := object.union(participant, {"partner": "wmo-loket", "sector": "municipality"})

test_other_partner_does_not_read_the_plan if {
	d := ketenbrug.decision with input as object.union(plan_read, {"caller": outsider})
	d.reasons == ["not_participant"]
}

test_closed_plan_ends_the_participants_access if {
	x := object.union(plan_read, {"caller": participant, "plan": {"status": "closed"}})
	d := ketenbrug.decision with input as x
	d.reasons == ["not_participant"]
}

test_coordinator_reads_the_closed_plan if {
	d := ketenbrug.decision with input as object.union(plan_read, {"plan": {"status": "closed"}})
	allowed(d)
}

test_reading_without_plan_facts_needs_the_coordinator if {
	d := ketenbrug.decision with input as json.remove(object.union(plan_read, {"caller": participant}), ["plan"])
	d.reasons == ["not_participant"]
}

test_participant_updates_its_agreement if {
	d := ketenbrug.decision with input as object.union(plan_read, {"action": "plan.status", "caller": participant})
	allowed(d)
}

test_only_the_regisseur_writes_the_plan if {
	x := object.union(plan_read, {"action": "plan.write", "caller": participant})
	d := ketenbrug.decision with input as x
	d.reasons == ["not_coordinator"]
}

test_another_person_of_the_coordinating_partner_does_not_write if {
	x := object.union(plan_read, {"action": "plan.write", "caller": {"sub": "a.jansen"}})
	d := ketenbrug.decision with input as x
	d.reasons == ["not_coordinator"]
}

test_plan_write_needs_consent_for_every_participant if {
	x := object.union(plan_read, {
		"action": "plan.write",
		"subjects": {"p:moeder": {"consents": [consent({"sectors": ["municipality", "education"]})]}},
	})
	d := ketenbrug.decision with input as x
	d.reasons == ["no_consent"]
}

test_plan_write_under_statute_needs_no_consent if {
	x := object.union(plan_read, {
		"action": "plan.write", "purpose": "vroegsignalering-schulden",
		"subjects": {"p:moeder": {"consents": []}},
		"plan": {"participants": [partner("kredietbank", "debt")]},
	})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_participant_sector_not_allowed_for_the_purpose if {
	x := object.union(plan_read, {"action": "plan.write", "purpose": "vroegsignalering-schulden"})
	d := ketenbrug.decision with input as x
	d.reasons == ["sector_not_allowed"]
}

test_participant_without_covenant if {
	x := object.union(plan_read, {"action": "plan.write", "plan": {"participants": [
		partner("kredietbank", "debt"),
		object.union(partner("school", "education"), {"covenant": "2024-1"}),
	]}})
	d := ketenbrug.decision with input as x
	d.reasons == ["covenant_not_signed"]
}

test_participant_level_counts if {
	at_3 := object.union(partner("kredietbank", "debt"), {"level": 3})
	x := object.union(plan_read, {"action": "plan.write", "plan": {"participants": [at_3]}})
	d := ketenbrug.decision with input as x
	d.reasons == ["level_too_low"]
}

test_shielded_subject_plan_shared_with_other_partners if {
	x := object.union(plan_read, {
		"action": "plan.write", "purpose": "vroegsignalering-schulden",
		"caller": {"partner": "gem-leusden"},
		"subjects": {"p:moeder": {"shielded": true}},
		"plan": {"participants": [partner("kredietbank", "debt")]},
	})
	d := ketenbrug.decision with input as x
	d.reasons == ["sector_not_allowed"]
}

test_shielded_subject_plan_shared_with_named_partners if {
	cfg := object.union(ketenbrug.config, {"shielded": {"visible_to_partners": ["kredietbank", "gem-leusden"]}})
	x := object.union(plan_read, {
		"action": "plan.write", "purpose": "vroegsignalering-schulden",
		"subjects": {"p:moeder": {"shielded": true}},
		"plan": {"participants": [partner("kredietbank", "debt")]},
	})
	d := ketenbrug.decision with input as x with ketenbrug.config as cfg
	allowed(d)
}

test_coordinator_closes_the_plan_at_any_level if {
	x := object.union(plan_read, {"action": "plan.close", "municipality": municipality(1)})
	d := ketenbrug.decision with input as x
	allowed(d)
	"AVG art. 5 lid 1 sub c en e" in d.bases
}

test_participant_does_not_close_the_plan if {
	x := object.union(plan_read, {"action": "plan.close", "caller": participant})
	d := ketenbrug.decision with input as x
	d.reasons == ["not_coordinator"]
}
