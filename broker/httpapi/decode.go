package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"unicode"
)

// bodyError is a problem with the request body itself (not its meaning).
type bodyError struct {
	status int
	code   string
	field  string
	detail string
}

func (e *bodyError) Error() string { return e.code + ": " + e.detail }

func malformed(field, format string, args ...any) error {
	return &bodyError{status: http.StatusBadRequest, code: "malformed_body", field: field, detail: fmt.Sprintf(format, args...)}
}

// digitRun is a run of digits long enough to be a BSN.
var digitRun = regexp.MustCompile(`[0-9]{9,}`)

// decodeStrict decodes one JSON value from body into v, like decodeJSON,
// but a problem never quotes a run of digits that could be a BSN (a
// client keying its data by BSN): the field is named and the number is
// not, so it reaches neither the answer's detail nor the log line of the
// refusal.
func decodeStrict(body []byte, v any) error {
	err := decodeJSON(body, v)
	var be *bodyError
	if errors.As(err, &be) && (digitRun.MatchString(be.field) || digitRun.MatchString(be.detail)) {
		return &bodyError{status: be.status, code: be.code, field: digitRun.ReplaceAllString(be.field, "[number]"),
			detail: digitRun.ReplaceAllString(be.detail, "[number]")}
	}
	return err
}

// decodeJSON decodes one JSON value from body into v. Unknown fields,
// duplicate keys, trailing data and wrong types are refused: lenient parsing
// lets two parsers disagree about what a request said.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return malformed("", "a JSON body is required")
	}
	if err := checkDuplicateKeys(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			field := jsonField(reflect.TypeOf(v), typeErr.Field)
			return malformed(field, "field %q must be %s", field, typeErr.Type.String())
		case errors.As(err, &syntaxErr):
			return malformed("", "invalid JSON at byte %d", syntaxErr.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return malformed(name, "unknown field %q", name)
		}
		return malformed("", "invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("", "trailing data after the JSON value")
	}
	return nil
}

// checkDuplicateKeys walks the JSON tokens and refuses an object with the
// same key twice. Keys are compared as encoding/json matches them to
// fields, case-insensitively: {"bsn":"1","BSN":"2"} sets one field, and a
// parser that reads the first would disagree with one that reads the last.
// (Map keys that differ only in case are refused too; no request has such
// maps: pseudonyms as keys differ in far more than case.)
func checkDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		keys   map[string]struct{}
		object bool
		expect bool // next string token is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return malformed("", "invalid JSON: %v", err)
		}
		if len(stack) > 64 {
			return malformed("", "JSON nested too deeply")
		}
		top := len(stack) - 1
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if top >= 0 && stack[top].object {
					stack[top].expect = true
				}
				stack = append(stack, frame{keys: map[string]struct{}{}, object: true, expect: true})
			case '[':
				if top >= 0 && stack[top].object {
					stack[top].expect = true
				}
				stack = append(stack, frame{})
			case '}', ']':
				stack = stack[:top]
			}
		case string:
			if top >= 0 && stack[top].object && stack[top].expect {
				k := foldKey(t)
				if _, dup := stack[top].keys[k]; dup {
					return malformed(t, "duplicate key %q", t)
				}
				stack[top].keys[k] = struct{}{}
				stack[top].expect = false
				continue
			}
			if top >= 0 && stack[top].object {
				stack[top].expect = true
			}
		default:
			if top >= 0 && stack[top].object {
				stack[top].expect = true
			}
		}
	}
}

// foldKey maps every key that encoding/json would match to the same field
// (bytes.EqualFold, i.e. Unicode simple folding) to the same string.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// jsonField turns the path of an *json.UnmarshalTypeError into JSON member
// names. encoding/json puts the Go name of an embedded struct in the path
// ("InvolvementInput.bsn" for the bsn of an embedded InvolvementInput); the
// client knows only "bsn".
func jsonField(t reflect.Type, path string) string {
	var out []string
	for _, seg := range strings.Split(path, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			t = nil
			out = append(out, seg)
			continue
		}
		if f, ok := t.FieldByName(seg); ok && f.Anonymous && f.Tag.Get("json") == "" {
			t = f.Type
			continue
		}
		out = append(out, seg)
		var next reflect.Type
		for _, f := range reflect.VisibleFields(t) {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if !f.Anonymous && f.IsExported() && strings.EqualFold(name, seg) {
				next = f.Type
				break
			}
		}
		t = next
	}
	return strings.Join(out, ".")
}
