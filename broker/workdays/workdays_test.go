package workdays

import (
	"slices"
	"testing"
	"time"
)

// day is midnight of a date in Europe/Amsterdam, the form the package
// returns.
func day(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(dateLayout, s, amsterdam)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEaster(t *testing.T) {
	for _, want := range []string{
		"1818-03-22", // earliest possible date
		"1943-04-25", // latest possible date
		"2008-03-23",
		"2011-04-24",
		"2016-03-27",
		"2019-04-21",
		"2024-03-31",
		"2025-04-20",
		"2026-04-05",
		"2027-03-28",
		"2030-04-21",
		"2038-04-25",
		"2285-03-22",
	} {
		w := day(t, want)
		if got := Easter(w.Year()); !got.Equal(w) {
			t.Errorf("Easter(%d) = %s, want %s", w.Year(), got.Format(dateLayout), want)
		}
	}
}

// Easter is a Sunday between 22 March and 25 April in every year, also far
// outside the years it is used for, and in the proleptic years below 1.
func TestEasterRange(t *testing.T) {
	for y := -3000; y <= 10000; y++ {
		e := easter(y)
		lo, hi := date{y, time.March, 22}, date{y, time.April, 25}
		if e.weekday() != time.Sunday || e.before(lo) || hi.before(e) {
			t.Fatalf("easter(%d) = %v", y, e)
		}
	}
}

func TestHolidays2026(t *testing.T) {
	want := []Holiday{
		{day(t, "2026-01-01"), Nieuwjaarsdag},
		{day(t, "2026-04-03"), GoedeVrijdag},
		{day(t, "2026-04-06"), TweedePaasdag},
		{day(t, "2026-04-27"), Koningsdag},
		{day(t, "2026-05-05"), Bevrijdingsdag},
		{day(t, "2026-05-14"), Hemelvaartsdag},
		{day(t, "2026-05-25"), TweedePinksterdag},
		{day(t, "2026-12-25"), EersteKerstdag},
		{day(t, "2026-12-26"), TweedeKerstdag},
	}
	got := Holidays(2026)
	if !slices.EqualFunc(got, want, func(a, b Holiday) bool {
		return a.Date.Equal(b.Date) && a.Name == b.Name
	}) {
		t.Errorf("Holidays(2026) = %v\nwant %v", got, want)
	}
}

func TestHolidayDates(t *testing.T) {
	for _, c := range []struct {
		year int
		name string
		want string
	}{
		// 27 April 2025 is a Sunday: celebrated the day before.
		{2025, Koningsdag, "2025-04-26"},
		{2014, Koningsdag, "2014-04-26"},
		{2026, Koningsdag, "2026-04-27"},
		{2031, Koningsdag, "2031-04-26"},
		{2026, Hemelvaartsdag, "2026-05-14"},
		{2025, Hemelvaartsdag, "2025-05-29"},
		{2025, GoedeVrijdag, "2025-04-18"},
		{2025, TweedePaasdag, "2025-04-21"},
		{2025, TweedePinksterdag, "2025-06-09"},
		// Easter on 22 March: Hemelvaartsdag before 5 mei.
		{2285, Hemelvaartsdag, "2285-04-30"},
	} {
		var got []string
		for _, h := range Holidays(c.year) {
			if h.Name == c.name {
				got = append(got, h.Date.Format(dateLayout))
			}
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s %d = %v, want %s", c.name, c.year, got, c.want)
		}
	}
}

func TestHolidaysSorted(t *testing.T) {
	for y := 1900; y <= 2300; y++ {
		hs := Holidays(y)
		if len(hs) != 9 {
			t.Fatalf("Holidays(%d) has %d days", y, len(hs))
		}
		for i := 1; i < len(hs); i++ {
			if hs[i].Date.Before(hs[i-1].Date) {
				t.Fatalf("Holidays(%d) not in date order: %v", y, hs)
			}
		}
		for _, h := range hs {
			if !IsHoliday(h.Date) || !IsHoliday(h.Date.Add(12*time.Hour)) {
				t.Fatalf("IsHoliday(%s) false", h.Date)
			}
		}
	}
	// Hemelvaartsdag on 5 mei: both named, one date.
	hs := Holidays(2016)
	if !hs[4].Date.Equal(hs[5].Date) || hs[4].Name != Bevrijdingsdag || hs[5].Name != Hemelvaartsdag {
		t.Errorf("Holidays(2016) = %v", hs)
	}
}

func TestAddWorkingDays(t *testing.T) {
	bridge, err := NewCalendar("2026-01-02")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cal  Calendar
		from string
		n    int
		want string
	}{
		{"zero is from's date", Calendar{}, "2026-04-03", 0, "2026-04-03"},
		{"one on a Friday", Calendar{}, "2026-06-05", 1, "2026-06-08"},
		{"one on a Saturday", Calendar{}, "2026-06-06", 1, "2026-06-08"},
		{"a plain fortnight", Calendar{}, "2026-06-01", 10, "2026-06-15"},
		// 25 Dec 2026 (Fri) and 1 Jan 2027 (Fri) are holidays.
		{"Christmas and New Year 2026", Calendar{}, "2026-12-18", 10, "2027-01-05"},
		// 25, 26 Dec 2025 (Thu, Fri), 1 Jan 2026 (Thu). 2 Jan 2026 is
		// a bridge day equated only by a besluit: a working day here
		// unless the municipality closes it.
		{"Christmas and New Year 2025", Calendar{}, "2025-12-19", 10, "2026-01-07"},
		{"bridge day closed", bridge, "2025-12-19", 10, "2026-01-08"},
		// Goede Vrijdag 3 Apr, tweede Paasdag 6 Apr.
		{"Easter 2026", Calendar{}, "2026-04-02", 10, "2026-04-20"},
		// Koningsdag Mon 27 Apr, 5 mei Tue.
		{"Koningsdag and 5 mei 2026", Calendar{}, "2026-04-24", 10, "2026-05-12"},
		// ... and Hemelvaartsdag Thu 14 May.
		{"Koningsdag to Hemelvaart 2026", Calendar{}, "2026-04-24", 15, "2026-05-20"},
		{"5 mei and Hemelvaart 2026", Calendar{}, "2026-04-30", 10, "2026-05-18"},
		// Goede Vrijdag 18 Apr, tweede Paasdag 21 Apr, Koningsdag on
		// Saturday 26 Apr (no effect), 5 mei on Monday.
		{"Easter to 5 mei 2025", Calendar{}, "2025-04-17", 10, "2025-05-06"},
	} {
		got := c.cal.AddWorkingDays(day(t, c.from), c.n)
		if !got.Equal(day(t, c.want)) {
			t.Errorf("%s: AddWorkingDays(%s, %d) = %s, want %s", c.name, c.from, c.n, got.Format(dateLayout), c.want)
		}
		if between := c.cal.WorkingDaysBetween(day(t, c.from), got); between != c.n {
			t.Errorf("%s: WorkingDaysBetween = %d, want %d", c.name, between, c.n)
		}
		if back := c.cal.WorkingDaysBetween(got, day(t, c.from)); back != -c.n {
			t.Errorf("%s: WorkingDaysBetween reversed = %d, want %d", c.name, back, -c.n)
		}
	}
}

