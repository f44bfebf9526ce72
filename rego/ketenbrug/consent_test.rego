# Tests of consent (toestemming): validity, scope, sensitive sectors and
# children under 16.
package ketenbrug_test

import data.ketenbrug

# The overview with the mother's consents replaced by cs.
with_mother_consents(cs) := object.union(overview, {"subjects": {"p:moeder": {"consents": cs}}})

# A consent for the debt sector, with extra fields.
debt_consent(extra) := consent(object.union({"sectors": ["debt"]}, extra))

test_no_consent_hides_voluntary_care if {
	d := ketenbrug.decision with input as with_mother_consents([])
	allowed(d)
	shown(d, "inv-debt") == []
}

test_consent_shows if {
	d := ketenbrug.decision with input as overview
	shown(d, "inv-debt") == level2
	"AVG art. 6 lid 1 sub a" in d.bases
}

test_withdrawn_consent_hides if {
	d := ketenbrug.decision with input as with_mother_consents([debt_consent({"withdrawn": true})])
	shown(d, "inv-debt") == []
}

test_expired_consent_hides if {
	d := ketenbrug.decision with input as with_mother_consents([debt_consent({"valid_until": "2026-11-21"})])
	shown(d, "inv-debt") == []
}

test_consent_valid_through_its_last_day if {
	d := ketenbrug.decision with input as with_mother_consents([debt_consent({"valid_until": "2026-11-22"})])
	shown(d, "inv-debt") == level2
}

test_consent_not_yet_valid_hides if {
	d := ketenbrug.decision with input as with_mother_consents([debt_consent({"valid_from": "2026-11-23"})])
	shown(d, "inv-debt") == []
}

test_consent_without_end_is_valid_until_withdrawn if {
	d := ketenbrug.decision with input as with_mother_consents([debt_consent({"valid_until": ""})])
	shown(d, "inv-debt") == level2
}

# The overview of a household whose joint plan under purpose ended on ends.
with_plan_end(purpose, ends) := object.union(overview, {"household": object.union(household, {"plan_purpose": purpose, "plan_ends": ends})})

test_consent_ends_with_the_plan if {
	d := ketenbrug.decision with input as with_plan_end("integrale-ondersteuning", "2026-11-21")
	shown(d, "inv-debt") == []
}

test_consent_valid_through_the_plans_last_day if {
	d := ketenbrug.decision with input as with_plan_end("integrale-ondersteuning", "2026-11-22")
	shown(d, "inv-debt") == level2
}

test_plan_under_another_purpose_leaves_the_consent if {
	d := ketenbrug.decision with input as with_plan_end("vroegsignalering-schulden", "2026-11-21")
	shown(d, "inv-debt") == level2
}

test_consent_recorded_after_the_plans_end_is_a_new_one if {
	later := debt_consent({"recorded_at": "2026-11-22T08:00:00Z"})
	d := ketenbrug.decision with input as object.union(
		with_plan_end("integrale-ondersteuning", "2026-11-21"),
		{"subjects": {"p:moeder": {"consents": [later]}}},
	)
	shown(d, "inv-debt") == level2
}

test_consent_outlives_the_plan_when_the_data_says_so if {
	d := ketenbrug.decision with input as with_plan_end("integrale-ondersteuning", "2026-11-21")
		with data.ketenbrug_config.consent.ends_with_plan as false
	shown(d, "inv-debt") == level2
}

test_consent_for_other_purpose_hides if {
	d := ketenbrug.decision with input as with_mother_consents([debt_consent({"purpose": "re-integratie"})])
	shown(d, "inv-debt") == []
}

test_consent_for_other_sector_hides if {
	d := ketenbrug.decision with input as with_mother_consents([consent({"sectors": ["education"]})])
	shown(d, "inv-debt") == []
}

test_consent_naming_the_partner_shows if {
	d := ketenbrug.decision with input as with_mother_consents([consent({"partners": ["kredietbank"]})])
	shown(d, "inv-debt") == level2
}

test_consent_naming_another_partner_hides if {
	d := ketenbrug.decision with input as with_mother_consents([consent({"partners": ["schuldhulp-west"]})])
	shown(d, "inv-debt") == []
}

test_consent_for_all_shows_ordinary_sectors if {
	d := ketenbrug.decision with input as overview
	shown(d, "inv-uwv") == level2
}

test_sensitive_sector_needs_explicit_consent if {
	d := ketenbrug.decision with input as overview
	shown(d, "inv-ggd") == []
	not "AVG art. 9 lid 2 sub a" in d.bases
}

test_sensitive_sector_with_explicit_consent_shows if {
	x := object.union(overview, {"subjects": {"p:vader": {"consents": [consent({"sectors": ["health"], "explicit": true})]}}})
	d := ketenbrug.decision with input as x
	shown(d, "inv-ggd") == level2
	"AVG art. 9 lid 2 sub a" in d.bases
}

