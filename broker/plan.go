package broker

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Plan statuses.
const (
	PlanOpen   = "open"
	PlanClosed = "closed"
)

// Goal statuses.
const (
	GoalOpen       = "open"
	GoalInProgress = "in-progress"
	GoalAchieved   = "achieved"
	GoalDropped    = "dropped"
)

// Work agreement statuses.
const (
	AgreementPlanned    = "planned"
	AgreementInProgress = "in-progress"
	AgreementDone       = "done"
	AgreementCancelled  = "cancelled"
)

var (
	goalStatuses      = []string{GoalOpen, GoalInProgress, GoalAchieved, GoalDropped}
	agreementStatuses = []string{AgreementPlanned, AgreementInProgress, AgreementDone, AgreementCancelled}
)

// Bounds of a plan.
const (
	MaxPlanGoals      = 50
	MaxPlanAgreements = 200
	maxGoalTitle      = 200
	maxAgreementText  = 300
	maxPlanNote       = 300
)

// Plan is the joint plan of one household (ambition level 4): goals, work
// agreements per partner, and the one coordinator (regisseur). Every change
// makes a new version; the versions are kept.
type Plan struct {
	Household    string `json:"household"`
	Municipality string `json:"municipality"`
	// Purpose is the purpose the plan is kept for; every action on it is
	// asked under this purpose.
	Purpose     string      `json:"purpose"`
	Version     uint64      `json:"version"`
	Status      string      `json:"status"`
	Coordinator Actor       `json:"coordinator"`
	Goals       []Goal      `json:"goals"`
	Agreements  []Agreement `json:"agreements"`
	// Ends is the last day of the plan's period (YYYY-MM-DD), when the
	// coordinator set one: a consent given for the household ends with
	// the plan (consent.ends_with_plan in the policy data).
	Ends string `json:"ends,omitempty"`
	// Change says in words what this version changed.
	Change    string    `json:"change"`
	ChangedBy Actor     `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
	CreatedAt time.Time `json:"created_at"`
}

// Goal is one goal of the plan.
type Goal struct {
	// ID is kept across versions; a new goal without one gets one.
	ID     string `json:"id,omitempty"`
	Title  string `json:"title"`
	Status string `json:"status,omitempty"`
	// Target is the date the goal should be reached by (YYYY-MM-DD).
	Target string `json:"target,omitempty"`
}

// Agreement is one work agreement (werkafspraak): which partner does what
// for which goal, by when.
type Agreement struct {
	ID      string `json:"id,omitempty"`
	Goal    string `json:"goal"`
	Partner string `json:"partner"`
	Action  string `json:"action"`
	Due     string `json:"due,omitempty"`
	Status  string `json:"status,omitempty"`
}

// PlanInput is what the coordinator sends: the whole new content of the
// plan, and an optional note on the change.
type PlanInput struct {
	Goals      []Goal      `json:"goals"`
	Agreements []Agreement `json:"agreements"`
	// Ends is the last day of the plan's period (YYYY-MM-DD); "" for none.
	Ends string `json:"ends,omitempty"`
	Note string `json:"note,omitempty"`
}

// PlanView is a version of the plan as a participant sees it.
type PlanView struct {
	Household   string `json:"household"`
	Purpose     string `json:"purpose"`
	Version     uint64 `json:"version"`
	Latest      uint64 `json:"latest"`
	Status      string `json:"status"`
	Coordinator Actor  `json:"coordinator"`
	// Members are the household's members by label (no BSNs, no
	// pseudonyms), for the plan meeting.
	Members    []string        `json:"members"`
	Goals      []Goal          `json:"goals"`
	Agreements []AgreementView `json:"agreements"`
	// Ends is the last day of the plan's period, when set.
	Ends      string    `json:"ends,omitempty"`
	Change    string    `json:"change"`
	ChangedBy Actor     `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
	CreatedAt time.Time `json:"created_at"`
}

// AgreementView is a work agreement with its partner's name.
type AgreementView struct {
	Agreement
	PartnerName string `json:"partner_name,omitempty"`
}

// ETag returns the entity tag of the plan version: its number, quoted.
func (v *PlanView) ETag() string { return PlanETag(v.Version) }

// PlanETag is the entity tag of plan version n.
func PlanETag(n uint64) string { return `"` + strconv.FormatUint(n, 10) + `"` }

// ParsePlanETag parses one strong entity tag made by PlanETag.
func ParsePlanETag(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 3 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:len(s)-1], 10, 64)
	return n, err == nil && n > 0
}

// PlanSignal is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type PlanSignal = wire.PlanSignal

// PlanHistory is wire.PlanHistory: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type PlanHistory = wire.PlanHistory

// PlanVersion is wire.PlanVersion: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type PlanVersion = wire.PlanVersion

// participants returns the partners with a work agreement, sorted.
func (p *Plan) participants() []string {
	var out []string
	for _, a := range p.Agreements {
		if !slices.Contains(out, a.Partner) {
			out = append(out, a.Partner)
		}
	}
	slices.Sort(out)
	return out
}

// agreement returns the index of agreement id, or -1.
func (p *Plan) agreement(id string) int {
	return slices.IndexFunc(p.Agreements, func(a Agreement) bool { return a.ID == id })
}

// shortID returns prefix + 8 random lower-case characters.
func shortID(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:8])
}

