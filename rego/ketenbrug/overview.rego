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

# Match signals in bulk
#
# A full-caseload sync asks one question for many new involvements at once
# instead of one per involvement and recipient (see README.md, "Match
# signals"). Its input has no caller, household or candidates; instead:
#   - input.recipients: the partners that could be told, by id, as callers
#     of role connector;
#   - input.signals: the households of the new involvements, each with its
#     facts (household, municipality, shielded: a member is shielded), the
#     partners that could be told (recipients: ids) and the new
#     involvements of its members (candidates);
#   - input.subjects: the facts of the candidates' subjects.
# The answer, signals, names per household and recipient the candidates
# that may be signalled, with their fields: exactly what the one-line
# question (input.caller the recipient, input.household the household,
# input.candidates the one involvement) answers in show. The rules below
# mirror that question rule for rule, sorted by what they depend on, so
# that each is worked out once per question: what depends on the
# recipient alone (signal_refused_callers), on the recipient and the
# household's place (signal_refused_in), on the candidate alone
# (signal_candidates), and on the recipient and the candidate
# (signal_fields). The household's coordinator is asked as its
# coordinator. The bulk form answers only while the action's settings are
# ones it mirrors (signal_settings_mirrored); otherwise it answers without
# signals and the broker asks per line. signals_test.rego holds the two
# forms to each other; a new rule about match signals belongs in both.

bulk_signal_question if is_array(input.signals)

# METADATA
# title: Match signals of a sync chunk, in bulk
# description: |
#   Per household and recipient, the new involvements the recipient may be
#   told about and the fields it may see: the answer of the one-line
#   match.signal question for each of them. A recipient the action refuses
#   (role, purpose, sector, covenant, level, municipality, area) gets
#   nothing; a candidate is signalled on the conditions of an overview:
#   covenant, sector and level of its partner, not shielded from the
#   recipient, consent to its partner and, except for the household's
#   coordinator, to the recipient under a consent purpose, registered
#   lawfully, no special-category data without the exception, no
#   restriction or objection.
# custom:
#   basis: the purpose's own basis (purposes.rego), as for one match signal
signals := {g.household.id: by_recipient |
	some i, g in input.signals
	place := signal_places[i]
	by_recipient := {r: shown |
		some r in g.recipients
		f := input.recipients[r]
		role := signal_role(r, place.coordinator)
		not signal_refused_callers[[r, role]]
		not signal_refused_at(f, role, place)
		effective := min({object.get(f, "level", 0), place.level})
		shown := {c.id: fields |
			some c in g.candidates
			signal_candidates[[i, c.id]]
			fields := signal_fields(effective, r, place, c)
			count(fields) > 0
		}
		count(shown) > 0
	}
	count(by_recipient) > 0
} if signal_settings_mirrored

# What the rules below read of each household of the question (by its
# index), worked out once: its municipality and that of the question (null
# when not given), the municipality's level (0 when not given), its area,
# its coordinator, whether a member is shielded, and its joint plan.
signal_places := {i: place |
	some i, g in input.signals
	h := g.household
	place := {
		"municipality": object.get(h, "municipality", null),
		"question_municipality": object.get(g, ["municipality", "id"], null),
		"level": object.get(g, ["municipality", "level"], 0),
		"area": object.get(h, "area", null),
		"coordinator": object.get(h, "coordinator_partner", null),
		"shielded": object.get(g, "shielded", false),
		"plan_purpose": object.get(h, "plan_purpose", null),
		"plan_ends": object.get(h, "plan_ends", null),
	}
}

# The action's settings the bulk form mirrors. An action with any other
# setting (relations, registration, assignment, follow-ups, ...) is asked
# per line, where every rule applies.
signal_mirrored_settings := {
	"name", "description", "roles", "min_level", "purpose", "disclosure",
	"covenant_exempt", "purpose_exempt_roles", "all_municipalities", "consent_purposes_only",
}

signal_settings_mirrored if {
	action.disclosure == "signal"
	every k, _ in action {
		k in signal_mirrored_settings
	}
}

# The bulk answer relies on the purpose's basis, as each signal does.
default signal_bases := []

signal_bases := [purpose_basis[input.purpose]] if {
	some by_recipient in signals
	count(by_recipient) > 0
}

# The role a recipient is asked in: the household's coordinator as
# coordinator, every other partner as connector.
signal_role(r, coordinator) := "coordinator" if coordinator == r

signal_role(r, coordinator) := "connector" if coordinator != r

# Recipients as partners, as caller_partner is for the caller.
signal_partners := {r: {"id": f.partner, "sector": f.sector, "registered_at": object.get(f, "registered_at", "")} |
	some r, f in input.recipients
}

