package ketenbrug

# Who may do what: actions, roles, purposes, ambition levels, the covenant
# and tenancy. Every rule that denies adds {"reason", "basis"} to deny; the
# reason is one of the stable codes of broker/decision.go, the basis comes
# from the rule's METADATA.

# METADATA
# title: Unknown action
# description: An action the policy data does not describe is refused (privacy by default).
# custom:
#   basis: AVG art. 25 lid 2
deny contains {"reason": "action_unknown", "basis": basis_of(rego.metadata.rule())} if {
	not action
}

# METADATA
# title: Role not allowed for the action
# description: |
#   The caller's role must be one the action lists (need-to-know): access
#   by default only to what a role needs, as part of the security of the
#   processing.
# custom:
#   basis: AVG art. 25 lid 2; AVG art. 32 lid 1
deny contains {"reason": "role_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action
	not caller_role_allowed
}

# METADATA
# title: Professionals see an overview only under a statute or as the regisseur
# description: |
#   A professional may ask which partners serve a household or person only
#   for a purpose that rests on a statute, or as the household's own
#   coordinator (regisseur). Under a consent purpose the overview is for the
#   coordinator, whom the person agreed to.
# custom:
#   basis: AVG art. 5 lid 1 sub c; AVG art. 25 lid 2
deny contains {"reason": "role_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.disclosure == "overview"
	input.caller.role == "professional"
	not statute_purpose
	not household_coordinator
}

# METADATA
# title: No relation to the household or person
# description: |
#   Purpose binding needs a relation: a caller may ask about a household or
#   person only when it stands in one of the relations that the purpose (for
#   overviews) or the action (for consents and assignments) lists in the
#   policy data, such as an active involvement of its own partner with a
#   member, being the household's coordinator, an open assignment about
#   the household, or a designation the policy data grants its partner
#   (for example a certified youth-protection organisation). The broker
#   establishes the relations from its own records (input.relations). A
#   person the broker never saw has no relation either, so the answer
#   reveals nothing.
# custom:
#   basis: AVG art. 5 lid 1 sub b; AVG art. 5 lid 1 sub c
deny contains {"reason": "no_relation", "basis": basis_of(rego.metadata.rule())} if {
	needs_relation
	not has_relation
}

# The relations that suffice for this request: the action's own list for
# the caller's role (or its "*" list), or, for an action that takes them
# from its purpose, the purpose's list.
needed_relations := {r | some r in action.relations[input.caller.role]} if action.relations[input.caller.role]

needed_relations := {r | some r in action.relations["*"]} if {
	action.relations
	not action.relations[input.caller.role]
}

needed_relations := {r | some r in purpose.relations} if action.relations_from_purpose == true

needs_relation if action.relations

# A purpose that is missing or unknown is refused by its own rules; it
# lists no relations to check.
needs_relation if {
	action.relations_from_purpose == true
	known_purpose
}

has_relation if {
	some r in object.get(input, "relations", [])
	needed_relations[r]
}

has_relation if {
	some d in caller_designations
	needed_relations[concat(":", ["designation", d])]
}

# The designations the policy data grants the caller's partner, such as
# gecertificeerde-instelling (certified by the state to carry out child
# protection measures, Jeugdwet art. 3.4).
caller_designations contains d if {
	some d, partners in config.designations
	input.caller.partner in partners
}

# METADATA
# title: Purpose missing
# description: An action that discloses personal data needs a stated purpose (doelbinding).
# custom:
#   basis: AVG art. 5 lid 1 sub b
deny contains {"reason": "purpose_missing", "basis": basis_of(rego.metadata.rule())} if {
	action.purpose == "required"
	not purpose_given
	not purpose_exempt
}

# METADATA
# title: Unknown purpose
# description: A purpose the policy does not know (in the data and with a basis rule) is refused.
# custom:
#   basis: AVG art. 5 lid 1 sub b; AVG art. 6 lid 1
deny contains {"reason": "purpose_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.purpose != "ignored"
	purpose_given
	not known_purpose
}

# METADATA
# title: Role not allowed for the purpose
# description: The caller's role must be one the purpose lists.
# custom:
#   basis: AVG art. 5 lid 1 sub b
deny contains {"reason": "purpose_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.disclosure
	known_purpose
	not caller_role_in_purpose
}

