package export

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"iter"

	"github.com/ketenbrug/ketenbrug/broker"
)

// syncLine is one line of the broker's sync body. Embedding the input
// gives exactly the broker's field order and names (broker/httpapi).
type syncLine struct {
	Ref string `json:"ref"`
	broker.InvolvementInput
}

// Encoder writes rows as lines of the broker's NDJSON sync body.
type Encoder struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewEncoder writes to w; call Flush at the end.
func NewEncoder(w io.Writer) *Encoder {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // "&" in "Zorg & Welzijn" stays readable
	return &Encoder{w: bw, enc: enc}
}

// Encode writes one row as one line.
func (e *Encoder) Encode(r Row) error {
	return e.enc.Encode(syncLine{Ref: r.Ref, InvolvementInput: r.Input})
}

// Flush writes what is buffered.
func (e *Encoder) Flush() error { return e.w.Flush() }

// Keep writes a line that names only ref. The broker rejects the line (it
// has no BSN) but counts the reference as part of the caseload, so a full
// sync leaves that involvement as it was instead of ending it: what a
// caller wants for a row skipped this time (Problem.Ref).
func (e *Encoder) Keep(ref string) error {
	return e.enc.Encode(struct {
		Ref string `json:"ref"`
	}{ref})
}

// Summary counts what WriteSync wrote and skipped.
type Summary struct {
	Rows     int `json:"rows"`
	Skipped  int `json:"skipped"`
	Kept     int `json:"kept"`
	Warnings int `json:"warnings"`
}

// SyncOptions tune writing a sync body.
type SyncOptions struct {
	// Report receives every problem (skipped rows and warnings) in file
	// order; nil ignores them.
	Report func(Problem)
	// KeepSkipped writes a Keep line for each skipped row whose reference
	// is known, so that a bad row leaves its involvement at the broker as
	// it was rather than ended as missing from the caseload. Without it a
	// skipped row ends its involvement. The broker counts the Keep lines
	// among its rejected lines.
	KeepSkipped bool
	// Written, when set, is told of every line written to the body: its
	// number in the body (1-based, as the broker's rejections count), the
	// export line it came from, and whether it is a Keep line. A report
	// uses it to name the broker's rejections by the export's own line,
	// and to leave out the Keep lines, already reported as skipped.
	Written func(bodyLine, fileLine int, kept bool)
}

// WriteSync writes the good rows of an adapter's stream to w as the
// broker's sync body and hands every problem (skipped rows and warnings,
// in file order) to report, which may be nil. It stops at the first error
// that is not a problem, having flushed what it wrote.
func WriteSync(w io.Writer, rows iter.Seq2[Row, error], report func(Problem)) (Summary, error) {
	return SyncOptions{Report: report}.WriteSync(w, rows)
}

// WriteSync is the package's WriteSync with these options.
func (o SyncOptions) WriteSync(w io.Writer, rows iter.Seq2[Row, error]) (Summary, error) {
	var s Summary
	enc := NewEncoder(w)
	line := 0
	written := func(fileLine int, kept bool) {
		line++
		if o.Written != nil {
			o.Written(line, fileLine, kept)
		}
	}
	for row, err := range rows {
		var p *Problem
		switch {
		case errors.As(err, &p):
			s.Skipped++
			if o.Report != nil {
				o.Report(*p)
			}
			if o.KeepSkipped && p.Ref != "" {
				if err := enc.Keep(p.Ref); err != nil {
					return s, err
				}
				s.Kept++
				written(p.Line, true)
			}
			continue
		case err != nil:
			return s, errors.Join(err, enc.Flush())
		}
		for _, wp := range row.Warnings {
			s.Warnings++
			if o.Report != nil {
				o.Report(wp)
			}
		}
		if err := enc.Encode(row); err != nil {
			return s, err
		}
		s.Rows++
		written(row.Line, false)
	}
	return s, enc.Flush()
}
