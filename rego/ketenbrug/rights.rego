package ketenbrug

# The data subject's rights the policy honours (issue 13): restriction of
# processing (AVG art. 18) and objection (AVG art. 21). The broker records
# each as a flag per person and purpose (restriction.record, lifted by
# restriction.lift) and passes, per subject, the active flags for the
# request's purpose (input.subjects[p].restrictions: id, kind, purpose).
# While a flag is active:
#   - overviews and match signals withhold the subject's involvements
#     (overview.rego: `not flagged_subjects[c.subject]` in `shown`);
#   - a plan or assignment action that discloses the subjects to a partner
#     (disclosure caller or target) is denied: restricted or objected;
#   - under an objection, registering an involvement of the subject is
#     denied (objected); under a restriction it is stored but withheld.
# Actions that end access (assignment.cancel, plan.close) disclose nothing
# and stay possible. The exceptions of art. 18 lid 2 (the person's consent,
# legal claims, the rights of others, an important public interest) and
# the compelling grounds of art. 21 lid 1 are not weighed here: the partner
# that weighs them lifts the flag.

# The subjects with an active restriction (art. 18) for the request's purpose.
restricted_subjects contains p if {
	some p, s in input.subjects
	some r in s.restrictions
	r.kind == "restriction"
	r.purpose == input.purpose
}

# The subjects with an active objection (art. 21) for the request's purpose.
objected_subjects contains p if {
	some p, s in input.subjects
	some r in s.restrictions
	r.kind == "objection"
	r.purpose == input.purpose
}

# Subjects whose involvements no overview or match signal shows.
flagged_subjects := restricted_subjects | objected_subjects

# The action discloses the subjects to a partner (plans, assignments).
discloses_subjects if action.disclosure in {"caller", "target"}

# METADATA
# title: Processing restricted
# description: |
#   The person asked for restriction of processing for this purpose (while
#   the accuracy is contested, the processing is unlawful, they need the
#   data for a legal claim, or an objection is weighed). Restricted data
#   are, apart from storage, not processed: no plan or assignment discloses
#   them, and overviews and match signals withhold them.
# custom:
#   basis: AVG art. 18 lid 1 en 2
deny contains {"reason": "restricted", "basis": basis_of(rego.metadata.rule())} if {
	discloses_subjects
	count(restricted_subjects) > 0
}

# METADATA
# title: Objection to processing
# description: |
#   The person objected to processing for this purpose on grounds of their
#   particular situation. The processing stops until the controller has
#   weighed compelling legitimate grounds and the flag is lifted: no plan
#   or assignment discloses them, and overviews and match signals withhold
#   them.
# custom:
#   basis: AVG art. 21 lid 1
deny contains {"reason": "objected", "basis": basis_of(rego.metadata.rule())} if {
	discloses_subjects
	count(objected_subjects) > 0
}

# METADATA
# title: Objection to registration
# description: |
#   The person objected to processing for this purpose: registering a new
#   or changed involvement of theirs under it (involvement.write) is
#   processing too, and is refused until the flag is lifted. Ending an
#   involvement passes no subject facts and stays possible. A restriction
#   (art. 18) does not refuse registration: art. 18 lid 2 allows storage,
#   and the stored involvement is withheld from every overview and match
#   signal while the flag is active.
# custom:
#   basis: AVG art. 21 lid 1
deny contains {"reason": "objected", "basis": basis_of(rego.metadata.rule())} if {
	action.registration == true
	count(objected_subjects) > 0
}

# METADATA
# title: Restriction or objection for an unknown purpose
# description: A restriction or objection names a purpose the policy knows.
# custom:
#   basis: AVG art. 5 lid 1 sub b
deny contains {"reason": "purpose_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	input.action == "restriction.record"
	not known_purpose
}

# METADATA
# title: Recording or lifting a restriction or objection (grant)
# description: |
#   The broker records the person's restriction or objection so that every
#   partner honours it, and lifts it when the partner that weighed it says
#   so (art. 18 lid 3: the person is told before).
# custom:
#   basis: AVG art. 18 lid 1 en 3; AVG art. 21 lid 1; AVG art. 12 lid 2
grants contains basis_of(rego.metadata.rule()) if input.action in {"restriction.record", "restriction.lift"}

# METADATA
# title: Reading restrictions and objections (grant)
# description: The person's own partners and the privacy officer read the flags to honour and supervise them.
# custom:
#   basis: AVG art. 18 lid 2; AVG art. 39 lid 1 sub b
grants contains basis_of(rego.metadata.rule()) if input.action == "restriction.read"
