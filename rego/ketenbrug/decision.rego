# METADATA
# title: Ketenbrug decision
# description: |
#   The one policy question the broker asks per request. The input is the
#   broker's facts (broker.DecisionInput); the answer is the decision document
#   below. Rules deny with a stable reason code and the legal basis they rest
#   on (custom.basis of their METADATA); rules that grant contribute the legal
#   bases the broker audits. See README.md.
# scope: package
package ketenbrug

# METADATA
# title: The decision document
# description: |
#   allow: whether the request may proceed. reasons: the sorted, distinct
#   reason codes of a denial (never empty when allow is false). bases: the
#   legal bases the decision relied on. show: for overviews and match
#   signals, candidate id to the fields that may be shown; candidates not
#   named are withheld. An overview that is allowed but shows nothing
#   answers allow true with an empty show: the broker then shows an empty
#   overview. signals: only for the bulk match-signal question of a sync
#   (overview.rego), household to recipient to candidate id to fields.
# entrypoint: true
decision := {
	"allow": allow,
	"reasons": reasons,
	"bases": bases,
	"show": show,
} if not bulk_signal_question

# The bulk match-signal question of a sync chunk (overview.rego, "Match
# signals in bulk") is answered with signals: per household and recipient,
# the candidates that may be signalled. Without signals (an action setting
# the bulk form does not mirror) the broker asks per line.
decision := object.union(
	{"allow": true, "reasons": [], "bases": signal_bases, "show": {}},
	{"signals": s | s := signals},
) if bulk_signal_question

# A request is allowed when no rule denies it. Every rule that denies adds
# one element {"reason": code, "basis": legal basis} to deny.
default allow := false

allow if count(deny) == 0

reasons := sort({d.reason | some d in deny})

bases := sort(grants) if allow

bases := sort({d.basis | some d in deny}) if not allow

default show := {}

show := shown if {
	allow
	shows_candidates
}

# Overviews and match signals answer with the candidates that may be shown.
shows_candidates if action.disclosure in {"overview", "signal"}

# The legal basis in a rule's METADATA (custom.basis). A rule without one
# still works but reports "no basis annotated"; the Rego tests refuse that.
default basis_of(_) := "no basis annotated"

basis_of(md) := md.custom.basis

# The policy data (data.json at the bundle's root), namespaced under
# data.ketenbrug_config so that it never clashes with a rule. Regal cannot
# see data files, hence the directive.
# regal ignore:unresolved-reference
config := data.ketenbrug_config

# The action's entry in the policy data; undefined for unknown actions.
action := config.actions[input.action]

# The purpose's entry in the policy data; undefined when none or unknown.
purpose := config.purposes[input.purpose]

purpose_given if {
	is_string(input.purpose)
	input.purpose != ""
}

# Today (YYYY-MM-DD) and this year, from input.now (RFC 3339).
now_ns := time.parse_rfc3339_ns(input.now)

today := sprintf("%04d-%02d-%02d", time.date(now_ns))

this_year := time.date(now_ns)[0]

# The caller as a partner, so that rules about recipients treat the caller
# and a target alike.
caller_partner := {
	"id": input.caller.partner,
	"sector": input.caller.sector,
	"registered_at": object.get(input.caller, "registered_at", ""),
}

# The partner that learns about the subjects of a partner-to-partner action
# or of a plan.
recipient := caller_partner if action.disclosure == "caller"

recipient := input.target if action.disclosure == "target"

# The effective ambition level: the lowest of the caller's level, the
# municipality's and, for partner-to-partner actions, the target's. A level
# that is missing counts as 0.
effective_level := min(declared_levels)

declared_levels contains object.get(input, ["caller", "level"], 0)

declared_levels contains object.get(input, ["municipality", "level"], 0)

declared_levels contains object.get(input.target, "level", 0) if input.target

covenant_accepted(p) if accepted_covenants[p.covenant]

accepted_covenants := {v | some v in config.covenant.accepted}

# Sectors whose involvements reveal special categories of personal data
# (AVG art. 9: health above all; youth care and Wmo support reveal it too):
# health always, plus those the policy data lists.
sensitive_sectors := {"health"} | {s | some s in config.sensitive_sectors}

# Services whose involvements are criminal-law data (AVG art. 10), such as
# youth probation (jeugdreclassering), by service code.
criminal_law_services := {s | some s in object.get(config, "criminal_law_services", [])}

# An involvement (candidate) is special-category data when its partner's
# sector is sensitive (art. 9) or its service is criminal-law data (art. 10).
art9_candidate(c) if c.partner.sector in sensitive_sectors

art10_candidate(c) if c.service in criminal_law_services

special_candidate(c) if art9_candidate(c)

special_candidate(c) if art10_candidate(c)
