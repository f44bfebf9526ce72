package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The canonical form, hash and stored form are specified in the package
// documentation (doc.go); this file implements them.

// timeLayout is RFC 3339 in UTC with fixed nanoseconds, so equal instants
// always encode alike.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

const (
	hashPrefix = `{"hash":"`
	hashLen    = sha256.Size * 2
	// headerLen is the length of `{"hash":"<64 hex>",`.
	headerLen = len(hashPrefix) + hashLen + 2
)

// canonicalBody is the canonical form after seq and prev_hash. Callers'
// entries are encoded into it before they reach the writer, in the
// callers' goroutines, so the single writer only splices in seq and
// prev_hash and hashes. Together with those two members it mirrors
// broker.AuditEntry without Hash; a test keeps them in step.
type canonicalBody struct {
	Time          string              `json:"time"`
	Event         string              `json:"event"`
	RequestID     string              `json:"request_id,omitempty"`
	Partner       string              `json:"partner,omitempty"`
	Sub           string              `json:"sub,omitempty"`
	SubKnown      string              `json:"sub_known,omitempty"`
	SubVia        string              `json:"sub_via,omitempty"`
	Role          broker.Role         `json:"role,omitempty"`
	Action        string              `json:"action"`
	Purpose       string              `json:"purpose,omitempty"`
	Object        string              `json:"object,omitempty"`
	Subjects      []broker.Pseudonym  `json:"subjects,omitempty"`
	Decision      string              `json:"decision"`
	Reasons       []string            `json:"reasons,omitempty"`
	Bases         []string            `json:"bases,omitempty"`
	PolicyVersion string              `json:"policy_version,omitempty"`
	Disclosed     []broker.Disclosure `json:"disclosed,omitempty"`
	Detail        map[string]string   `json:"detail,omitempty"`
}

// encodeBody normalises e's time to UTC and returns the canonical members
// after prev_hash, up to and including the closing brace.
func encodeBody(e *broker.AuditEntry) ([]byte, error) {
	e.Time = e.Time.UTC()
	b, err := json.Marshal(&canonicalBody{
		Time: e.Time.Format(timeLayout), Event: e.Event, RequestID: e.RequestID, Partner: e.Partner,
		Sub: e.Sub, SubKnown: e.SubKnown, SubVia: e.SubVia, Role: e.Role, Action: e.Action, Purpose: e.Purpose, Object: e.Object,
		Subjects: e.Subjects, Decision: e.Decision, Reasons: e.Reasons, Bases: e.Bases,
		PolicyVersion: e.PolicyVersion, Disclosed: e.Disclosed, Detail: e.Detail,
	})
	if err != nil {
		return nil, fmt.Errorf("audit: encode entry: %w", err)
	}
	return b[1:], nil // "time" is never omitted, so the object is not empty
}

// sealBody links an encoded body after head: it sets e's Seq, PrevHash and
// Hash and returns the stored form.
func sealBody(e *broker.AuditEntry, body []byte, head chainHead) []byte {
	e.Seq, e.PrevHash = head.seq+1, head.hash
	prev := jsonString(head.hash)
	raw := make([]byte, 0, headerLen+len(`"seq":,"prev_hash":,`)+20+len(prev)+len(body))
	raw = append(raw, hashPrefix...)
	raw = append(raw, make([]byte, hashLen)...) // the hash, filled in below
	raw = append(raw, '"', ',')
	raw = append(raw, `"seq":`...)
	raw = strconv.AppendUint(raw, e.Seq, 10)
	raw = append(raw, `,"prev_hash":`...)
	raw = append(raw, prev...)
	raw = append(raw, ',')
	raw = append(raw, body...)
	d := sha256.New()
	d.Write([]byte{'{'})
	d.Write(raw[headerLen:])
	var sum [sha256.Size]byte
	hex.Encode(raw[len(hashPrefix):len(hashPrefix)+hashLen], d.Sum(sum[:0]))
	e.Hash = string(raw[len(hashPrefix) : len(hashPrefix)+hashLen])
	return raw
}

// seal encodes and links e after head in one step.
func seal(e *broker.AuditEntry, head chainHead) ([]byte, error) {
	body, err := encodeBody(e)
	if err != nil {
		return nil, err
	}
	return sealBody(e, body, head), nil
}

// jsonString encodes s as encoding/json does; hashes (lower-case hex) take
// the short way.
func jsonString(s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f'
	}
	if plain {
		return append(append(append(make([]byte, 0, len(s)+2), '"'), s...), '"')
	}
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// errMalformed means stored bytes are not a sealed record at all.
var errMalformed = errors.New("not a sealed audit record")

// checkRecord reads the hash a stored record claims and reports whether its
// canonical bytes still hash to it.
func checkRecord(raw []byte) (claimed string, intact bool, err error) {
	if len(raw) <= headerLen || !bytes.HasPrefix(raw, []byte(hashPrefix)) ||
		raw[headerLen-2] != '"' || raw[headerLen-1] != ',' {
		return "", false, errMalformed
	}
	h := raw[len(hashPrefix) : len(hashPrefix)+hashLen]
	if !isHex(h) {
		return "", false, errMalformed
	}
	d := sha256.New()
	d.Write([]byte{'{'})
	d.Write(raw[headerLen:])
	var sum [sha256.Size]byte
	var got [hashLen]byte
	hex.Encode(got[:], d.Sum(sum[:0]))
	return string(h), bytes.Equal(got[:], h), nil
}

// decode parses a stored record.
func decode(raw []byte) (broker.AuditEntry, error) {
	var e broker.AuditEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, fmt.Errorf("audit: decode entry: %w", err)
	}
	return e, nil
}

// subjectsOf returns the persons an entry is about: its subjects and those
// of its disclosures, for the subject index (the store drops repeats).
func subjectsOf(e *broker.AuditEntry) []broker.Pseudonym {
	if len(e.Disclosed) == 0 {
		return e.Subjects
	}
	out := append([]broker.Pseudonym(nil), e.Subjects...)
	for _, d := range e.Disclosed {
		out = append(out, d.Subject)
	}
	return out
}

// validate checks what a caller may put in an entry.
func validate(e *broker.AuditEntry) error {
	switch {
	case e.Event == "":
		return &broker.ValidationError{Field: "event", Reason: "is required"}
	case e.Event == broker.EventCheckpoint || e.Event == broker.EventPurge:
		return &broker.ValidationError{Field: "event", Reason: "checkpoint and purge entries are written by the log itself"}
	case e.Action == "":
		return &broker.ValidationError{Field: "action", Reason: "is required"}
	case e.Decision != broker.DecisionAllow && e.Decision != broker.DecisionDeny:
		return &broker.ValidationError{Field: "decision", Reason: "must be allow or deny"}
	case !e.Time.IsZero() && (e.Time.UTC().Year() < 1 || e.Time.UTC().Year() > 9999):
		return &broker.ValidationError{Field: "time", Reason: "must be within the years 1-9999"}
	}
	return nil
}
