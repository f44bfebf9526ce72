package export

import (
	"fmt"
	"hash/maphash"
	"iter"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The broker's own limits (broker/involvement.go), checked here as well so
// that a row it would refuse is reported with its file and line.
var (
	servicePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	phonePattern   = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{5,24}$`)
)

const (
	maxLabel = 100
	maxEmail = 200
	maxRef   = 128
)

// Mapper turns the values of one export's rows into Rows, with the checks
// every adapter makes alike. It remembers each reference (as a 64-bit
// hash, 8 bytes a row) to report one used twice.
type Mapper struct {
	file  string
	today string
	seed  maphash.Seed
	seen  map[uint64]int
}

// NewMapper starts mapping one export.
func NewMapper(opts Options) *Mapper {
	return &Mapper{file: opts.file(), today: opts.today(), seed: maphash.MakeSeed(), seen: map[uint64]int{}}
}

// File is the export's name in problems.
func (m *Mapper) File() string { return m.file }

// Today is the date statuses are derived against, YYYY-MM-DD.
func (m *Mapper) Today() string { return m.today }

// Problem makes a bad-row problem.
func (m *Mapper) Problem(line int, column, reason string) *Problem {
	return &Problem{File: m.file, Line: line, Column: column, Reason: reason}
}

// Row starts a row at line.
func (m *Mapper) Row(line int) *Builder {
	return &Builder{m: m, row: Row{Line: line}}
}

// Builder fills one row. Each setter names the column the value came from,
// for the problem it may cause; after the first problem the rest do
// nothing, and Done reports it.
type Builder struct {
	m       *Mapper
	row     Row
	err     *Problem
	rawBSN  string // the BSN column's digits, valid or not
	refCol  string
	refSet  bool
	startCl string
	endCl   string
	fields  [][2]string // column, value: checked for the BSN in Done
}

// Failed reports whether the row already has a problem.
func (b *Builder) Failed() bool { return b.err != nil }

// Fail records a problem with the row.
func (b *Builder) Fail(column, reason string) {
	if b.err == nil {
		b.err = b.m.Problem(b.row.Line, column, reason)
	}
}

func (b *Builder) warn(column, reason string) {
	b.row.Warnings = append(b.row.Warnings, Problem{File: b.m.file, Line: b.row.Line, Column: column, Reason: reason, Warning: true})
}

// Required fails when v is empty.
func (b *Builder) Required(column, v string) bool {
	if v == "" {
		b.Fail(column, "is empty")
		return false
	}
	return true
}

// Ref sets the reference: prefix and the parts joined with ':', each part
// with characters a reference cannot hold made '-'. An empty part fails
// the row.
func (b *Builder) Ref(column, prefix string, parts ...string) {
	if b.err != nil {
		return
	}
	b.refCol, b.refSet = column, true
	if len(parts) == 0 {
		b.Fail(column, "is empty; every row needs its own reference")
		return
	}
	var s strings.Builder
	s.WriteString(prefix)
	for i, p := range parts {
		if i > 0 {
			s.WriteByte(':')
		}
		part := RefPart(p)
		switch {
		case strings.TrimSpace(p) == "":
			b.Fail(column, "is empty; every row needs its own reference")
			return
		case part == "":
			b.Fail(column, "does not make a valid reference: no letters or digits")
			return
		}
		s.WriteString(part)
	}
	ref := s.String()
	switch {
	case len(ref) > maxRef:
		b.Fail(column, fmt.Sprintf("makes a reference longer than %d characters", maxRef))
	case broker.ContainsBSN(ref):
		b.Fail(column, "holds a number that looks like a BSN (nine digits passing the elfproef); a reference appears in URLs and logs, so it must not: map another column as the reference")
	case !broker.ValidRef(ref):
		b.Fail(column, "does not make a valid reference: "+broker.RefRule)
	default:
		b.row.Ref = ref
	}
}

// RefPart makes s fit in a reference: accents go ("Cliëntondersteuning"
// is "Clientondersteuning"), other characters than ASCII letters, digits,
// '.', '_', ':' and '-' become '-' (runs of them one '-'), and leading and
// trailing '-' go.
func RefPart(s string) string {
	var out strings.Builder
	dash := false
	for _, r := range foldAccents(strings.TrimSpace(s)) {
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-') {
			out.WriteRune(r)
			dash = r == '-'
			continue
		}
		if !dash {
			out.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(out.String(), "-")
}

// BSN sets the BSN after the elfproef. The reasons never hold the number.
func (b *Builder) BSN(column, v string) {
	if b.err != nil {
		return
	}
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' || r == '\u00a0' {
			return -1
		}
		return r
	}, v)
	b.rawBSN = digits
	switch {
	case digits == "":
		b.Fail(column, "is empty")
		return
	case len(digits) == 8 && allDigits(digits):
		b.Fail(column, "has 8 digits: a leading zero was probably lost (spreadsheets drop it); a BSN has 9")
		return
	}
	bsn, err := broker.ParseBSN(digits)
	if err != nil {
		b.Fail(column, "is not a valid BSN: "+broker.ErrBSN.Error())
		return
	}
	b.row.Input.BSN = bsn.Digits()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Service sets the service code and label. An empty label means none.
func (b *Builder) Service(column, code, label string) {
	if b.err != nil {
		return
	}
	if !servicePattern.MatchString(code) {
		b.Fail(column, "does not give a service code (1-64 lower-case letters, digits, '.', '_' or '-')")
		return
	}
	b.row.Input.Service, b.row.Input.ServiceLabel = code, Shorten(label, maxLabel)
	b.fields = append(b.fields, [2]string{column, label})
}

// Status sets a status given by the export; "" leaves it to be derived.
func (b *Builder) Status(column, status string) {
	if b.err != nil || status == "" {
		return
	}
	switch status {
	case broker.InvolvementRegistered, broker.InvolvementActive, broker.InvolvementEnded:
		b.row.Input.Status = status
	default:
		b.Fail(column, "is not a status the broker knows (registered, active, ended)")
	}
}

// Start sets the start date from v in one of formats; "" is no date.
func (b *Builder) Start(column, v string, formats []DateFormat) {
	b.row.Input.Start = b.date(column, v, formats)
	b.startCl = column
}

// End sets the end date from v in one of formats; "" is no date.
func (b *Builder) End(column, v string, formats []DateFormat) {
	b.row.Input.End = b.date(column, v, formats)
	b.endCl = column
}

func (b *Builder) date(column, v string, formats []DateFormat) string {
	if b.err != nil || v == "" {
		return ""
	}
	d, ok := ParseDate(v, formats)
	if !ok {
		b.Fail(column, "is not a date "+Describe(formats)+" between 1900 and 2200")
	}
	return d
}

// StartDate is the start set so far, YYYY-MM-DD or "".
func (b *Builder) StartDate() string { return b.row.Input.Start }

// Contact sets the contact. A phone number or e-mail address the broker
// would refuse is left out with a warning rather than losing the row: the
// involvement matters more than how to reach its contact.
func (b *Builder) Contact(nameCol, name, phoneCol, phone, emailCol, email string) {
	if b.err != nil {
		return
	}
	c := broker.Contact{Name: Shorten(name, maxLabel)}
	b.fields = append(b.fields, [2]string{nameCol, name}, [2]string{phoneCol, phone}, [2]string{emailCol, email})
	if phone != "" {
		if p, ok := Phone(phone); ok {
			c.Phone = p
		} else {
			b.warn(phoneCol, "is not a phone number")
		}
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err == nil && a.Address == email && len(email) <= maxEmail {
			c.Email = email
		} else {
			b.warn(emailCol, "is not an e-mail address")
		}
	}
	b.row.Input.Contact = c
}

// Phone tidies a Dutch phone number as exports write it ('.' and '/'
// between digits become spaces, brackets around a leading area code go, a
// leading zero a spreadsheet dropped comes back) and reports whether the
// broker will take it.
func Phone(s string) (string, bool) {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '.' || r == '/'
	}), " ")
	if strings.HasPrefix(s, "(") {
		// "(033) 222 11 00": the broker wants a digit first, and the
		// brackets only mark the area code.
		s = strings.NewReplacer("(", "", ")", "").Replace(s)
	}
	if len(s) == 9 && allDigits(s) && s[0] != '0' {
		s = "0" + s // spreadsheets drop the leading zero of 0334567890
	}
	return s, phonePattern.MatchString(s)
}

// Done finishes the row: end not before start, the status derived when
// the export gave none, the BSN nowhere but in its field, the reference
// not used before. It returns the row, or the problem that skips it.
func (b *Builder) Done() (Row, *Problem) {
	if b.err == nil && !b.refSet {
		b.Fail("", "no reference")
	}
	if b.err != nil {
		b.keepRef()
		return Row{}, b.err
	}
	in := &b.row.Input
	fail := func(column, reason string) (Row, *Problem) {
		b.Fail(column, reason)
		b.keepRef()
		return Row{}, b.err
	}
	if in.Start != "" && in.End != "" && in.End < in.Start {
		return fail(b.endCl, "is before "+orDefault(b.startCl, "the start date"))
	}
	if in.BSN != "" {
		if strings.Contains(b.row.Ref, in.BSN) {
			return fail(b.refCol, "holds the row's BSN; a reference appears in URLs and logs, so it must not")
		}
		for _, f := range b.fields {
			if strings.Contains(onlyDigits(f[1]), in.BSN) {
				return fail(f[0], "holds the row's BSN: is a column shifted?")
			}
		}
	}
	if in.Status == "" {
		in.Status = StatusOn(in.Start, in.End, b.m.today)
	}
	h := maphash.String(b.m.seed, b.row.Ref)
	if first, dup := b.m.seen[h]; dup {
		// No Problem.Ref: the reference is in the caseload already.
		b.Fail(b.refCol, fmt.Sprintf("gives the same reference as line %d", first))
		return Row{}, b.err
	}
	b.m.seen[h] = b.row.Line
	return b.row, nil
}

// keepRef puts the reference on the row's problem, unless it could carry
// (part of) what is in the BSN column: a reference is sent and shown.
func (b *Builder) keepRef() {
	ref := b.row.Ref
	if ref == "" || len(b.rawBSN) >= 8 && strings.Contains(ref, b.rawBSN) {
		return
	}
	if b.row.Input.BSN != "" && strings.Contains(ref, b.row.Input.BSN) {
		return
	}
	// A kept reference is in the caseload like a good row's: a later row
	// with it is a duplicate, as the broker would find.
	h := maphash.String(b.m.seed, ref)
	if _, dup := b.m.seen[h]; dup {
		return
	}
	b.m.seen[h] = b.row.Line
	b.err.Ref = ref
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// StatusOn derives a status from the dates (YYYY-MM-DD or "") and today:
// ended when the end is before today, registered when the start is after
// today, active otherwise.
func StatusOn(start, end, today string) string {
	switch {
	case end != "" && end < today:
		return broker.InvolvementEnded
	case start != "" && start > today:
		return broker.InvolvementRegistered
	}
	return broker.InvolvementActive
}

// Shorten cuts s to at most max bytes on a rune boundary, ending in "…"
// when it cut.
func Shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

var (
	foldPool = sync.Pool{New: func() any {
		return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	}}
)

// foldAccents removes accents: "é" becomes "e", "ë" "e".
func foldAccents(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	t := foldPool.Get().(transform.Transformer)
	folded, _, err := transform.String(t, s)
	foldPool.Put(t)
	if err != nil {
		return s
	}
	return folded
}

// ServiceCode makes a service code of free text: lower case, accents
// removed, every other run of characters one '-', at most 64 characters.
// "Extra ondersteuning" is "extra-ondersteuning", "Ambulante hulp (Jeugdwet)"
// "ambulante-hulp-jeugdwet". It returns "" when nothing is left.
func ServiceCode(s string) string {
	var out strings.Builder
	dash := false
	for _, r := range strings.ToLower(foldAccents(s)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			out.WriteRune(r)
			dash = false
			continue
		}
		if !dash && out.Len() > 0 {
			out.WriteByte('-')
			dash = true
		}
	}
	code := strings.TrimRight(out.String(), "-")
	if len(code) > 64 {
		code = strings.TrimRight(code[:64], "-")
	}
	return code
}

// Map turns records into rows with fn, which returns a Row or the
// *Problem that skips the record; read problems and errors pass through.
// It is the loop every adapter runs.
func Map[T any](records iter.Seq2[T, error], fn func(T) (Row, *Problem)) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for rec, err := range records {
			if err != nil {
				if !yield(Row{}, err) {
					return
				}
				continue
			}
			row, p := fn(rec)
			if p != nil {
				if !yield(Row{}, p) {
					return
				}
				continue
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}
