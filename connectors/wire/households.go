package wire

// HouseholdInput registers or changes a household. BSNs travel only here.
type HouseholdInput struct {
	Municipality string        `json:"municipality"`
	Area         string        `json:"area,omitempty"`
	Coordinator  *Actor        `json:"coordinator,omitempty"`
	Members      []MemberInput `json:"members"`
}

// HouseholdView is a household as shown to its coordinators: labels and
// roles, no BSNs, no pseudonyms.
type HouseholdView struct {
	ID           string       `json:"id"`
	Municipality string       `json:"municipality"`
	Area         string       `json:"area,omitempty"`
	Coordinator  Actor        `json:"coordinator"`
	Members      []MemberView `json:"members"`
	Revision     uint64       `json:"revision"`
}

// MemberInput is one member as the coordinator registers them.
type MemberInput struct {
	Label     string `json:"label"`
	BSN       string `json:"bsn"`
	Role      string `json:"role"`
	BirthYear int    `json:"birth_year,omitempty"`
	// BirthDate (YYYY-MM-DD) is the exact date of birth; it replaces
	// BirthYear, which the policy can only read conservatively.
	BirthDate string `json:"birth_date,omitempty"`
	Shielded  bool   `json:"shielded,omitempty"`
}

// MemberView is a member without their BSN or pseudonym.
type MemberView struct {
	Label     string `json:"label"`
	Role      string `json:"role"`
	BirthYear int    `json:"birth_year,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
	Shielded  bool   `json:"shielded,omitempty"`
}

// Overview answers "which partners serve this household": per member, the
// involvements the policy lets the caller see, with only the fields it
// allows. What the policy withholds is not hinted at.
type Overview struct {
	Household     string           `json:"household,omitempty"`
	Purpose       string           `json:"purpose"`
	Level         int              `json:"level"`
	Members       []MemberOverview `json:"members"`
	PolicyVersion string           `json:"policy_version"`
	Bases         []string         `json:"bases"`
}

// MemberOverview is one member's part of an overview.
type MemberOverview struct {
	Label        string             `json:"label"`
	Role         string             `json:"role,omitempty"`
	Involvements []ShownInvolvement `json:"involvements"`
}
