package wire

import "time"

// PlanHistory lists the versions of a plan, oldest first.
type PlanHistory struct {
	Household string        `json:"household"`
	Versions  []PlanVersion `json:"versions"`
}

// PlanVersion summarises one version; GET …/plan?version=N shows it whole.
type PlanVersion struct {
	Version    uint64    `json:"version"`
	Status     string    `json:"status"`
	Change     string    `json:"change"`
	ChangedBy  Actor     `json:"changed_by"`
	ChangedAt  time.Time `json:"changed_at"`
	Goals      int       `json:"goals"`
	Agreements int       `json:"agreements"`
}
