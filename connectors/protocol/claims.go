package protocol

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"time"
)

// b64 is the base64url alphabet without padding, refusing non-canonical
// trailing bits (RFC 7515 section 2: base64url, no padding).
var b64 = base64.RawURLEncoding.Strict()

// Claims are the claims of a request token (typ kb-req+jwt).
//
// On the wire, times are NumericDates (whole seconds since the epoch;
// sub-second parts are dropped when signing), and empty optional claims
// (nbf, bsh, purpose) are omitted.
type Claims struct {
	Issuer   string // iss: the partner id, as registered at the broker
	Subject  string // sub: the acting person or service at the partner
	Audience string // aud: the broker id; a single string (a one-element array is accepted)

	IssuedAt  time.Time // iat: required
	Expiry    time.Time // exp: required, at most MaxTokenLifetime after iat
	NotBefore time.Time // nbf: optional; zero when absent

	ID string // jti: unique per issuer, at least MinJTILength characters; see NewJTI

	Method   string // htm: the HTTP method, e.g. "POST"
	URI      string // htu: the request target, path and query exactly as sent, e.g. "/v1/whoami?x=1"
	BodyHash string // bsh: BodyHash of the request body; "" when there is no body

	Role    string // role: connector, professional, coordinator, privacy-officer or operator
	Purpose string // purpose: purpose code; optional in the token, required by the broker for disclosures

	// KeyID is the kid of the registered key that verified the token (the
	// header's kid). Verify sets it; it is not a claim and is never signed.
	KeyID string
}

// ResponseClaims are the claims of a response token (typ kb-resp+jwt),
// sent by the broker in the Ketenbrug-Signature header of every response.
type ResponseClaims struct {
	Issuer   string    // iss: the broker id
	Audience string    // aud: the partner id (the iss of the request), "" when the request was not authenticated
	IssuedAt time.Time // iat
	Request  string    // req: the jti of the request this answers; "" when the request had no valid token
	Status   int       // status: the HTTP status code of the response
	BodyHash string    // bsh: BodyHash of the response body; "" when the body is empty
}

// BodyHash returns the bsh of a body: the SHA-256 of the exact bytes, in
// base64url without padding. It returns "" for an empty body, which is
// the bsh of a request or response without a body.
func BodyHash(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	sum := sha256.Sum256(body)
	return b64.EncodeToString(sum[:])
}

// NewJTI returns a fresh token id: 128 random bits in base64url (22
// characters).
func NewJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return b64.EncodeToString(b[:])
}

// BodyHasher computes a bsh incrementally, for bodies that are streamed
// rather than buffered. It is an io.Writer; use it with io.TeeReader or
// io.MultiWriter. Not safe for concurrent use.
type BodyHasher struct {
	h hash.Hash
	n int64
}

// NewBodyHasher returns an empty BodyHasher.
func NewBodyHasher() *BodyHasher { return &BodyHasher{h: sha256.New()} }

// Write adds p to the hash. It never fails.
func (b *BodyHasher) Write(p []byte) (int, error) {
	b.n += int64(len(p))
	return b.h.Write(p)
}

// Len returns the number of bytes written so far.
func (b *BodyHasher) Len() int64 { return b.n }

// Sum returns the bsh of everything written so far ("" when nothing was).
func (b *BodyHasher) Sum() string {
	if b.n == 0 {
		return ""
	}
	var sum [sha256.Size]byte
	return b64.EncodeToString(b.h.Sum(sum[:0]))
}

// CheckBodyHash compares the bsh of a body as received (computed with
// BodyHash or a BodyHasher) with the token's bsh claim. It returns nil, or
// an *Error with reason body_hash_missing (a body but no bsh) or
// body_hash_mismatch.
func (c *Claims) CheckBodyHash(received string) error {
	return checkBodyHash(c.BodyHash, received)
}

func checkBodyHash(claimed, received string) error {
	switch {
	case claimed == received:
		return nil
	case claimed == "":
		return refuse(ErrBodyHashMissing, "the request has a body but the token has no bsh")
	case received == "":
		return refuse(ErrBodyHash, "the token has a bsh but the request has no body")
	default:
		return refuse(ErrBodyHash, "bsh does not match the body")
	}
}

// BodyVerifier reads a request body while hashing it, for tokens checked
// with Verifier.VerifyDeferredBody. Its Read returns the body unchanged,
// but at the end of the body it returns the *Error of a bsh mismatch
// instead of io.EOF. A body is only verified once it has been read to the
// end: call Finish before acting on anything read from it.
type BodyVerifier struct {
	r       io.Reader
	h       *BodyHasher
	claimed string
	err     error // sticky result once the end is reached
	done    bool
}