# METADATA
# title: Consent only for consent purposes
# description: Consent (toestemming) is recorded only for a purpose that rests on consent.
# custom:
#   basis: AVG art. 6 lid 1 sub a; AVG art. 7 lid 1
deny contains {"reason": "purpose_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.consent_purposes_only
	known_purpose
	not consent_purpose
}

# METADATA
# title: Caller's sector not allowed for the purpose
# description: |
#   Only partners of the sectors the purpose lists may use it, and the
#   partners the purpose admits by designation (caller_designations: for
#   jeugdbescherming the certified youth-protection organisations). A
#   statute names who carries out its task; another partner cannot borrow
#   it. Registering an involvement under a purpose is a use of it too.
# custom:
#   basis: AVG art. 5 lid 1 sub b; AVG art. 6 lid 3
deny contains {"reason": "sector_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	uses_purpose
	known_purpose
	not caller_admitted_to_purpose
}

uses_purpose if action.disclosure

uses_purpose if action.registration == true

# METADATA
# title: Role not allowed to register under the purpose
# description: The caller's role must be one the purpose lists, also to register an involvement under it.
# custom:
#   basis: AVG art. 5 lid 1 sub b
deny contains {"reason": "purpose_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.registration == true
	known_purpose
	not caller_role_in_purpose
}

# METADATA
# title: No BSN for this partner
# description: |
#   Outside government bodies a BSN may be used only where a law
#   prescribes it (Wabb art. 1 onder d: a "gebruiker" other than a
#   government body uses the BSN only where its use is prescribed by or
#   under the law). Involvements are keyed by BSN, so only the sectors
#   and partners the policy data lists (bsn.sectors, bsn.partners) may
#   register them. The others are refused; see README section 7 for how
#   they are matched instead.
# custom:
#   basis: Wet algemene bepalingen burgerservicenummer art. 1 onder d; UAVG art. 46
deny contains {"reason": "bsn_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.registration == true
	input.keyed_by == "bsn"
	not bsn_user
}

bsn_user if input.caller.sector in config.bsn.sectors

bsn_user if input.caller.partner in config.bsn.partners

# METADATA
# title: Target's sector not allowed for the purpose
# description: |
#   An assignment discloses the household to its target: the target's
#   sector must be one the purpose lists. A missing target is refused too.
# custom:
#   basis: AVG art. 5 lid 1 sub b
deny contains {"reason": "sector_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.disclosure == "target"
	known_purpose
	not target_sector_in_purpose
}

# METADATA
# title: Ambition level too low
# description: |
#   The effective level (the lowest of the municipality's, the caller's and
#   a target's) must reach the action's min_level: assignments need 3, the
#   joint plan 4, match signals 2.
# custom:
#   basis: AVG art. 5 lid 1 sub c; AVG art. 25 lid 2
deny contains {"reason": "level_too_low", "basis": basis_of(rego.metadata.rule())} if {
	action.min_level > 0
	effective_level < action.min_level
}

# METADATA
# title: Covenant not signed
# description: |
#   The caller's organisation (and a target's) must have signed a covenant
#   version the policy accepts. The covenant is no legal basis: it is one
#   of the organisational measures by which every partner shows that it
#   processes according to the rules and keeps the data secure.
#   Withdrawing a consent is never blocked.
# custom:
#   basis: AVG art. 24 lid 1; AVG art. 32 lid 1
deny contains {"reason": "covenant_not_signed", "basis": basis_of(rego.metadata.rule())} if {
	action
	not covenant_exempt
	not covenant_signed
}

# METADATA
# title: Other municipality
# description: |
#   A caller sees only households and municipalities its organisation
#   serves (tenancy): the household's municipality and the request's
#   municipality must be among the caller's municipalities, and agree.
#   An action may name callers who supervise the whole region
#   (actions.<action>.all_municipalities: roles, or relations such as the
#   region's privacy office); for them any municipality counts.
# custom:
#   basis: AVG art. 5 lid 1 sub b en c
deny contains {"reason": "other_municipality", "basis": basis_of(rego.metadata.rule())} if {
	not serves_request_municipalities
	not region_wide_caller
}

