package protocol

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Protocol constants.
const (
	// RequestTokenType is the typ header of a request token.
	RequestTokenType = "kb-req+jwt"
	// ResponseTokenType is the typ header of a response token.
	ResponseTokenType = "kb-resp+jwt"
	// SignatureHeader is the HTTP response header carrying the response
	// token.
	SignatureHeader = "Ketenbrug-Signature"
	// DeliveryHeader names a webhook delivery; the delivery's signature
	// has it as its req claim (where a response has the request's jti).
	DeliveryHeader = "Ketenbrug-Delivery"
	// DeliveryAttemptHeader counts the attempts of a webhook delivery,
	// from 1.
	DeliveryAttemptHeader = "Ketenbrug-Delivery-Attempt"
	// DeliveryStatus is the status claim of a webhook delivery's
	// signature.
	DeliveryStatus = 200
	// MaxTokenLifetime is the largest exp - iat of a request token.
	MaxTokenLifetime = 300 * time.Second
	// MaxClockSkew is the clock difference tolerated between partner and
	// broker, on iat, nbf and exp.
	MaxClockSkew = 30 * time.Second
	// MaxTokenSize is the largest compact token accepted, in bytes; the
	// size is checked before anything is parsed.
	MaxTokenSize = 8 << 10
	// MinJTILength is the shortest jti accepted.
	MinJTILength = 16
	// MaxJTILength is the longest jti accepted (it is kept in the replay
	// cache).
	MaxJTILength = 255
)

// Request describes the HTTP request a token must be bound to.
type Request struct {
	// Method is the request method, e.g. http.Request.Method.
	Method string
	// URI is the request target as sent: path and query, exactly the
	// bytes on the request line (http.Request.RequestURI), never a
	// re-encoded URL.
	URI string
	// BodyHash is BodyHash(body) of the complete body, "" for none. Used
	// by Verify.
	BodyHash string
	// HasBody tells VerifyDeferredBody whether a body may follow:
	// true when Content-Length is above zero or unknown (chunked
	// encoding), false when the request certainly has none. Verify
	// refuses HasBody without BodyHash, since it cannot check a body it
	// has not hashed.
	HasBody bool
}

// ReplayCache remembers the jtis of accepted tokens.
type ReplayCache interface {
	// CheckAndStore records (issuer, jti) until the given time and reports
	// whether it was already recorded and not yet expired. It must be
	// atomic: of two concurrent calls with the same pair, exactly one
	// returns false.
	CheckAndStore(issuer, jti string, until time.Time) (seen bool)
}

// FallibleReplayCache is a ReplayCache that can fail to answer, such as
// one shared by several brokers in a database. The Verifier prefers
// CheckAndStoreErr: a failure then neither accepts the token nor calls it
// a replay, which would tell an honest client not to retry, but returns
// an error matching ErrReplayUnavailable.
type FallibleReplayCache interface {
	ReplayCache
	CheckAndStoreErr(issuer, jti string, until time.Time) (seen bool, err error)
}

// ErrReplayUnavailable means the replay cache could not say whether a
// token was seen: the token is not accepted, and the request may be
// retried with a new one.
var ErrReplayUnavailable = errors.New("protocol: replay cache unavailable")

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Audience is the broker id; aud must equal it. Required.
	Audience string
	// Keys finds the registered key of the issuer. Required.
	Keys KeyResolver
	// Replay remembers seen jtis. Required. Its clock must agree with Now
	// (NewMemoryReplayCacheClock).
	Replay ReplayCache
	// NotBefore is the broker's start: tokens with iat before it are
	// refused (issued_before_start), because the in-memory replay cache
	// does not know what was seen before. Zero means the moment
	// NewVerifier is called.
	NotBefore time.Time
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier checks request tokens for the broker. It is safe for
// concurrent use.
type Verifier struct {
	aud       string
	keys      KeyResolver
	replay    ReplayCache
	notBefore time.Time
	now       func() time.Time
}

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Audience == "" || cfg.Keys == nil || cfg.Replay == nil {
		return nil, errors.New("protocol: VerifierConfig needs Audience, Keys and Replay")
	}
	v := &Verifier{aud: cfg.Audience, keys: cfg.Keys, replay: cfg.Replay, notBefore: cfg.NotBefore, now: cfg.Now}
	if v.now == nil {
		v.now = time.Now
	}
	if v.notBefore.IsZero() {
		v.notBefore = v.now()
	}
	return v, nil
}