# A consent that happens to name the sector is not explicit: explicit is a
# flag on the consent, recorded with its evidence.
test_naming_a_sensitive_sector_is_not_explicit if {
	x := object.union(overview, {"subjects": {"p:vader": {"consents": [consent({"sectors": ["health"]})]}}})
	d := ketenbrug.decision with input as x
	shown(d, "inv-ggd") == []
}

test_sensitive_sectors_from_policy_data if {
	cfg := object.union(ketenbrug.config, {"sensitive_sectors": ["health", "work-income"]})
	d := ketenbrug.decision with input as overview with ketenbrug.config as cfg
	shown(d, "inv-uwv") == []
	shown(d, "inv-wmo") == level2
}

test_health_is_sensitive_even_if_data_forgets if {
	cfg := object.union(ketenbrug.config, {"sensitive_sectors": []})
	d := ketenbrug.decision with input as overview with ketenbrug.config as cfg
	shown(d, "inv-ggd") == []
}

test_child_consent_by_parent_shows if {
	d := ketenbrug.decision with input as overview
	shown(d, "inv-school") == level2
	"UAVG art. 5 lid 1" in d.bases
}

test_child_under_16_self_consent_refused if {
	x := object.union(overview, {"subjects": {"p:kind": {"consents": [consent({"all": true})]}}})
	d := ketenbrug.decision with input as x
	allowed(d)
	shown(d, "inv-school") == []
	shown(d, "inv-cjg") == []
	not "UAVG art. 5 lid 1" in d.bases
}

test_child_consent_by_guardian_shows if {
	x := object.union(overview, {"subjects": {"p:kind": {"consents": [consent_by({"all": true}, "guardian")]}}})
	d := ketenbrug.decision with input as x
	shown(d, "inv-school") == level2
}

test_child_without_birth_year_counts_as_child if {
	x := json.remove(
		object.union(overview, {"subjects": {"p:kind": {"consents": [consent({"all": true})]}}}),
		["subjects/p:kind/birth_year"],
	)
	d := ketenbrug.decision with input as x
	shown(d, "inv-school") == []
}

# Born in 2010, the child may still be 15 in 2026: a parent consents.
test_sixteen_in_the_birth_year_still_counts_as_child if {
	x := object.union(overview, {"subjects": {"p:kind": {"birth_year": 2010, "consents": [consent({"all": true})]}}})
	d := ketenbrug.decision with input as x
	shown(d, "inv-school") == []
}

# Born in 2009, the person is at least 16: they consent themselves.
test_sixteen_or_older_consents_themselves if {
	x := object.union(overview, {"subjects": {"p:kind": {"birth_year": 2009, "consents": [consent({"all": true})]}}})
	d := ketenbrug.decision with input as x
	shown(d, "inv-school") == level2
}

test_parent_cannot_consent_for_an_adult if {
	d := ketenbrug.decision with input as with_mother_consents([consent_by({"sectors": ["debt"]}, "parent")])
	shown(d, "inv-debt") == []
}

test_legal_representative_consents_for_an_adult if {
	d := ketenbrug.decision with input as with_mother_consents([consent_by({"sectors": ["debt"]}, "legal-representative")])
	shown(d, "inv-debt") == level2
}

test_statute_purpose_needs_no_consent if {
	x := object.union(with_mother_consents([]), {
		"purpose": "vroegsignalering-schulden",
		"candidates": [registered_for(candidates[0], "vroegsignalering-schulden")],
	})
	d := ketenbrug.decision with input as x
	allowed(d)
	shown(d, "inv-debt") == level2
	d.bases == [wgs_basis]
}

test_plan_under_consent_needs_every_subject if {
	x := object.union(plan_read, {"subjects": {"p:kind": {"consents": []}}})
	d := ketenbrug.decision with input as x
	d.reasons == ["no_consent"]
}

test_plan_under_consent_allowed if {
	d := ketenbrug.decision with input as plan_read
	allowed(d)
	d.bases == ["AVG art. 6 lid 1 sub a"]
}

test_plan_without_subjects_under_consent_denied if {
	d := ketenbrug.decision with input as json.remove(plan_read, ["subjects"])
	d.reasons == ["no_consent"]
}

test_assignment_under_consent_needs_consent_for_target if {
	x := object.union(assignment, {
		"purpose": "integrale-ondersteuning", "target": partner("ggd", "health"),
		"assignment": {"type": "intake"},
	})
	d := ketenbrug.decision with input as x
	d.reasons == ["no_consent"]
}

test_assignment_under_consent_allowed if {
	x := object.union(assignment, {
		"purpose": "integrale-ondersteuning",
		"subjects": {"p:vader": {"consents": [consent({"sectors": ["debt"]})]}},
	})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_assignment_under_consent_naming_the_target if {
	x := object.union(assignment, {
		"purpose": "integrale-ondersteuning",
		"subjects": {"p:vader": {"consents": [consent({"partners": ["kredietbank"]})]}},
	})
	d := ketenbrug.decision with input as x
	allowed(d)
}
