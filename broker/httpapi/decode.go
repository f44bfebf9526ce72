package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
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

// decodeStrict decodes one JSON value from body into v. Unknown fields,
// duplicate keys, trailing data and wrong types are refused: lenient parsing
// lets two parsers disagree about what a request said.
func decodeStrict(body []byte, v any) error {
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
			return malformed(typeErr.Field, "field %q must be %s", typeErr.Field, typeErr.Type.String())
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
// same key twice.
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
				if _, dup := stack[top].keys[t]; dup {
					return malformed(t, "duplicate key %q", t)
				}
				stack[top].keys[t] = struct{}{}
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
