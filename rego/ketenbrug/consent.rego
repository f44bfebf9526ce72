package ketenbrug

# Consent (toestemming). For a purpose that rests on consent, a partner's
# involvement with a person is disclosed only under a consent of that person
# that counts today (see usable), for this purpose, and covers the partner:
# by its id, by its sector, or for all partners known when it was given.
# For special-category data (a sensitive sector: health, youth, wmo; or
# criminal-law data such as youth probation) only an explicit consent
# (a flag with evidence) that names the partner or the sector counts. A
# child under 16 cannot consent for themselves: a parent with parental
# authority, a guardian (voogd) or a legal representative consents for
# them; from 12, in youth and health, the child must consent too.

# The consents of each subject (pseudonym) that count today, for any
# purpose: not withdrawn, within their period (capped at the policy data's
# max_validity_months after valid_from), with their evidence recorded and
# the record that support was not made conditional on them (when the
# policy data requires those), given by someone who may give them for that
# subject: a parent, guardian or legal representative for a child under
# 16, the person or a legal representative otherwise. Evaluated once per
# subject.
usable_consents[p] := [k |
	some k in s.consents
	usable(k)
	k.given_by in givers[p]
] if {
	some p, s in input.subjects
}

# The consents a child gave themselves (given_by self): not enough on their
# own under 16, but from say_age on needed beside the parent's in the
# say_sectors (youth, health).
own_consents[p] := [k |
	some k in s.consents
	usable(k)
	k.given_by == "self"
] if {
	some p, s in input.subjects
}

givers[p] := {g | some g in config.consent.child_givers} if {
	some p, _ in input.subjects
	children[p]
}

givers[p] := {g | some g in config.consent.adult_givers} if {
	some p, _ in input.subjects
	not children[p]
}

usable(k) if {
	not k.withdrawn
	object.get(k, "valid_from", "") <= today
	within_max_validity(k)
	today <= end_of(object.get(k, "valid_until", ""))
	today <= plan_day(k)
	evidence_ok(k)
	not_conditional_ok(k)
}

evidence_ok(k) if k.evidence == true

evidence_ok(_) if config.consent.require_evidence != true

not_conditional_ok(k) if k.not_conditional == true

not_conditional_ok(_) if config.consent.require_not_conditional != true

# When a consent counts (usable): from valid_from through valid_until, as
# "" and a missing valid_until both mean "until withdrawn"; at most
# max_validity_months (within_max_validity); and, with ends_with_plan,
# never after the last day of the household's joint plan kept under the
# consent's purpose (its set end, or the day it closed) when it was
# recorded by that day (plan_day).
plan_day(k) := input.household.plan_ends if plan_bounds(k)

plan_day(k) := "9999-12-31" if not plan_bounds(k)

# A consent recorded after the plan's end is a new one, for what comes
# next: the old plan does not bound it.
plan_bounds(k) if {
	config.consent.ends_with_plan == true
	input.household.plan_ends != ""
	input.household.plan_purpose == k.purpose
	substring(object.get(k, "recorded_at", ""), 0, 10) <= input.household.plan_ends
}

end_of(until) := object.get({"": "9999-12-31"}, until, until)

# A consent counts at most max_validity_months: today it counts when it
# became valid on or after oldest_valid_from, the day after today's date
# that many months ago (given on 2025-11-23, it counts through 2026-11-22).
# The date is worked out once per question, so that each consent costs a
# string comparison, not date arithmetic.
within_max_validity(k) if object.get(k, "valid_from", "") >= oldest_valid_from

oldest_valid_from := sprintf("%04d-%02d-%02d", time.date(time.add_date(now_ns, 0, 0 - config.consent.max_validity_months, 1))) if is_number(config.consent.max_validity_months)

oldest_valid_from := "" if not is_number(config.consent.max_validity_months)

# Ages. With a date of birth (birth_date, YYYY-MM-DD) the age today is
# exact. With only a birth year (stored data from before birth_date) the
# age is known within a year, and every rule reads it to the person's
# protection: a subject counts as a child while they may still be under
# child_age, and as having a say while they may be say_age to child_age - 1.
exact_age[p] := time.diff(now_ns, time.parse_ns("2006-01-02", s.birth_date))[0] if {
	some p, s in input.subjects
	is_string(s.birth_date)
}

# [youngest, oldest] possible age.
age_range[p] := [a, a] if some p, a in exact_age

age_range[p] := [(this_year - s.birth_year) - 1, this_year - s.birth_year] if {
	some p, s in input.subjects
	not exact_age[p]
	is_number(s.birth_year)
}

# The subjects that count as children under child_age (16), who cannot
# consent themselves: by their (possible) age, or, with no date or year of
# birth, when their household role is "child".
children contains p if {
	some p, r in age_range
	r[0] < config.consent.child_age
}

