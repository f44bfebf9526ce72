package wire

import "time"

// Statistics is the pilot's figures (stuurinformatie) of one municipality,
// per month: counts of what the broker did, computed from the audit trail
// and the store, with every small cell suppressed (see Cell). It holds no
// personal data: no household, person or professional is named or can be
// worked out from it.
type Statistics struct {
	Municipality string `json:"municipality"`
	// From and To are the first and last month (YYYY-MM), both included;
	// To is never later than the last month that has ended.
	From string `json:"from"`
	To   string `json:"to"`
	// By is the period of a row: "month".
	By string `json:"by"`
	// Level is the municipality's ambition level (1–4) now.
	Level int `json:"level"`
	// MinCell is the threshold of the active policy (statistics.min_cell):
	// a count below it is never shown.
	MinCell int `json:"min_cell"`
	// GeneratedAt is when the figures were computed.
	GeneratedAt time.Time `json:"generated_at"`
	// HouseholdsMultiPartner counts the municipality's households that
	// two or more partners serve now (a live involvement with a member);
	// the store knows only the present, so it is one figure, not a series,
	// rounded down to a multiple of 5 (it changes from day to day).
	HouseholdsMultiPartner Cell `json:"households_multi_partner"`
	// Measures describes the columns of Rows, in order.
	Measures []StatisticsMeasure `json:"measures"`
	// Rows holds one row per month, in order, each with every measure.
	// There is no total over months: two periods' totals could be
	// subtracted to lay a month's small count bare.
	Rows []StatisticsRow `json:"rows"`
	// NotAvailable names the measures of the pilot that the broker
	// cannot count yet, each with why.
	NotAvailable []StatisticsGap `json:"not_available"`
	// Suppression says, in one paragraph, how small cells were hidden.
	Suppression string `json:"suppression"`
}

// StatisticsMeasure is one column of the figures.
type StatisticsMeasure struct {
	// Key is the column's stable name, such as overviews_allowed or
	// overviews_denied.no_relation.
	Key string `json:"key"`
	// Label is the column's Dutch name, for people.
	Label string `json:"label"`
	// Kind is "count", "median_days" or "level" (the municipality's
	// ambition level at the end of the month: its own choice, never
	// suppressed).
	Kind string `json:"kind"`
	// Group names the chart the measure belongs to (overviews, signals,
	// assignments, plans, consents).
	Group string `json:"group"`
}

// StatisticsRow is one month's cells, by measure key.
type StatisticsRow struct {
	// Month is YYYY-MM.
	Month string          `json:"month"`
	Cells map[string]Cell `json:"cells"`
}

// Cell is one figure. A suppressed cell has no value: its count was below
// the threshold, or it was withheld so that such a count cannot be worked
// out from totals and differences (both show the same Text, "<10", so
// that nobody can tell which is which).
type Cell struct {
	Value      *float64 `json:"value"`
	Suppressed bool     `json:"suppressed,omitempty"`
	// Text is the cell as a person reads it: the number, or "<10".
	Text string `json:"text"`
}

// StatisticsGap is a measure the broker does not count yet.
type StatisticsGap struct {
	Key    string `json:"key"`
	Label  string `json:"label"`
	Reason string `json:"reason"`
}