# The caller may act for every municipality of the region in this action.
region_wide_caller if input.caller.role in action.all_municipalities.roles

region_wide_caller if {
	some r in object.get(input, "relations", [])
	r in action.all_municipalities.relations
}

# METADATA
# title: Household and municipality disagree
# description: The household must belong to the municipality the request is about.
# custom:
#   basis: AVG art. 5 lid 1 sub b
deny contains {"reason": "other_municipality", "basis": basis_of(rego.metadata.rule())} if {
	count(request_municipalities) > 1
}

# METADATA
# title: Other area
# description: |
#   Need-to-know within a municipality: when both the caller's area and the
#   household's area are known, they must be the same (gebiedsteam).
# custom:
#   basis: AVG art. 5 lid 1 sub c
deny contains {"reason": "other_area", "basis": basis_of(rego.metadata.rule())} if {
	input.caller.area != ""
	input.household.area != ""
	input.caller.area != input.household.area
}

# Positive helper rules. A deny rule negates a rule without arguments, never
# a call or a membership test on the input (`not input.x in y`): OPA
# evaluates those as undefined, not true, when input.x is missing, and the
# denial would silently not fire.

caller_role_allowed if input.caller.role in action.roles

purpose_exempt if input.caller.role in action.purpose_exempt_roles

caller_role_in_purpose if input.caller.role in purpose.roles

caller_admitted_to_purpose if input.caller.sector in purpose.sectors

caller_admitted_to_purpose if {
	some d in caller_designations
	d in object.get(purpose, "caller_designations", [])
}

target_sector_in_purpose if input.target.sector in purpose.sectors

target_sector_in_purpose if {
	some d, partners in config.designations
	input.target.id in partners
	d in object.get(purpose, "caller_designations", [])
}

covenant_exempt if action.covenant_exempt == true

# The caller, and a target when there is one, signed an accepted covenant.
covenant_signed if {
	covenant_accepted(input.caller)
	not target_without_covenant
}

target_without_covenant if {
	input.target
	not target_covenant_accepted
}

target_covenant_accepted if covenant_accepted(input.target)

# The caller's organisation serves every municipality the request is about.
serves_request_municipalities if {
	every m in request_municipalities {
		m in input.caller.municipalities
	}
}

# The caller is the household's coordinator (regisseur), as a person.
household_coordinator if {
	input.household.coordinator_partner != ""
	input.household.coordinator_sub != ""
	input.household.coordinator_partner == input.caller.partner
	input.household.coordinator_sub == input.caller.sub
}

# The municipalities a request is about.
request_municipalities contains input.household.municipality

request_municipalities contains input.municipality.id

# Grants: the legal bases of allowed requests. The purpose's basis counts
# for every action that states one; the rules below add the basis of
# actions that need none, and of the special cases an overview relied on
# (overview.rego).

# METADATA
# title: The request's purpose
# description: |
#   An allowed request that states a purpose relies on that purpose's legal
#   basis, taken from the purpose's rule in purposes.rego.
grants contains purpose_basis[input.purpose] if action.purpose != "ignored"

# Registering a household (household.write) and an involvement
# (involvement.write) need a purpose and rest on that purpose's basis
# (granted above): under integrale-ondersteuning on consent, under a
# statute purpose on the statute. No rule of their own grants a basis.

# METADATA
# title: Recording a consent
# description: The broker records consent so that it can be demonstrated.
# custom:
#   basis: AVG art. 7 lid 1
grants contains basis_of(rego.metadata.rule()) if input.action == "consent.record"

# METADATA
# title: Withdrawing a consent
# description: Withdrawing consent must be as easy as giving it; it is never blocked by the covenant.
# custom:
#   basis: AVG art. 7 lid 3
grants contains basis_of(rego.metadata.rule()) if input.action == "consent.withdraw"

# METADATA
# title: The privacy officer reads consents
# description: The data-protection officer reads consents to supervise and to answer access requests.
# custom:
#   basis: AVG art. 39 lid 1 sub b; AVG art. 15
grants contains basis_of(rego.metadata.rule()) if {
	input.action == "consent.read"
	input.caller.role == "privacy-officer"
}

# Receiving an assignment rests on the purpose it is given for (granted
# above).
