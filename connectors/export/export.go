package export

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Row is one involvement mapped from an export.
type Row struct {
	// Line is the line of the export the row starts on (1-based).
	Line int `json:"line"`
	// Ref is the partner's reference of the involvement, valid for the
	// broker (broker.ValidRef).
	Ref string `json:"ref"`
	// Input is what the broker is told; Input.BSN has passed the elfproef.
	Input broker.InvolvementInput `json:"input"`
	// Warnings name values the row was mapped without.
	Warnings []Problem `json:"warnings,omitempty"`
}

// String describes the row without its BSN, so that a row that slips into
// a log line or error message does not take the number with it.
func (r Row) String() string {
	return fmt.Sprintf("line %d ref %s service %s status %s [bsn]", r.Line, r.Ref, r.Input.Service, r.Input.Status)
}

// GoString hides the BSN from %#v too.
func (r Row) GoString() string { return "export.Row{" + r.String() + "}" }

// LogValue hides the BSN from slog.
func (r Row) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("line", r.Line), slog.String("ref", r.Ref),
		slog.String("service", r.Input.Service), slog.String("status", r.Input.Status))
}

// Problem is a bad row, skipped, or (Warning) a value a row was mapped
// without. It never holds a value of the export: a BSN must not reach a
// report, and any column could hold one when an export is shifted.
type Problem struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
	// Ref is the skipped row's reference when it could be made (and holds
	// nothing of the BSN column); WriteSync can keep that involvement as
	// it was (SyncOptions.KeepSkipped). Error leaves it out.
	Ref string `json:"ref,omitempty"`
	// Warning is set when the row was still mapped, without the value.
	Warning bool `json:"warning,omitempty"`
}

func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	if p.Column != "" {
		b.WriteString(p.Column + ": ")
	}
	b.WriteString(p.Reason)
	if p.Warning {
		b.WriteString(" (left out; the row is kept)")
	}
	return b.String()
}

// Options are per read.
type Options struct {
	// File names the export in problems; "" means "-" (standard input).
	File string
	// Today is the date statuses are derived against; zero means now, in
	// Europe/Amsterdam when that zone is known. Tests set it.
	Today time.Time
}

func (o Options) file() string {
	if o.File == "" {
		return "-"
	}
	return o.File
}

var amsterdam = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return loc
	}
	return time.Local
}()

// today is the date in the municipality's time zone: a server running in
// UTC would otherwise end an involvement an hour or two late or early.
func (o Options) today() string {
	t := o.Today
	if t.IsZero() {
		t = time.Now().In(amsterdam)
	}
	return t.Format(time.DateOnly)
}

// Adapter reads one kind of export.
type Adapter interface {
	// Name is what the CLI calls the adapter (--adapter NAME).
	Name() string
	// Rows streams the rows of the export in r. A *Problem is a skipped
	// row and the stream goes on; any other error ends it. The sequence
	// reads r as it goes, so it can be ranged over once.
	Rows(r io.Reader, opts Options) iter.Seq2[Row, error]
}

// Config is what the CLI hands an adapter's factory.
type Config struct {
	// Mapping is the path of a mapping file, for adapters that take one.
	Mapping string
}

// Factory makes an adapter from the CLI's configuration.
type Factory func(Config) (Adapter, error)

// Registry maps adapter names to factories. The CLI builds it from the
// adapter packages it links, so that no package registers itself behind
// the binary's back:
//
//	adapters := export.Registry{school.Name: school.Open, generic.Name: generic.Open}
//	a, err := adapters.Open(name, export.Config{Mapping: mappingPath})
type Registry map[string]Factory

// Open makes the adapter called name.
func (r Registry) Open(name string, cfg Config) (Adapter, error) {
	f, ok := r[name]
	if !ok {
		return nil, fmt.Errorf("export: no adapter %q (known: %s)", name, strings.Join(r.Names(), ", "))
	}
	return f(cfg)
}

// Names lists the adapters in alphabetical order.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NoMapping is the check of an adapter that takes no mapping file: one
// given by mistake is refused rather than silently ignored.
func NoMapping(name string, cfg Config) error {
	if cfg.Mapping != "" {
		return fmt.Errorf("export: the %s adapter takes no mapping file", name)
	}
	return nil
}

// Read collects all rows and the skipped rows' problems of a small export;
// warnings stay with their rows. Use Adapter.Rows for large ones.
func Read(a Adapter, r io.Reader, opts Options) ([]Row, []Problem, error) {
	return Collect(a.Rows(r, opts))
}

// Collect gathers a stream's rows and problems.
func Collect(seq iter.Seq2[Row, error]) ([]Row, []Problem, error) {
	var rows []Row
	var problems []Problem
	for row, err := range seq {
		var p *Problem
		switch {
		case errors.As(err, &p):
			problems = append(problems, *p)
		case err != nil:
			return rows, problems, err
		default:
			rows = append(rows, row)
		}
	}
	return slices.Clip(rows), problems, nil
}