children contains p if {
	some p, s in input.subjects
	not age_range[p]
	s.role == "child"
}

# The children who may be say_age (12) or older: in the say_sectors their
# own consent is needed beside the parent's. A child of unknown age
# counts (to their protection).
having_say contains p if {
	some p in children
	r := age_range[p]
	r[1] >= config.consent.say_age
}

having_say contains p if {
	some p in children
	not age_range[p]
}

# Consent k covers candidate c (an involvement): for special-category
# data (a sensitive sector, or criminal-law data) only an explicit consent
# (explicit: true, with evidence) that names the partner or its sector;
# otherwise by partner id, sector, or "all".
covers_candidate(k, c) if {
	special_candidate(c)
	k.explicit == true
	names(k, c.partner)
}

covers_candidate(k, c) if {
	not special_candidate(c)
	covers(k, c.partner)
}

names(k, p) if p.id in k.partners

names(k, p) if p.sector in k.sectors

# Consent k covers partner p (an object with id, sector and
# registered_at): by its id, by its sector, or for all partners. "All"
# covers the partners known when the consent was recorded, not those
# that joined later, and never a sensitive sector: a recipient in a
# sensitive sector needs an explicit consent that names it.
covers(k, p) if {
	names(k, p)
	not p.sector in sensitive_sectors
}

covers(k, p) if {
	names(k, p)
	p.sector in sensitive_sectors
	k.explicit == true
}

covers(k, p) if {
	k.all == true
	not p.sector in sensitive_sectors
	known_when_given(k, p)
}

known_when_given(k, p) if time.parse_rfc3339_ns(p.registered_at) <= time.parse_rfc3339_ns(k.recorded_at)

# Candidate c is covered, for purpose q, by a usable consent of its subject;
# a child with a say in a say_sector must have consented too.
consent_covers(c, q) if {
	some k in usable_consents[c.subject]
	k.purpose == q
	covers_candidate(k, c)
	not child_say_missing(c, q)
}

child_say_missing(c, q) if {
	having_say[c.subject]
	c.partner.sector in config.consent.say_sectors
	not own_consent_covers(c, q)
}

own_consent_covers(c, q) if {
	some k in own_consents[c.subject]
	k.purpose == q
	covers_candidate(k, c)
}

# The candidates whose subject consented validly, for the request's
# purpose, to the candidate's partner.
consented := {c.id | some c in input.candidates; consent_covers(c, input.purpose)}

# Subject p consented, validly and for the request's purpose, to partner r
# learning of them (a plan, an assignment, a match signal's recipient).
consents_to(p, r) if {
	some k in usable_consents[p]
	k.purpose == input.purpose
	covers(k, r)
	not recipient_say_missing(p, r)
}

recipient_say_missing(p, r) if {
	having_say[p]
	r.sector in config.consent.say_sectors
	not own_consent_to(p, r)
}

own_consent_to(p, r) if {
	some k in own_consents[p]
	k.purpose == input.purpose
	covers(k, r)
}

all_subjects_consent if subjects_consent_to(recipient)

# Every subject the request names consented to partner r learning of them;
# there must be at least one subject.
subjects_consent_to(r) if {
	count(object.get(input, "subjects", {})) > 0
	every p, _ in input.subjects {
		consents_to(p, r)
	}
}

# Shielded subjects (afgeschermd): their involvements are shown only to the
# partners and sectors the policy data names (data.shielded); by default
# none. When one member of a household is shielded, the household's other
# members are shielded from the same callers (overview.rego).
shield_exempt(p) if p.sector in config.shielded.visible_to_sectors

shield_exempt(p) if p.id in config.shielded.visible_to_partners

recipient_shield_exempt if shield_exempt(recipient)

# METADATA
# title: No consent for the recipient
# description: |
#   Under a consent purpose, a plan (read or write) or an assignment
#   discloses the subjects to a recipient (the caller for a plan, the target
#   of an assignment). Every subject the broker names must have
#   consented to that recipient, and there must be at least one subject.
# custom:
#   basis: AVG art. 6 lid 1 sub a
deny contains {"reason": "no_consent", "basis": basis_of(rego.metadata.rule())} if {
	action.disclosure in {"caller", "target"}
	consent_purpose
	not all_subjects_consent
}

# METADATA
# title: Shielded subject
# description: |
#   A plan or an assignment about a shielded person goes only to a
#   recipient the policy data names. The reason code does not say that the
#   person is shielded: that fact is itself protected.
# custom:
#   basis: AVG art. 5 lid 1 sub f; AVG art. 32
deny contains {"reason": "sector_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.disclosure in {"caller", "target"}
	not recipient_shield_exempt
	some s in input.subjects
	s.shielded == true
}
