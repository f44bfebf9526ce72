# Tests of assignments.rego: assignments between partners (level 3).
# Every rule and every reason code it adds has a test here.
package ketenbrug_test

import data.ketenbrug

# An intake assignment with a free-text instruction of n characters.
intake(n) := object.union(assignment, {"assignment": {"type": "intake", "instruction_length": n}})

# A step of the fixture's assignment: the debt counsellor (the recipient)
# takes it, with the coordinator's municipality as the other side.
step(act, text_length) := object.union(json.remove(assignment, ["assignment"]), {
	"action": act,
	"caller": object.union(professional, {"role": "connector", "municipalities": ["gem-leusden"]}),
	"target": partner("gem-leusden", "municipality"),
	"assignment": {"type": "schuldenoverzicht", "instruction_length": 0, "text_length": text_length},
})

test_assignment_of_a_known_type_allowed if {
	d := ketenbrug.decision with input as intake(120)
	allowed(d)
	d.show == {}
}

test_unknown_assignment_type_denied if {
	d := ketenbrug.decision with input as object.union(assignment, {"assignment": {"type": "tuinonderhoud"}})
	d.reasons == ["assignment_type_not_allowed"]
}

test_missing_assignment_facts_denied if {
	d := ketenbrug.decision with input as json.remove(assignment, ["assignment"])
	d.reasons == ["assignment_type_not_allowed"]
}

test_assignment_type_for_another_sector_denied if {
	x := object.union(assignment, {"assignment": {"type": "schoolgesprek"}})
	d := ketenbrug.decision with input as x
	d.reasons == ["assignment_type_not_allowed"]
}

test_assignment_type_for_the_recipients_sector_allowed if {
	x := object.union(assignment, {
		"purpose": "integrale-ondersteuning",
		"target": partner("school", "education"),
		"assignment": {"type": "schoolgesprek", "instruction_length": 40},
	})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_receiving_a_type_for_another_sector_denied if {
	youth := {"role": "connector", "sector": "youth", "municipalities": ["gem-leusden"]}
	x := object.union(assignment, {"action": "assignment.receive", "caller": object.union(professional, youth)})
	d := ketenbrug.decision with input as json.remove(x, ["target"])
	"assignment_type_not_allowed" in d.reasons
}

test_no_free_text_for_the_type if {
	d := ketenbrug.decision with input as object.union(assignment, {"assignment": {"instruction_length": 1}})
	d.reasons == ["text_not_allowed"]
}

test_free_text_needs_free_text_true if {
	cfg := json.patch(ketenbrug.config, [{"op": "remove", "path": "/assignments/types/intake/free_text"}])
	d := ketenbrug.decision with input as intake(10) with ketenbrug.config as cfg
	d.reasons == ["text_not_allowed"]
}

test_instruction_at_the_limit_allowed if {
	d := ketenbrug.decision with input as intake(500)
	allowed(d)
}

test_instruction_too_long if {
	d := ketenbrug.decision with input as intake(501)
	d.reasons == ["text_not_allowed"]
}

test_instruction_without_limit_denied if {
	cfg := json.patch(ketenbrug.config, [{"op": "remove", "path": "/assignments/types/intake/max_instruction_length"}])
	d := ketenbrug.decision with input as intake(10) with ketenbrug.config as cfg
	d.reasons == ["text_not_allowed"]
}

test_step_allowed if {
	every act in ["assignment.accept", "assignment.decline", "assignment.complete"] {
		d := ketenbrug.decision with input as step(act, 20)
		allowed(d)
		wgs_basis in d.bases
	}
}

test_step_text_too_long if {
	d := ketenbrug.decision with input as step("assignment.complete", 501)
	d.reasons == ["text_not_allowed"]
}

test_step_text_limit_missing_denies if {
	cfg := json.remove(ketenbrug.config, ["assignments/max_text_length"])
	d := ketenbrug.decision with input as step("assignment.decline", 1) with ketenbrug.config as cfg
	d.reasons == ["text_not_allowed"]
}

test_step_needs_level_3 if {
	d := ketenbrug.decision with input as object.union(step("assignment.accept", 0), {"municipality": municipality(2)})
	d.reasons == ["level_too_low"]
}

test_step_under_consent_needs_consent_for_the_other_side if {
	x := object.union(step("assignment.complete", 10), {
		"purpose": "integrale-ondersteuning",
		"subjects": {"p:moeder": {"consents": [consent({"sectors": ["debt"]})]}},
	})
	d := ketenbrug.decision with input as x
	d.reasons == ["no_consent"]
}

test_cancel_is_never_blocked_by_the_level if {
	x := object.union(assignment, {"action": "assignment.cancel", "municipality": municipality(1)})
	d := ketenbrug.decision with input as x
	allowed(d)
	"AVG art. 5 lid 1 sub c en e" in d.bases
}

test_cancel_by_a_connector_denied if {
	x := object.union(assignment, {"action": "assignment.cancel", "caller": {"role": "connector"}})
	d := ketenbrug.decision with input as x
	d.reasons == ["role_not_allowed"]
}

test_assignment_types_are_well_formed if {
	is_number(ketenbrug.config.assignments.max_text_length)
	count(ketenbrug.config.assignments.types) > 0
	every _, t in ketenbrug.config.assignments.types {
		is_string(t.name)
		is_boolean(t.free_text)
		every s in object.get(t, "recipient_sectors", []) {
			s in broker_sectors
		}
	}
	every id, _ in ketenbrug.config.assignments.types {
		regex.match(`^[a-z0-9][a-z0-9._-]{0,62}$`, id)
	}
}
