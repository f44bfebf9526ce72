package boltstore

import (
	"encoding/binary"
	"time"
)

// A tagged binary form for the tables whose rows are nested (households
// with their members, consents with their scope and withdrawal): a value
// is its format byte and a sequence of fields, each a tag byte and its
// content, in tag order, zero fields left out. A nested struct is a field
// whose content is its own length-prefixed field sequence; a list repeats
// its tag. Fields added later get new tags, so rows written before them
// read as zero there; a decoder refuses a tag it does not know rather
// than drop what it cannot read.
//
//	string, list item   uvarint length ‖ bytes
//	unsigned integer    uvarint
//	signed integer      varint
//	flag                the tag alone (present: true)
//	time                varint Unix seconds ‖ uvarint nanoseconds (read back in UTC)
//	nested              uvarint length ‖ the nested value's fields
type fields []byte

func (f fields) str(tag byte, s string) fields {
	if s == "" {
		return f
	}
	return f.item(tag, s)
}

// item writes s even when empty: one element of a list.
func (f fields) item(tag byte, s string) fields {
	f = append(f, tag)
	f = binary.AppendUvarint(f, uint64(len(s)))
	return append(f, s...)
}

func (f fields) uint(tag byte, n uint64) fields {
	if n == 0 {
		return f
	}
	return binary.AppendUvarint(append(f, tag), n)
}

func (f fields) int(tag byte, n int64) fields {
	if n == 0 {
		return f
	}
	return binary.AppendVarint(append(f, tag), n)
}

func (f fields) flag(tag byte, v bool) fields {
	if !v {
		return f
	}
	return append(f, tag)
}

func (f fields) time(tag byte, t time.Time) fields {
	if t.IsZero() {
		return f
	}
	return appendTime(append(f, tag), t)
}

func (f fields) nested(tag byte, inner fields) fields {
	f = append(f, tag)
	f = binary.AppendUvarint(f, uint64(len(inner)))
	return append(f, inner...)
}

// fieldReader reads a field sequence: next returns each tag in turn, then
// the caller reads the content by the tag's kind.
type fieldReader struct {
	p       []byte
	err     error
	lastTag int
}

// next returns the next field's tag, false at the end or on an error
// (err). Tags must ascend, except a list's repeated tag.
func (r *fieldReader) next() (byte, bool) {
	if r.err != nil || len(r.p) == 0 {
		return 0, false
	}
	tag := r.p[0]
	if int(tag) < r.lastTag {
		r.err = errShortValue
		return 0, false
	}
	r.lastTag, r.p = int(tag), r.p[1:]
	return tag, true
}

func (r *fieldReader) bytes() []byte {
	n, k := binary.Uvarint(r.p)
	if k <= 0 || n > uint64(len(r.p)-k) {
		r.fail()
		return nil
	}
	b := r.p[k : k+int(n)]
	r.p = r.p[k+int(n):]
	return b
}

func (r *fieldReader) str() string { return string(r.bytes()) }

func (r *fieldReader) uint() uint64 {
	n, k := binary.Uvarint(r.p)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.p = r.p[k:]
	return n
}

func (r *fieldReader) int() int64 {
	n, k := binary.Varint(r.p)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.p = r.p[k:]
	return n
}

func (r *fieldReader) time() time.Time {
	t, rest, err := readTime(r.p)
	if err != nil {
		r.fail()
		return time.Time{}
	}
	r.p = rest
	return t
}

// nested reads a nested value's fields with fn; an error in them is an
// error of the whole value.
func (r *fieldReader) nested(fn func(*fieldReader)) {
	in := &fieldReader{p: r.bytes()}
	if r.err != nil {
		return
	}
	if fn(in); in.err != nil {
		r.fail()
	}
}

// unknown records a tag this decoder does not know.
func (r *fieldReader) unknown() { r.fail() }

func (r *fieldReader) fail() {
	if r.err == nil {
		r.err = errShortValue
	}
	r.p = nil
}
