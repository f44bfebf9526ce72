package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode/utf8"
)

// Column is a field an adapter reads from a delimited export.
type Column struct {
	// Names are the header names that mean this column, compared after
	// FoldHeader (or, with CSVOptions.ExactHeaders, case-insensitively as
	// written). The first names the column in problems.
	Names []string
	// Required columns must be in the header; an optional one that is
	// absent reads as empty.
	Required bool
}

// CSVOptions say how a delimited export is read.
type CSVOptions struct {
	// Comma is the separator; 0 detects it from the header line.
	Comma rune
	// Encoding of the text; "" is EncodingAuto.
	Encoding Encoding
	// ExactHeaders compares header names case-insensitively and without
	// surrounding space only, for a mapping that names a column as the
	// export writes it. Otherwise spaces and punctuation are ignored too.
	ExactHeaders bool
}

// Record is one data row of a delimited export. It is valid until the
// next step of the stream.
type Record struct {
	// Line is the line the record starts on.
	Line   int
	fields []string
	index  []int // per Column, the field's position, or -1
}

// Value is the trimmed value of column i (an index into the columns
// given to ReadCSV); "" when the column is absent.
func (r *Record) Value(i int) string {
	j := r.index[i]
	if j < 0 || j >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[j])
}

// Has reports whether column i is in the header.
func (r *Record) Has(i int) bool { return r.index[i] >= 0 }

// FoldHeader is how a header name is compared: lower case, accents
// removed, letters and digits only, so that "Begin datum", "begin_datum"
// and "BEGINDATUM" are one name, as are "Cliëntnummer" and "clientnummer".
func FoldHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(foldAccents(s)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func foldExact(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF")))
}

// separators are what a header line is searched for, in order of
// preference on a tie.
var separators = []rune{';', ',', '\t', '|'}

// detectComma picks the separator that occurs most often outside quotes
// in the header line; ';' wins a tie because Dutch exports use it (the
// comma is the decimal sign).
func detectComma(line string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range line {
		if r == '"' {
			quoted = !quoted
			continue
		}
		if !quoted {
			counts[r]++
		}
	}
	best, n := ',', 0
	for _, s := range separators {
		if counts[s] > n {
			best, n = s, counts[s]
		}
	}
	return best
}

// ReadCSV streams the records of a delimited export with a header line.
// It yields (nil, *Problem) for a row it cannot use and goes on, and a
// final error when the file cannot be read further.
func ReadCSV(r io.Reader, file string, cols []Column, o CSVOptions) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		if file == "" {
			file = "-"
		}
		tr := newTextReader(r, o.Encoding)
		first, err := tr.peekLine()
		if err == io.EOF {
			yield(nil, fmt.Errorf("%s: the file is empty; a header line is required", file))
			return
		}
		if err != nil {
			yield(nil, readError(file, 1, 0, err))
			return
		}
		comma, offset := o.Comma, 0
		if s := strings.TrimRight(string(first), "\r\n"); len(s) > 4 && strings.EqualFold(s[:4], "sep=") {
			// Excel writes and honours this line to say the separator.
			sep, size := utf8.DecodeRuneInString(s[4:])
			if size == len(s)-4 && validComma(sep) {
				comma, offset = sep, 1
				tr.skipPeeked()
			}
		}
		if comma == 0 {
			comma = detectComma(string(first))
		}
		if !validComma(comma) {
			yield(nil, fmt.Errorf("%s: %q cannot separate fields", file, comma))
			return
		}
		cr := csv.NewReader(tr)
		cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord, cr.ReuseRecord = comma, true, -1, true

		header, err := cr.Read()
		if err == io.EOF {
			yield(nil, fmt.Errorf("%s: the file has only empty lines; a header line is required", file))
			return
		}
		if err != nil {
			yield(nil, readError(file, 1+offset, offset, err))
			return
		}
		headerLine, _ := cr.FieldPos(0)
		headerLine += offset
		fold := FoldHeader
		if o.ExactHeaders {
			fold = foldExact
		}
		rec := &Record{index: make([]int, len(cols))}
		if err := matchHeader(header, cols, fold, rec.index); err != nil {
			yield(nil, fmt.Errorf("%s:%d: %w", file, headerLine, err))
			return
		}
		width := len(header)
		last := headerLine
		for {
			tr.mark = cr.InputOffset()
			fields, err := cr.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, readError(file, last+1, offset, err))
				return
			}
			line, _ := cr.FieldPos(0)
			line += offset
			last = line
			if allEmpty(fields) {
				continue // spreadsheets leave rows of separators behind
			}
			if extra := nonEmpty(fields[min(width, len(fields)):]); extra > 0 {
				if !yield(nil, &Problem{File: file, Line: line, Reason: fmt.Sprintf(
					"%d fields where the header has %d: is a separator in a value not quoted? The columns after it would be shifted",
					len(fields), width)}) {
					return
				}
				continue
			}
			rec.Line, rec.fields = line, fields
			if !yield(rec, nil) {
				return
			}
		}
	}
}

func validComma(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError && utf8.ValidRune(r)
}

// matchHeader finds each column in the header. It names columns by their
// first name only, never by the header's text: a file without a header
// line has its first data row there.
func matchHeader(header []string, cols []Column, fold func(string) string, index []int) error {
	pos := map[string]int{}
	for i, h := range header {
		k := fold(h)
		if k == "" {
			continue
		}
		if _, dup := pos[k]; !dup {
			pos[k] = i
		} else {
			pos[k] = -2 - i // remember it is ambiguous
		}
	}
	var missing []string
	for c, col := range cols {
		index[c] = -1
		for _, name := range col.Names {
			i, ok := pos[fold(name)]
			if !ok {
				continue
			}
			if i < 0 {
				return fmt.Errorf("two columns are named %s; which one is meant is unclear", col.Names[0])
			}
			if index[c] >= 0 && index[c] != i {
				return fmt.Errorf("two columns mean %s (columns %d and %d)", col.Names[0], index[c]+1, i+1)
			}
			index[c] = i
		}
		if index[c] < 0 && col.Required {
			missing = append(missing, col.Names[0])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no column %s in the header line (is the first line a header?)", strings.Join(missing, ", "))
	}
	return nil
}

// readError describes a read that cannot go on; line is the first line
// not read, offset the lines skipped before the CSV parser saw any.
func readError(file string, line, offset int, err error) error {
	var pe *csv.ParseError
	switch {
	case errors.Is(err, errRecordTooLong):
		return fmt.Errorf("%s: a record after line %d is longer than %d bytes; is a quote not closed?", file, line-1, MaxRecord)
	case errors.As(err, &pe):
		// The parse error's own message holds no field values.
		return fmt.Errorf("%s:%d: %v", file, pe.StartLine+offset, pe.Err)
	}
	return fmt.Errorf("%s: reading after line %d: %w", file, line-1, err)
}

func allEmpty(fields []string) bool { return nonEmpty(fields) == 0 }

func nonEmpty(fields []string) int {
	n := 0
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			n++
		}
	}
	return n
}
