# Tests of the bulk match-signal question of a sync chunk (overview.rego,
# "Match signals in bulk"): its answers are those of the one-line
# match.signal question, recipient by recipient and candidate by
# candidate, and it answers without signals when it cannot mirror the
# action's settings.
package ketenbrug_test

import data.ketenbrug

# A recipient as the broker describes it: as connector.
recipient(id, sector, level) := {
	"partner": id, "sector": sector, "role": "connector", "sub": "",
	"level": level, "covenant": "2026-1", "municipalities": ["gem-leusden"],
	"registered_at": "2025-06-01T08:00:00Z",
}

recipients := {
	"gem-leusden": recipient("gem-leusden", "municipality", 4),
	"uwv": recipient("uwv", "work-income", 4),
	"school": recipient("school", "education", 2),
	"ggd": recipient("ggd", "health", 4),
	"other-town": object.union(recipient("other-town", "debt", 4), {"municipalities": ["gem-amersfoort"]}),
	"no-covenant": object.union(recipient("no-covenant", "debt", 4), {"covenant": "2019-1"}),
}

# The fixtures' household as a group of a bulk question, with its new
# involvements (candidates) and every recipient above.
group(h, m, shielded) := {
	"household": h,
	"municipality": m,
	"shielded": shielded,
	"recipients": sort(object.keys(recipients)),
	"candidates": candidates,
}

# The same, smaller, for the tests that ask every answer both ways (each a
# decision of its own, and the tests must stay well inside opa test's time
# limit, also under Go's race detector): the coordinator, a partner with
# consent, one without, one of another municipality; two ordinary
# involvements and a child's in youth care (sensitive).
small_group(h, m, shielded) := object.union(group(h, m, shielded), {
	"recipients": ["gem-leusden", "other-town", "school", "uwv"],
	"candidates": [c | some c in candidates; c.id in {"inv-debt", "inv-uwv", "inv-cjg"}],
})

bulk(groups) := {
	"action": "match.signal",
	"purpose": "integrale-ondersteuning",
	"now": now,
	"recipients": recipients,
	"subjects": subjects,
	"signals": groups,
}

# The households of the tests: the fixtures' (municipality at level 2), at
# level 1 (core partners only), with a shielded member, with a plan that
# ended before today (the consents recorded before its end end with it),
# and in another municipality than the question's.
groups := [
	small_group(household, municipality(2), false),
	small_group(object.union(household, {"id": "hh-level-1"}), municipality(1), false),
	small_group(object.union(household, {"id": "hh-shielded"}), municipality(4), true),
	small_group(
		object.union(household, {"id": "hh-plan-ended", "plan_purpose": "integrale-ondersteuning", "plan_ends": "2026-06-30"}),
		municipality(4), false,
	),
	small_group(object.union(household, {"id": "hh-elsewhere"}), {"id": "gem-amersfoort", "level": 4}, false),
]

# The one-line question the broker asks about candidate c of group g for
# recipient r: the recipient as caller (the coordinator as coordinator),
# the candidate's subject alone, shielded when a member is.
one_line(q, g, r, c) := {
	"action": "match.signal",
	"purpose": q.purpose,
	"now": q.now,
	"caller": one_line_caller(q.recipients[r], g.household),
	"municipality": g.municipality,
	"household": g.household,
	"subjects": {c.subject: one_line_subject(q.subjects[c.subject], g.shielded)},
	"candidates": [c],
}

one_line_caller(f, h) := object.union(f, {"role": "coordinator", "sub": h.coordinator_sub}) if h.coordinator_partner == f.partner

one_line_caller(f, h) := f if h.coordinator_partner != f.partner

one_line_subject(s, true) := object.union(s, {"shielded": true})

one_line_subject(s, false) := s

# What the one-line question shows of c, or [] when it shows nothing.
one_line_fields(q, g, r, c) := fields if {
	d := ketenbrug.decision with input as one_line(q, g, r, c)
	fields := object.get(d.show, c.id, [])
	d.allow
}

