package ketenbrug

# Purposes (doelbinding) and their legal basis (grondslag). The policy data
# (data.ketenbrug_config.purposes) says which roles and sectors may use a
# purpose and which sectors' involvements it may show; the METADATA below is
# the source of truth for the legal basis the broker audits. A purpose in the
# data without a rule here is refused (purpose_not_allowed), and the tests
# check that both agree.

# METADATA
# title: Integrale ondersteuning
# description: |
#   Integrated support of a household by the professionals around it. No
#   statute allows the partners to tell each other that they serve a person,
#   so this purpose rests on the person's consent (toestemming), one per
#   partner or sector, recorded by a professional.
# custom:
#   basis: AVG art. 6 lid 1 sub a
purpose_basis["integrale-ondersteuning"] := basis_of(rego.metadata.rule())

# METADATA
# title: Jeugdbescherming
# description: |
#   Child protection. The Jeugdwet lets the college (the municipal
#   executive) process the data needed for child-protection measures
#   (kinderbeschermingsmaatregelen), and the certified youth-protection
#   organisations (gecertificeerde instellingen) carry those measures out.
#   It is no basis for other youth or social-services partners as callers,
#   nor for schools or health partners to disclose: the callers are the
#   municipality and the designated organisations, and only youth
#   involvements are shown. A concern about a child's safety goes to
#   Veilig Thuis, not through an overview (README section 6).
# custom:
#   basis: AVG art. 6 lid 1 sub e; Jeugdwet art. 7.4.0 lid 1 (kinderbeschermingsmaatregelen)
purpose_basis["jeugdbescherming"] := basis_of(rego.metadata.rule())

# METADATA
# title: Vroegsignalering schulden
# description: |
#   Early detection of debts (vroegsignalering). The college acts on
#   signals of payment arrears that landlords, energy and water companies
#   and health insurers must give it (Besluit gemeentelijke
#   schuldhulpverlening, paragraph 2), under its statutory task, without
#   consent. Only debt-related involvements are shown, to the municipality
#   and the debt counsellors acting for it.
# custom:
#   basis: AVG art. 6 lid 1 sub e; Wet gemeentelijke schuldhulpverlening art. 3 lid 1 sub b en art. 5 lid 2 en 3; Besluit gemeentelijke schuldhulpverlening § 2
purpose_basis["vroegsignalering-schulden"] := basis_of(rego.metadata.rule())

# METADATA
# title: Re-integratie
# description: |
#   Support towards work (arbeidsinschakeling): the college's task under
#   the Participatiewet, carried out by the municipality and its social
#   services, without consent. It is no basis for UWV or for debt or
#   education partners to disclose: only work-and-income involvements are
#   shown.
# custom:
#   basis: AVG art. 6 lid 1 sub e; Participatiewet art. 7 lid 1 sub a
purpose_basis["re-integratie"] := basis_of(rego.metadata.rule())

# A purpose is known when the data describes it and a rule gives its basis.
known_purpose if {
	config.purposes[input.purpose]
	purpose_basis[input.purpose]
}

consent_purpose if {
	known_purpose
	purpose.basis == "consent"
}

statute_purpose if {
	known_purpose
	purpose.basis == "statute"
}