// VerifyBody wraps body so that the bsh of c is checked when the end of
// the body is reached. When c has no bsh, any byte of body is a
// body_hash_missing refusal.
func (c *Claims) VerifyBody(body io.Reader) *BodyVerifier {
	return &BodyVerifier{r: body, h: NewBodyHasher(), claimed: c.BodyHash}
}

// Read implements io.Reader.
func (b *BodyVerifier) Read(p []byte) (int, error) {
	if b.done {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.h.Write(p[:n])
		if b.claimed == "" {
			b.done, b.err = true, refuse(ErrBodyHashMissing, "the request has a body but the token has no bsh")
			return 0, b.err
		}
	}
	if errors.Is(err, io.EOF) {
		b.done = true
		b.err = checkBodyHash(b.claimed, b.h.Sum())
		if b.err != nil {
			return n, b.err
		}
	}
	return n, err
}

// Finish reads and discards whatever is left of the body and returns nil
// only when the whole body matched the token's bsh. It returns the
// underlying reader's error if reading failed.
func (b *BodyVerifier) Finish() error {
	if !b.done {
		if _, err := io.Copy(io.Discard, b); err != nil {
			return err
		}
	}
	return b.err
}

// Len returns the number of body bytes read so far.
func (b *BodyVerifier) Len() int64 { return b.h.Len() }

// wireClaims is the JSON form of Claims used for signing.
type wireClaims struct {
	Iss     string `json:"iss"`
	Sub     string `json:"sub"`
	Aud     string `json:"aud"`
	Iat     int64  `json:"iat"`
	Nbf     int64  `json:"nbf,omitempty"`
	Exp     int64  `json:"exp"`
	Jti     string `json:"jti"`
	Htm     string `json:"htm"`
	Htu     string `json:"htu"`
	Bsh     string `json:"bsh,omitempty"`
	Role    string `json:"role"`
	Purpose string `json:"purpose,omitempty"`
}

type wireResponse struct {
	Iss    string `json:"iss"`
	Aud    string `json:"aud"`
	Iat    int64  `json:"iat"`
	Req    string `json:"req"`
	Status int    `json:"status"`
	Bsh    string `json:"bsh,omitempty"`
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// marshalJSON encodes v without HTML escaping (so "&" in htu stays
// readable) and without the trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (c *Claims) marshal() ([]byte, error) {
	return marshalJSON(wireClaims{
		Iss: c.Issuer, Sub: c.Subject, Aud: c.Audience,
		Iat: unix(c.IssuedAt), Nbf: unix(c.NotBefore), Exp: unix(c.Expiry),
		Jti: c.ID, Htm: c.Method, Htu: c.URI, Bsh: c.BodyHash,
		Role: c.Role, Purpose: c.Purpose,
	})
}

func (r *ResponseClaims) marshal() ([]byte, error) {
	return marshalJSON(wireResponse{
		Iss: r.Issuer, Aud: r.Audience, Iat: unix(r.IssuedAt),
		Req: r.Request, Status: r.Status, Bsh: r.BodyHash,
	})
}

// parseClaims decodes a request claims set strictly. Syntax errors are
// malformed; wrong types are claims_invalid. Presence of required claims
// is checked by (*Claims).validate.
func parseClaims(payload string, c *Claims) *Error {
	r := jsonReader{s: payload}
	var names [16]string
	it, err := r.object(names[:])
	if err != nil {
		return jsonRefusal(err, "claims")
	}
	for {
		name, ok, err := it.next(&r)
		if err != nil {
			return jsonRefusal(err, "claims")
		}
		if !ok {
			break
		}
		var sec, nsec int64
		switch name {
		case "iss":
			c.Issuer, err = r.strValue()
		case "sub":
			c.Subject, err = r.strValue()
		case "aud":
			c.Audience, err = r.audience()
		case "iat":
			if sec, nsec, err = r.numericDate(); err == nil {
				c.IssuedAt = time.Unix(sec, nsec)
			}
		case "exp":
			if sec, nsec, err = r.numericDate(); err == nil {
				c.Expiry = time.Unix(sec, nsec)
			}
		case "nbf":
			if sec, nsec, err = r.numericDate(); err == nil {
				c.NotBefore = time.Unix(sec, nsec)
			}
		case "jti":
			c.ID, err = r.strValue()
		case "htm":
			c.Method, err = r.strValue()
		case "htu":
			c.URI, err = r.strValue()
		case "bsh":
			c.BodyHash, err = r.strValue()
		case "role":
			c.Role, err = r.strValue()
		case "purpose":
			c.Purpose, err = r.strValue()
		default:
			// Unknown claims are allowed (and ignored) but must be valid.
			err = r.skip(1)
		}
		if err != nil {
			if errors.Is(err, errJSONType) {
				// Keep reading so that a syntax error later still wins.
				if e := skipRest(&r, &it); e != nil {
					return jsonRefusal(e, "claims")
				}
				return refuse(ErrClaimsInvalid, "claim %q has the wrong type or range", name)
			}
			return jsonRefusal(err, "claims")
		}
	}
	if err := r.end(); err != nil {
		return jsonRefusal(err, "claims")
	}
	return nil
}

