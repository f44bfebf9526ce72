# Tests of the data subject's rights the policy honours: restriction of
# processing (AVG art. 18) and objection (AVG art. 21), rights.rego.
package ketenbrug_test

import data.ketenbrug

# The subjects of the fixtures with one flag of kind for purpose on the mother.
flagged(kind, purpose) := json.patch(subjects, [{
	"op": "add", "path": "/p:moeder/restrictions",
	"value": [{"id": "r-1", "kind": kind, "purpose": purpose}],
}])

with_flag(req, kind, purpose) := object.union(req, {"subjects": flagged(kind, purpose)})

test_objection_withholds_the_subjects_involvements_from_an_overview if {
	d := ketenbrug.decision with input as with_flag(overview, "objection", "integrale-ondersteuning")
	allowed(d)
	shown(d, "inv-debt") == []
	shown(d, "inv-school") == level2
}

test_restriction_withholds_the_subjects_involvements_from_an_overview if {
	d := ketenbrug.decision with input as with_flag(overview, "restriction", "integrale-ondersteuning")
	allowed(d)
	shown(d, "inv-debt") == []
	shown(d, "inv-school") == level2
}

test_flag_for_another_purpose_changes_nothing if {
	d := ketenbrug.decision with input as with_flag(overview, "objection", "re-integratie")
	shown(d, "inv-debt") == level2
}

test_without_flag_the_involvement_is_shown if {
	d := ketenbrug.decision with input as overview
	shown(d, "inv-debt") == level2
}

test_objection_withholds_a_match_signal if {
	ketenbrug.decision.show == {} with input as with_flag(match_signal, "objection", "integrale-ondersteuning")
}

test_objection_denies_an_assignment_about_the_subject if {
	d := ketenbrug.decision with input as with_flag(assignment, "objection", "vroegsignalering-schulden")
	denied_for(d, "objected")
	"AVG art. 21 lid 1" in d.bases
	not "restricted" in d.reasons
}

test_restriction_denies_an_assignment_about_the_subject if {
	d := ketenbrug.decision with input as with_flag(assignment, "restriction", "vroegsignalering-schulden")
	denied_for(d, "restricted")
	"AVG art. 18 lid 1 en 2" in d.bases
}

test_assignment_without_flag_is_allowed if {
	allowed(ketenbrug.decision) with input as assignment
}

test_restriction_denies_reading_the_plan if {
	d := ketenbrug.decision with input as with_flag(plan_read, "restriction", "integrale-ondersteuning")
	denied_for(d, "restricted")
}

test_objection_denies_an_assignment_step if {
	d := ketenbrug.decision with input as with_flag(step("assignment.accept", 0), "objection", "vroegsignalering-schulden")
	denied_for(d, "objected")
}

test_cancelling_an_assignment_stays_possible if {
	cancel := object.union(step("assignment.cancel", 0), {"caller": coordinator})
	allowed(ketenbrug.decision) with input as cancel
	allowed(ketenbrug.decision) with input as with_flag(cancel, "objection", "vroegsignalering-schulden")
}

restriction_record := object.union(consent_record, {"action": "restriction.record"})

test_recording_a_restriction_needs_a_relation[name] if {
	some name, tc in {
		"professional serving the person": {"in": restriction_record, "reasons": []},
		"no relation": {"in": json.remove(restriction_record, ["relations"]), "reasons": ["no_relation"]},
		"municipality is no relation": {"in": object.union(restriction_record, {"relations": ["municipality"]}), "reasons": ["no_relation"]},
		"connector": {
			"in": object.union(restriction_record, {"caller": object.union(professional, {"role": "connector"})}),
			"reasons": ["role_not_allowed"],
		},
		"unknown purpose": {"in": object.union(restriction_record, {"purpose": "handel"}), "reasons": ["purpose_not_allowed"]},
		"no purpose": {"in": json.remove(restriction_record, ["purpose"]), "reasons": ["purpose_not_allowed"]},
		"covenant not signed does not block": {
			"in": object.union(restriction_record, {"caller": object.union(professional, {"covenant": "2019-1"})}),
			"reasons": [],
		},
		"statute purpose": {"in": object.union(restriction_record, {"purpose": "re-integratie"}), "reasons": []},
		"privacy office": {
			"in": object.union(restriction_record, {
				"caller": object.union(professional, {"role": "privacy-officer"}),
				"relations": ["privacy-office"],
			}),
			"reasons": [],
		},
		"officer of a partner not serving the person": {
			"in": object.union(restriction_record, {
				"caller": object.union(professional, {"role": "privacy-officer"}),
				"relations": ["coordinator"],
			}),
			"reasons": ["no_relation"],
		},
	}
	d := ketenbrug.decision with input as tc["in"]
	d.reasons == tc.reasons
}

test_recording_a_restriction_grants_its_article if {
	d := ketenbrug.decision with input as restriction_record
	d.bases == ["AVG art. 18 lid 1 en 3; AVG art. 21 lid 1; AVG art. 12 lid 2"]
}

test_reading_and_lifting_restrictions if {
	read := object.union(json.remove(restriction_record, ["purpose"]), {"action": "restriction.read"})
	allowed(ketenbrug.decision) with input as read
	denied_for(ketenbrug.decision, "no_relation") with input as json.remove(read, ["relations"])
	ketenbrug.decision.bases == ["AVG art. 18 lid 2; AVG art. 39 lid 1 sub b"] with input as read
	lift := object.union(restriction_record, {"action": "restriction.lift"})
	allowed(ketenbrug.decision) with input as lift
	denied_for(ketenbrug.decision, "no_relation") with input as json.remove(lift, ["relations"])
}

# A registration under an objection is refused (AVG art. 21 lid 1); under a
# restriction it is stored and withheld (art. 18 lid 2), so allowed.
registration(kind, purpose) := object.union(
	object.union(simple("involvement.write", "integrale-ondersteuning", object.union(professional, {"role": "connector"})), {"keyed_by": "bsn"}),
	{"subjects": flagged(kind, purpose)},
)

test_objection_denies_registering_an_involvement if {
	d := ketenbrug.decision with input as registration("objection", "integrale-ondersteuning")
	denied_for(d, "objected")
	"AVG art. 21 lid 1" in d.bases
}

test_restriction_keeps_registration_allowed if {
	allowed(ketenbrug.decision) with input as registration("restriction", "integrale-ondersteuning")
}

test_objection_under_another_purpose_keeps_registration_allowed if {
	allowed(ketenbrug.decision) with input as registration("objection", "re-integratie")
}
