# Shared fixtures of the policy tests: a household in Leusden, its members
# (as pseudonyms), their consents and the partners that serve them.
package ketenbrug_test

now := "2026-11-22T19:00:00Z"

coordinator := {
	"partner": "gem-leusden",
	"sector": "municipality",
	"role": "coordinator",
	"sub": "c.devries",
	"level": 4,
	"covenant": "2026-1",
	"municipalities": ["gem-leusden"],
	"area": "centrum",
	"registered_at": "2025-06-01T08:00:00Z",
}

professional := {
	"partner": "kredietbank",
	"sector": "debt",
	"role": "professional",
	"sub": "j.bakker",
	"level": 4,
	"covenant": "2026-1",
	"municipalities": ["gem-leusden", "gem-amersfoort"],
	"registered_at": "2025-06-01T08:00:00Z",
}

household := {
	"id": "hh-1042",
	"municipality": "gem-leusden",
	"area": "centrum",
	"coordinator_partner": "gem-leusden",
	"coordinator_sub": "c.devries",
}

municipality(level) := {"id": "gem-leusden", "level": level}

# A partner registered in mid-2025, before every consent of the fixtures.
partner(id, sector) := {
	"id": id, "sector": sector, "level": 4, "covenant": "2026-1",
	"registered_at": "2025-06-01T08:00:00Z",
}

# A consent for integrale-ondersteuning from 2026-01-01 (so, at most twelve
# months, through 2026-12-31), given by the person themselves, recorded
# with its evidence and with the record that support was not made
# conditional on it, with the scope in scope (all, sectors or partners).
consent(scope) := object.union(
	{
		"id": "c-1",
		"purpose": "integrale-ondersteuning",
		"given_by": "self",
		"valid_from": "2026-01-01",
		"valid_until": "2027-12-31",
		"withdrawn": false,
		"evidence": true,
		"not_conditional": true,
		"recorded_at": "2026-01-01T10:00:00Z",
	},
	scope,
)

consent_by(scope, giver) := object.union(consent(scope), {"given_by": giver})

subject(role, birth_year, consents) := {
	"label": role,
	"role": role,
	"birth_year": birth_year,
	"shielded": false,
	"consents": consents,
}

# The household: a mother with consent for debt, education and the
# municipality, a father
# with consent for all partners, and a child of 12 whose parent consented
# for all partners.
subjects := {
	"p:moeder": subject("parent", 1988, [consent({"sectors": ["debt", "education", "municipality"]})]),
	"p:vader": subject("parent", 1985, [consent({"all": true})]),
	"p:kind": subject("child", 2014, [consent_by({"all": true}, "parent")]),
}

# An involvement registered for integrale-ondersteuning (so shown only
# while its subject's consent covers its partner).
candidate(id, subj, p) := {
	"id": id,
	"subject": subj,
	"service": "dienst",
	"status": "active",
	"partner": p,
	"purpose": "integrale-ondersteuning",
}

candidates := [
	candidate("inv-debt", "p:moeder", partner("kredietbank", "debt")),
	candidate("inv-wmo", "p:vader", partner("wmo-loket", "wmo")),
	candidate("inv-uwv", "p:vader", partner("uwv", "work-income")),
	candidate("inv-ggd", "p:vader", partner("ggd", "health")),
	candidate("inv-school", "p:kind", partner("school", "education")),
	candidate("inv-cjg", "p:kind", partner("cjg", "youth")),
]

# A household overview for integrale-ondersteuning at level 2.
overview := {
	"action": "household.overview",
	"purpose": "integrale-ondersteuning",
	"now": now,
	"caller": coordinator,
	"municipality": municipality(2),
	"household": household,
	"subjects": subjects,
	"candidates": candidates,
	"relations": ["coordinator"],
}

level2 := ["partner", "contact", "service", "status", "period"]

level1 := ["partner", "contact"]

# The fields shown of candidate id, or [] when it is withheld.
shown(d, id) := object.get(d.show, id, [])

# An assignment from the coordinator to the debt counsellor about the
# household, for early detection of debts (a statute purpose), at level 4.
assignment := {
	"action": "assignment.give",
	"purpose": "vroegsignalering-schulden",
	"now": now,
	"caller": coordinator,
	"municipality": municipality(4),
	"household": household,
	"subjects": subjects,
	"target": partner("kredietbank", "debt"),
	"assignment": {"type": "schuldenoverzicht", "instruction_length": 0, "text_length": 0},
	"relations": ["coordinator"],
}

# May the work coach of UWV (as connector) receive a match signal about the
# debt counsellor's new involvement with the mother? Level 2.
match_signal := {
	"action": "match.signal",
	"purpose": "integrale-ondersteuning",
	"now": now,
	"caller": {
		"partner": "uwv", "sector": "work-income", "role": "connector", "sub": "",
		"level": 4, "covenant": "2026-1", "municipalities": ["gem-leusden"],
		"registered_at": "2025-06-01T08:00:00Z",
	},
	"municipality": municipality(2),
	"household": household,
	"subjects": subjects,
	"candidates": [candidate("inv-debt", "p:moeder", partner("kredietbank", "debt"))],
}

# The coordinator reads the household's joint plan at level 4. The
# kredietbank and the school have work agreements in it.
plan_read := {
	"action": "plan.read",
	"purpose": "integrale-ondersteuning",
	"now": now,
	"caller": coordinator,
	"municipality": municipality(4),
	"household": household,
	"subjects": subjects,
	"plan": {
		"status": "open",
		"version": 3,
		"participants": [partner("kredietbank", "debt"), partner("school", "education")],
	},
}

# A professional whose partner serves the person records a consent.
consent_record := {
	"action": "consent.record",
	"purpose": "integrale-ondersteuning",
	"now": now,
	"caller": professional,
	"relations": ["involvement"],
}

# A request with no household or municipality, by a caller related to
# the person (its partner serves them, and coordinates their household).
simple(act, purpose, caller) := {
	"action": act,
	"purpose": purpose,
	"now": "2026-11-22T19:00:00Z",
	"caller": caller,
	"relations": ["coordinator", "involvement", "municipality"],
}

# d denies with reason (among others) and shows nothing.
denied_for(d, reason) if {
	d.allow == false
	reason in d.reasons
	d.show == {}
}

# d allows without reasons.
allowed(d) if {
	d.allow == true
	d.reasons == []
}

# The basis of vroegsignalering-schulden, as purposes.rego annotates it.
wgs_basis := "AVG art. 6 lid 1 sub e; Wet gemeentelijke schuldhulpverlening art. 3 lid 1 sub b en art. 5 lid 2 en 3; Besluit gemeentelijke schuldhulpverlening § 2"

# Candidate c as registered under purpose q.
registered_for(c, q) := object.union(c, {"purpose": q})
