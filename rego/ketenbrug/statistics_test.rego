# Tests of who may read the pilot's figures (statistics.read).
package ketenbrug_test

import data.ketenbrug

statistics_for(caller, municipality) := {
	"action": "statistics.read",
	"now": "2026-12-03T07:00:00Z",
	"caller": caller,
	"municipality": {"id": municipality, "level": 2},
}

analyst_leusden := {
	"partner": "gem-leusden", "sector": "municipality", "role": "analyst", "sub": "a.analist",
	"level": 2, "covenant": "2026-1", "municipalities": ["gem-leusden"],
}

test_analyst_reads_own_municipality if {
	d := ketenbrug.decision with input as statistics_for(analyst_leusden, "gem-leusden")
	d.allow
	"AVG art. 6 lid 1 sub e; AVG art. 5 lid 1 sub b en c; AVG art. 89 lid 1" in d.bases
}

test_analyst_not_another_municipality if {
	d := ketenbrug.decision with input as statistics_for(analyst_leusden, "gem-amersfoort")
	d.reasons == ["other_municipality"]
}

test_operator_reads_any_municipality if {
	op := {"partner": "operator", "sector": "other", "role": "operator", "sub": "operator", "level": 4, "municipalities": []}
	d := ketenbrug.decision with input as statistics_for(op, "gem-amersfoort")
	d.allow
}

test_region_privacy_office_reads_any_municipality if {
	fg := {
		"partner": "fg-regio", "sector": "other", "role": "privacy-officer", "sub": "fg.anna",
		"level": 4, "covenant": "2026-1", "municipalities": ["gem-leusden"],
	}
	office := object.union(statistics_for(fg, "gem-amersfoort"), {"relations": ["privacy-office"]})
	od := ketenbrug.decision with input as office
	allowed(od)

	# A partner's own privacy officer reads only its own municipalities.
	d := ketenbrug.decision with input as statistics_for(fg, "gem-amersfoort")
	d.reasons == ["other_municipality"]
}

test_other_roles_refused if {
	every role in ["connector", "professional", "coordinator"] {
		c := object.union(analyst_leusden, {"role": role})
		d := ketenbrug.decision with input as statistics_for(c, "gem-leusden")
		d.reasons == ["role_not_allowed"]
	}
}

# The analyst role reads nothing else: no action but statistics.read
# lists it.
test_analyst_in_no_other_action if {
	with_analyst := {name | some name, a in ketenbrug.config.actions; "analyst" in a.roles}
	with_analyst == {"statistics.read"}
}

test_analyst_refused_an_overview if {
	d := ketenbrug.decision with input as object.union(overview, {"caller": analyst_leusden, "relations": ["municipality"]})
	"role_not_allowed" in d.reasons
}

test_min_cell_default if {
	ketenbrug.config.statistics.min_cell == 10
}