// The date counted is the Amsterdam date, not the UTC one: this is what a
// fixed UTC+1 fallback would get wrong in summer.
func TestAmsterdamDate(t *testing.T) {
	for _, c := range []struct{ from, want string }{
		// 00:30 CEST on Wednesday 1 July 2026.
		{"2026-06-30T22:30:00Z", "2026-07-02"},
		// 23:30 CEST on Tuesday 30 June.
		{"2026-06-30T21:30:00Z", "2026-07-01"},
		// 00:30 CET on Friday 1 January 2027, a holiday: Monday 4th.
		{"2026-12-31T23:30:00Z", "2027-01-04"},
	} {
		from, err := time.Parse(time.RFC3339, c.from)
		if err != nil {
			t.Fatal(err)
		}
		got := Calendar{}.AddWorkingDays(from, 1)
		if !got.Equal(day(t, c.want)) || got.Location() != amsterdam {
			t.Errorf("AddWorkingDays(%s, 1) = %s, want %s Amsterdam", c.from, got, c.want)
		}
	}
}

func TestAddWorkingDaysNegative(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for n < 0")
		}
	}()
	Calendar{}.AddWorkingDays(time.Now(), -1)
}

func TestNewCalendar(t *testing.T) {
	c, err := NewCalendar("2026-05-15", "2026-01-02", "2026-05-15")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Closed(); !slices.Equal(got, []string{"2026-01-02", "2026-05-15"}) {
		t.Errorf("Closed() = %v", got)
	}
	if c.IsWorkingDay(day(t, "2026-05-15")) || !c.IsWorkingDay(day(t, "2026-05-13")) {
		t.Error("closed day 2026-05-15 a working day, or 2026-05-13 not")
	}
	if !(Calendar{}).IsWorkingDay(day(t, "2026-05-15")) {
		t.Error("2026-05-15 not a working day without closed days")
	}
	for _, bad := range []string{"", "2026-5-15", "2026-02-30", "15-05-2026", "2026-05-15T00:00:00Z", " 2026-05-15", "2026-13-01"} {
		if _, err := NewCalendar("2026-05-15", bad); err == nil {
			t.Errorf("NewCalendar(%q) accepted", bad)
		}
	}
}

