package console

import (
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// setBirth puts a member's date of birth (YYYY-MM-DD, or "") into m.
func setBirth(m *broker.MemberInput, date string) {
	if t, err := time.Parse(time.DateOnly, date); err == nil {
		m.BirthYear = t.Year()
	}
}
