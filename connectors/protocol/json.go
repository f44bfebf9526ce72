package protocol

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a small, strict JSON reader for the JOSE header and the
// claims set. It exists for two reasons:
//
//   - Security: encoding/json silently accepts duplicate member names (the
//     last one wins), replaces invalid UTF-8 and lone surrogates with
//     U+FFFD, and matches member names case-insensitively. Each of these is
//     a parser differential: another JOSE library reading the same bytes
//     could see different claims. This reader refuses all of them, so every
//     conforming parser agrees on what a token we accept says.
//   - Speed: it decodes a whole claims set with one allocation (values
//     without escapes are substrings of the decoded payload).
//
// It accepts exactly RFC 8259 JSON, with these extra refusals: duplicate
// member names (compared after unescaping), invalid UTF-8, escaped lone
// surrogates, nesting deeper than maxJSONDepth and objects with more than
// maxJSONMembers members.

const (
	maxJSONDepth   = 16
	maxJSONMembers = 64
)

var (
	errJSONSyntax    = errors.New("invalid JSON")
	errJSONDuplicate = errors.New("duplicate member name")
	errJSONUTF8      = errors.New("invalid UTF-8 or lone surrogate in string")
	errJSONLimits    = errors.New("JSON nesting or member count over limit")
)

// jsonReader reads one JSON text held in s.
type jsonReader struct {
	s string
	i int
}

func (r *jsonReader) ws() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.i >= len(r.s) {
		return 0
	}
	return r.s[r.i]
}

// end checks that only whitespace remains.
func (r *jsonReader) end() error {
	r.ws()
	if r.i != len(r.s) {
		return errJSONSyntax
	}
	return nil
}

// objectIter walks the members of one object, checking for duplicate
// names. Usage:
//
//	it, err := r.object()
//	for { name, ok, err := it.next(r); if !ok { break }; ...read value... }
type objectIter struct {
	names []string
	first bool
	done  bool
}

// object consumes '{' and returns an iterator.
func (r *jsonReader) object(buf []string) (objectIter, error) {
	if r.peek() != '{' {
		return objectIter{}, errJSONSyntax
	}
	r.i++
	return objectIter{names: buf[:0], first: true}, nil
}

// next reads the next member name and its colon. ok is false after the
// closing brace.
func (it *objectIter) next(r *jsonReader) (name string, ok bool, err error) {
	if it.done {
		return "", false, nil
	}
	c := r.peek()
	if it.first {
		it.first = false
		if c == '}' {
			r.i++
			it.done = true
			return "", false, nil
		}
	} else {
		switch c {
		case '}':
			r.i++
			it.done = true
			return "", false, nil
		case ',':
			r.i++
			c = r.peek()
		default:
			return "", false, errJSONSyntax
		}
	}
	if c != '"' {
		return "", false, errJSONSyntax
	}
	name, err = r.str()
	if err != nil {
		return "", false, err
	}
	if len(it.names) >= maxJSONMembers {
		return "", false, errJSONLimits
	}
	for _, n := range it.names {
		if n == name {
			return "", false, errJSONDuplicate
		}
	}
	it.names = append(it.names, name)
	if r.peek() != ':' {
		return "", false, errJSONSyntax
	}
	r.i++
	return name, true, nil
}

// str reads a string; the next non-space byte must be '"'. Strings without
// escapes are returned as substrings of r.s (no allocation).
func (r *jsonReader) str() (string, error) {
	if r.peek() != '"' {
		return "", errJSONSyntax
	}
	start := r.i + 1
	ascii := true
	for j := start; j < len(r.s); j++ {
		c := r.s[j]
		switch {
		case c == '"':
			v := r.s[start:j]
			if !ascii && !utf8.ValidString(v) {
				return "", errJSONUTF8
			}
			r.i = j + 1
			return v, nil
		case c == '\\':
			return r.strSlow(start)
		case c < 0x20:
			return "", errJSONSyntax
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", errJSONSyntax
}

// strSlow decodes a string with escapes, starting at its first byte.
func (r *jsonReader) strSlow(start int) (string, error) {
	buf := make([]byte, 0, 64)
	j := start
	for j < len(r.s) {
		c := r.s[j]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", errJSONUTF8
			}
			r.i = j + 1
			return string(buf), nil
		case c < 0x20:
			return "", errJSONSyntax
		case c != '\\':
			buf = append(buf, c)
			j++
			continue
		}
		// escape
		if j+1 >= len(r.s) {
			return "", errJSONSyntax
		}
		e := r.s[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r1, ok := hex4(r.s, j)
			if !ok {
				return "", errJSONSyntax
			}
			j += 4
			switch {
			case utf16.IsSurrogate(r1):
				// Must be a high surrogate followed by \u low surrogate.
				if r1 >= 0xDC00 || j+6 > len(r.s) || r.s[j] != '\\' || r.s[j+1] != 'u' {
					return "", errJSONUTF8
				}
				r2, ok := hex4(r.s, j+2)
				if !ok {
					return "", errJSONSyntax
				}
				dec := utf16.DecodeRune(r1, r2)
				if dec == utf8.RuneError {
					return "", errJSONUTF8
				}
				j += 6
				buf = utf8.AppendRune(buf, dec)
			default:
				buf = utf8.AppendRune(buf, r1)
			}
		default:
			return "", errJSONSyntax
		}
	}
	return "", errJSONSyntax
}

func hex4(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var v rune
	for k := at; k < at+4; k++ {
		c := s[k]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | rune(d)
	}
	return v, true
}

