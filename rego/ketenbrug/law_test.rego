# Tests of the rules that put the law in the policy (issue 13): the
# statute purposes within their own domain and callers, special-category
# data, minors, shielded households, consent quality, registration and
# the BSN.
package ketenbrug_test

import data.ketenbrug

# --- Statute purposes: their own callers and domain -------------------

youth_overview(caller) := object.union(overview, {
	"caller": caller,
	"purpose": "jeugdbescherming",
	"candidates": [registered_for(candidate("inv-cjg", "p:kind", partner("cjg", "youth")), "jeugdbescherming")],
})

test_jeugdbescherming_not_for_a_youth_partner if {
	cjg := {
		"partner": "cjg", "sector": "youth", "role": "professional", "sub": "m.jansen",
		"level": 4, "covenant": "2026-1", "municipalities": ["gem-leusden"],
	}
	d := ketenbrug.decision with input as object.union(youth_overview(cjg), {"relations": ["involvement"]})
	d.reasons == ["sector_not_allowed"]
}

test_jeugdbescherming_for_the_college_shows_youth_only if {
	x := object.union(youth_overview(coordinator), {"candidates": [
		registered_for(candidate("inv-cjg", "p:kind", partner("cjg", "youth")), "jeugdbescherming"),
		registered_for(candidate("inv-school", "p:kind", partner("school", "education")), "jeugdbescherming"),
	]})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {"inv-cjg": level2}

	# Youth care reveals health: shown on the exception the policy data
	# names for the purpose, recorded among the bases.
	ketenbrug.config.purposes.jeugdbescherming.special_categories.art9 in d.bases
}

test_jeugdbescherming_for_a_certified_organisation if {
	gi := {
		"partner": "gi-utrecht", "sector": "youth", "role": "professional", "sub": "g.smit",
		"level": 4, "covenant": "2026-1", "municipalities": ["gem-leusden"],
	}
	cfg := object.union(ketenbrug.config, {"designations": {"gecertificeerde-instelling": ["gi-utrecht"]}})
	d := ketenbrug.decision with input as object.union(youth_overview(gi), {"relations": []}) with ketenbrug.config as cfg
	allowed(d)
	d.show == {"inv-cjg": level2}
}

test_special_category_withheld_without_a_named_exception if {
	cfg := json.patch(ketenbrug.config, [{"op": "replace", "path": "/purposes/jeugdbescherming/special_categories", "value": {}}])
	d := ketenbrug.decision with input as youth_overview(coordinator) with ketenbrug.config as cfg
	allowed(d)
	d.show == {}
}

test_criminal_law_data_needs_the_art10_exception if {
	probation := registered_for(
		object.union(candidate("inv-jr", "p:kind", partner("gi-utrecht", "youth")), {"service": "jeugdreclassering"}),
		"jeugdbescherming",
	)
	x := object.union(youth_overview(coordinator), {"candidates": [probation]})
	d := ketenbrug.decision with input as x
	d.show == {"inv-jr": level2}
	ketenbrug.config.purposes.jeugdbescherming.special_categories.art10 in d.bases
	cfg := json.patch(ketenbrug.config, [{"op": "remove", "path": "/purposes/jeugdbescherming/special_categories/art10"}])
	d2 := ketenbrug.decision with input as x with ketenbrug.config as cfg
	d2.show == {}
}

test_criminal_law_data_under_consent_needs_explicit_consent if {
	probation := object.union(candidate("inv-jr", "p:moeder", partner("reclassering", "other")), {"service": "jeugdreclassering"})
	x := object.union(overview, {"candidates": [probation], "subjects": {"p:moeder": {"consents": [consent({"sectors": ["other"]})]}}})
	shown(ketenbrug.decision, "inv-jr") == [] with input as x
	y := object.union(x, {"subjects": {"p:moeder": {"consents": [consent({"sectors": ["other"], "explicit": true})]}}})
	d := ketenbrug.decision with input as y
	shown(d, "inv-jr") == level2
	"AVG art. 10; UAVG art. 32 sub a" in d.bases
}

test_re_integratie_not_for_uwv if {
	uwv := object.union(debt_professional, {"partner": "uwv", "sector": "work-income"})
	d := ketenbrug.decision with input as object.union(overview, {"caller": uwv, "purpose": "re-integratie"})
	d.reasons == ["sector_not_allowed"]
}

test_vroegsignalering_shows_debt_only if {
	x := object.union(explicit_overview, {"purpose": "vroegsignalering-schulden"})
	d := ketenbrug.decision with input as x
	object.keys(d.show) == {"inv-debt"}
}

# --- Registration --------------------------------------------------------

test_registration_under_consent_visible_only_with_consent if {
	# The debt counsellor registered under integrale-ondersteuning; the
	# mother never consented: not even a statute overview shows it.
	x := object.union(with_mother_consents([]), {"purpose": "vroegsignalering-schulden"})
	d := ketenbrug.decision with input as x
	allowed(d)
	shown(d, "inv-debt") == []
}

test_registration_without_purpose_withheld if {
	x := object.union(overview, {"candidates": [json.remove(candidates[0], ["purpose"])]})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {}
}