# The recipients refused in a role, whatever the household: the deny rules
# of access.rego on the caller that apply to match.signal, one line each.
signal_refused_callers := {[r, role] |
	some r, f in input.recipients
	some role in ["connector", "coordinator"]
	signal_caller_refused(object.union(f, {"role": role}))
}

# "Role not allowed for the action".
signal_caller_refused(caller) if not signal_role_allowed(caller)

# "Purpose missing".
signal_caller_refused(caller) if {
	action.purpose == "required"
	not purpose_given
	not signal_purpose_exempt(caller)
}

# "Unknown purpose".
signal_caller_refused(_) if {
	action.purpose != "ignored"
	purpose_given
	not known_purpose
}

# "Role not allowed for the purpose".
signal_caller_refused(caller) if {
	known_purpose
	not signal_role_in_purpose(caller)
}

# "Consent only for consent purposes".
signal_caller_refused(_) if {
	action.consent_purposes_only
	known_purpose
	not consent_purpose
}

# "Caller's sector not allowed for the purpose".
signal_caller_refused(caller) if {
	known_purpose
	not signal_admitted_to_purpose(caller)
}

# "Covenant not signed".
signal_caller_refused(caller) if {
	not covenant_exempt
	not covenant_accepted(caller)
}

signal_role_allowed(caller) if caller.role in action.roles

signal_purpose_exempt(caller) if caller.role in action.purpose_exempt_roles

signal_role_in_purpose(caller) if caller.role in purpose.roles

signal_admitted_to_purpose(caller) if caller.sector in purpose.sectors

signal_admitted_to_purpose(caller) if {
	some d, partners in config.designations
	caller.partner in partners
	d in object.get(purpose, "caller_designations", [])
}

# The recipient f, asked in role, is refused for a household at place
# (signal_places): the deny rules of access.rego on the household's place,
# one line each.

# "Ambition level too low": the effective level is the lowest of the
# recipient's and the municipality's (effective_level).
signal_refused_at(f, _, place) if {
	action.min_level > 0
	min({object.get(f, "level", 0), place.level}) < action.min_level
}

# "Other municipality" (unless the role may act region-wide).
signal_refused_at(f, role, place) if {
	not signal_serves(f, place)
	not role in object.get(action, ["all_municipalities", "roles"], [])
}

# "Household and municipality disagree".
signal_refused_at(_, _, place) if {
	place.municipality != null
	place.question_municipality != null
	place.municipality != place.question_municipality
}

# "Other area".
signal_refused_at(f, _, place) if {
	f.area != ""
	place.area != null
	place.area != ""
	f.area != place.area
}

# The recipient's organisation serves the household's municipality and the
# municipality of the question (request_municipalities).
signal_serves(f, place) if {
	every m in {place.municipality, place.question_municipality} - {null} {
		m in f.municipalities
	}
}

# The candidates that may be signalled to somebody, by household index and
# candidate id: the conditions of `shown` that do not depend on the
# recipient.
signal_candidates := {[i, c.id] |
	some i, g in input.signals
	some c in g.candidates
	accepted_covenants[c.partner.covenant]
	show_sectors[c.partner.sector]
	place := signal_places[i]
	signal_registered_lawfully(place, c)
	not signal_special_withheld(c)
	not flagged_subjects[c.subject]
	signal_lawful_candidate(place, c)
}

# The fields of candidate c (a new involvement in the household at place)
# that a match signal to recipient r, at the effective level, may show: the
# conditions of `shown` that depend on the recipient.
signal_fields(effective, r, place, c) := level.fields if {
	level := signal_level(effective, c.partner.level)
	not signal_not_core(effective, c.partner)
	not signal_hidden(r, place.shielded, c.subject)
	signal_lawful_to(r, place, c.subject)
}

# The level settings for a candidate whose partner joined at level l
# (candidate_levels): the effective level, capped by l, for l in 1-4.
signal_level(effective, l) := config.levels[format_int(min([effective, k]), 10)] if {
	some k in numbers.range(1, 4)
	k == l
}

# At a level with core_partners_only, only core partners are shown
# (withheld_as_not_core).
signal_not_core(effective, p) if {
	signal_level(effective, p.level).core_partners_only == true
	not core_partner(p)
}

# The subject is hidden from the recipient (hidden): not described, or
# shielded (or in a household with a shielded member) unless the policy
# data names the recipient.
signal_hidden(_, _, p) if not input.subjects[p]

signal_hidden(r, _, p) if {
	input.subjects[p].shielded == true
	not signal_shield_exempt[r]
}

signal_hidden(r, household_shielded, p) if {
	household_shielded == true
	is_object(input.subjects[p])
	not signal_shield_exempt[r]
}

signal_shield_exempt contains r if {
	some r, p in signal_partners
	shield_exempt(p)
}

# The candidate may lawfully be signalled (lawful): under a statute,
# always; under consent, when its subject consented to its partner
# (signal_lawful_candidate) and, for a recipient other than the
# household's coordinator, to the recipient (signal_lawful_to).
signal_lawful_candidate(_, _) if statute_purpose

