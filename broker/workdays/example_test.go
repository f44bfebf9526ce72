package workdays_test

import (
	"fmt"
	"time"

	"github.com/ketenbrug/ketenbrug/broker/workdays"
)

// A match signal on Friday 18 December 2026 with ten working days to
// follow it up: eerste Kerstdag and Nieuwjaarsdag (both Fridays) do not
// count, and neither does the bridge day the municipality closes.
func ExampleCalendar_AddWorkingDays() {
	signal := time.Date(2026, time.December, 18, 14, 5, 0, 0, time.UTC)

	due := workdays.Calendar{}.AddWorkingDays(signal, 10)
	fmt.Println(due.Format("Monday 2006-01-02"))

	cal, err := workdays.NewCalendar("2026-12-24")
	if err != nil {
		fmt.Println(err)
		return
	}
	due = cal.AddWorkingDays(signal, 10)
	fmt.Println(due.Format("Monday 2006-01-02"))
	// Output:
	// Tuesday 2027-01-05
	// Wednesday 2027-01-06
}

func ExampleHolidays() {
	for _, h := range workdays.Holidays(2025) {
		fmt.Println(h.Date.Format("Mon 2006-01-02"), h.Name)
	}
	// Output:
	// Wed 2025-01-01 Nieuwjaarsdag
	// Fri 2025-04-18 Goede Vrijdag
	// Mon 2025-04-21 tweede Paasdag
	// Sat 2025-04-26 Koningsdag
	// Mon 2025-05-05 5 mei
	// Thu 2025-05-29 Hemelvaartsdag
	// Mon 2025-06-09 tweede Pinksterdag
	// Thu 2025-12-25 eerste Kerstdag
	// Fri 2025-12-26 tweede Kerstdag
}
