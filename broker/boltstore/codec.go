package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"go.etcd.io/bbolt"

	"github.com/ketenbrug/ketenbrug/broker"
)

// A compact binary codec for the tables of millions of rows (schema 3:
// involvements). JSON costs about three times the bytes and a dozen
// allocations per row to decode; an overview reads a household's
// involvements on every request, and the table is most of the file.
//
// A binary value starts with its format byte (formatInvolvementV1), which
// no JSON value does (JSON values start with '{'), so a table decodes
// either: rows written before the migration stay readable, and a step of
// the schema re-encodes them all (migrateInvolvementsToBinary).
//
// Involvement, format 1:
//
//	0x01
//	ID, Partner, Ref, Subject, Service, ServiceLabel, Status, Start, End,
//	Contact.Name, Contact.Phone, Contact.Email   each uvarint length ‖ bytes
//	CreatedAt, UpdatedAt                         each varint Unix seconds ‖ uvarint nanoseconds (UTC)
//	Revision                                     uvarint
//
// Decoding makes one string of all the text and slices the fields from it:
// one allocation for the text of a row instead of one per field.
const formatInvolvementV1 = 0x01

// codec encodes one entity type in a binary form.
type codec[T any] interface {
	// format is the first byte of every value this codec writes.
	format() byte
	encode(dst []byte, v *T) []byte
	decode(raw []byte, v *T) error
}

type involvementCodec struct{}

func (involvementCodec) format() byte { return formatInvolvementV1 }

func (involvementCodec) encode(dst []byte, v *broker.Involvement) []byte {
	dst = append(dst, formatInvolvementV1)
	for _, s := range [...]string{v.ID, v.Partner, v.Ref, string(v.Subject), v.Service, v.ServiceLabel, v.Status,
		v.Start, v.End, v.Contact.Name, v.Contact.Phone, v.Contact.Email} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = appendTime(dst, v.CreatedAt)
	dst = appendTime(dst, v.UpdatedAt)
	dst = binary.AppendUvarint(dst, v.Revision)
	// The registration purpose came later: it follows the revision, and
	// only when set, so involvements stored before it read as they were.
	if v.Purpose != "" {
		dst = binary.AppendUvarint(dst, uint64(len(v.Purpose)))
		dst = append(dst, v.Purpose...)
	}
	return dst
}

var errShortValue = errors.New("truncated or malformed value")

func (involvementCodec) decode(raw []byte, v *broker.Involvement) error {
	if len(raw) == 0 || raw[0] != formatInvolvementV1 {
		return errShortValue
	}
	p := raw[1:]
	// First pass: the total text length, so that one string holds it all.
	var lens [12]int
	total, q := 0, p
	for i := range lens {
		n, k := binary.Uvarint(q)
		if k <= 0 || n > uint64(len(q)-k) {
			return errShortValue
		}
		lens[i] = int(n)
		total += int(n)
		q = q[k+int(n):]
	}
	text := make([]byte, 0, total)
	q = p
	for i := range lens {
		_, k := binary.Uvarint(q)
		text = append(text, q[k:k+lens[i]]...)
		q = q[k+lens[i]:]
	}
	all := string(text)
	var fields [12]string
	off := 0
	for i, n := range lens {
		fields[i] = all[off : off+n]
		off += n
	}
	v.ID, v.Partner, v.Ref, v.Subject = fields[0], fields[1], fields[2], broker.Pseudonym(fields[3])
	v.Service, v.ServiceLabel, v.Status, v.Start, v.End = fields[4], fields[5], fields[6], fields[7], fields[8]
	v.Contact = broker.Contact{Name: fields[9], Phone: fields[10], Email: fields[11]}
	var err error
	if v.CreatedAt, q, err = readTime(q); err != nil {
		return err
	}
	if v.UpdatedAt, q, err = readTime(q); err != nil {
		return err
	}
	rev, k := binary.Uvarint(q)
	if k <= 0 {
		return errShortValue
	}
	v.Revision = rev
	if q = q[k:]; len(q) == 0 {
		return nil
	}
	n, k := binary.Uvarint(q)
	if k <= 0 || n == 0 || n != uint64(len(q)-k) {
		return errShortValue
	}
	v.Purpose = string(q[k:])
	return nil
}

// appendTime writes t as Unix seconds and nanoseconds; it is read back in
// UTC, as the broker writes every time.
func appendTime(dst []byte, t time.Time) []byte {
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

func readTime(p []byte) (time.Time, []byte, error) {
	sec, k := binary.Varint(p)
	if k <= 0 {
		return time.Time{}, nil, errShortValue
	}
	p = p[k:]
	ns, k := binary.Uvarint(p)
	if k <= 0 || ns >= 1e9 {
		return time.Time{}, nil, errShortValue
	}
	if sec == zeroTimeUnix && ns == 0 {
		return time.Time{}, p[k:], nil
	}
	if sec > math.MaxInt64/2 || sec < math.MinInt64/2 {
		return time.Time{}, nil, errShortValue
	}
	return time.Unix(sec, int64(ns)).UTC(), p[k:], nil
}

// zeroTimeUnix is time.Time{}.Unix().
var zeroTimeUnix = time.Time{}.Unix()

// migrateInvolvementsToBinary re-encodes every involvement stored as JSON
// in the binary format (schema 2 → 3). It runs in the migration's one
// transaction, a batch of keys at a time (bbolt forbids writing a bucket
// while iterating it with ForEach).
func migrateInvolvementsToBinary(tx *bbolt.Tx) error {
	b := tx.Bucket(bucketInvolvements)
	if b == nil {
		return nil
	}
	const batch = 10_000
	var after []byte
	for {
		type kv struct {
			k   []byte
			inv broker.Involvement
		}
		var todo []kv
		c := b.Cursor()
		k, v := c.First()
		if after != nil {
			k, v = c.Seek(after)
			if k != nil && string(k) == string(after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(todo) < batch; k, v = c.Next() {
			after = append(after[:0], k...)
			if len(v) > 0 && v[0] == formatInvolvementV1 {
				continue
			}
			inv, err := involvements.decode(k, v)
			if err != nil {
				return err
			}
			todo = append(todo, kv{append([]byte(nil), k...), inv})
		}
		for _, e := range todo {
			if err := b.Put(e.k, involvementCodec{}.encode(nil, &e.inv)); err != nil {
				return fmt.Errorf("re-encode involvement %q: %w", e.k, err)
			}
		}
		if k == nil {
			return nil
		}
	}
}