signal_lawful_candidate(h, c) if {
	consent_purpose
	signal_consent_covers(c, input.purpose, h)
}

signal_lawful_to(_, _, _) if statute_purpose

signal_lawful_to(r, place, _) if {
	consent_purpose
	place.coordinator == r
}

signal_lawful_to(r, place, p) if {
	consent_purpose
	place.coordinator != r
	signal_consents_to(p, signal_partners[r], place)
}

# The candidate was registered lawfully (registered_lawfully): under a
# statute purpose, or under a consent purpose with its subject's consent
# to its partner.
signal_registered_lawfully(_, c) if signal_purposes_by_basis.statute[c.purpose]

signal_registered_lawfully(h, c) if {
	signal_purposes_by_basis.consent[c.purpose]
	signal_consent_covers(c, c.purpose, h)
}

# The known purposes (in the data, with a basis rule) by the kind of their
# basis, worked out once.
signal_purposes_by_basis := {kind: {p |
	some p, x in config.purposes
	x.basis == kind
	purpose_basis[p]
} |
	some kind in ["statute", "consent"]
}

# Special-category data under a statute purpose without the exception
# (special_withheld).
signal_special_withheld(c) if {
	statute_purpose
	art9_candidate(c)
	not purpose_exception("art9")
}

signal_special_withheld(c) if {
	statute_purpose
	art10_candidate(c)
	not purpose_exception("art10")
}

# Consent, per household: the consents of consent.rego that count today
# (usable_consents, own_consents) and, with ends_with_plan, not after the
# end of household h's joint plan (plan_day, which reads input.household:
# the bulk question has one household per group instead).
signal_consents(p, h) := signal_usable_consents[p] if not signal_plan_ends(h)

signal_consents(p, h) := [k | some k in signal_usable_consents[p]; signal_within_plan(k, h)] if signal_plan_ends(h)

signal_own_consents(p, h) := signal_usable_own_consents[p] if not signal_plan_ends(h)

signal_own_consents(p, h) := [k | some k in signal_usable_own_consents[p]; signal_within_plan(k, h)] if signal_plan_ends(h)

# The household's joint plan has an end that may end consents.
signal_plan_ends(h) if {
	config.consent.ends_with_plan == true
	is_string(h.plan_ends)
	h.plan_ends != ""
}

# usable_consents and own_consents of consent.rego, worked out once for all
# the subjects of the question: the same conditions (usable, and given by
# someone who may give it for the subject), with the children and the
# children with a say taken once from consent.rego (looking one subject
# up in them would work out their ages again for every consent).
signal_usable_consents := {p: [k |
	some k in s.consents
	usable(k)
	k.given_by in signal_givers(p)
] |
	some p, s in input.subjects
}

signal_usable_own_consents := {p: [k |
	some k in s.consents
	usable(k)
	k.given_by == "self"
] |
	some p, s in input.subjects
}

# givers of consent.rego.
signal_givers(p) := {g | some g in config.consent.child_givers} if signal_children[p]

signal_givers(p) := {g | some g in config.consent.adult_givers} if not signal_children[p]

signal_children := children

signal_having_say := having_say

signal_within_plan(k, h) if not signal_plan_bounds(k, h)

signal_within_plan(k, h) if {
	signal_plan_bounds(k, h)
	today <= h.plan_ends
}

signal_plan_bounds(k, h) if {
	config.consent.ends_with_plan == true
	is_string(h.plan_ends)
	h.plan_ends != ""
	h.plan_purpose == k.purpose
	substring(object.get(k, "recorded_at", ""), 0, 10) <= h.plan_ends
}

# consent_covers, consents_to and their helpers, per household.
signal_consent_covers(c, q, h) if {
	some k in signal_consents(c.subject, h)
	k.purpose == q
	covers_candidate(k, c)
	not signal_child_say_missing(c, q, h)
}

signal_child_say_missing(c, q, h) if {
	signal_having_say[c.subject]
	c.partner.sector in config.consent.say_sectors
	not signal_own_consent_covers(c, q, h)
}

signal_own_consent_covers(c, q, h) if {
	some k in signal_own_consents(c.subject, h)
	k.purpose == q
	covers_candidate(k, c)
}

signal_consents_to(p, r, h) if {
	some k in signal_consents(p, h)
	k.purpose == input.purpose
	covers(k, r)
	not signal_recipient_say_missing(p, r, h)
}

signal_recipient_say_missing(p, r, h) if {
	signal_having_say[p]
	r.sector in config.consent.say_sectors
	not signal_own_consent_to(p, r, h)
}

signal_own_consent_to(p, r, h) if {
	some k in signal_own_consents(p, h)
	k.purpose == input.purpose
	covers(k, r)
}
