package ketenbrug

# Match follow-ups (followup.*): a match signal to a household's
# coordinator opens a follow-up: the coordinator, or the professional the
# coordinator names as lead, gets in touch with the other partner by a due
# date (followups.due_working_days in the policy data, Dutch public
# holidays not counted) and closes it with an outcome from
# followups.outcomes. The broker escalates an overdue follow-up to the lead
# and the municipality's team lead, and cancels it when the involvements it
# was about end or the household's plan closes; those steps are audited
# but not asked here.
#
# The rules below decide who may see a follow-up, who may lead it and how
# it may end. The generic rules (roles, level, purpose, covenant, consent
# for a target) apply as to any other action, under the purpose the match
# signal was decided for.

# The caller is the follow-up's lead or coordinator, as a person.
followup_party(f) if followup_lead(f)

followup_party(f) if followup_coordinator(f)

followup_lead(f) if {
	f.lead_sub != ""
	f.lead_partner == input.caller.partner
	f.lead_sub == input.caller.sub
}

followup_coordinator(f) if {
	f.coordinator_sub != ""
	f.coordinator_partner == input.caller.partner
	f.coordinator_sub == input.caller.sub
}

# METADATA
# title: Not the follow-up's lead or coordinator
# description: |
#   A follow-up says that two professionals serve the same household. Only
#   its lead and the household's coordinator who received the match see it
#   or record its steps: to anyone else the broker answers as if it did not
#   exist.
# custom:
#   basis: AVG art. 5 lid 1 sub c; AVG art. 25 lid 2
deny contains {"reason": "not_followup_party", "basis": basis_of(rego.metadata.rule())} if {
	action.followup == "party"
	not followup_party(object.get(input, "followup", {}))
}

# METADATA
# title: Only the coordinator names the lead
# description: |
#   The coordinator (regisseur) decides who follows up a match: one
#   household, one regisseur. A lead cannot pass the follow-up on.
# custom:
#   basis: AVG art. 5 lid 1 sub c; AVG art. 25 lid 2
deny contains {"reason": "not_coordinator", "basis": basis_of(rego.metadata.rule())} if {
	action.followup == "coordinator"
	not followup_coordinator(object.get(input, "followup", {}))
}

# A person of the coordinator's own organisation may lead; so may a
# person of a partner that serves the household (a live involvement with
# a member), in a sector followups.lead_sectors lists. The generic rules
# add, for a lead of another partner, what any disclosure to a target
# needs: its sector in the purpose, its covenant and, under a consent
# purpose, every member's consent to it.
followup_lead_allowed if {
	input.followup.new_lead_sub != ""
	input.target.id == input.followup.coordinator_partner
}

followup_lead_allowed if {
	input.followup.new_lead_sub != ""
	input.followup.new_lead_serves == true
	input.target.sector in object.get(config, ["followups", "lead_sectors"], [])
}

# METADATA
# title: Lead not allowed
# description: |
#   The new lead of a follow-up is a named person of the coordinator's own
#   organisation, or of a partner that serves the household in a sector the
#   policy data lists (followups.lead_sectors).
# custom:
#   basis: AVG art. 5 lid 1 sub c
deny contains {"reason": "lead_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	input.action == "followup.reassign"
	not followup_lead_allowed
}

# METADATA
# title: Unknown outcome
# description: |
#   A follow-up is closed with one of the outcomes in the policy data
#   (followups.outcomes): a short code, never free text about the household.
# custom:
#   basis: AVG art. 5 lid 1 sub c
deny contains {"reason": "outcome_unknown", "basis": basis_of(rego.metadata.rule())} if {
	input.action == "followup.close"
	not object.get(config, ["followups", "outcomes", object.get(input.followup, "outcome", "")], false)
}

# A list of follow-ups shows those the caller leads or coordinates.
followups_shown := {f.id: ["followup"] |
	some f in object.get(input, "followups", [])
	followup_party(f)
}

show := followups_shown if {
	allow
	input.action == "followup.list"
}

# METADATA
# title: Closing a follow-up
# description: |
#   Closing ends the follow-up's processing: like cancelling an assignment
#   it is never blocked by the level or by consent, so that a lead can
#   always record how a match ended.
# custom:
#   basis: AVG art. 5 lid 1 sub c en e
grants contains basis_of(rego.metadata.rule()) if input.action == "followup.close"