test_involvement_retention_is_policy_data if {
	ketenbrug.config.involvement_retention_days == 730
}

# --- Minors ---------------------------------------------------------------

# The child of the fixtures, with a date of birth instead of a year.
child_born(date, consents) := object.union(overview, {
	"subjects": {"p:kind": {"birth_date": date, "birth_year": null, "consents": consents}},
	"candidates": [candidate("inv-school", "p:kind", partner("school", "education"))],
})

without_year(x) := json.remove(x, ["subjects/p:kind/birth_year"])

test_sixteen_today_consents_themselves if {
	x := without_year(child_born("2010-11-22", [consent({"all": true})]))
	shown(ketenbrug.decision, "inv-school") == level2 with input as x
}

test_fifteen_until_the_birthday_needs_a_parent if {
	x := without_year(child_born("2010-11-23", [consent({"all": true})]))
	shown(ketenbrug.decision, "inv-school") == [] with input as x
	y := without_year(child_born("2010-11-23", [consent_by({"all": true}, "parent")]))
	shown(ketenbrug.decision, "inv-school") == level2 with input as y
}

test_birth_year_only_is_read_conservatively if {
	# Born in 2010: 16 this year, or 15 until the birthday. Without the date
	# the policy cannot tell, so it asks a parent (the stored data's rule).
	x := object.union(overview, {
		"subjects": {"p:kind": {"birth_year": 2010, "consents": [consent({"all": true})]}},
		"candidates": [candidate("inv-school", "p:kind", partner("school", "education"))],
	})
	shown(ketenbrug.decision, "inv-school") == [] with input as x
}

cjg_child(date, consents) := without_year(object.union(child_born(date, consents), {
	"candidates": [candidate("inv-cjg", "p:kind", partner("cjg", "youth"))],
}))

parent_youth := consent_by({"sectors": ["youth"], "explicit": true}, "parent")

own_youth := consent({"sectors": ["youth"], "explicit": true})

test_from_twelve_the_child_consents_too_in_youth_care if {
	shown(ketenbrug.decision, "inv-cjg") == [] with input as cjg_child("2013-01-01", [parent_youth])
	shown(ketenbrug.decision, "inv-cjg") == level2 with input as cjg_child("2013-01-01", [parent_youth, own_youth])
	shown(ketenbrug.decision, "inv-cjg") == [] with input as cjg_child("2013-01-01", [own_youth])
}

test_under_twelve_the_parent_alone if {
	shown(ketenbrug.decision, "inv-cjg") == level2 with input as cjg_child("2016-01-01", [parent_youth])
}

test_parent_and_guardian_are_distinct_givers if {
	"parent" in ketenbrug.config.consent.child_givers
	"guardian" in ketenbrug.config.consent.child_givers
	not "parent" in ketenbrug.config.consent.adult_givers
}

# --- Consent quality -------------------------------------------------------

test_consent_lasts_at_most_twelve_months if {
	last := debt_consent({"valid_from": "2025-11-23", "valid_until": "2027-12-31"})
	shown(ketenbrug.decision, "inv-debt") == level2 with input as with_mother_consents([last])
	gone := debt_consent({"valid_from": "2025-11-22", "valid_until": ""})
	shown(ketenbrug.decision, "inv-debt") == [] with input as with_mother_consents([gone])
}

# A leap day: given on 29 February, the consent counts through the 28th of
# February a year later, and not on the 1st of March.
leap_consent_on(day) := object.union(
	with_mother_consents([debt_consent({"valid_from": "2024-02-29", "valid_until": ""})]),
	{"now": concat("", [day, "T10:00:00Z"])},
)

test_consent_given_on_a_leap_day_lasts_twelve_months if {
	shown(ketenbrug.decision, "inv-debt") == level2 with input as leap_consent_on("2025-02-28")
	shown(ketenbrug.decision, "inv-debt") == [] with input as leap_consent_on("2025-03-01")
}

test_consent_without_evidence_does_not_count if {
	d := ketenbrug.decision with input as with_mother_consents([debt_consent({"evidence": false})])
	shown(d, "inv-debt") == []
}

test_consent_without_the_unconditional_record_does_not_count if {
	d := ketenbrug.decision with input as with_mother_consents([json.remove(debt_consent({}), ["not_conditional"])])
	shown(d, "inv-debt") == []
}

test_consent_to_all_covers_only_partners_known_then if {
	late := candidate("inv-new", "p:vader", object.union(partner("budgetcoach", "debt"), {"registered_at": "2026-03-01T00:00:00Z"}))
	x := object.union(overview, {"candidates": [late]})
	shown(ketenbrug.decision, "inv-new") == [] with input as x
	known := candidate("inv-new", "p:vader", partner("budgetcoach", "debt"))
	shown(ketenbrug.decision, "inv-new") == level2 with input as object.union(overview, {"candidates": [known]})
}

test_consent_to_all_without_registration_time_does_not_cover if {
	p := json.remove(partner("budgetcoach", "debt"), ["registered_at"])
	x := object.union(overview, {"candidates": [candidate("inv-new", "p:vader", p)]})
	shown(ketenbrug.decision, "inv-new") == [] with input as x
}
