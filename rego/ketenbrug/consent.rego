package ketenbrug

# Consent (toestemming). For a purpose that rests on consent, a partner's
# involvement with a person is disclosed only under a consent of that person
# that is valid today, not withdrawn, for this purpose, and covers the
# partner: by its id, by its sector, or for all partners. For a sensitive
# sector (health, and the sectors the policy data lists) only a consent that
# names the partner or the sector explicitly counts: "all" is not explicit
# consent. A child under 16 cannot consent for themselves: a parent,
# guardian (voogd) or legal representative consents for them.

# The consents of each subject (pseudonym) that are valid today for the
# request's purpose, given by someone who may give them for that subject:
# a parent, guardian or legal representative for a child, the person or a
# legal representative otherwise. Evaluated once per subject.
valid_consents[p] := valid_given_by(s, config.consent.child_givers) if {
	some p, s in input.subjects
	children[p]
}

valid_consents[p] := valid_given_by(s, config.consent.adult_givers) if {
	some p, s in input.subjects
	not children[p]
}

valid_given_by(s, givers) := [k |
	some k in s.consents
	k.purpose == input.purpose
	not k.withdrawn
	object.get(k, "valid_from", "") <= today
	today <= end_of(object.get(k, "valid_until", ""))
	k.given_by in givers
]

# The last day of a consent: valid_until, or (when it has none) the end of
# time, as "" and a missing valid_until both mean "until withdrawn".
end_of(until) := object.get({"": "9999-12-31"}, until, until)

# The subjects that count as children under 16: while that is possible from
# the birth year alone (this year minus the birth year is at most
# child_age), or, with no birth year, when their household role is "child".
children := {p |
	some p, s in input.subjects
	this_year - s.birth_year <= config.consent.child_age
} | {p |
	some p, s in input.subjects
	not s.birth_year
	s.role == "child"
}

# The candidates whose subject consented validly to the candidate's partner:
# by its id, by its sector, or for all partners (not for a sensitive
# sector).
consented := ({c.id |
	some c in input.candidates
	some k in valid_consents[c.subject]
	c.partner.id in k.partners
} | {c.id |
	some c in input.candidates
	some k in valid_consents[c.subject]
	c.partner.sector in k.sectors
}) | {c.id |
	some c in input.candidates
	not sensitive_sectors[c.partner.sector]
	some k in valid_consents[c.subject]
	k.all == true
}

# Consent k covers partner p (an object with id and sector).
covers(k, p) if p.id in k.partners

covers(k, p) if p.sector in k.sectors

covers(k, p) if {
	k.all == true
	not p.sector in sensitive_sectors
}

# Subject p consented, validly, to partner r learning of them.
consents_to(p, r) if {
	some k in valid_consents[p]
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
# partners and sectors the policy data names (data.shielded).
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
