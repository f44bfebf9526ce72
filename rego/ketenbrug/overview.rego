package ketenbrug

# Overviews (household.overview, person.overview) and match signals
# (match.signal): which of the candidate involvements may be shown to the
# caller, and which fields of each. For a match signal the caller is the
# partner that would receive the signal and the candidate is the involvement
# just registered. A candidate is shown when all of these hold:
#   - its partner signed an accepted covenant version;
#   - the purpose may show its partner's sector (show_sectors);
#   - at the candidate's level (the effective level, capped by the level the
#     candidate's partner joined at) the partner may be shown: at a level
#     with core_partners_only, only core partners (by sector or id);
#   - its subject is not shielded, or the caller is named in data.shielded;
#   - under a consent purpose, its subject consented to its partner.
# Candidates that are not shown are simply withheld; the request itself is
# still allowed (an empty overview).

# The fields of each candidate that may be shown. Evaluated once per
# request; the sets it consults are too. Written for speed, as this runs on
# every overview request: complete rules with comprehensions (computed once
# and cached) and set lookups instead of partial rules and function calls,
# hence the Regal directives.
# regal ignore:prefer-set-or-object-rule
shown := {c.id: level.fields |
	some c in input.candidates
	accepted_covenants[c.partner.covenant]
	show_sectors[c.partner.sector]
	level := candidate_levels[c.partner.level]
	not withheld_as_not_core[c.id]
	not hidden[c.subject]
	lawful[c.id]
	not flagged_subjects[c.subject]
}

show_sectors := {s | some s in purpose.show_sectors}

# The level settings that apply to a candidate, by the level its partner
# joined at: the effective level, capped by the partner's own. A level
# outside 1-4 (or missing) has no settings, and its candidates are withheld.
# regal ignore:prefer-set-or-object-rule
candidate_levels := {l: config.levels[format_int(min([effective_level, l]), 10)] | some l in numbers.range(1, 4)}

# The candidates withheld at their level: at a level with
# core_partners_only, the candidates whose partner is not a core partner
# (by sector or id).
# regal ignore:prefer-set-or-object-rule
withheld_as_not_core := {c.id |
	count(closed_levels) > 0
	some c in input.candidates
	closed_levels[c.partner.level]
	not core_partner(c.partner)
}

# regal ignore:prefer-set-or-object-rule
closed_levels := {l | some l, level in candidate_levels; level.core_partners_only == true}

core_partner(p) if p.sector in config.core_partners.sectors

core_partner(p) if p.id in config.core_partners.partners

# The subjects the caller may not see: shielded ones, unless the caller is
# named in the policy data. A subject the input does not describe is hidden
# too.
hidden := {p | some p, s in input.subjects; s.shielded == true; not caller_shield_exempt} | {c.subject |
	some c in input.candidates
	not input.subjects[c.subject]
}

caller_shield_exempt if shield_exempt(caller_partner)

# The candidates that may lawfully be shown for the purpose: all under a
# statute, those whose subject consented to their partner under consent.
lawful := {c.id | some c in input.candidates} if statute_purpose

lawful := consented if {
	consent_purpose
	not signal_to_other_partner
}

# A match signal to a partner other than the household's coordinator also
# tells that partner about the subject: the subject must have consented to
# the recipient as well as to the candidate's partner. The coordinator is
# the one the consent for integrated support is given to.
# regal ignore:prefer-set-or-object-rule
lawful := {c.id |
	some c in input.candidates
	consented[c.id]
	consents_to(c.subject, caller_partner)
} if {
	consent_purpose
	signal_to_other_partner
}

signal_to_other_partner if {
	action.disclosure == "signal"
	not caller_coordinates
}

caller_coordinates if input.household.coordinator_partner == input.caller.partner

# Bases of the special cases an allowed overview relied on, in addition to
# the purpose's own basis.

# METADATA
# title: Consent given for a child
# description: A child under 16 was shown on the consent of a parent, guardian or legal representative.
# custom:
#   basis: UAVG art. 5 lid 1
grants contains basis_of(rego.metadata.rule()) if {
	consent_purpose
	count(shown_subjects & children) > 0
}

# METADATA
# title: Explicit consent for a sensitive sector
# description: An involvement in a sensitive sector (health) was shown on consent that names it explicitly.
# custom:
#   basis: AVG art. 9 lid 2 sub a
grants contains basis_of(rego.metadata.rule()) if {
	consent_purpose
	count(shown_sectors & sensitive_sectors) > 0
}

# METADATA
# title: Shielded subject shown to a named partner
# description: A shielded person's involvement was shown to a partner or sector the policy data names.
# custom:
#   basis: AVG art. 6 lid 1 sub e; Convenant Ketenbrug (afscherming)
grants contains basis_of(rego.metadata.rule()) if {
	some p in shown_subjects
	input.subjects[p].shielded == true
}

# The subjects and the partners' sectors an allowed overview shows.
# regal ignore:prefer-set-or-object-rule
shown_subjects := {c.subject | some c in shown_candidates}

# regal ignore:prefer-set-or-object-rule
shown_sectors := {c.partner.sector | some c in shown_candidates}

shown_candidates := [c | some c in input.candidates; shown[c.id]] if shows_candidates
