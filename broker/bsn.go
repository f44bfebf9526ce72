package broker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"regexp"
	"strings"
	"sync"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// BSN is a validated burgerservicenummer. Its String method never reveals
// the number, so a BSN that slips into a log line or error shows as
// "[bsn]".
type BSN struct{ digits [9]byte }

// ErrBSN is the reason a BSN is refused; it never contains the number.
var ErrBSN = errors.New("a BSN is 9 digits that pass the elfproef")

// ParseBSN validates s: exactly nine ASCII digits, not all zero, passing the
// elfproef (9·d1 + 8·d2 + … + 2·d8 − 1·d9 divisible by 11).
func ParseBSN(s string) (BSN, error) {
	var b BSN
	if len(s) != 9 {
		return b, ErrBSN
	}
	sum, zero := 0, true
	for i := 0; i < 9; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return BSN{}, ErrBSN
		}
		d := int(c - '0')
		if d != 0 {
			zero = false
		}
		if i < 8 {
			sum += (9 - i) * d
		} else {
			sum -= d
		}
		b.digits[i] = c
	}
	if zero || sum%11 != 0 {
		return BSN{}, ErrBSN
	}
	return b, nil
}

// String hides the number.
func (BSN) String() string { return "[bsn]" }

// GoString hides the number from %#v too.
func (BSN) GoString() string { return "broker.BSN{[hidden]}" }

// MarshalText refuses: a BSN is never serialised by accident.
func (BSN) MarshalText() ([]byte, error) { return nil, errors.New("broker: a BSN is never serialised") }

// Digits returns the number itself, for the one place that needs it: the
// pseudonymiser, and a response echoing what the caller sent.
func (b BSN) Digits() string { return string(b.digits[:]) }

// IsZero reports whether b was never set.
func (b BSN) IsZero() bool { return b.digits[0] == 0 }

// Pseudonym is wire.Pseudonym: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type Pseudonym = wire.Pseudonym

// Pseudonymizer turns BSNs into pseudonyms with the broker's secret.
type Pseudonymizer struct {
	pool sync.Pool
}

// MinSecretLen is the minimum length of the pseudonym secret in bytes.
const MinSecretLen = 32

// NewPseudonymizer returns a pseudonymiser for secret, which must be at least
// MinSecretLen bytes. Changing the secret makes every stored pseudonym
// unreachable, so it is created once, by init, and backed up with the store.
func NewPseudonymizer(secret []byte) (*Pseudonymizer, error) {
	if len(secret) < MinSecretLen {
		return nil, errors.New("broker: pseudonym secret must be at least 32 bytes")
	}
	key := append([]byte(nil), secret...)
	return &Pseudonymizer{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}, nil
}

// Pseudonym returns the pseudonym of b.
func (p *Pseudonymizer) Pseudonym(b BSN) Pseudonym {
	h := p.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(b.digits[:])
	var sum [sha256.Size]byte
	mac := h.Sum(sum[:0])
	p.pool.Put(h)
	var out [2 + 22]byte
	out[0], out[1] = 'p', ':'
	base64.RawURLEncoding.Encode(out[2:], mac[:16])
	return Pseudonym(out[:])
}

// ContainsBSN reports whether s holds a BSN: nine digits that pass the
// elfproef, either as a run of exactly nine digits or written as people
// write them, each pair of digits separated by at most one space, dot or
// dash (1234.56.782, 123 456 782). Identifiers, references and free text
// travel in URLs, logs and the store, where a BSN must never be;
// "ref-<BSN>" or "hh.1234.56.782" would carry one there all the same.
// Longer digit runs (client numbers, phone numbers, dates with times) are
// not read as a BSN, so a partner's own long numeric references stay
// usable.
func ContainsBSN(s string) bool {
	// A run of exactly nine digits, whatever surrounds it ("2026-<BSN>").
	start := -1
	for i := 0; i <= len(s); i++ {
		digit := i < len(s) && s[i] >= '0' && s[i] <= '9'
		switch {
		case digit && start < 0:
			start = i
		case !digit && start >= 0:
			if i-start == 9 {
				if _, err := ParseBSN(s[start:i]); err == nil {
					return true
				}
			}
			start = -1
		}
	}
	// Nine digits written with separators.
	for _, m := range digitRun.FindAllString(s, -1) {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, m)
		if _, err := ParseBSN(digits); err == nil {
			return true
		}
	}
	return false
}

// digitRun matches a run of digits, each pair optionally separated by one
// space, dot or dash (123456782, 1234.56.782, 123 456 782).
var digitRun = regexp.MustCompile(`[0-9](?:[ .-]?[0-9])*`)

// refuseBSNIn refuses free text in field that holds a BSN (ContainsBSN):
// texts are stored and travel to other partners, and the broker keeps no
// BSN in clear anywhere.
func refuseBSNIn(field, s string) error {
	if ContainsBSN(s) {
		return invalid(field, "must not hold a BSN: the broker keeps none, and texts travel to other partners; name the person by their role")
	}
	return nil
}
