package workdays

import (
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // Amsterdam dates on any machine; see the package doc
)

// amsterdam is the zone whose calendar dates are counted. With time/tzdata
// linked in LoadLocation cannot fail for this name; the fixed zone is only
// there so that a broken ZONEINFO never leaves the package without a zone.
var amsterdam = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return l
	}
	return time.FixedZone("CET", 60*60)
}()

// Names of the holidays, as the Atw and the municipalities call them.
const (
	Nieuwjaarsdag     = "Nieuwjaarsdag"
	GoedeVrijdag      = "Goede Vrijdag"
	TweedePaasdag     = "tweede Paasdag"
	Koningsdag        = "Koningsdag"
	Bevrijdingsdag    = "5 mei"
	Hemelvaartsdag    = "Hemelvaartsdag"
	TweedePinksterdag = "tweede Pinksterdag"
	EersteKerstdag    = "eerste Kerstdag"
	TweedeKerstdag    = "tweede Kerstdag"
)

const (
	// dateLayout is the form of a closed day in the policy data.
	dateLayout = "2006-01-02"
	// Days after Easter Sunday: Hemelvaartsdag is the fortieth day of
	// Easter counting Easter itself, tweede Pinksterdag the day after
	// the fiftieth.
	hemelvaartAfterEaster = 39
	pinksterAfterEaster   = 50
)

// Holiday is one algemeen erkende feestdag (or Goede Vrijdag, which the
// Atw equates with them).
type Holiday struct {
	// Date is midnight at the start of the day in Europe/Amsterdam.
	Date time.Time
	Name string
}

// Holidays returns the year's algemeen erkende feestdagen of Atw art. 3
// lid 1, and Goede Vrijdag (lid 2), in date order. Two may fall on one
// date (Hemelvaartsdag on 5 mei, as in 2016); both are listed then.
func Holidays(year int) []Holiday {
	var hs []Holiday
	for _, h := range holidays(year) {
		hs = append(hs, Holiday{Date: h.date.time(), Name: h.name})
	}
	return hs
}

// IsHoliday reports whether day's Europe/Amsterdam date is one of
// Holidays.
func IsHoliday(day time.Time) bool {
	return dateOf(day).holiday()
}

// Easter returns Easter Sunday of year in the Gregorian calendar, at
// midnight in Europe/Amsterdam.
func Easter(year int) time.Time {
	return easter(year).time()
}

// Calendar is the working-day calendar of one municipality: weekends and
// the Atw holidays, plus the days its policy data names as closed. The
// zero Calendar has no closed days of its own.
type Calendar struct {
	// closed is unexported so that every closed day went through
	// NewCalendar's validation.
	closed map[date]bool
}

// NewCalendar returns the calendar with the closed days named, each as
// "YYYY-MM-DD" (the form of the policy data). A day that is not a real
// date in that exact form is an error, so that a typo in policy data is
// refused rather than silently ignored. Naming a weekend day or a holiday
// is allowed and changes nothing.
func NewCalendar(closed ...string) (Calendar, error) {
	c := Calendar{closed: make(map[date]bool, len(closed))}
	for _, s := range closed {
		t, err := time.Parse(dateLayout, s)
		// The round trip refuses what Parse would accept in another
		// spelling; Parse already refuses 2026-02-30.
		if err != nil || t.Format(dateLayout) != s {
			return Calendar{}, fmt.Errorf("workdays: closed day %q is not a date YYYY-MM-DD", s)
		}
		c.closed[civil(t)] = true
	}
	return c, nil
}

// Closed returns the calendar's own closed days as "YYYY-MM-DD", sorted.
func (c Calendar) Closed() []string {
	ds := make([]string, 0, len(c.closed))
	for d := range c.closed {
		ds = append(ds, d.time().Format(dateLayout))
	}
	slices.Sort(ds)
	return ds
}

// IsWorkingDay reports whether day's Europe/Amsterdam date is a working
// day: Monday to Friday, not a holiday, not closed.
func (c Calendar) IsWorkingDay(day time.Time) bool {
	return c.working(dateOf(day))
}

