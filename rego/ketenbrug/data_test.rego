# Tests of the policy data itself (data.json): that it is complete and
# consistent with the rules and with the broker's vocabulary.
package ketenbrug_test

import data.ketenbrug

broker_actions := {
	"household.overview", "person.overview", "household.write", "household.list", "involvement.write",
	"consent.record", "consent.read", "consent.withdraw", "match.signal",
	"assignment.give", "assignment.receive", "assignment.accept", "assignment.decline",
	"assignment.complete", "assignment.cancel", "plan.read", "plan.write", "plan.status", "plan.close",
	"restriction.record", "restriction.read", "restriction.lift", "statistics.read",
	"followup.read", "followup.list", "followup.contact", "followup.close", "followup.reassign",
}

broker_roles := {"connector", "professional", "coordinator", "privacy-officer", "operator", "analyst"}

broker_sectors := {
	"municipality", "education", "work-income", "debt", "youth",
	"social-services", "wmo", "health", "other",
}

test_actions_are_the_brokers if {
	object.keys(ketenbrug.config.actions) == broker_actions
}

test_actions_are_well_formed if {
	every _, a in ketenbrug.config.actions {
		count(a.roles) > 0
		every r in a.roles {
			r in broker_roles
		}
		a.min_level in {0, 1, 2, 3, 4}
		a.purpose in {"required", "optional", "ignored"}
		object.get(a, "disclosure", "overview") in {"overview", "signal", "caller", "target"}
	}
}

test_required_levels if {
	ketenbrug.config.actions["match.signal"].min_level == 2
	ketenbrug.config.actions["assignment.give"].min_level == 3
	ketenbrug.config.actions["assignment.receive"].min_level == 3
	ketenbrug.config.actions["plan.read"].min_level == 4
	ketenbrug.config.actions["plan.write"].min_level == 4
}

test_every_purpose_has_an_annotated_basis if {
	every p, _ in ketenbrug.config.purposes {
		is_string(ketenbrug.purpose_basis[p])
		ketenbrug.purpose_basis[p] != "no basis annotated"
	}
	every p, _ in ketenbrug.purpose_basis {
		ketenbrug.config.purposes[p]
	}
}

test_required_purposes_and_their_basis if {
	ketenbrug.config.purposes["integrale-ondersteuning"].basis == "consent"
	ketenbrug.config.purposes.jeugdbescherming.basis == "statute"
	ketenbrug.config.purposes["vroegsignalering-schulden"].basis == "statute"
	ketenbrug.config.purposes["re-integratie"].basis == "statute"
	ketenbrug.purpose_basis["integrale-ondersteuning"] == "AVG art. 6 lid 1 sub a"
	contains(ketenbrug.purpose_basis.jeugdbescherming, "Jeugdwet")
	contains(ketenbrug.purpose_basis["vroegsignalering-schulden"], "Wet gemeentelijke schuldhulpverlening")
	contains(ketenbrug.purpose_basis["re-integratie"], "Participatiewet")
}

test_purposes_are_well_formed if {
	every _, p in ketenbrug.config.purposes {
		p.basis in {"consent", "statute"}
		every r in p.roles {
			r in broker_roles
		}
		every s in array.concat(p.sectors, p.show_sectors) {
			s in broker_sectors
		}
	}
}

test_levels_are_complete if {
	ketenbrug.config.levels["1"].fields == ["partner", "contact"]
	ketenbrug.config.levels["1"].core_partners_only == true
	object.keys(ketenbrug.config.levels) == {"1", "2", "3", "4"}
	every _, l in ketenbrug.config.levels {
		count(l.fields) > 0
		every f in l.fields {
			f in ketenbrug.config.fields
		}
		is_boolean(l.core_partners_only)
	}
}

test_sectors_are_the_brokers if {
	{s | some s in ketenbrug.config.sectors} == broker_sectors
	every s in array.flatten([
		ketenbrug.config.sensitive_sectors,
		ketenbrug.config.core_partners.sectors,
		ketenbrug.config.shielded.visible_to_sectors,
	]) {
		s in broker_sectors
	}
}

test_covenant_current_is_accepted if {
	ketenbrug.config.covenant.current in ketenbrug.config.covenant.accepted
}

test_audit_retention_is_set if {
	is_number(ketenbrug.config.audit_retention_days)
	ketenbrug.config.audit_retention_days >= 365
}

test_consent_givers if {
	ketenbrug.config.consent.child_age == 16
	not "self" in ketenbrug.config.consent.child_givers
	{"parent", "guardian"} & {g | some g in ketenbrug.config.consent.child_givers} == {"parent", "guardian"}
}

test_law_defaults if {
	ketenbrug.config.consent.say_age == 12
	{"youth", "health"} == {s | some s in ketenbrug.config.consent.say_sectors}
	ketenbrug.config.consent.max_validity_months == 12
	ketenbrug.config.consent.require_evidence == true
	ketenbrug.config.consent.require_not_conditional == true
	{"health", "wmo", "youth"} == {s | some s in ketenbrug.config.sensitive_sectors}
	"jeugdreclassering" in ketenbrug.config.criminal_law_services
	ketenbrug.config.shielded.visible_to_sectors == []
	ketenbrug.config.actions["involvement.write"].purpose == "required"
	ketenbrug.config.actions["household.write"].purpose == "required"
}

test_bsn_sectors_are_the_brokers if {
	every s in ketenbrug.config.bsn.sectors {
		s in broker_sectors
	}
}

# Every statute purpose stays within its own domain: health, education
# and Wmo are shown under none.
test_statute_purposes_stay_in_their_domain if {
	every _, p in ketenbrug.config.purposes {
		statute_shows_no_other_domain(p)
	}
}

statute_shows_no_other_domain(p) if p.basis == "consent"

statute_shows_no_other_domain(p) if {
	p.basis == "statute"
	every s in p.show_sectors {
		not s in {"health", "education", "wmo"}
	}
}

# The notices of the data subject's rights, read by the broker
# (broker/notices.go): how far back a correction reaches the partners that
# were shown an involvement (AVG art. 19), and who informs the person of a
# registration or a disclosure under a statute purpose (art. 14).
test_rights_notice_settings if {
	is_number(ketenbrug.config.rectification_notice_days)
	ketenbrug.config.rectification_notice_days >= 0
	ketenbrug.config.inform.responsible in {"coordinator", "municipality"}
}

# The follow-ups' settings are well formed; a partner sector whose match
# signals open a follow-up must be one whose professionals may lead it,
# or the coordinator could never name its person.
test_followup_settings_are_well_formed if {
	f := ketenbrug.config.followups
	every s in array.concat(f.lead_sectors, f.partner_sectors) {
		s in broker_sectors
	}
	every s in f.partner_sectors {
		s in f.lead_sectors
	}
	f.partner_min_level in {2, 3, 4}
	every d in f.closed_days {
		time.parse_ns("2006-01-02", d)
	}
}
