// Package exporttest holds what the adapters' tests share: golden files
// (rewritten with -update), the fixed "today" they derive statuses
// against, and the invariants every adapter's output must keep, which the
// fuzz targets check on whatever input they are given. It registers the
// -update flag, so a test package that has its own must not import it.
package exporttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"iter"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/export"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// Today is the date the tests derive statuses against (a Sunday).
var Today = time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)

// Result is what a golden file holds: an export's rows, its problems, and
// the error that ended the read, if any.
type Result struct {
	Rows     []export.Row     `json:"rows"`
	Problems []export.Problem `json:"problems"`
	Error    string           `json:"error,omitempty"`
}

// Read maps the file at path with a and checks the invariants on the way.
func Read(t testing.TB, a export.Adapter, path string) Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Check(t, a.Rows(bytes.NewReader(data), export.Options{File: filepath.Base(path), Today: Today}))
}

// Golden compares got, as indented JSON, with the file at path, or
// rewrites the file with -update.
func Golden(t testing.TB, path string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, b) {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n%s", path, diff(string(want), string(b)))
	}
}

// diff shows the first differing line, enough to see what changed.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n- " + a + "\n+ " + b
		}
	}
	return "(only whitespace)"
}

var (
	longDigits     = regexp.MustCompile(`[0-9]{9,}`)
	servicePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	phonePattern   = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{5,24}$`)
)

// Check runs a stream to its end and fails t when an invariant breaks:
// every row is one the broker accepts (as far as it can be told without
// the broker), references (of rows and of kept problems) are unique, and
// no problem or error holds nine digits in a row, which is how a BSN would
// leak.
func Check(t testing.TB, seq iter.Seq2[export.Row, error]) Result {
	t.Helper()
	var res Result
	refs := map[string]bool{}
	for row, err := range seq {
		var p *export.Problem
		switch {
		case errors.As(err, &p):
			noDigits(t, p.Error())
			if p.Line < 1 || p.Warning {
				t.Errorf("problem %+v: line must be set and it is no warning", *p)
			}
			if p.Ref != "" {
				if !broker.ValidRef(p.Ref) || refs[p.Ref] {
					t.Errorf("problem %+v: not a valid reference, or one used before", *p)
				}
				refs[p.Ref] = true
			}
			res.Problems = append(res.Problems, *p)
			continue
		case err != nil:
			noDigits(t, err.Error())
			if res.Error != "" {
				t.Errorf("a second error after %q: %v", res.Error, err)
			}
			res.Error = err.Error()
			continue
		}
		if res.Error != "" {
			t.Errorf("a row after the error %q", res.Error)
		}
		checkRow(t, row)
		if refs[row.Ref] {
			t.Errorf("line %d: reference used twice", row.Line)
		}
		refs[row.Ref] = true
		res.Rows = append(res.Rows, row)
	}
	return res
}

func noDigits(t testing.TB, s string) {
	t.Helper()
	if longDigits.MatchString(s) {
		t.Errorf("a message holds nine digits in a row (a BSN could leak this way): %q", s)
	}
}

func checkRow(t testing.TB, row export.Row) {
	t.Helper()
	in := row.Input
	if row.Line < 1 {
		t.Errorf("row without a line: %v", row)
	}
	if !broker.ValidRef(row.Ref) {
		t.Errorf("line %d: reference %q is not valid", row.Line, row.Ref)
	}
	if _, err := broker.ParseBSN(in.BSN); err != nil {
		t.Errorf("line %d: BSN does not pass", row.Line)
	}
	if strings.Contains(row.Ref, in.BSN) || strings.Contains(row.String(), in.BSN) || strings.Contains(row.GoString(), in.BSN) {
		t.Errorf("line %d: the BSN shows outside its field", row.Line)
	}
	if !servicePattern.MatchString(in.Service) || len(in.ServiceLabel) > 100 {
		t.Errorf("line %d: service %q / label %q", row.Line, in.Service, in.ServiceLabel)
	}
	switch in.Status {
	case broker.InvolvementRegistered, broker.InvolvementActive, broker.InvolvementEnded:
	default:
		t.Errorf("line %d: status %q", row.Line, in.Status)
	}
	for _, d := range []string{in.Start, in.End} {
		if d == "" {
			continue
		}
		if v, err := time.Parse(time.DateOnly, d); err != nil || v.Year() < 1900 || v.Year() > 2200 {
			t.Errorf("line %d: date %q", row.Line, d)
		}
	}
	if in.Start != "" && in.End != "" && in.End < in.Start {
		t.Errorf("line %d: end before start", row.Line)
	}
	c := in.Contact
	if len(c.Name) > 100 || c.Phone != "" && !phonePattern.MatchString(c.Phone) {
		t.Errorf("line %d: contact %+v", row.Line, c)
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			t.Errorf("line %d: e-mail %q", row.Line, c.Email)
		}
	}
	for _, w := range row.Warnings {
		noDigits(t, w.Error())
		if !w.Warning {
			t.Errorf("line %d: warning not marked as one", row.Line)
		}
	}
	// The sync line must read back strictly as the broker reads it.
	var buf bytes.Buffer
	enc := export.NewEncoder(&buf)
	if err := enc.Encode(row); err != nil {
		t.Fatal(err)
	}
	enc.Flush()
	var back struct {
		Ref string `json:"ref"`
		broker.InvolvementInput
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil || back.Ref != row.Ref || back.InvolvementInput != in {
		t.Errorf("line %d: the sync line does not read back: %v", row.Line, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("line %d: more than one line written", row.Line)
	}
}

// Seeds adds every file in dir that matches one of the patterns to f's
// corpus, so that plain go test runs the fuzz target on them.
func Seeds(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}
