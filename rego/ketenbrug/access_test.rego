# Tests of who may do what: actions, roles, purposes, levels, the covenant
# and tenancy.
package ketenbrug_test

import data.ketenbrug

test_unknown_action_denied if {
	d := ketenbrug.decision with input as object.union(overview, {"action": "household.delete"})
	denied_for(d, "action_unknown")
}

test_missing_action_denied if {
	d := ketenbrug.decision with input as json.remove(overview, ["action"])
	denied_for(d, "action_unknown")
}

test_role_not_allowed_for_action if {
	d := ketenbrug.decision with input as object.union(overview, {"caller": {"role": "operator"}})
	denied_for(d, "role_not_allowed")
}

test_professional_overview_under_consent_denied if {
	x := object.union(overview, {"caller": professional})
	d := ketenbrug.decision with input as x
	d.reasons == ["role_not_allowed"]
}

test_professional_overview_under_statute_allowed if {
	x := object.union(overview, {"caller": professional, "purpose": "vroegsignalering-schulden"})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.bases == [wgs_basis]
}

test_professional_overview_as_regisseur_allowed if {
	x := object.union(overview, {
		"caller": professional,
		"household": {"coordinator_partner": "kredietbank", "coordinator_sub": "j.bakker"},
	})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_professional_of_regisseur_partner_but_other_person_denied if {
	x := object.union(overview, {
		"caller": professional,
		"household": {"coordinator_partner": "kredietbank", "coordinator_sub": "someone-else"},
	})
	d := ketenbrug.decision with input as x
	denied_for(d, "role_not_allowed")
}

test_purpose_missing if {
	d := ketenbrug.decision with input as json.remove(overview, ["purpose"])
	d.reasons == ["purpose_missing"]
}

test_purpose_empty_is_missing if {
	d := ketenbrug.decision with input as object.union(overview, {"purpose": ""})
	d.reasons == ["purpose_missing"]
}

test_unknown_purpose_not_allowed if {
	d := ketenbrug.decision with input as object.union(overview, {"purpose": "marketing"})
	d.reasons == ["purpose_not_allowed"]
}

test_purpose_in_data_without_basis_rule_not_allowed if {
	cfg := object.union(ketenbrug.config, {"purposes": {"nieuw-doel": {
		"basis": "statute", "roles": ["coordinator"],
		"sectors": ["municipality"], "show_sectors": ["debt"],
	}}})
	d := ketenbrug.decision with input as object.union(overview, {"purpose": "nieuw-doel"})
		with ketenbrug.config as cfg
	d.reasons == ["purpose_not_allowed"]
}

test_role_not_allowed_for_purpose if {
	x := object.union(overview, {"caller": professional, "purpose": "vroegsignalering-schulden"})
	cfg := object.union(ketenbrug.config, {"purposes": {"vroegsignalering-schulden": {"roles": ["coordinator"]}}})
	d := ketenbrug.decision with input as x with ketenbrug.config as cfg
	d.reasons == ["purpose_not_allowed"]
}

test_caller_sector_not_allowed_for_purpose if {
	x := object.union(overview, {"caller": professional, "purpose": "jeugdbescherming"})
	d := ketenbrug.decision with input as x
	d.reasons == ["sector_not_allowed"]
}

test_target_sector_not_allowed_for_purpose if {
	x := object.union(assignment, {"target": partner("school", "education"), "assignment": {"type": "intake"}})
	d := ketenbrug.decision with input as x
	d.reasons == ["sector_not_allowed"]
}

test_missing_target_denied if {
	d := ketenbrug.decision with input as json.remove(assignment, ["target"])
	denied_for(d, "sector_not_allowed")
}

test_assignment_allowed_at_level_3 if {
	d := ketenbrug.decision with input as object.union(assignment, {"municipality": {"level": 3}})
	allowed(d)
	d.bases == [wgs_basis]
}

test_assignment_needs_level_3 if {
	d := ketenbrug.decision with input as object.union(assignment, {"municipality": {"level": 2}})
	d.reasons == ["level_too_low"]
}

test_effective_level_is_the_lowest_of_municipality_and_caller if {
	d := ketenbrug.decision with input as object.union(assignment, {"caller": {"level": 2}})
	d.reasons == ["level_too_low"]
}

test_target_level_counts_for_assignments if {
	x := object.union(assignment, {"target": {"level": 2}})
	d := ketenbrug.decision with input as x
	d.reasons == ["level_too_low"]
}

# The debt counsellor's connector receives the assignment of the fixture.
assignment_receive := object.union(json.remove(assignment, ["target"]), {
	"action": "assignment.receive",
	"caller": object.union(professional, {"role": "connector"}),
})

test_assignment_receive_needs_level_3 if {
	d := ketenbrug.decision with input as object.union(assignment_receive, {"municipality": municipality(2)})
	d.reasons == ["level_too_low"]
}

test_assignment_receive_allowed if {
	d := ketenbrug.decision with input as object.union(assignment_receive, {"municipality": municipality(3)})
	allowed(d)
	d.bases == [wgs_basis]
}

test_assignment_receive_needs_a_purpose if {
	d := ketenbrug.decision with input as json.remove(assignment_receive, ["purpose"])
	d.reasons == ["purpose_missing"]
}

test_assignment_receive_in_another_municipality_denied if {
	x := object.union(assignment_receive, {"caller": {"municipalities": ["gem-amersfoort"]}})
	d := ketenbrug.decision with input as x
	d.reasons == ["other_municipality"]
}

test_plan_needs_level_4 if {
	d := ketenbrug.decision with input as object.union(plan_read, {"municipality": {"level": 3}})
	d.reasons == ["level_too_low"]
}

test_plan_write_allowed_at_level_4 if {
	d := ketenbrug.decision with input as object.union(plan_read, {"action": "plan.write"})
	allowed(d)
}

test_match_signal_needs_level_2 if {
	d := ketenbrug.decision with input as object.union(match_signal, {"municipality": {"level": 1}})
	d.reasons == ["level_too_low"]
}

test_match_signal_shows_the_new_involvement_at_level_2 if {
	to_uwv := [consent({"sectors": ["debt", "work-income"]})]
	d := ketenbrug.decision with input as object.union(match_signal, {"subjects": {"p:moeder": {"consents": to_uwv}}})
	allowed(d)
	d.show == {"inv-debt": level2}
}

test_match_signal_needs_consent_under_consent_purpose if {
	x := object.union(match_signal, {"subjects": {"p:moeder": {"consents": []}}})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {}
}

test_match_signal_needs_consent_to_the_recipient if {
	no_uwv := [consent({"sectors": ["debt"]})]
	x := object.union(match_signal, {"subjects": {"p:moeder": {"consents": no_uwv}}})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {}
}

test_match_signal_to_the_coordinator_needs_no_consent_to_the_municipality if {
	no_uwv := [consent({"sectors": ["debt"]})]
	x := object.union(match_signal, {
		"subjects": {"p:moeder": {"consents": no_uwv}},
		"caller": {"partner": "gem-leusden", "sector": "municipality", "role": "coordinator", "sub": "c.devries"},
		"household": {"coordinator_partner": "gem-leusden", "coordinator_sub": "c.devries"},
	})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.show == {"inv-debt": level2}
}

test_match_signal_recipient_level_counts if {
	d := ketenbrug.decision with input as object.union(match_signal, {"caller": {"level": 1}})
	d.reasons == ["level_too_low"]
}

test_match_signal_recipient_without_covenant_denied if {
	d := ketenbrug.decision with input as object.union(match_signal, {"caller": {"covenant": "2024-1"}})
	d.reasons == ["covenant_not_signed"]
}

test_overview_without_municipality_is_level_0 if {
	d := ketenbrug.decision with input as json.remove(overview, ["municipality"])
	d.reasons == ["level_too_low"]
}

test_caller_covenant_not_signed if {
	d := ketenbrug.decision with input as object.union(overview, {"caller": {"covenant": "2024-1"}})
	d.reasons == ["covenant_not_signed"]
}

test_caller_without_covenant_denied if {
	d := ketenbrug.decision with input as json.remove(overview, ["caller/covenant"])
	d.reasons == ["covenant_not_signed"]
}

test_target_covenant_not_signed if {
	d := ketenbrug.decision with input as object.union(assignment, {"target": {"covenant": ""}})
	d.reasons == ["covenant_not_signed"]
}

test_older_covenant_accepted_during_transition if {
	cfg := object.union(ketenbrug.config, {"covenant": {"accepted": ["2026-1", "2025-2"]}})
	d := ketenbrug.decision with input as object.union(overview, {"caller": {"covenant": "2025-2"}})
		with ketenbrug.config as cfg
	allowed(d)
}

test_consent_withdraw_never_blocked_by_covenant if {
	x := simple("consent.withdraw", "integrale-ondersteuning", object.union(professional, {"covenant": "2020-1"}))
	d := ketenbrug.decision with input as x
	allowed(d)
	d.bases == ["AVG art. 7 lid 3"]
}

test_other_municipality_household if {
	d := ketenbrug.decision with input as object.union(overview, {"household": {"municipality": "gem-utrecht"}})
	d.reasons == ["other_municipality"]
}

test_other_municipality_person_overview if {
	x := json.remove(
		object.union(overview, {"action": "person.overview", "municipality": {"id": "gem-utrecht"}}),
		["household"],
	)
	d := ketenbrug.decision with input as x
	d.reasons == ["other_municipality"]
}

test_caller_without_municipalities_denied if {
	d := ketenbrug.decision with input as json.remove(overview, ["caller/municipalities"])
	d.reasons == ["other_municipality"]
}

test_household_of_other_municipality_than_request if {
	x := object.union(overview, {
		"caller": {"municipalities": ["gem-leusden", "gem-amersfoort"]},
		"household": {"municipality": "gem-amersfoort"},
	})
	d := ketenbrug.decision with input as x
	d.reasons == ["other_municipality"]
}

test_other_area if {
	d := ketenbrug.decision with input as object.union(overview, {"household": {"area": "west"}})
	d.reasons == ["other_area"]
}

test_area_checked_only_when_both_known if {
	d := ketenbrug.decision with input as json.remove(overview, ["caller/area"])
	allowed(d)
}

test_household_write_by_coordinator if {
	x := {
		"action": "household.write", "purpose": "integrale-ondersteuning", "now": now, "caller": coordinator,
		"municipality": municipality(1), "household": household,
	}
	d := ketenbrug.decision with input as x
	allowed(d)
	d.bases == ["AVG art. 6 lid 1 sub a"]
}

test_household_write_needs_a_purpose if {
	x := {
		"action": "household.write", "now": now, "caller": coordinator,
		"municipality": municipality(1), "household": household,
	}
	d := ketenbrug.decision with input as x
	d.reasons == ["purpose_missing"]
}

test_household_write_by_professional_denied if {
	x := {
		"action": "household.write", "purpose": "integrale-ondersteuning", "now": now, "caller": professional,
		"municipality": municipality(1), "household": household,
	}
	d := ketenbrug.decision with input as x
	d.reasons == ["role_not_allowed"]
}

test_involvement_write_by_connector if {
	x := object.union(simple("involvement.write", "integrale-ondersteuning", object.union(professional, {"role": "connector"})), {"keyed_by": "bsn"})
	d := ketenbrug.decision with input as x
	allowed(d)
	d.bases == ["AVG art. 6 lid 1 sub a"]
}

test_involvement_write_needs_a_purpose if {
	x := simple("involvement.write", "", object.union(professional, {"role": "connector"}))
	d := ketenbrug.decision with input as x
	d.reasons == ["purpose_missing"]
}

test_involvement_write_under_a_statute_by_its_sectors_only if {
	debt := object.union(professional, {"role": "connector"})
	allowed(ketenbrug.decision) with input as simple("involvement.write", "vroegsignalering-schulden", debt)
	school := object.union(debt, {"partner": "school", "sector": "education"})
	d := ketenbrug.decision with input as simple("involvement.write", "vroegsignalering-schulden", school)
	d.reasons == ["sector_not_allowed"]
}

test_involvement_keyed_by_bsn_only_by_listed_sectors if {
	other := object.union(professional, {"role": "connector", "partner": "welzijn", "sector": "other"})
	x := object.union(simple("involvement.write", "integrale-ondersteuning", other), {"keyed_by": "bsn"})
	d := ketenbrug.decision with input as x
	d.reasons == ["bsn_not_allowed"]
	contains(d.bases[0], "Wet algemene bepalingen burgerservicenummer")
	cfg := object.union(ketenbrug.config, {"bsn": {"partners": ["welzijn"]}})
	allowed(ketenbrug.decision) with input as x with ketenbrug.config as cfg
}

test_bsn_sectors_are_policy_data if {
	not "other" in ketenbrug.config.bsn.sectors
	"municipality" in ketenbrug.config.bsn.sectors
}

test_involvement_write_by_coordinator_denied if {
	d := ketenbrug.decision with input as simple("involvement.write", "integrale-ondersteuning", coordinator)
	d.reasons == ["role_not_allowed"]
}

test_involvement_write_with_unknown_purpose_denied if {
	x := simple("involvement.write", "marketing", object.union(professional, {"role": "connector"}))
	d := ketenbrug.decision with input as x
	d.reasons == ["purpose_not_allowed"]
}

test_consent_record_by_professional if {
	d := ketenbrug.decision with input as consent_record
	allowed(d)
	d.bases == ["AVG art. 6 lid 1 sub a", "AVG art. 7 lid 1"]
}

test_consent_record_by_connector_denied if {
	d := ketenbrug.decision with input as object.union(consent_record, {"caller": {"role": "connector"}})
	d.reasons == ["role_not_allowed"]
}

test_consent_record_for_statute_purpose_denied if {
	d := ketenbrug.decision with input as object.union(consent_record, {"purpose": "jeugdbescherming"})
	d.reasons == ["purpose_not_allowed"]
}

test_consent_record_without_purpose_denied if {
	d := ketenbrug.decision with input as json.remove(consent_record, ["purpose"])
	d.reasons == ["purpose_missing"]
}

test_consent_read_by_privacy_officer_without_purpose if {
	x := simple("consent.read", "", object.union(professional, {"role": "privacy-officer"}))
	d := ketenbrug.decision with input as x
	allowed(d)
	d.bases == ["AVG art. 39 lid 1 sub b; AVG art. 15"]
}

test_consent_read_by_professional_needs_purpose if {
	d := ketenbrug.decision with input as simple("consent.read", "", professional)
	d.reasons == ["purpose_missing"]
}

test_consent_read_by_professional_with_purpose if {
	d := ketenbrug.decision with input as simple("consent.read", "jeugdbescherming", professional)
	allowed(d)
}

test_consent_withdraw_of_unknown_purpose_allowed if {
	d := ketenbrug.decision with input as simple("consent.withdraw", "oud-doel", professional)
	allowed(d)
}

# Missing facts deny: a rule never treats an absent fact as a pass.

test_missing_caller_role_denied if {
	d := ketenbrug.decision with input as json.remove(overview, ["caller/role"])
	denied_for(d, "role_not_allowed")
}

test_missing_caller_denied if {
	d := ketenbrug.decision with input as json.remove(overview, ["caller"])
	denied_for(d, "role_not_allowed")
	denied_for(d, "covenant_not_signed")
	denied_for(d, "other_municipality")
}

test_missing_caller_sector_denied if {
	d := ketenbrug.decision with input as json.remove(overview, ["caller/sector"])
	denied_for(d, "sector_not_allowed")
}

test_missing_target_sector_denied if {
	d := ketenbrug.decision with input as json.remove(assignment, ["target/sector"])
	denied_for(d, "sector_not_allowed")
}

test_missing_target_covenant_denied if {
	d := ketenbrug.decision with input as json.remove(assignment, ["target/covenant"])
	denied_for(d, "covenant_not_signed")
}

# Relations (purpose binding needs a relation to the household or person).

cjg_professional := {
	"partner": "cjg", "sector": "youth", "role": "professional", "sub": "m.jansen",
	"level": 4, "covenant": "2026-1", "municipalities": ["gem-leusden"],
}

# The municipality's debt counsellor (a professional of the debt sector).
debt_professional := object.union(professional, {"municipalities": ["gem-leusden"]})

test_statute_overview_without_relation_denied if {
	x := object.union(overview, {"caller": debt_professional, "purpose": "vroegsignalering-schulden", "relations": []})
	d := ketenbrug.decision with input as x
	d.reasons == ["no_relation"]
	d.show == {}
}

test_statute_overview_without_relations_field_denied if {
	x := json.remove(object.union(overview, {"caller": debt_professional, "purpose": "vroegsignalering-schulden"}), ["relations"])
	d := ketenbrug.decision with input as x
	d.reasons == ["no_relation"]
}

test_statute_overview_with_own_involvement_allowed if {
	x := object.union(overview, {"caller": debt_professional, "purpose": "vroegsignalering-schulden", "relations": ["involvement"]})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_statute_overview_with_open_assignment_allowed if {
	x := object.union(overview, {"caller": debt_professional, "purpose": "vroegsignalering-schulden", "relations": ["assignment"]})
	d := ketenbrug.decision with input as x
	allowed(d)
}

test_designated_partner_allowed_for_its_purpose_only if {
	cfg := object.union(ketenbrug.config, {"designations": {"gecertificeerde-instelling": ["cjg"]}})
	x := object.union(overview, {"caller": cjg_professional, "purpose": "jeugdbescherming", "relations": []})
	allowed(ketenbrug.decision) with input as x with ketenbrug.config as cfg
	y := object.union(overview, {"caller": cjg_professional, "purpose": "re-integratie", "relations": []})
	d := ketenbrug.decision with input as y with ketenbrug.config as cfg
	"no_relation" in d.reasons
}

test_municipality_relation_is_not_enough_for_an_overview if {
	x := object.union(overview, {"relations": ["municipality"]})
	d := ketenbrug.decision with input as x
	d.reasons == ["no_relation"]
}

test_unknown_purpose_is_not_also_no_relation if {
	x := object.union(overview, {"purpose": "marketing", "relations": []})
	d := ketenbrug.decision with input as x
	d.reasons == ["purpose_not_allowed"]
}

test_consent_read_without_relation_denied if {
	x := object.union(simple("consent.read", "integrale-ondersteuning", professional), {"relations": []})
	d := ketenbrug.decision with input as x
	d.reasons == ["no_relation"]
}

# The region's privacy office reads any person's consents; another
# partner's privacy officer only those of the persons its partner serves.
test_privacy_officer_reach_over_consents if {
	fg := object.union(professional, {"role": "privacy-officer", "sector": "other", "partner": "fg-regio"})
	allowed(ketenbrug.decision) with input as object.union(simple("consent.read", "", fg), {"relations": ["privacy-office"]})
	allowed(ketenbrug.decision) with input as object.union(simple("consent.read", "", fg), {"relations": ["involvement"]})
	d := ketenbrug.decision with input as object.union(simple("consent.read", "", fg), {"relations": ["municipality"]})
	d.reasons == ["no_relation"]
	y := object.union(simple("consent.read", "integrale-ondersteuning", professional), {"relations": ["privacy-office"]})
	e := ketenbrug.decision with input as y
	e.reasons == ["no_relation"]
}

test_consent_withdraw_without_relation_denied if {
	x := object.union(simple("consent.withdraw", "integrale-ondersteuning", coordinator), {"relations": []})
	d := ketenbrug.decision with input as x
	d.reasons == ["no_relation"]
}

test_consent_record_without_relation_denied if {
	d := ketenbrug.decision with input as object.union(consent_record, {"relations": []})
	d.reasons == ["no_relation"]
}

test_assignment_without_relation_denied if {
	d := ketenbrug.decision with input as object.union(assignment, {"relations": []})
	d.reasons == ["no_relation"]
}