// normalise validates in against the registered partners (lookup) and the
// household's municipality, fills defaults and gives new goals and
// agreements an id.
func (in *PlanInput) normalise(municipality string, lookup func(string) (*Partner, error)) error {
	if len(in.Goals) > MaxPlanGoals {
		return invalid("goals", "at most %d", MaxPlanGoals)
	}
	if len(in.Agreements) > MaxPlanAgreements {
		return invalid("agreements", "at most %d", MaxPlanAgreements)
	}
	if err := checkShort("note", in.Note, maxPlanNote, false); err != nil {
		return err
	}
	if in.Ends != "" {
		if err := validDate("ends", in.Ends); err != nil {
			return err
		}
	}
	goals := map[string]bool{}
	for i := range in.Goals {
		g := &in.Goals[i]
		field := func(f string) string { return "goals[" + strconv.Itoa(i) + "]." + f }
		if g.ID == "" {
			g.ID = shortID("g-")
		}
		if !ValidID(g.ID) {
			return invalid(field("id"), "not a valid identifier: "+IDRule)
		}
		if goals[g.ID] {
			return invalid(field("id"), "goal %s is listed twice", g.ID)
		}
		goals[g.ID] = true
		if err := checkShort(field("title"), g.Title, maxGoalTitle, true); err != nil {
			return err
		}
		if g.Status == "" {
			g.Status = GoalOpen
		}
		if !slices.Contains(goalStatuses, g.Status) {
			return invalid(field("status"), "one of %s", strings.Join(goalStatuses, ", "))
		}
		if g.Target != "" {
			if err := validDate(field("target"), g.Target); err != nil {
				return err
			}
		}
	}
	agreements := map[string]bool{}
	for i := range in.Agreements {
		a := &in.Agreements[i]
		field := func(f string) string { return "agreements[" + strconv.Itoa(i) + "]." + f }
		if a.ID == "" {
			a.ID = shortID("w-")
		}
		if !ValidID(a.ID) {
			return invalid(field("id"), "not a valid identifier: "+IDRule)
		}
		if agreements[a.ID] {
			return invalid(field("id"), "agreement %s is listed twice", a.ID)
		}
		agreements[a.ID] = true
		if !goals[a.Goal] {
			return invalid(field("goal"), "names no goal of the plan")
		}
		if !ValidID(a.Partner) {
			return invalid(field("partner"), "not a valid partner id: "+IDRule)
		}
		p, err := lookup(a.Partner)
		if err != nil || p.Status != PartnerActive {
			return invalid(field("partner"), "not a registered, active partner")
		}
		if !p.Serves(municipality) {
			return invalid(field("partner"), "does not serve the household's municipality")
		}
		if err := checkShort(field("action"), a.Action, maxAgreementText, true); err != nil {
			return err
		}
		if a.Due != "" {
			if err := validDate(field("due"), a.Due); err != nil {
				return err
			}
		}
		if a.Status == "" {
			a.Status = AgreementPlanned
		}
		if !slices.Contains(agreementStatuses, a.Status) {
			return invalid(field("status"), "one of %s", strings.Join(agreementStatuses, ", "))
		}
	}
	return nil
}

// checkShort checks a short text of at most max characters.
func checkShort(field, s string, max int, need bool) error {
	if err := checkText(field, s, need); err != nil {
		return err
	}
	if utf8.RuneCountInString(s) > max {
		return invalid(field, "at most %d characters", max)
	}
	return nil
}

// describeChange says in words what changed from old to p.
func describeChange(old, p *Plan, note string) string {
	var parts []string
	count := func(what string, added, changed, removed int) {
		var c []string
		for _, x := range []struct {
			n    int
			verb string
		}{{added, "added"}, {changed, "changed"}, {removed, "removed"}} {
			if x.n > 0 {
				c = append(c, fmt.Sprintf("%d %s", x.n, x.verb))
			}
		}
		if len(c) > 0 {
			parts = append(parts, what+" "+strings.Join(c, ", "))
		}
	}
	added, changed, removed := diff(old.Goals, p.Goals, func(g Goal) string { return g.ID })
	count("goals", added, changed, removed)
	added, changed, removed = diff(old.Agreements, p.Agreements, func(a Agreement) string { return a.ID })
	count("agreements", added, changed, removed)
	if old.Ends != p.Ends {
		parts = append(parts, "end "+cmp.Or(p.Ends, "removed"))
	}
	if old.Version == 0 {
		parts = append([]string{"plan created"}, parts...)
	}
	if len(parts) == 0 {
		parts = append(parts, "no change in goals or agreements")
	}
	out := strings.Join(parts, "; ")
	if note != "" {
		out += " — " + note
	}
	return out
}

// diff counts the elements of b that a lacks, that differ, and of a that b
// lacks, by key.
func diff[T comparable](a, b []T, key func(T) string) (added, changed, removed int) {
	before := map[string]T{}
	for _, x := range a {
		before[key(x)] = x
	}
	seen := map[string]bool{}
	for _, y := range b {
		seen[key(y)] = true
		x, ok := before[key(y)]
		switch {
		case !ok:
			added++
		case x != y:
			changed++
		}
	}
	for k := range before {
		if !seen[k] {
			removed++
		}
	}
	return added, changed, removed
}
