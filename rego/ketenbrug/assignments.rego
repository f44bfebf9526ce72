package ketenbrug

# Level 3: assignments between partners (opdrachten). The access rules of
# access.rego and consent.rego apply to these actions as to any other
# (roles, purpose, ambition level, covenant, tenancy, consent for the
# recipient, shielded subjects); the rules below add what is particular to
# them.
#
# The policy data (assignments.types) lists the types a partner may give,
# whether an instruction may be free text and how long it may be, and, per
# type, the sectors that may receive it. The broker asks assignment.give
# about the giver (with the recipient as target) and assignment.receive
# about the recipient; each step of the lifecycle is an action of its own
# (assignment.accept, .decline, .complete, .cancel), asked about the side
# that takes it, with the other side as target.

# The assignment's type in the policy data; undefined when unknown.
assignment_type := config.assignments.types[input.assignment.type]

instruction_length := object.get(input, ["assignment", "instruction_length"], 0)

free_text_allowed if assignment_type.free_text == true

instruction_length_allowed if instruction_length <= assignment_type.max_instruction_length

recipient_sector_for_type if recipient.sector in assignment_type.recipient_sectors

type_limits_sectors if assignment_type.recipient_sectors

step_text_allowed if object.get(input, ["assignment", "text_length"], 0) <= config.assignments.max_text_length

# METADATA
# title: Unknown assignment type
# description: |
#   An assignment's type must be one the policy data lists
#   (assignments.types): a partner is asked only for work the covenant
#   foresees.
# custom:
#   basis: AVG art. 5 lid 1 sub b en c
deny contains {"reason": "assignment_type_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.assignment == "content"
	not assignment_type
}

# METADATA
# title: Assignment type not for the recipient's sector
# description: |
#   A type that lists recipient_sectors goes only to partners of those
#   sectors (a school conversation to a school).
# custom:
#   basis: AVG art. 5 lid 1 sub c
deny contains {"reason": "assignment_type_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.assignment == "content"
	type_limits_sectors
	not recipient_sector_for_type
}

# METADATA
# title: No free text for this assignment type
# description: |
#   For a type whose free_text is not true, the instruction must be empty:
#   the type and the due date say enough, and free text is where case
#   details leak.
# custom:
#   basis: AVG art. 5 lid 1 sub c; AVG art. 25 lid 2
deny contains {"reason": "text_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.assignment == "content"
	assignment_type
	not free_text_allowed
	instruction_length > 0
}

# METADATA
# title: Instruction too long
# description: |
#   A free-text instruction may be at most the type's
#   max_instruction_length characters (none when the type names no limit).
# custom:
#   basis: AVG art. 5 lid 1 sub c
deny contains {"reason": "text_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.assignment == "content"
	free_text_allowed
	instruction_length > 0
	not instruction_length_allowed
}

# METADATA
# title: Outcome or reason too long
# description: |
#   The outcome of a completed assignment, or the reason it was declined or
#   cancelled, may be at most assignments.max_text_length characters: a
#   short note, not a report.
# custom:
#   basis: AVG art. 5 lid 1 sub c
deny contains {"reason": "text_not_allowed", "basis": basis_of(rego.metadata.rule())} if {
	action.assignment == "step"
	not step_text_allowed
}

# METADATA
# title: Cancelling an assignment
# description: |
#   Cancelling ends the recipient's processing for the assignment: it is
#   never blocked by the level or by consent, so that whoever asked for work
#   can always call it off. (The other steps rest on the purpose they are
#   taken for.)
# custom:
#   basis: AVG art. 5 lid 1 sub c en e
grants contains basis_of(rego.metadata.rule()) if input.action == "assignment.cancel"