// Verify checks a request token completely and binds it to req: shape
// and size, header (alg, typ, no other header), key of the issuer and
// signature (with the key's alg), required claims, jti, audience, time
// (iat, nbf, exp with MaxClockSkew; lifetime; broker start), htm, htu,
// bsh against req.BodyHash, and finally the replay cache. It returns the
// claims of an accepted token.
//
// A refusal is an *Error with a reason code. Any other error (only from
// the KeyResolver, or a misuse such as HasBody without BodyHash) is an
// internal failure.
func (v *Verifier) Verify(ctx context.Context, token string, req Request) (*Claims, error) {
	if req.HasBody && req.BodyHash == "" {
		return nil, errors.New("protocol: Verify needs Request.BodyHash when HasBody is set; use VerifyDeferredBody for streamed bodies")
	}
	return v.verify(ctx, token, req, false)
}

// VerifyDeferredBody is Verify for requests whose body is streamed: it
// checks everything but the body hash, which the caller checks while
// reading, with claims.VerifyBody(r.Body) (a reader that fails at the
// end of the body on a mismatch; call its Finish before acting on the
// body) or claims.CheckBodyHash(hasher.Sum()).
//
// It does refuse at once a token without bsh when req.HasBody is set
// (body_hash_missing), and one with a bsh when it is not
// (body_hash_mismatch). The jti is recorded in the replay cache here, so
// a token whose body then fails cannot be used again. Whatever the
// handler reads from the body stays unauthenticated until the body
// verifier's Finish returns nil: stage, then commit.
func (v *Verifier) VerifyDeferredBody(ctx context.Context, token string, req Request) (*Claims, error) {
	return v.verify(ctx, token, req, true)
}

func (v *Verifier) verify(ctx context.Context, token string, req Request, deferBody bool) (*Claims, error) {
	tok, e := splitToken(token, RequestTokenType)
	if e != nil {
		return nil, e
	}
	c := new(Claims)
	if e := parseClaims(tok.payload, c); e != nil {
		return nil, e
	}
	if c.Issuer == "" {
		return nil, refuse(ErrClaimsInvalid, "iss is missing")
	}
	key, err := checkSignature(ctx, v.keys, c.Issuer, &tok)
	if err != nil {
		return nil, err
	}
	c.KeyID = key.kid

	// Authentic from here on.
	if e := c.validate(); e != nil {
		return nil, e
	}
	if c.Audience != v.aud {
		return nil, refuse(ErrAudience, "aud is not this broker")
	}
	now := v.now()
	if c.IssuedAt.After(now.Add(MaxClockSkew)) {
		return nil, refuse(ErrNotYetValid, "iat is in the future")
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(MaxClockSkew)) {
		return nil, refuse(ErrNotYetValid, "nbf is in the future")
	}
	until := c.Expiry.Add(MaxClockSkew)
	if !now.Before(until) {
		return nil, refuse(ErrExpired, "")
	}
	if c.IssuedAt.Before(v.notBefore) {
		return nil, refuse(ErrIssuedBeforeStart, "")
	}
	if c.Method != req.Method {
		return nil, refuse(ErrMethod, "")
	}
	if c.URI != req.URI {
		return nil, refuse(ErrURI, "htu is not the request target as sent")
	}
	if deferBody {
		switch {
		case req.HasBody && c.BodyHash == "":
			return nil, refuse(ErrBodyHashMissing, "the request has a body but the token has no bsh")
		case !req.HasBody && c.BodyHash != "":
			return nil, refuse(ErrBodyHash, "the token has a bsh but the request has no body")
		}
	} else if err := checkBodyHash(c.BodyHash, req.BodyHash); err != nil {
		return nil, err
	}
	if f, ok := v.replay.(FallibleReplayCache); ok {
		seen, err := f.CheckAndStoreErr(c.Issuer, c.ID, until)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrReplayUnavailable, err)
		}
		if seen {
			return nil, refuse(ErrReplayed, "")
		}
		return c, nil
	}
	if v.replay.CheckAndStore(c.Issuer, c.ID, until) {
		return nil, refuse(ErrReplayed, "")
	}
	return c, nil
}

// validate checks the presence and shape of the claims of a request
// token, and its lifetime. Used by SignRequest and Verify.
func (c *Claims) validate() *Error {
	var missing string
	switch {
	case c.Issuer == "":
		missing = "iss"
	case c.Subject == "":
		missing = "sub"
	case c.Audience == "":
		missing = "aud"
	case c.IssuedAt.IsZero():
		missing = "iat"
	case c.Expiry.IsZero():
		missing = "exp"
	case c.Method == "":
		missing = "htm"
	case c.URI == "":
		missing = "htu"
	case c.Role == "":
		missing = "role"
	}
	if missing != "" {
		return refuse(ErrClaimsInvalid, "%s is missing", missing)
	}
	if c.URI[0] != '/' {
		return refuse(ErrClaimsInvalid, "htu must be the path and query, starting with /")
	}
	if len(c.ID) < MinJTILength || len(c.ID) > MaxJTILength {
		return refuse(ErrJTIInvalid, "jti must have %d to %d characters", MinJTILength, MaxJTILength)
	}
	if !c.Expiry.After(c.IssuedAt) {
		return refuse(ErrClaimsInvalid, "exp must be after iat")
	}
	if c.Expiry.Sub(c.IssuedAt) > MaxTokenLifetime {
		return refuse(ErrLifetimeTooLong, "exp - iat is over %d s", int(MaxTokenLifetime/time.Second))
	}
	return nil
}