one_line_fields(q, g, r, c) := [] if {
	d := ketenbrug.decision with input as one_line(q, g, r, c)
	not d.allow
}

# The cases where bulk and one line differ: none.
differences(q) := {[g.household.id, r, c.id, got, want] |
	d := ketenbrug.decision with input as q
	some g in q.signals
	some r in g.recipients
	some c in g.candidates
	got := object.get(d.signals, [g.household.id, r, c.id], [])
	want := one_line_fields(q, g, r, c)
	got != want
}

# Fields shown in bulk, over all households, recipients and candidates.
shown_count(q) := count([f |
	d := ketenbrug.decision with input as q
	some by_recipient in d.signals
	some by_candidate in by_recipient
	some f in by_candidate
])

test_bulk_equals_one_line_consent_purpose if {
	q := bulk(groups)
	differences(q) == set()
	shown_count(q) > 0
}

test_bulk_equals_one_line_statute_purpose if {
	q := object.union(bulk(groups), {"purpose": "re-integratie"})
	differences(q) == set()
	shown_count(q) > 0
}

test_bulk_equals_one_line_unknown_or_missing_purpose if {
	two := array.slice(groups, 0, 2)
	differences(object.union(bulk(two), {"purpose": "onbekend"})) == set()
	differences(object.remove(bulk(two), ["purpose"])) == set()
	shown_count(object.union(bulk(two), {"purpose": "onbekend"})) == 0
}

test_bulk_equals_one_line_with_a_restriction if {
	restricted := object.union(subjects, {"p:vader": object.union(subjects["p:vader"], {"restrictions": [{
		"id": "r-1", "kind": "restriction", "purpose": "integrale-ondersteuning",
	}]})})
	q := object.union(bulk(array.slice(groups, 0, 2)), {"subjects": restricted})
	differences(q) == set()
}

# The coordinator is told with the consent to the candidate's partner; a
# partner other than the coordinator only with the consent to itself too:
# the mother consented to debt, education and the municipality, so the
# school hears of her debt counsellor and UWV does not. A partner of
# another municipality, or without the covenant, hears nothing.
test_bulk_coordinator_and_partner if {
	d := ketenbrug.decision with input as bulk([group(household, municipality(2), false)])
	d.allow
	d.signals["hh-1042"]["gem-leusden"]["inv-debt"] == level2
	d.signals["hh-1042"].school["inv-debt"] == level2
	not d.signals["hh-1042"].uwv["inv-debt"]
	not d.signals["hh-1042"]["other-town"]
	not d.signals["hh-1042"]["no-covenant"]
}

# Match signals need level 2: a municipality at level 1 signals nobody.
test_bulk_level_1_signals_nobody if {
	d := ketenbrug.decision with input as bulk([group(household, municipality(1), false)])
	d.signals == {}
}

# Candidates whose partner joined at level 1 (core partners only, the
# fields of level 1), under both kinds of purpose.
test_bulk_candidate_partner_at_level_1 if {
	g0 := small_group(household, municipality(4), false)
	at1 := [object.union(c, {"partner": object.union(c.partner, {"level": 1})}) | some c in g0.candidates]
	g := object.union(g0, {"candidates": at1})
	differences(bulk([g])) == set()
	differences(object.union(bulk([g]), {"purpose": "re-integratie"})) == set()
}

test_bulk_shielded_member_hides_from_everyone if {
	d := ketenbrug.decision with input as bulk([group(household, municipality(2), true)])
	d.signals == {}
}

# An action setting the bulk rules do not mirror (here, relations): the
# policy answers without signals, and the broker asks per line.
test_bulk_declines_unmirrored_settings if {
	d := ketenbrug.decision with input as bulk(groups)
		with data.ketenbrug_config.actions["match.signal"].relations as {"*": ["involvement"]}
	d.allow
	not d.signals
}

test_bulk_answers_nothing_else if {
	d := ketenbrug.decision with input as bulk(groups)
	d.show == {}
	d.reasons == []
}