// number reads a JSON number literal and returns it unparsed, plus whether
// it is a plain (optionally negative) integer without fraction or exponent.
func (r *jsonReader) number() (lit string, integer bool, err error) {
	r.ws()
	start := r.i
	j := r.i
	if j < len(r.s) && r.s[j] == '-' {
		j++
	}
	switch {
	case j < len(r.s) && r.s[j] == '0':
		j++
	case j < len(r.s) && '1' <= r.s[j] && r.s[j] <= '9':
		for j < len(r.s) && '0' <= r.s[j] && r.s[j] <= '9' {
			j++
		}
	default:
		return "", false, errJSONSyntax
	}
	integer = true
	if j < len(r.s) && r.s[j] == '.' {
		integer = false
		j++
		d := j
		for j < len(r.s) && '0' <= r.s[j] && r.s[j] <= '9' {
			j++
		}
		if j == d {
			return "", false, errJSONSyntax
		}
	}
	if j < len(r.s) && (r.s[j] == 'e' || r.s[j] == 'E') {
		integer = false
		j++
		if j < len(r.s) && (r.s[j] == '+' || r.s[j] == '-') {
			j++
		}
		d := j
		for j < len(r.s) && '0' <= r.s[j] && r.s[j] <= '9' {
			j++
		}
		if j == d {
			return "", false, errJSONSyntax
		}
	}
	r.i = j
	return r.s[start:j], integer, nil
}

// literal consumes one of true, false, null.
func (r *jsonReader) literal(lit string) error {
	if len(r.s)-r.i < len(lit) || r.s[r.i:r.i+len(lit)] != lit {
		return errJSONSyntax
	}
	r.i += len(lit)
	return nil
}

// skip validates and skips any value, checking nested objects for
// duplicate names too.
func (r *jsonReader) skip(depth int) error {
	if depth > maxJSONDepth {
		return errJSONLimits
	}
	switch r.peek() {
	case '{':
		var buf [8]string
		it, err := r.object(buf[:])
		if err != nil {
			return err
		}
		for {
			_, ok, err := it.next(r)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := r.skip(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		r.i++
		if r.peek() == ']' {
			r.i++
			return nil
		}
		for n := 0; ; n++ {
			if n >= maxJSONMembers {
				return errJSONLimits
			}
			if err := r.skip(depth + 1); err != nil {
				return err
			}
			switch r.peek() {
			case ',':
				r.i++
			case ']':
				r.i++
				return nil
			default:
				return errJSONSyntax
			}
		}
	case '"':
		_, err := r.str()
		return err
	case 't':
		return r.literal("true")
	case 'f':
		return r.literal("false")
	case 'n':
		return r.literal("null")
	default:
		_, _, err := r.number()
		return err
	}
}

// errJSONType marks a well-formed value of the wrong type for a known
// member; callers map it to claims_invalid rather than malformed.
var errJSONType = errors.New("wrong JSON type")

// strValue reads a string member value, or reports errJSONType (after
// validating and skipping the value) when it is not a string.
func (r *jsonReader) strValue() (string, error) {
	if r.peek() != '"' {
		if err := r.skip(1); err != nil {
			return "", err
		}
		return "", errJSONType
	}
	return r.str()
}

// numericDate reads a NumericDate (seconds since the epoch, RFC 7519
// section 2) as Unix seconds and nanoseconds. Fractions are allowed;
// negative values and values after the year 9999 are not.
func (r *jsonReader) numericDate() (sec, nsec int64, err error) {
	c := r.peek()
	if c != '-' && (c < '0' || c > '9') {
		if err := r.skip(1); err != nil {
			return 0, 0, err
		}
		return 0, 0, errJSONType
	}
	lit, integer, err := r.number()
	if err != nil {
		return 0, 0, err
	}
	const maxDate = 253402300799 // 9999-12-31T23:59:59Z
	if integer {
		v, err := strconv.ParseInt(lit, 10, 64)
		if err != nil || v < 0 || v > maxDate {
			return 0, 0, errJSONType
		}
		return v, 0, nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f < 0 || f > maxDate {
		return 0, 0, errJSONType
	}
	sec = int64(f)
	nsec = int64((f - float64(sec)) * 1e9)
	return sec, nsec, nil
}

// intValue reads a plain integer member value.
func (r *jsonReader) intValue() (int64, error) {
	c := r.peek()
	if c != '-' && (c < '0' || c > '9') {
		if err := r.skip(1); err != nil {
			return 0, err
		}
		return 0, errJSONType
	}
	lit, integer, err := r.number()
	if err != nil {
		return 0, err
	}
	if !integer {
		return 0, errJSONType
	}
	v, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return 0, errJSONType
	}
	return v, nil
}

// audience reads aud: a string, or an array of exactly one string.
func (r *jsonReader) audience() (string, error) {
	switch r.peek() {
	case '"':
		return r.str()
	case '[':
		// Validate the whole array first, then re-read it.
		start := r.i
		if err := r.skip(1); err != nil {
			return "", err
		}
		end := r.i
		r.i = start + 1
		if r.peek() != '"' {
			r.i = end
			return "", errJSONType
		}
		v, err := r.str()
		if err != nil {
			return "", err
		}
		if r.peek() != ']' {
			r.i = end
			return "", errJSONType
		}
		r.i = end
		return v, nil
	default:
		if err := r.skip(1); err != nil {
			return "", err
		}
		return "", errJSONType
	}
}