// compactToken is a split and decoded compact JWS, not yet verified.
type compactToken struct {
	hdr          header
	payload      string
	signingInput []byte
	sig          []byte
}

// splitToken checks size and shape, decodes header, payload and
// signature, and checks the header: alg allowed, typ as wanted, no other
// header. It trusts nothing and verifies nothing.
func splitToken(token, typ string) (compactToken, *Error) {
	var t compactToken
	if len(token) > MaxTokenSize {
		return t, refuse(ErrTokenTooLarge, "%d bytes, at most %d", len(token), MaxTokenSize)
	}
	d1, d2 := -1, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			switch {
			case d1 < 0:
				d1 = i
			case d2 < 0:
				d2 = i
			default:
				return t, refuse(ErrMalformed, "a compact JWS has exactly three parts")
			}
		default:
			return t, refuse(ErrMalformed, "a compact JWS holds only base64url characters and two dots")
		}
	}
	if d2 < 0 {
		return t, refuse(ErrMalformed, "a compact JWS has exactly three parts")
	}
	if d1 == 0 || d2 == d1+1 {
		return t, refuse(ErrMalformed, "empty header or payload")
	}
	raw := []byte(token)

	hb := make([]byte, b64.DecodedLen(d1))
	n, err := b64.Decode(hb, raw[:d1])
	if err != nil {
		return t, refuse(ErrMalformed, "header is not base64url")
	}
	if e := parseHeader(string(hb[:n]), &t.hdr); e != nil {
		return t, e
	}
	switch {
	case !t.hdr.hasAlg || !algAllowed(t.hdr.alg):
		return t, refuse(ErrAlgorithm, "alg %q is not one of EdDSA, ES256, PS256, RS256", t.hdr.alg)
	case !t.hdr.hasTyp || t.hdr.typ != typ:
		return t, refuse(ErrType, "typ must be %s", typ)
	case t.hdr.hasExtra:
		return t, refuse(ErrHeaderNotAllowed, "header %q; only alg, typ and kid are allowed", t.hdr.extra)
	}

	if d2 == len(token)-1 {
		// Checked after the header so that alg "none" is named as such.
		return t, refuse(ErrMalformed, "empty signature")
	}
	pb := make([]byte, b64.DecodedLen(d2-d1-1))
	n, err = b64.Decode(pb, raw[d1+1:d2])
	if err != nil {
		return t, refuse(ErrMalformed, "payload is not base64url")
	}
	t.payload = string(pb[:n])

	t.sig = make([]byte, b64.DecodedLen(len(raw)-d2-1))
	n, err = b64.Decode(t.sig, raw[d2+1:])
	if err != nil {
		return t, refuse(ErrMalformed, "signature is not base64url")
	}
	t.sig = t.sig[:n]
	t.signingInput = raw[:d2]
	return t, nil
}

// checkSignature resolves the key of (issuer, kid), checks that the
// header alg is the key's alg and verifies the signature with the key's
// alg.
func checkSignature(ctx context.Context, keys KeyResolver, issuer string, t *compactToken) (*PublicKey, error) {
	if !t.hdr.hasKid || t.hdr.kid == "" {
		return nil, refuse(ErrUnknownKey, "kid is missing")
	}
	key, err := keys.ResolveKey(ctx, issuer, t.hdr.kid)
	switch {
	case errors.Is(err, ErrPartnerSuspended):
		return nil, refuse(ErrPartnerSuspended, "")
	case errors.Is(err, ErrUnknownKey):
		return nil, refuse(ErrUnknownKey, "no key %q for this issuer", t.hdr.kid)
	case err != nil:
		return nil, fmt.Errorf("protocol: resolve key: %w", err)
	case key == nil || key.kid != t.hdr.kid:
		return nil, refuse(ErrUnknownKey, "no key %q for this issuer", t.hdr.kid)
	}
	if t.hdr.alg != key.alg {
		return nil, refuse(ErrAlgorithm, "alg %s is not the alg of key %q", t.hdr.alg, key.kid)
	}
	if !key.verify(t.signingInput, t.sig) {
		return nil, refuse(ErrBadSignature, "")
	}
	return key, nil
}

