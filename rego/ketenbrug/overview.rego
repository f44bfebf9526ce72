package ketenbrug

# Overviews (household.overview, person.overview): which of the candidate
# involvements may be shown, and which fields of each. A candidate is shown
# when all of these hold:
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
# request; the sets it consults are too. (Written for speed: set lookups
# instead of function calls, as this runs on every overview request.)
shown := {c.id: level.fields |
	some c in input.candidates
	accepted_covenants[c.partner.covenant]
	show_sectors[c.partner.sector]
	level := candidate_levels[c.partner.level]
	admitted[c.id]
	not hidden[c.subject]
	lawful[c.id]
}

show_sectors := {s | some s in purpose.show_sectors}

# The level settings that apply to a candidate, by the level its partner
# joined at: the effective level, capped by the partner's own. A level
# outside 1-4 (or missing) has no settings, and its candidates are withheld.
candidate_levels := {l: config.levels[format_int(min([effective_level, l]), 10)] | some l in numbers.range(1, 4)}

# The candidates whose partner may be shown at their level: all of them at
# a level without core_partners_only, only core partners (by sector or id)
# otherwise.
admitted := ({c.id | some c in input.candidates; candidate_levels[c.partner.level].core_partners_only == false} | {c.id |
	some c in input.candidates
	c.partner.sector in config.core_partners.sectors
}) | {c.id |
	some c in input.candidates
	c.partner.id in config.core_partners.partners
}

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

lawful := consented if consent_purpose

# Bases of the special cases an allowed overview relied on, in addition to
# the purpose's own basis.

# METADATA
# title: Consent given for a child
# description: A child under 16 was shown on the consent of a parent, guardian or legal representative.
# custom:
#   basis: UAVG art. 5 lid 1
grants contains basis_of(rego.metadata.rule()) if {
	consent_purpose
	some c in shown_candidates
	c.subject in children
}

# METADATA
# title: Explicit consent for a sensitive sector
# description: An involvement in a sensitive sector (health) was shown on consent that names it explicitly.
# custom:
#   basis: AVG art. 9 lid 2 sub a
grants contains basis_of(rego.metadata.rule()) if {
	consent_purpose
	some c in shown_candidates
	c.partner.sector in sensitive_sectors
}

# METADATA
# title: Shielded subject shown to a named partner
# description: A shielded person's involvement was shown to a partner or sector the policy data names.
# custom:
#   basis: AVG art. 6 lid 1 sub e; Convenant Ketenbrug (afscherming)
grants contains basis_of(rego.metadata.rule()) if {
	some c in shown_candidates
	input.subjects[c.subject].shielded == true
}

shown_candidates contains c if {
	action.disclosure == "overview"
	some c in input.candidates
	shown[c.id]
}