// FuzzAddWorkingDays checks the invariants for any instant between 1900
// and 2200 and any n below 1000, with and without a closed day near from.
func FuzzAddWorkingDays(f *testing.F) {
	f.Add(int64(1797548400), uint16(10), uint8(0))   // 2026-12-18
	f.Add(int64(1775080800), uint16(10), uint8(3))   // 2026-04-02
	f.Add(int64(1782858600), uint16(1), uint8(255))  // 2026-06-30T22:30Z
	f.Add(int64(-2208988800), uint16(0), uint8(1))   // 1900-01-01
	f.Add(int64(7258118399), uint16(999), uint8(10)) // 2199-12-31T23:59:59Z
	lo := time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2200, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, sec int64, n16 uint16, closedAfter uint8) {
		// Instants outside the range wrap into it; those inside stay.
		from := time.Unix(lo+mod64(sec-lo, hi-lo), 0)
		n := int(n16 % 1000)
		cals := []Calendar{{}}
		// One extra closed day, from 0 to 254 days after from; 255
		// means none.
		if closedAfter != 255 {
			closed := dateOf(from).add(int(closedAfter)).time().Format(dateLayout)
			c, err := NewCalendar(closed)
			if err != nil {
				t.Fatal(err)
			}
			cals = append(cals, c)
		}
		start := dateOf(from).time()
		for i, c := range cals {
			got := c.AddWorkingDays(from, n)
			if got.Location() != amsterdam || got.Hour() != 0 || got.Minute() != 0 {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, not an Amsterdam midnight", from, n, got)
			}
			if n == 0 {
				if !got.Equal(start) {
					t.Fatalf("AddWorkingDays(%s, 0) = %s, want from's date", from, got)
				}
				continue
			}
			if !c.IsWorkingDay(got) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, not a working day", from, n, got)
			}
			if !got.After(start) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, not after from", from, n, got)
			}
			// Calendar days, counted on dates so that a DST change
			// does not disturb the count; one closed day may add one.
			days := int(dateOf(got).utc().Sub(dateOf(start).utc()).Hours() / 24)
			if limit := 2*n + 20 + i; days > limit {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, %d days later (limit %d)", from, n, got, days, limit)
			}
			if prev := c.AddWorkingDays(from, n-1); !prev.Before(got) {
				t.Fatalf("not monotone: n-1 gives %s, n=%d gives %s", prev, n, got)
			}
			if b := c.WorkingDaysBetween(from, got); b != n {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", from, got, b, n)
			}
			// The time of day within from's Amsterdam date is irrelevant.
			if again := c.AddWorkingDays(start, n); !again.Equal(got) {
				t.Fatalf("from %s gives %s, its midnight %s gives %s", from, got, start, again)
			}
		}
	})
}

func mod64(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
