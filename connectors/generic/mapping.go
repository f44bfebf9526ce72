package generic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Mapping says how to read one partner's export. See the package
// documentation for the file format.
type Mapping struct {
	// Format is "csv" (the default) or "jsonl".
	Format string `json:"format,omitempty"`
	// Separator of a CSV file: ",", ";", "|", "tab", or "auto" (the
	// default: detected from the header line).
	Separator string `json:"separator,omitempty"`
	// Encoding: "auto" (the default), "utf-8" or "windows-1252".
	Encoding string `json:"encoding,omitempty"`
	// DateFormat is one format, or a list tried in order, such as
	// "dd-mm-jjjj"; the default is dd-mm-jjjj or jjjj-mm-dd.
	DateFormat Strings `json:"date_format,omitempty"`

	// Ref is the column, or columns joined with ':', that identify a row.
	Ref Source `json:"ref"`
	// RefPrefix goes before the reference, e.g. "wmo-".
	RefPrefix string `json:"ref_prefix,omitempty"`
	// BSN is the column of the BSN.
	BSN Source `json:"bsn"`
	// Service is the column of the service, or a fixed value.
	Service Source `json:"service"`
	// ServiceValues translates the service column's values (compared
	// case-insensitively) to codes and labels; when set, other values are
	// bad rows. Without it, a value becomes a code as export.ServiceCode
	// makes one, and is the label.
	ServiceValues map[string]ServiceValue `json:"service_values,omitempty"`
	// Label is the column of the service label, or a fixed value.
	Label Source `json:"label,omitzero"`
	// Status is the column of the status; without one, or when a row's is
	// empty, the status is derived from the dates.
	Status Source `json:"status,omitzero"`
	// StatusValues translates status values (compared case-insensitively)
	// to registered, active or ended, on top of the built-in Dutch words.
	StatusValues map[string]string `json:"status_values,omitempty"`
	// Start and End are the columns of the dates.
	Start Source `json:"start,omitzero"`
	End   Source `json:"end,omitzero"`
	// Contact names the columns (or fixed values) of the contact.
	Contact ContactMapping `json:"contact,omitzero"`
}

// ContactMapping is where the contact comes from.
type ContactMapping struct {
	Name  Source `json:"name,omitzero"`
	Phone Source `json:"phone,omitzero"`
	Email Source `json:"email,omitzero"`
}

// Source is a column, several columns, or a fixed value. In a mapping
// file it is written as a column name ("consulent"), a list of column
// names ([clientnummer, voorziening]), or an object with "column",
// "columns" or "value".
type Source struct {
	Column  string   `json:"column,omitempty"`
	Columns []string `json:"columns,omitempty"`
	Value   string   `json:"value,omitempty"`
}

// IsZero reports whether the source is not set.
func (s Source) IsZero() bool { return s.Column == "" && len(s.Columns) == 0 && s.Value == "" }

// UnmarshalJSON reads the three written forms.
func (s *Source) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*s = Source{Column: name}
		return nil
	}
	var names []string
	if json.Unmarshal(b, &names) == nil {
		*s = Source{Columns: names}
		return nil
	}
	type plain Source
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return errors.New(`a column name, a list of column names, or an object with "column", "columns" or "value"`)
	}
	*s = Source(p)
	return nil
}

// columns lists the columns a source reads.
func (s Source) columns() []string {
	if s.Column != "" {
		return append([]string{s.Column}, s.Columns...)
	}
	return s.Columns
}

// name is how problems name the source.
func (s Source) name() string { return strings.Join(s.columns(), "+") }

// ServiceValue is the code and label one service value translates to. In a
// mapping file it is written as a code, or an object with "code" and
// "label".
type ServiceValue struct {
	Code  string `json:"code"`
	Label string `json:"label,omitempty"`
}

// UnmarshalJSON reads both written forms.
func (v *ServiceValue) UnmarshalJSON(b []byte) error {
	var code string
	if json.Unmarshal(b, &code) == nil {
		*v = ServiceValue{Code: code}
		return nil
	}
	type plain ServiceValue
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return errors.New(`a service code, or an object with "code" and "label"`)
	}
	*v = ServiceValue(p)
	return nil
}

// Strings is one text or a list of them.
type Strings []string

// UnmarshalJSON reads a text or a list.
func (s *Strings) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("a text or a list of texts")
	}
	*s = many
	return nil
}

// LoadMapping reads a mapping file, YAML or JSON.
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping reads a mapping, YAML or JSON. Unknown keys are refused:
// a misspelt "contcat" would otherwise leave every contact empty without
// a word.
func ParseMapping(data []byte) (*Mapping, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	js := data
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		// YAML goes through JSON so that both forms share one strict
		// decoder and one set of written forms.
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		if doc == nil {
			return nil, errors.New("the mapping is empty")
		}
		var err error
		if js, err = json.Marshal(plainYAML(doc)); err != nil {
			return nil, err
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		return nil, errors.New("a mapping is an object of keys such as ref, bsn and service")
	}
	var m Mapping
	fields := map[string]any{
		"format": &m.Format, "separator": &m.Separator, "encoding": &m.Encoding, "date_format": &m.DateFormat,
		"ref": &m.Ref, "ref_prefix": &m.RefPrefix, "bsn": &m.BSN, "service": &m.Service,
		"service_values": &m.ServiceValues, "label": &m.Label, "status": &m.Status, "status_values": &m.StatusValues,
		"start": &m.Start, "end": &m.End, "contact": &m.Contact,
	}
	// Key by key, so that an error names the key it is about.
	keys := slices.Sorted(maps.Keys(top))
	for _, k := range keys {
		p, ok := fields[k]
		if !ok {
			return nil, fmt.Errorf("unknown key %q", k)
		}
		dec := json.NewDecoder(bytes.NewReader(top[k]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(p); err != nil {
			return nil, fmt.Errorf("%s: %w", k, mappingError(err))
		}
	}
	return &m, nil
}

// plainYAML makes what yaml decoded marshalable as JSON: map keys become
// text ("1: code" in service_values has a number for a key).
func plainYAML(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = plainYAML(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = plainYAML(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = plainYAML(e)
		}
		return v
	case int, int64, uint64, float64:
		// An unquoted number where text is meant (a fixed phone number):
		// take it as written; a leading zero is lost to YAML already.
		return fmt.Sprint(v)
	}
	return v
}

// mappingError says which key is wrong in the mapping's own terms.
func mappingError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Errorf("%s: must be %s", te.Field, kind(te.Type.Kind().String()))
		}
		return fmt.Errorf("must be %s", kind(te.Type.Kind().String()))
	}
	if s, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown key %s", s)
	}
	return err
}

func kind(k string) string {
	switch k {
	case "string", "slice":
		return "text"
	case "map", "struct":
		return "an object"
	}
	return k
}