// AddWorkingDays returns the day that is n working days after from's
// Europe/Amsterdam date, at midnight in Europe/Amsterdam. from itself is
// never counted, whether or not it is a working day, so a signal on a
// Saturday with n = 1 is due on Monday (if that is a working day). n = 0
// returns from's date. The work is linear in n; callers bound n (policy
// validation does). A negative n is a programming error and panics: a
// due date before the signal has no meaning.
func (c Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	if n < 0 {
		panic(fmt.Sprintf("workdays: AddWorkingDays with negative n %d", n))
	}
	d := dateOf(from)
	for n > 0 {
		d = d.next()
		if c.working(d) {
			n--
		}
	}
	return d.time()
}

// WorkingDaysBetween returns the number of working days after a's date up
// to and including b's date (both Europe/Amsterdam), negated when b is
// before a. It is the inverse of AddWorkingDays:
// WorkingDaysBetween(from, c.AddWorkingDays(from, n)) == n. Linear in the
// number of days between a and b.
func (c Calendar) WorkingDaysBetween(a, b time.Time) int {
	da, db := dateOf(a), dateOf(b)
	sign := 1
	if db.before(da) {
		da, db, sign = db, da, -1
	}
	n := 0
	for d := da; d.before(db); {
		d = d.next()
		if c.working(d) {
			n++
		}
	}
	return sign * n
}

func (c Calendar) working(d date) bool {
	switch d.weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !d.holiday() && !c.closed[d]
}

// date is a calendar date without a zone, so that stepping a day is never
// disturbed by a daylight-saving change (a 23- or 25-hour day).
type date struct {
	year  int
	month time.Month
	day   int
}

// dateOf is t's calendar date in Europe/Amsterdam.
func dateOf(t time.Time) date {
	return civil(t.In(amsterdam))
}

// civil is t's calendar date in t's own zone.
func civil(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// utc is the date as a UTC midnight: for arithmetic and the weekday only.
func (d date) utc() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC)
}

func (d date) time() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, amsterdam)
}

func (d date) next() date            { return d.add(1) }
func (d date) add(days int) date     { return civil(d.utc().AddDate(0, 0, days)) }
func (d date) weekday() time.Weekday { return d.utc().Weekday() }
func (d date) before(e date) bool    { return d.utc().Before(e.utc()) }

func (d date) holiday() bool {
	for _, h := range unsorted(d.year) {
		if h.date == d {
			return true
		}
	}
	return false
}

type named struct {
	date date
	name string
}

// holidays lists the year's holidays in date order. Easter is at the
// earliest 22 March, so Hemelvaartsdag can fall on 30 April, before
// 5 mei: the list is sorted rather than written in order.
func holidays(year int) []named {
	hs := unsorted(year)
	slices.SortStableFunc(hs, func(a, b named) int {
		return a.date.utc().Compare(b.date.utc())
	})
	return hs
}

// unsorted lists the year's holidays in no particular order; a membership
// test needs no order.
func unsorted(year int) []named {
	e := easter(year)
	koningsdag := date{year, time.April, 27}
	if koningsdag.weekday() == time.Sunday {
		koningsdag = date{year, time.April, 26}
	}
	return []named{
		{date{year, time.January, 1}, Nieuwjaarsdag},
		{e.add(-2), GoedeVrijdag},
		{e.add(1), TweedePaasdag},
		{koningsdag, Koningsdag},
		{date{year, time.May, 5}, Bevrijdingsdag},
		{e.add(hemelvaartAfterEaster), Hemelvaartsdag},
		{e.add(pinksterAfterEaster), TweedePinksterdag},
		{date{year, time.December, 25}, EersteKerstdag},
		{date{year, time.December, 26}, TweedeKerstdag},
	}
}

// easter is the anonymous Gregorian algorithm (Meeus/Jones/Butcher). The
// divisions are floored so that the result is a date in March or April
// for every year, negative ones included (proleptic Gregorian).
func easter(year int) date {
	a := mod(year, 19)
	b, c := div(year, 100), mod(year, 100)
	d, e := div(b, 4), mod(b, 4)
	f := div(b+8, 25)
	g := div(b-f+1, 3)
	h := mod(19*a+b-d-g+15, 30)
	i, k := c/4, c%4 // c is in 0..99
	l := mod(32+2*e+2*i-h-k, 7)
	m := div(a+11*h+22*l, 451)
	x := h + l - 7*m + 114
	return date{year, time.Month(x / 31), x%31 + 1}
}

func div(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func mod(a, b int) int { return a - div(a, b)*b }
