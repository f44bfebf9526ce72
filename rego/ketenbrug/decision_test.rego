# Tests of the decision document: its shape, the design example, and the
# promises every decision keeps (a denial has a reason, every basis is
# annotated).
package ketenbrug_test

import data.ketenbrug

# The example of DESIGN.md ("Policy contract"), with the caller's
# municipalities and relations added.
test_design_example if {
	x := {
		"action": "household.overview",
		"purpose": "integrale-ondersteuning",
		"now": "2026-11-22T19:00:00Z",
		"caller": {
			"partner": "gem-leusden", "sector": "municipality", "role": "coordinator", "sub": "c.devries",
			"level": 4, "covenant": "2026-1", "municipalities": ["gem-leusden"],
		},
		"municipality": {"id": "gem-leusden", "level": 2},
		"household": {"id": "hh-1042", "municipality": "gem-leusden", "area": "centrum"},
		"subjects": {
			"p:3f9a": {
				"label": "moeder", "role": "parent", "shielded": false,
				"consents": [{
					"purpose": "integrale-ondersteuning", "sectors": ["debt", "education"],
					"given_by": "self", "valid_from": "2026-06-02", "valid_until": "2027-06-01",
					"evidence": true, "not_conditional": true, "recorded_at": "2026-06-02T09:00:00Z",
				}],
			},
			"p:77c1": {"label": "kind 1", "role": "child", "birth_year": 2014, "consents": []},
		},
		"relations": ["coordinator"],
		"candidates": [{
			"id": "inv-1", "subject": "p:3f9a", "service": "schuldregeling", "status": "active",
			"purpose": "integrale-ondersteuning",
			"partner": {"id": "kredietbank", "sector": "debt", "level": 2, "covenant": "2026-1"},
		}],
	}
	ketenbrug.decision == {
		"allow": true,
		"reasons": [],
		"bases": ["AVG art. 6 lid 1 sub a"],
		"show": {"inv-1": ["partner", "contact", "service", "status", "period"]},
	} with input as x
}

# Inputs that are denied, one per reason code the policy can give.
denials := {
	"action_unknown": {"action": "household.delete", "now": now, "caller": coordinator},
	"role_not_allowed": object.union(overview, {"caller": {"role": "connector"}}),
	"purpose_missing": json.remove(overview, ["purpose"]),
	"purpose_not_allowed": object.union(overview, {"purpose": "marketing"}),
	"sector_not_allowed": object.union(assignment, {"target": partner("school", "education")}),
	"level_too_low": object.union(assignment, {"municipality": {"level": 2}}),
	"covenant_not_signed": object.union(overview, {"caller": {"covenant": "2024-1"}}),
	"other_municipality": object.union(overview, {"household": {"municipality": "gem-utrecht"}}),
	"other_area": object.union(overview, {"household": {"area": "west"}}),
	"no_consent": object.union(plan_read, {"subjects": {"p:moeder": {"consents": []}}}),
	"assignment_type_not_allowed": object.union(assignment, {"assignment": {"type": "tuinonderhoud"}}),
	"text_not_allowed": object.union(assignment, {"assignment": {"instruction_length": 12}}),
	"not_participant": object.union(plan_read, {"caller": object.union(professional, {"partner": "uwv"})}),
	"not_coordinator": object.union(plan_read, {"action": "plan.write", "caller": {"sub": "a.jansen"}}),
}

test_each_reason_code_denies if {
	every reason, x in denials {
		d := ketenbrug.decision with input as x
		denied_for(d, reason)
	}
}

test_denial_has_reasons_and_annotated_bases if {
	every x in denials {
		d := ketenbrug.decision with input as x
		count(d.reasons) > 0
		count(d.bases) > 0
		every b in d.bases {
			b != "no basis annotated"
		}
	}
}

test_every_deny_rule_is_annotated if {
	every x in denials {
		rules := ketenbrug.deny with input as x
		every r in rules {
			r.basis != "no basis annotated"
			is_string(r.reason)
		}
	}
}

test_reasons_are_sorted_and_distinct if {
	x := object.union(overview, {
		"caller": {"covenant": "2024-1", "area": "west"},
		"household": {"municipality": "gem-utrecht"},
	})
	d := ketenbrug.decision with input as x
	d.reasons == ["covenant_not_signed", "other_area", "other_municipality"]
}

test_allowed_overview_bases_are_annotated if {
	d := ketenbrug.decision with input as overview
	allowed(d)
	count(d.bases) > 0
	every b in d.bases {
		b != "no basis annotated"
	}
}

test_allow_with_nothing_visible_is_an_empty_overview if {
	x := object.union(overview, {"candidates": [candidate("inv-x", "p:moeder", partner("uwv", "work-income"))]})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {}
}

test_non_overview_shows_nothing if {
	d := ketenbrug.decision with input as assignment
	allowed(d)
	d.show == {}
}

test_decision_is_always_defined if {
	d := ketenbrug.decision with input as {}
	denied_for(d, "action_unknown")
}

test_missing_now_hides_consent_based_involvements if {
	d := ketenbrug.decision with input as json.remove(overview, ["now"])
	allowed(d)
	d.show == {}
}

test_rule_without_basis_is_reported if {
	ketenbrug.basis_of({"title": "no custom"}) == "no basis annotated"
	ketenbrug.basis_of({"custom": {"basis": "AVG"}}) == "AVG"
}