// parseResponseClaims decodes a response claims set strictly.
func parseResponseClaims(payload string, c *ResponseClaims) (hasStatus bool, e *Error) {
	r := jsonReader{s: payload}
	var names [16]string
	it, err := r.object(names[:])
	if err != nil {
		return false, jsonRefusal(err, "claims")
	}
	for {
		name, ok, err := it.next(&r)
		if err != nil {
			return false, jsonRefusal(err, "claims")
		}
		if !ok {
			break
		}
		switch name {
		case "iss":
			c.Issuer, err = r.strValue()
		case "aud":
			c.Audience, err = r.audience()
		case "iat":
			var sec, nsec int64
			if sec, nsec, err = r.numericDate(); err == nil {
				c.IssuedAt = time.Unix(sec, nsec)
			}
		case "req":
			c.Request, err = r.strValue()
		case "status":
			var v int64
			if v, err = r.intValue(); err == nil {
				if v < 100 || v > 599 {
					err = errJSONType
				}
				c.Status = int(v)
				hasStatus = true
			}
		case "bsh":
			c.BodyHash, err = r.strValue()
		default:
			err = r.skip(1)
		}
		if err != nil {
			if errors.Is(err, errJSONType) {
				if e := skipRest(&r, &it); e != nil {
					return false, jsonRefusal(e, "claims")
				}
				return false, refuse(ErrClaimsInvalid, "claim %q has the wrong type or range", name)
			}
			return false, jsonRefusal(err, "claims")
		}
	}
	if err := r.end(); err != nil {
		return false, jsonRefusal(err, "claims")
	}
	return hasStatus, nil
}

// skipRest validates the remaining members of an object being iterated
// and the end of the text.
func skipRest(r *jsonReader, it *objectIter) error {
	for {
		_, ok, err := it.next(r)
		if err != nil {
			return err
		}
		if !ok {
			return r.end()
		}
		if err := r.skip(1); err != nil {
			return err
		}
	}
}

func jsonRefusal(err error, what string) *Error {
	return refuse(ErrMalformed, "%s: %v", what, err)
}

// header is a decoded JOSE protected header.
type header struct {
	alg, typ, kid string
	hasAlg        bool
	hasTyp        bool
	hasKid        bool
	extra         string // first member other than alg, typ, kid
	hasExtra      bool
}

// parseHeader decodes a protected header strictly: one JSON object without
// duplicate names; alg, typ and kid must be strings. Other members are
// recorded (the first one in extra) and refused by the caller.
func parseHeader(s string, h *header) *Error {
	r := jsonReader{s: s}
	var names [8]string
	it, err := r.object(names[:])
	if err != nil {
		return jsonRefusal(err, "header")
	}
	for {
		name, ok, err := it.next(&r)
		if err != nil {
			return jsonRefusal(err, "header")
		}
		if !ok {
			break
		}
		switch name {
		case "alg":
			h.alg, err = r.strValue()
			h.hasAlg = true
		case "typ":
			h.typ, err = r.strValue()
			h.hasTyp = true
		case "kid":
			h.kid, err = r.strValue()
			h.hasKid = true
		default:
			if !h.hasExtra {
				h.extra, h.hasExtra = name, true
			}
			err = r.skip(1)
		}
		if err != nil {
			if errors.Is(err, errJSONType) {
				err = errors.New("alg, typ and kid must be strings")
			}
			return jsonRefusal(err, "header")
		}
	}
	if err := r.end(); err != nil {
		return jsonRefusal(err, "header")
	}
	return nil
}
