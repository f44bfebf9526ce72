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
#   - its subject is not shielded, or the caller is named in data.shielded
#     (and no member of the household is shielded from the caller);
#   - under a consent purpose, its subject consented to its partner;
#   - it was registered lawfully: under a statute purpose, or under a
#     consent purpose with the subject's consent to its partner;
#   - special-category data (art. 9 sensitive sectors, art. 10 criminal-law
#     data) under a statute purpose only where the purpose names the
#     exception in the policy data.
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
	registered_lawfully[c.id]
	not special_withheld[c.id]
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
# named in the policy data; and when one member of the household is
# shielded, every member (a child's new school would otherwise reveal
# where the mother lives). A subject the input does not describe is hidden
# too.
hidden := ({p | some p, s in input.subjects; s.shielded == true; not caller_shield_exempt} | {c.subject |
	some c in input.candidates
	not input.subjects[c.subject]
}) | household_hidden

# regal ignore:prefer-set-or-object-rule
household_hidden := {p | some p, _ in input.subjects} if household_shielded_from_caller

household_hidden := set() if not household_shielded_from_caller

household_shielded_from_caller if {
	input.household
	some s in input.subjects
	s.shielded == true
	not caller_shield_exempt
}

# The candidates whose registration was lawful for the purpose it was
# registered under (the candidate's purpose): under a statute purpose, the
# statute; under a consent purpose, only while the subject's consent for
# that purpose covers the registering partner. A candidate registered
# without a purpose (stored before registration needed one) is withheld
# until its partner registers it again with one.
# regal ignore:prefer-set-or-object-rule
registered_lawfully := {c.id |
	some c in input.candidates
	config.purposes[c.purpose].basis == "statute"
	purpose_basis[c.purpose]
} | {c.id |
	some c in input.candidates
	config.purposes[c.purpose].basis == "consent"
	purpose_basis[c.purpose]
	consent_covers(c, c.purpose)
}

# Under a statute purpose, an involvement that is special-category data
# (AVG art. 9: a sensitive sector; art. 10: criminal-law data) is shown only
# when the purpose names the exception that allows it
# (purposes.<code>.special_categories.art9 / .art10); otherwise withheld.
# Under a consent purpose the explicit consent decides (consent.rego).
# regal ignore:prefer-set-or-object-rule
special_withheld := {c.id |
	statute_purpose
	some c in input.candidates
	art9_candidate(c)
	not purpose_exception("art9")
} | {c.id |
	statute_purpose
	some c in input.candidates
	art10_candidate(c)
	not purpose_exception("art10")
}

purpose_exception(article) if {
	e := purpose.special_categories[article]
	is_string(e)
	e != ""
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
# title: Explicit consent for special-category data
# description: |
#   An involvement in a sensitive sector (health, youth, wmo) was shown on
#   an explicit consent (flagged, with evidence) that names it.
# custom:
#   basis: AVG art. 9 lid 2 sub a
grants contains basis_of(rego.metadata.rule()) if {
	consent_purpose
	some c in shown_candidates
	art9_candidate(c)
}

# METADATA
# title: Explicit consent for criminal-law data
# description: |
#   A youth-probation (jeugdreclassering) involvement was shown on an
#   explicit consent that names it. AVG art. 10 leaves the exceptions to
#   national law; UAVG art. 32 sub a admits explicit consent.
# custom:
#   basis: AVG art. 10; UAVG art. 32 sub a
grants contains basis_of(rego.metadata.rule()) if {
	consent_purpose
	some c in shown_candidates
	art10_candidate(c)
}

# METADATA
# title: The statute's exception for special-category data
# description: |
#   Under a statute purpose, a special-category involvement was shown on
#   the exception the policy data names for the purpose
#   (purposes.<code>.special_categories); the decision records that
#   exception as its basis.
# custom:
#   basis: the exception named in purposes.<code>.special_categories
grants contains purpose.special_categories.art9 if {
	statute_purpose
	some c in shown_candidates
	art9_candidate(c)
}

grants contains purpose.special_categories.art10 if {
	statute_purpose
	some c in shown_candidates
	art10_candidate(c)
}

# METADATA
# title: Shielded subject shown to a named partner
# description: |
#   A shielded person's involvement was shown to a partner or sector the
#   policy data names. Shielding limits who sees; it is no basis of its
#   own: the disclosure rests on the purpose's basis (granted already).
# custom:
#   basis: the purpose's own basis (purposes.rego)
grants contains purpose_basis[input.purpose] if {
	some p in shown_subjects
	input.subjects[p].shielded == true
}

# The subjects and the partners' sectors an allowed overview shows.
# regal ignore:prefer-set-or-object-rule
shown_subjects := {c.subject | some c in shown_candidates}

shown_candidates := [c | some c in input.candidates; shown[c.id]] if shows_candidates
