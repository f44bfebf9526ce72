package ketenbrug

# Level 4: the joint household plan (gezamenlijk plan). The access rules of
# access.rego and consent.rego apply to its actions as to any other; the
# rules below add what is particular to it.
#
# Only the household's regisseur (the coordinator, as a person) changes or
# closes the plan; a partner that takes part (it has a work agreement in
# the open plan) reads it and updates the status of its own agreements. A
# change discloses the plan to every participant, so under a consent
# purpose every subject must have consented to each of them. When the
# coordinator closes the plan, access that rested on taking part in it
# ends: only the coordinator still reads it.

# The plan's participants: the partners with a work agreement in it.
plan_participants := object.get(input, ["plan", "participants"], [])

discloses_to_participants if action.participants == "disclosed"

# The caller takes part in the plan: as the household's coordinating
# partner, or as a partner with a work agreement in the open plan.
plan_participant if caller_coordinates

plan_participant if {
	input.plan.status == "open"
	some p in plan_participants
	p.id == input.caller.partner
}

# The participants whose sector may use the request's purpose.
# regal ignore:prefer-set-or-object-rule
participants_in_purpose := {p.id | some p in plan_participants; p.sector in purpose.sectors}

# The participants' levels count towards the effective level of a change:
# a partner that joined at level 3 cannot take part in a level 4 plan.
declared_levels contains object.get(p, "level", 0) if {
	discloses_to_participants
	some p in plan_participants
}

# METADATA
# title: Not taking part in the plan
# description: |
#   The plan is read, and an agreement's status updated, only by the
#   household's coordinating partner or a partner with a work agreement in
#   the open plan. When the plan is closed, access that rested on taking
#   part in it ends.
# custom:
#   basis: AVG art. 5 lid 1 sub c
deny contains {"reason": "not_participant", "basis": basis_of(rego.metadata.rule())} if {
	action.participation == "required"
	not plan_participant
}

# METADATA
# title: Only the regisseur changes the plan
# description: |
#   Goals and work agreements are changed, and the plan closed, only by the
#   household's coordinator (regisseur) as a person: one household, one
#   plan, one regisseur.
# custom:
#   basis: AVG art. 25 lid 2; AVG art. 32 lid 1
deny contains {"reason": "not_coordinator", "basis": basis_of(rego.metadata.rule())} if {
	action.coordinator_only == true
	not household_coordinator
}

# METADATA
# title: No consent for a participant
# description: |
#   Under a consent purpose, a change of the plan discloses it to every
#   participant: every subject must have consented to each of them.
# custom:
#   basis: AVG art. 6 lid 1 sub a
deny contains {"reason": "no_consent", "basis": basis_of(rego.metadata.rule())} if {
	discloses_to_participants
	consent_purpose
	some p in plan_participants
	not subjects_consent_to(p)
}

# METADATA
# title: Participant's sector not allowed for the purpose
# description: Every participant's sector must be one the purpose lists.
# custom:
#   basis: AVG art. 5 lid 1 sub b
deny contains {"reason": "sector_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	discloses_to_participants
	known_purpose
	some p in plan_participants
	not participants_in_purpose[p.id]
}

# METADATA
# title: Participant's covenant not signed
# description: |
#   Every participant must have signed a covenant version the policy
#   accepts (an organisational measure, not a legal basis).
# custom:
#   basis: AVG art. 24 lid 1; AVG art. 32 lid 1
deny contains {"reason": "covenant_not_signed", "basis": basis_of(rego.metadata.rule())} if {
	discloses_to_participants
	some p in plan_participants
	not covenant_accepted(p)
}

# METADATA
# title: Shielded subject in a plan with other partners
# description: |
#   A plan about a shielded person is shared only with participants the
#   policy data names (data.shielded). The reason does not say that the
#   person is shielded.
# custom:
#   basis: AVG art. 5 lid 1 sub f; AVG art. 32
deny contains {"reason": "sector_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	discloses_to_participants
	some s in input.subjects
	s.shielded == true
	some p in plan_participants
	not shield_exempt(p)
}

# METADATA
# title: Closing the plan
# description: |
#   Closing the plan ends the participants' access to it: it is never
#   blocked by the ambition level, so that access can always be ended.
# custom:
#   basis: AVG art. 5 lid 1 sub c en e
grants contains basis_of(rego.metadata.rule()) if input.action == "plan.close"
