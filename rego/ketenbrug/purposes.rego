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
#   Child protection. The municipality and the youth partners process the
#   data needed for the safety of a child under the Jeugdwet, without
#   consent.
# custom:
#   basis: AVG art. 6 lid 1 sub e; Jeugdwet art. 7.4.0
purpose_basis["jeugdbescherming"] := basis_of(rego.metadata.rule())

# METADATA
# title: Vroegsignalering schulden
# description: |
#   Early detection of debts. The municipality's debt counselling acts on
#   signals of payment arrears under its statutory task, without consent.
# custom:
#   basis: AVG art. 6 lid 1 sub e; Wet gemeentelijke schuldhulpverlening art. 3 en 5
purpose_basis["vroegsignalering-schulden"] := basis_of(rego.metadata.rule())

# METADATA
# title: Re-integratie
# description: |
#   Support towards work (arbeidsinschakeling) by the municipality and the
#   work-and-income partners under the Participatiewet, without consent.
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
