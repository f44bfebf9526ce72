package broker

import (
	"slices"
	"time"
)

// Member roles within a household.
const (
	MemberParent = "parent"
	MemberChild  = "child"
	MemberOther  = "other"
)

// MaxMembers bounds the members of one household.
const MaxMembers = 20

// Household is a unit of support: the people who live together and get one
// plan and one coordinator (regisseur). It belongs to one municipality.
type Household struct {
	ID           string   `json:"id"`
	Municipality string   `json:"municipality"`
	Area         string   `json:"area,omitempty"`
	Coordinator  Actor    `json:"coordinator"`
	Members      []Member `json:"members"`
	// PlanTerm mirrors the household's joint plan's purpose and end, kept
	// with the plan's every version, so that the consent rules can end a
	// consent with the plan without reading the plan on every decision.
	PlanTerm  *PlanTerm `json:"plan_term,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Revision  uint64    `json:"revision"`
}

// PlanTerm is a household's joint plan as the consent rules see it.
type PlanTerm struct {
	Purpose string `json:"purpose"`
	// Ends is the plan's last day (YYYY-MM-DD): the end the coordinator
	// set, or the day it was closed, whichever is earlier; "" for an open
	// plan without an end.
	Ends string `json:"ends,omitempty"`
}

// Member is one person in a household, known by a label of the
// coordinator's choosing ("moeder", "kind 1") and a pseudonym.
type Member struct {
	Label     string    `json:"label"`
	Subject   Pseudonym `json:"subject"`
	Role      string    `json:"role"`
	BirthYear int       `json:"birth_year,omitempty"`
	// BirthDate is the date of birth, YYYY-MM-DD. Members stored before it
	// carry only BirthYear, which the policy reads conservatively.
	BirthDate string `json:"birth_date,omitempty"`
	// Shielded (afgeschermd): the municipality shields this person, e.g. in
	// a shelter; their membership and involvements are not shown or
	// signalled, except to the partners the policy names.
	Shielded bool `json:"shielded,omitempty"`
}

// validate checks the household's own fields.
func (h *Household) validate(now time.Time) error {
	if !ValidID(h.ID) {
		return invalid("id", IDRule)
	}
	if !ValidID(h.Municipality) {
		return invalid("municipality", IDRule)
	}
	if h.Area != "" && !ValidID(h.Area) {
		return invalid("area", IDRule)
	}
	if len(h.Members) == 0 {
		return invalid("members", "at least one member")
	}
	if len(h.Members) > MaxMembers {
		return invalid("members", "at most %d", MaxMembers)
	}
	labels := map[string]bool{}
	subjects := map[Pseudonym]bool{}
	for i, m := range h.Members {
		field := func(f string) string { return "members[" + itoa(i) + "]." + f }
		if m.Label == "" || len(m.Label) > 40 {
			return invalid(field("label"), "must be 1-40 characters")
		}
		if err := refuseBSNIn(field("label"), m.Label); err != nil {
			return err
		}
		if labels[m.Label] {
			return invalid(field("label"), "label %q is used twice", m.Label)
		}
		labels[m.Label] = true
		if subjects[m.Subject] {
			return invalid(field("bsn"), "the same person is listed twice")
		}
		subjects[m.Subject] = true
		if !slices.Contains([]string{MemberParent, MemberChild, MemberOther}, m.Role) {
			return invalid(field("role"), "must be parent, child or other")
		}
		if m.BirthDate != "" {
			d, err := time.Parse(dateLayout, m.BirthDate)
			if err != nil {
				return invalid(field("birth_date"), "must be a date YYYY-MM-DD")
			}
			if d.Year() < 1900 || d.After(now) {
				return invalid(field("birth_date"), "out of range")
			}
			if m.BirthYear != 0 && m.BirthYear != d.Year() {
				return invalid(field("birth_year"), "does not match birth_date")
			}
			h.Members[i].BirthYear = d.Year()
			m.BirthYear = d.Year()
		}
		if m.BirthYear != 0 && (m.BirthYear < 1900 || m.BirthYear > now.Year()) {
			return invalid(field("birth_year"), "out of range")
		}
		if m.Role == MemberChild && m.BirthYear == 0 {
			return invalid(field("birth_year"), "required for a child: a birth_date (or birth_year)")
		}
	}
	return nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