// PeekRequest returns the iss and jti claims of a request token WITHOUT
// verifying anything. It is meant only for the broker's response
// signature (aud and req echo what the request claimed, so a partner can
// bind even a 401 answer to its request) and for correlating log lines
// marked as unverified. It returns "" for what it cannot read.
func PeekRequest(token string) (issuer, jti string) {
	tok, e := splitToken(token, RequestTokenType)
	if e != nil {
		return "", ""
	}
	var c Claims
	if parseClaims(tok.payload, &c) != nil {
		return "", ""
	}
	return c.Issuer, c.ID
}

// Response describes the HTTP response a response token must be bound
// to.
type Response struct {
	RequestID string // the jti of the request token sent
	Status    int    // the HTTP status code received
	BodyHash  string // BodyHash of the complete response body, "" for none
}

// ResponseVerifierConfig configures a ResponseVerifier.
type ResponseVerifierConfig struct {
	// Broker is the broker id (the "id" of its discovery document); iss
	// must equal it. Required.
	Broker string
	// Partner is the own partner id; aud must equal it. Required.
	Partner string
	// Keys resolves the broker's keys (its /.well-known/jwks.json); it is
	// called with issuer = Broker. Required. StaticKeys will do.
	Keys KeyResolver
	// MaxAge is how old iat may be when the response is checked; zero
	// means MaxTokenLifetime. It allows for slow transfers of large
	// bodies; freshness comes from req, which names a one-time jti.
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ResponseVerifier checks the Ketenbrug-Signature of broker responses in
// the SDK. It is safe for concurrent use.
type ResponseVerifier struct {
	broker, partner string
	keys            KeyResolver
	maxAge          time.Duration
	now             func() time.Time
}

// NewResponseVerifier returns a ResponseVerifier for cfg.
func NewResponseVerifier(cfg ResponseVerifierConfig) (*ResponseVerifier, error) {
	if cfg.Broker == "" || cfg.Partner == "" || cfg.Keys == nil {
		return nil, errors.New("protocol: ResponseVerifierConfig needs Broker, Partner and Keys")
	}
	v := &ResponseVerifier{broker: cfg.Broker, partner: cfg.Partner, keys: cfg.Keys, maxAge: cfg.MaxAge, now: cfg.Now}
	if v.maxAge <= 0 {
		v.maxAge = MaxTokenLifetime
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// VerifyResponse checks a response token (the value of the
// Ketenbrug-Signature header) against the response received: typ
// kb-resp+jwt, alg allowed and equal to the broker key's alg, kid in the
// broker's JWKS, signature, iss = Broker, aud = Partner, req = the
// request's jti, status, bsh of the body, and iat not more than
// MaxClockSkew in the future nor older than MaxAge.
func (v *ResponseVerifier) VerifyResponse(ctx context.Context, token string, resp Response) (*ResponseClaims, error) {
	tok, e := splitToken(token, ResponseTokenType)
	if e != nil {
		return nil, e
	}
	c := new(ResponseClaims)
	hasStatus, e := parseResponseClaims(tok.payload, c)
	if e != nil {
		return nil, e
	}
	if c.Issuer != v.broker {
		return nil, refuse(ErrUnknownKey, "iss is not the broker")
	}
	if _, err := checkSignature(ctx, v.keys, v.broker, &tok); err != nil {
		return nil, err
	}
	if c.IssuedAt.IsZero() || !hasStatus {
		return nil, refuse(ErrClaimsInvalid, "iat and status are required")
	}
	if c.Audience != v.partner {
		return nil, refuse(ErrAudience, "aud is not this partner")
	}
	if c.Request != resp.RequestID {
		return nil, refuse(ErrRequestMismatch, "")
	}
	if c.Status != resp.Status {
		return nil, refuse(ErrStatusMismatch, "signed %d, received %d", c.Status, resp.Status)
	}
	if err := checkBodyHash(c.BodyHash, resp.BodyHash); err != nil {
		return nil, err
	}
	now := v.now()
	if c.IssuedAt.After(now.Add(MaxClockSkew)) {
		return nil, refuse(ErrNotYetValid, "iat is in the future")
	}
	if c.IssuedAt.Before(now.Add(-v.maxAge - MaxClockSkew)) {
		return nil, refuse(ErrExpired, "iat is too old")
	}
	return c, nil
}

// BearerToken returns the token of an Authorization header value of the
// form "Bearer <token>" (scheme case-insensitive). A missing or different
// scheme, or an empty token, is a malformed refusal.
func BearerToken(authorization string) (string, error) {
	const scheme = "bearer "
	if len(authorization) <= len(scheme) || !strings.EqualFold(authorization[:len(scheme)], scheme) {
		return "", refuse(ErrMalformed, "no bearer token in Authorization")
	}
	tok := strings.TrimLeft(authorization[len(scheme):], " ")
	if tok == "" {
		return "", refuse(ErrMalformed, "no bearer token in Authorization")
	}
	return tok, nil
}
