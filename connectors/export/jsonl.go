package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
)

// Object is one line of a JSON-lines export. It is valid until the next
// step of the stream.
type Object struct {
	// Line is the object's line.
	Line int
	m    map[string]any
}

// Text returns the value at path as text: a string as is, a number as
// written, true or false; "" for null or a missing key. Keys are compared
// case-insensitively; a path "contact.naam" reaches into nested objects
// (unless the object has that key itself). ok is false when the value is
// an object or array.
func (o *Object) Text(path string) (s string, ok bool) {
	v, found := lookup(o.m, path)
	if !found {
		var cur any = o.m
		for part := range strings.SplitSeq(path, ".") {
			m, isObj := cur.(map[string]any)
			if !isObj {
				return "", true
			}
			if cur, found = lookup(m, part); !found {
				return "", true
			}
		}
		v = cur
	}
	return text(v)
}

// Value returns the raw value at the top-level key, compared
// case-insensitively, for fields that are objects.
func (o *Object) Value(key string) any {
	v, _ := lookup(o.m, key)
	return v
}

// TextOf is Text for a value got with Value: a nested object.
func TextOf(v any, key string) (string, bool) {
	m, isObj := v.(map[string]any)
	if !isObj {
		return "", v == nil
	}
	w, _ := lookup(m, key)
	return text(w)
}

func text(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(v), true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

func lookup(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// ReadJSONLines streams the objects of a JSON-lines export: one JSON
// object per line, blank lines skipped. A line that is not a JSON object,
// or longer than MaxJSONLine, yields a *Problem and the stream goes on; a
// read error ends it.
func ReadJSONLines(r io.Reader, file string, enc Encoding) iter.Seq2[*Object, error] {
	return func(yield func(*Object, error) bool) {
		if file == "" {
			file = "-"
		}
		tr := newTextReader(r, enc)
		obj := &Object{}
		for n := 1; ; n++ {
			line, err := tr.readLine(MaxJSONLine)
			switch {
			case err == io.EOF:
				return
			case errors.Is(err, errLineTooLong):
				if !yield(nil, &Problem{File: file, Line: n, Reason: fmt.Sprintf("longer than %d bytes", MaxJSONLine)}) {
					return
				}
				continue
			case err != nil:
				yield(nil, fmt.Errorf("%s: reading line %d: %w", file, n, err))
				return
			}
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			m, reason := decodeObject(line)
			if reason != "" {
				if !yield(nil, &Problem{File: file, Line: n, Reason: reason}) {
					return
				}
				continue
			}
			obj.Line, obj.m = n, m
			if !yield(obj, nil) {
				return
			}
		}
	}
}

// decodeObject parses one line. Its reasons are our own words: the JSON
// package's messages may quote the text.
func decodeObject(line []byte) (map[string]any, string) {
	if line[0] != '{' {
		return nil, "not a JSON object"
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Sprintf("not valid JSON (at byte %d)", se.Offset)
		}
		return nil, "not valid JSON"
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "trailing data after the JSON object"
	}
	return m, ""
}
