package export

import (
	"fmt"
	"strings"
	"time"
)

// DateFormat is a date layout as Dutch exports describe one: "dd-mm-jjjj",
// "jjjj-mm-dd", "d/m/yyyy". dd and d both read a day of one or two digits
// (spreadsheets drop the leading zero), mm and m a month likewise, jjjj or
// yyyy a year of four digits; any other character must be there as is.
// Two-digit years are not supported: "01-09-26" could be 1926 or 2026.
type DateFormat struct {
	pattern string
	parts   []datePart
}

type datePart struct {
	kind byte // 'd', 'm', 'y', or 0 for a literal
	lit  byte
}

// Common formats.
var (
	DutchDate = MustDateFormat("dd-mm-jjjj")
	ISODate   = MustDateFormat("jjjj-mm-dd")
	// DutchOrISO is what the adapters accept by default: both are
	// unambiguous, as the four-digit year is first or last.
	DutchOrISO = []DateFormat{DutchDate, ISODate}
)

// ParseDateFormat reads a format such as "dd-mm-jjjj".
func ParseDateFormat(s string) (DateFormat, error) {
	f := DateFormat{pattern: s}
	seen := map[byte]bool{}
	low := strings.ToLower(s)
	for i := 0; i < len(low); {
		var kind byte
		switch {
		case strings.HasPrefix(low[i:], "jjjj"), strings.HasPrefix(low[i:], "yyyy"):
			kind, i = 'y', i+4
		case strings.HasPrefix(low[i:], "dd"), strings.HasPrefix(low[i:], "mm"):
			kind, i = low[i], i+2
		case low[i] == 'd' || low[i] == 'm':
			kind, i = low[i], i+1
		case low[i] >= 'a' && low[i] <= 'z' || low[i] >= '0' && low[i] <= '9' || low[i] >= 0x80:
			return DateFormat{}, fmt.Errorf("date format %q: use dd, mm and jjjj (or yyyy) with separators such as - / . or space", s)
		default:
			f.parts = append(f.parts, datePart{lit: low[i]})
			i++
			continue
		}
		if seen[kind] {
			return DateFormat{}, fmt.Errorf("date format %q names the %s twice", s, partName(kind))
		}
		seen[kind] = true
		f.parts = append(f.parts, datePart{kind: kind})
	}
	for _, k := range []byte{'d', 'm', 'y'} {
		if !seen[k] {
			return DateFormat{}, fmt.Errorf("date format %q has no %s", s, partName(k))
		}
	}
	return f, nil
}

func partName(k byte) string {
	switch k {
	case 'd':
		return "day (dd)"
	case 'm':
		return "month (mm)"
	}
	return "year (jjjj)"
}

// MustDateFormat is ParseDateFormat for formats known to be good.
func MustDateFormat(s string) DateFormat {
	f, err := ParseDateFormat(s)
	if err != nil {
		panic(err)
	}
	return f
}

// String returns the format as it was written.
func (f DateFormat) String() string { return f.pattern }

// Parse reads s in format f and returns it as YYYY-MM-DD. A time after
// the date, separated by a space or 'T', is ignored: some exports write
// every date as a timestamp.
func (f DateFormat) Parse(s string) (string, bool) {
	var d, m, y, i int
	for _, p := range f.parts {
		switch p.kind {
		case 0:
			if i >= len(s) || s[i] != p.lit {
				return "", false
			}
			i++
			continue
		case 'y':
			n, ok := digits(s, &i, 4, 4)
			if !ok {
				return "", false
			}
			y = n
		case 'd':
			n, ok := digits(s, &i, 1, 2)
			if !ok {
				return "", false
			}
			d = n
		case 'm':
			n, ok := digits(s, &i, 1, 2)
			if !ok {
				return "", false
			}
			m = n
		}
	}
	if i < len(s) && !timeSuffix(s[i:]) {
		return "", false
	}
	if y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 {
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 31-02 rolls over into March
		return "", false
	}
	return t.Format(time.DateOnly), true
}

// digits reads between lo and hi decimal digits at s[*i:].
func digits(s string, i *int, lo, hi int) (int, bool) {
	n, k := 0, 0
	for *i < len(s) && k < hi && s[*i] >= '0' && s[*i] <= '9' {
		n = n*10 + int(s[*i]-'0')
		*i++
		k++
	}
	return n, k >= lo
}

// timeSuffix accepts " 00:00", " 00:00:00", "T00:00:00.000Z" and the like.
func timeSuffix(s string) bool {
	if s[0] != ' ' && s[0] != 'T' {
		return false
	}
	s = strings.TrimSpace(s[1:])
	if len(s) < 4 || s[0] < '0' || s[0] > '9' {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == ':' || c == '.' || c == 'Z' || c == '+' || c == '-') {
			return false
		}
	}
	return strings.Contains(s, ":")
}

// ParseDate reads s in the first of formats that fits.
func ParseDate(s string, formats []DateFormat) (string, bool) {
	for _, f := range formats {
		if v, ok := f.Parse(s); ok {
			return v, true
		}
	}
	return "", false
}

// Describe lists formats for a problem's reason: "dd-mm-jjjj or jjjj-mm-dd".
func Describe(formats []DateFormat) string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.pattern
	}
	return strings.Join(names, " or ")
}
