package console

import "github.com/ketenbrug/ketenbrug/broker"

// setBirth puts a member's date of birth (YYYY-MM-DD, or "") into m: the
// policy decides on a child's consent from the exact age.
func setBirth(m *broker.MemberInput, date string) {
	m.BirthDate = date
}
