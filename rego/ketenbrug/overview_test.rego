# Tests of overviews: ambition levels, core partners, purposes' sectors,
# the covenant of candidates and shielded subjects.
package ketenbrug_test

import data.ketenbrug

# The household with explicit consents for the sensitive sectors too: the
# father for the WMO desk, the child (12) for the CJG by a parent and,
# having a say from 12 in youth care, by the child too.
explicit_overview := object.union(overview, {"subjects": {
	"p:vader": {"consents": [consent({"all": true}), consent({"sectors": ["wmo"], "explicit": true})]},
	"p:kind": {"consents": [
		consent_by({"all": true}, "parent"),
		consent_by({"sectors": ["youth"], "explicit": true}, "parent"),
		consent({"sectors": ["youth"], "explicit": true}),
	]},
}})

test_level_1_shows_core_partners_with_partner_and_contact if {
	d := ketenbrug.decision with input as object.union(explicit_overview, {"municipality": {"level": 1}})
	allowed(d)
	d.show == {"inv-wmo": level1, "inv-cjg": level1}
}

test_level_2_shows_all_partners_with_service_status_period if {
	d := ketenbrug.decision with input as explicit_overview
	d.show == {
		"inv-debt": level2, "inv-wmo": level2, "inv-uwv": level2,
		"inv-school": level2, "inv-cjg": level2,
	}
}

test_sensitive_sectors_need_explicit_consent if {
	d := ketenbrug.decision with input as overview
	d.show == {"inv-debt": level2, "inv-uwv": level2, "inv-school": level2}
}

test_caller_level_caps_municipality_level if {
	d := ketenbrug.decision with input as object.union(explicit_overview, {"municipality": {"level": 4}, "caller": {"level": 1}})
	d.show == {"inv-wmo": level1, "inv-cjg": level1}
}

test_candidate_partner_level_caps_its_fields if {
	x := object.union(explicit_overview, {"candidates": [candidate("inv-wmo", "p:vader", object.union(
		partner("wmo-loket", "wmo"),
		{"level": 1},
	))]})
	d := ketenbrug.decision with input as x
	d.show == {"inv-wmo": level1}
}

test_candidate_partner_without_level_withheld if {
	p := {"id": "wmo-loket", "sector": "wmo", "covenant": "2026-1"}
	x := object.union(overview, {"candidates": [candidate("inv-wmo", "p:vader", p)]})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {}
}

test_core_partner_by_id if {
	cfg := object.union(ketenbrug.config, {"core_partners": {"partners": ["kredietbank"]}})
	d := ketenbrug.decision with input as object.union(overview, {"municipality": {"level": 1}})
		with ketenbrug.config as cfg
	shown(d, "inv-debt") == level1
	shown(d, "inv-uwv") == []
}

test_field_lists_are_policy_data if {
	cfg := object.union(ketenbrug.config, {"levels": {"2": {"fields": ["partner", "service"]}}})
	d := ketenbrug.decision with input as overview with ketenbrug.config as cfg
	shown(d, "inv-debt") == ["partner", "service"]
}

test_purpose_limits_the_sectors_shown if {
	d := ketenbrug.decision with input as object.union(explicit_overview, {"purpose": "vroegsignalering-schulden"})
	d.show == {"inv-debt": level2}
	d2 := ketenbrug.decision with input as object.union(explicit_overview, {"purpose": "re-integratie"})
	d2.show == {"inv-uwv": level2}
}

test_candidate_without_covenant_withheld if {
	x := object.union(overview, {"candidates": [candidate("inv-debt", "p:moeder", object.union(
		partner("kredietbank", "debt"),
		{"covenant": "2024-1"},
	))]})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {}
}

test_candidate_of_unknown_subject_withheld if {
	x := object.union(overview, {"candidates": [candidate("inv-x", "p:onbekend", partner("uwv", "work-income"))]})
	d := ketenbrug.decision with input as object.union(x, {"purpose": "re-integratie"})
	allowed(d)
	d.show == {}
}

test_shielded_subject_hidden if {
	x := object.union(overview, {"subjects": {"p:moeder": {"shielded": true}}})
	d := ketenbrug.decision with input as x
	allowed(d)
	shown(d, "inv-debt") == []
}

# One member shielded: the household's other members are shielded from the
# same callers (the child's school would otherwise reveal the mother).
test_shielded_member_shields_the_household if {
	x := object.union(explicit_overview, {"subjects": {"p:moeder": {"shielded": true}}})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {}
}

test_shielded_household_shown_to_named_partner if {
	cfg := object.union(ketenbrug.config, {"shielded": {"visible_to_partners": ["gem-leusden"]}})
	x := object.union(overview, {"subjects": {"p:moeder": {"shielded": true}}})
	d := ketenbrug.decision with input as x with ketenbrug.config as cfg
	shown(d, "inv-school") == level2
}

test_no_sector_sees_shielded_persons_by_default if {
	ketenbrug.config.shielded.visible_to_sectors == []
}

test_shielded_subject_hidden_under_statute if {
	x := object.union(overview, {"purpose": "vroegsignalering-schulden", "subjects": {"p:moeder": {"shielded": true}}})
	d := ketenbrug.decision with input as x
	shown(d, "inv-debt") == []
}

test_shielded_subject_shown_to_named_sector if {
	cfg := object.union(ketenbrug.config, {"shielded": {"visible_to_sectors": ["social-services"]}})
	x := object.union(overview, {
		"caller": {"partner": "sociale-dienst", "sector": "social-services"},
		"subjects": {"p:moeder": {"shielded": true}},
		"plan": {"participants": [partner("sociale-dienst", "social-services")]},
	})
	d := ketenbrug.decision with input as x with ketenbrug.config as cfg
	shown(d, "inv-debt") == level2
	"AVG art. 6 lid 1 sub a" in d.bases
	every b in d.bases {
		not contains(b, "Convenant")
		not contains(b, "sub e")
	}
}

test_shielded_subject_shown_to_named_partner if {
	cfg := object.union(ketenbrug.config, {"shielded": {"visible_to_partners": ["gem-leusden"]}})
	x := object.union(overview, {"subjects": {"p:moeder": {"shielded": true}}})
	d := ketenbrug.decision with input as x with ketenbrug.config as cfg
	shown(d, "inv-debt") == level2
}

test_shielded_subject_not_assigned_to_other_partners if {
	x := object.union(assignment, {"subjects": {"p:moeder": {"shielded": true}}})
	d := ketenbrug.decision with input as x
	d.reasons == ["sector_not_allowed"]
}

test_shielded_subject_plan_for_named_sector if {
	cfg := object.union(ketenbrug.config, {"shielded": {"visible_to_sectors": ["social-services"]}})
	x := object.union(plan_read, {
		"purpose": "vroegsignalering-schulden",
		"caller": {"partner": "sociale-dienst", "sector": "social-services"},
		"subjects": {"p:moeder": {"shielded": true}},
		"plan": {"participants": [partner("sociale-dienst", "social-services")]},
	})
	d := ketenbrug.decision with input as x with ketenbrug.config as cfg
	allowed(d)
}

test_duplicate_candidates_agree if {
	x := object.union(overview, {"candidates": array.concat(candidates, [candidates[0]])})
	d := ketenbrug.decision with input as x
	shown(d, "inv-debt") == level2
}
