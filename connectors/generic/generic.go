package generic

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/export"
)

// Name is the adapter's name.
const Name = "generic"

// Adapter reads an export as its mapping says.
type Adapter struct {
	m        Mapping
	jsonl    bool
	comma    rune
	enc      export.Encoding
	dates    []export.DateFormat
	services map[string]ServiceValue // folded value → code and label
	statuses map[string]string       // folded value → status
	columns  []export.Column         // CSV: every column the mapping names, once
	index    map[string]int          // column name (folded) → position in columns
}

var _ export.Adapter = (*Adapter)(nil)

// Open is the adapter's factory for an export.Registry: it loads the
// mapping file cfg.Mapping, which is required.
func Open(cfg export.Config) (export.Adapter, error) {
	if cfg.Mapping == "" {
		return nil, errors.New("generic: a mapping file is required (--mapping)")
	}
	m, err := LoadMapping(cfg.Mapping)
	if err != nil {
		return nil, err
	}
	return New(m)
}

// Name returns "generic".
func (*Adapter) Name() string { return Name }

var (
	servicePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	prefixPattern  = regexp.MustCompile(`^[A-Za-z0-9._:-]{0,32}$`)
)

// builtinStatuses are the words Dutch case systems use for a status.
var builtinStatuses = map[string]string{
	"registered": broker.InvolvementRegistered, "aangemeld": broker.InvolvementRegistered,
	"aanmelding": broker.InvolvementRegistered, "aangevraagd": broker.InvolvementRegistered,
	"gepland": broker.InvolvementRegistered, "wachtlijst": broker.InvolvementRegistered,
	"active": broker.InvolvementActive, "actief": broker.InvolvementActive, "lopend": broker.InvolvementActive,
	"open": broker.InvolvementActive, "toegekend": broker.InvolvementActive, "in behandeling": broker.InvolvementActive,
	"ended": broker.InvolvementEnded, "beeindigd": broker.InvolvementEnded, "beëindigd": broker.InvolvementEnded,
	"afgesloten": broker.InvolvementEnded, "gesloten": broker.InvolvementEnded, "gestopt": broker.InvolvementEnded,
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// New checks a mapping and makes its adapter.
func New(m *Mapping) (*Adapter, error) {
	a := &Adapter{m: *m, statuses: map[string]string{}}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	switch fold(m.Format) {
	case "", "csv":
	case "jsonl", "ndjson", "json-lines", "jsonlines":
		a.jsonl = true
	default:
		bad("format", "%q is neither csv nor jsonl", m.Format)
	}
	switch sep := m.Separator; {
	case a.jsonl && sep != "":
		bad("separator", "a JSON-lines file has none")
	case sep == "" || fold(sep) == "auto":
	case fold(sep) == "tab" || sep == "\t":
		a.comma = '\t'
	case sep == "," || sep == ";" || sep == "|":
		a.comma = rune(sep[0])
	default:
		bad("separator", `use ",", ";", "|", "tab" or "auto"`)
	}
	enc, err := export.ParseEncoding(m.Encoding)
	if err != nil {
		bad("encoding", "%v", err)
	}
	a.enc = enc
	a.dates = export.DutchOrISO
	if len(m.DateFormat) > 0 {
		a.dates = nil
		for _, s := range m.DateFormat {
			f, err := export.ParseDateFormat(s)
			if err != nil {
				bad("date_format", "%v", err)
				continue
			}
			a.dates = append(a.dates, f)
		}
	}

	columnOnly := func(key string, s Source, required, several bool) {
		switch {
		case s.IsZero():
			if required {
				bad(key, "is required: name the column")
			}
		case s.Value != "":
			bad(key, "must be a column, not a fixed value")
		case len(s.columns()) > 1 && !several:
			bad(key, "must be one column")
		}
		for _, c := range s.columns() {
			if strings.TrimSpace(c) == "" {
				bad(key, "a column name is empty")
			}
		}
	}
	columnOr := func(key string, s Source) {
		if s.Value != "" && len(s.columns()) > 0 {
			bad(key, "is a column or a fixed value, not both")
		}
		if len(s.columns()) > 1 {
			bad(key, "must be one column")
		}
	}
	columnOnly("ref", m.Ref, true, true)
	if !prefixPattern.MatchString(m.RefPrefix) {
		bad("ref_prefix", "at most 32 letters, digits, '.', '_', ':' or '-'")
	}
	columnOnly("bsn", m.BSN, true, false)
	columnOr("service", m.Service)
	switch {
	case m.Service.IsZero():
		bad("service", "is required: a column, or {value: code}")
	case m.Service.Value != "" && !servicePattern.MatchString(m.Service.Value):
		bad("service", "the value must be a service code: 1-64 lower-case letters, digits, '.', '_' or '-'")
	case m.Service.Value != "" && len(m.ServiceValues) > 0:
		bad("service_values", "translate a service column; the service is a fixed value")
	}
	if len(m.ServiceValues) > 0 {
		a.services = map[string]ServiceValue{}
		for k, v := range m.ServiceValues {
			if !servicePattern.MatchString(v.Code) {
				bad("service_values", "%q: the code must be 1-64 lower-case letters, digits, '.', '_' or '-'", k)
			}
			if len(v.Label) > 100 {
				bad("service_values", "%q: the label is longer than 100 bytes", k)
			}
			a.services[fold(k)] = v
		}
	}
	columnOr("label", m.Label)
	columnOnly("status", m.Status, false, false)
	for k, v := range builtinStatuses {
		a.statuses[k] = v
	}
	for k, v := range m.StatusValues {
		switch v {
		case broker.InvolvementRegistered, broker.InvolvementActive, broker.InvolvementEnded:
			a.statuses[fold(k)] = v
		default:
			bad("status_values", "%q: %q must be registered, active or ended", k, v)
		}
	}
	if len(m.StatusValues) > 0 && m.Status.IsZero() {
		bad("status_values", "there is no status column to translate")
	}
	columnOnly("start", m.Start, false, false)
	columnOnly("end", m.End, false, false)
	columnOr("contact.name", m.Contact.Name)
	columnOr("contact.phone", m.Contact.Phone)
	columnOr("contact.email", m.Contact.Email)
	if len(errs) > 0 {
		return nil, fmt.Errorf("mapping: %w", errors.Join(errs...))
	}

	// Every column the mapping names must be in a CSV file's header: a
	// misspelt column would otherwise read as empty on every row.
	a.index = map[string]int{}
	for _, s := range []Source{m.Ref, m.BSN, m.Service, m.Label, m.Status, m.Start, m.End,
		m.Contact.Name, m.Contact.Phone, m.Contact.Email} {
		for _, c := range s.columns() {
			if _, ok := a.index[fold(c)]; !ok {
				a.index[fold(c)] = len(a.columns)
				a.columns = append(a.columns, export.Column{Names: []string{strings.TrimSpace(c)}, Required: true})
			}
		}
	}
	return a, nil
}

// Mapping returns the adapter's mapping.
func (a *Adapter) Mapping() Mapping { return a.m }

// Rows streams the rows of an export.
func (a *Adapter) Rows(r io.Reader, opts export.Options) iter.Seq2[export.Row, error] {
	mp := export.NewMapper(opts)
	if a.jsonl {
		objects := export.ReadJSONLines(r, mp.File(), a.enc)
		return export.Map(objects, func(o *export.Object) (export.Row, *export.Problem) {
			return a.row(mp, o.Line, func(b *export.Builder, col string) string {
				s, ok := o.Text(col)
				if !ok {
					b.Fail(col, "must be text, a number or null")
				}
				return s
			})
		})
	}
	records := export.ReadCSV(r, mp.File(), a.columns, export.CSVOptions{Comma: a.comma, Encoding: a.enc, ExactHeaders: true})
	return export.Map(records, func(rec *export.Record) (export.Row, *export.Problem) {
		return a.row(mp, rec.Line, func(_ *export.Builder, col string) string {
			return rec.Value(a.index[fold(col)])
		})
	})
}

// row maps one record; get reads a column of it.
func (a *Adapter) row(mp *export.Mapper, line int, get func(*export.Builder, string) string) (export.Row, *export.Problem) {
	m := &a.m
	b := mp.Row(line)
	value := func(s Source) string {
		if s.Value != "" {
			return s.Value
		}
		if s.Column == "" && len(s.Columns) == 0 {
			return ""
		}
		return get(b, s.columns()[0])
	}
	var parts []string
	for _, c := range m.Ref.columns() {
		v := get(b, c)
		if v == "" {
			// Name the column that is empty, not the whole reference.
			b.Fail(c, "is empty; every row needs its own reference")
		}
		parts = append(parts, v)
	}
	b.Ref(m.Ref.name(), m.RefPrefix, parts...)
	b.BSN(m.BSN.name(), value(m.BSN))

	code, label := m.Service.Value, value(m.Label)
	if m.Service.Value == "" {
		raw := value(m.Service)
		switch {
		case raw == "":
			b.Fail(m.Service.name(), "is empty")
		case a.services != nil:
			sv, ok := a.services[fold(raw)]
			if !ok {
				b.Fail(m.Service.name(), "is not one of the values in the mapping's service_values")
			}
			code = sv.Code
			if m.Label.IsZero() {
				label = sv.Label
			}
		default:
			code = export.ServiceCode(raw)
			if m.Label.IsZero() {
				label = raw
			}
		}
	}
	b.Service(orName(m.Service), code, label)

	if !m.Status.IsZero() {
		if s := value(m.Status); s != "" {
			st, ok := a.statuses[fold(s)]
			if !ok {
				b.Fail(m.Status.name(), "is not a status the mapping knows (add it to status_values)")
			}
			b.Status(m.Status.name(), st)
		}
	}
	b.Start(m.Start.name(), value(m.Start), a.dates)
	b.End(m.End.name(), value(m.End), a.dates)
	b.Contact(orName(m.Contact.Name), value(m.Contact.Name), orName(m.Contact.Phone), value(m.Contact.Phone),
		orName(m.Contact.Email), value(m.Contact.Email))
	return b.Done()
}

// orName names a source in problems: its column, or "(fixed value)".
func orName(s Source) string {
	if s.Value != "" {
		return "(fixed value)"
	}
	return s.name()
}
