package ketenbrug

# The pilot's figures (stuurinformatie, action statistics.read): counts per
# municipality and month, computed by the broker from its audit trail and
# store, with every count below statistics.min_cell suppressed (and the
# cells that would give one away). Who may ask is policy data
# (actions."statistics.read": the analyst, privacy officers and the
# operator); an analyst or a partner's privacy officer asks only about a
# municipality its organisation serves (tenancy, access.rego), the
# operator and the region's privacy office about any
# (all_municipalities).

# METADATA
# title: The municipality's figures
# description: |
#   Aggregated, anonymous figures for the municipality's steering of its
#   social-domain task: whether the pilot at its ambition level works.
#   Counting the audit trail is further processing of what was recorded
#   for accountability; for statistical purposes, with the safeguards of
#   art. 89 lid 1 (data minimisation: only counts leave the broker, small
#   cells suppressed), art. 5 lid 1 sub b holds it not incompatible. That
#   the steering is part of the municipality's public task (sub e) is a
#   judgement for the municipality to confirm. UAVG art. 24 is not
#   cited: the counting uses no special-category data (not which sector
#   or service was shown), so no exception to art. 9 is needed.
# custom:
#   basis: AVG art. 6 lid 1 sub e; AVG art. 5 lid 1 sub b en c; AVG art. 89 lid 1
grants contains basis_of(rego.metadata.rule()) if input.action == "statistics.read"
