package protocol

import (
	"errors"
	"fmt"
)

// Reason codes. Every refusal of a token carries exactly one of these in
// Error.Reason. They are stable: they appear in problem documents
// (member "code", as "token_<reason>"), in metrics labels and in testdata/vectors.json, and
// partners' code may branch on them. Never rename one; add new ones.
const (
	// Shape of the token.
	ReasonMalformed        = "malformed"          // see ErrMalformed
	ReasonTokenTooLarge    = "token_too_large"    // see ErrTokenTooLarge
	ReasonAlgNotAllowed    = "alg_not_allowed"    // see ErrAlgorithm
	ReasonTypInvalid       = "typ_invalid"        // see ErrType
	ReasonHeaderNotAllowed = "header_not_allowed" // see ErrHeaderNotAllowed

	// Key and signature.
	ReasonUnknownKey       = "unknown_key"       // see ErrUnknownKey
	ReasonPartnerSuspended = "partner_suspended" // see ErrPartnerSuspended
	ReasonBadSignature     = "bad_signature"     // see ErrBadSignature

	// Time and uniqueness.
	ReasonExpired           = "expired"             // see ErrExpired
	ReasonNotYetValid       = "not_yet_valid"       // see ErrNotYetValid
	ReasonLifetimeTooLong   = "lifetime_too_long"   // see ErrLifetimeTooLong
	ReasonIssuedBeforeStart = "issued_before_start" // see ErrIssuedBeforeStart
	ReasonJTIInvalid        = "jti_invalid"         // see ErrJTIInvalid
	ReasonReplayed          = "replayed"            // see ErrReplayed

	// Binding to the HTTP request.
	ReasonAudienceMismatch = "audience_mismatch"  // see ErrAudience
	ReasonMethodMismatch   = "method_mismatch"    // see ErrMethod
	ReasonURIMismatch      = "uri_mismatch"       // see ErrURI
	ReasonBodyHashMismatch = "body_hash_mismatch" // see ErrBodyHash
	ReasonBodyHashMissing  = "body_hash_missing"  // see ErrBodyHashMissing
	ReasonClaimsInvalid    = "claims_invalid"     // see ErrClaimsInvalid

	// Binding of the claims to the key's owner, checked by the broker
	// after the signature: the partner's roles, a person key's person.
	ReasonRoleNotAllowed  = "role_not_allowed" // see ErrRoleNotAllowed
	ReasonPersonMismatch  = "person_mismatch"  // see ErrPersonMismatch
	ReasonPersonSuspended = "person_suspended" // see ErrPersonSuspended

	// Response signatures only (checked by the SDK).
	ReasonRequestMismatch = "request_mismatch" // see ErrRequestMismatch
	ReasonStatusMismatch  = "status_mismatch"  // see ErrStatusMismatch
)

// Error is a refusal of a request or response token. Reason is one of the
// Reason* codes; Err wraps the matching sentinel (ErrMalformed, ErrExpired,
// ...) together with a detail message, so both errors.Is(err, ErrExpired)
// and errors.As(err, &e) work.
//
// The detail text is meant for logs and for the "detail" member of a
// problem document; it never contains key material or the token itself.
type Error struct {
	Reason string // stable reason code, one of the Reason* constants
	Err    error  // the sentinel, wrapped with detail
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err == nil {
		return "ketenbrug token refused: " + e.Reason
	}
	return "ketenbrug token refused (" + e.Reason + "): " + e.Err.Error()
}

// Unwrap returns the wrapped sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Reason returns the reason code of err when it is (or wraps) an *Error,
// and "" otherwise. An error without a reason code from Verify is not a
// refusal but an internal failure (for example the KeyResolver could not
// reach its store) and should be answered with a 5xx status.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Sentinels of the token shape.
var (
	// ErrMalformed: not a compact JWS of three base64url parts, bad base64,
	// a header or claims set that is not one strict JSON object (duplicate
	// names, invalid UTF-8, trailing data), or a missing bearer token.
	ErrMalformed = errors.New("malformed token")
	// ErrTokenTooLarge: the compact token is longer than MaxTokenSize.
	ErrTokenTooLarge = errors.New("token too large")
	// ErrAlgorithm: alg missing, not in Algorithms, or not the alg of the
	// registered key named by kid.
	ErrAlgorithm = errors.New("algorithm not allowed")
	// ErrType: typ missing or not the expected token type.
	ErrType = errors.New("invalid token type")
	// ErrHeaderNotAllowed: a protected header other than alg, typ and kid
	// (jwk, jku, x5u, x5c, x5t, crit, b64, ...).
	ErrHeaderNotAllowed = errors.New("header parameter not allowed")
)

// Sentinels of key lookup and signature.
var (
	// ErrUnknownKey: no kid, unknown issuer, or no key with that kid for
	// that issuer. A KeyResolver returns it (possibly wrapped) when it
	// has no such key.
	ErrUnknownKey = errors.New("unknown key")
	// ErrPartnerSuspended is returned (possibly wrapped) by a KeyResolver
	// when the issuer is a known partner that has been suspended.
	ErrPartnerSuspended = errors.New("partner suspended")
	// ErrBadSignature: the signature does not verify with the key.
	ErrBadSignature = errors.New("bad signature")
)

// Sentinels of time and uniqueness.
var (
	// ErrExpired: exp (plus MaxClockSkew) has passed.
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid: iat or nbf lies more than MaxClockSkew in the future.
	ErrNotYetValid = errors.New("token not yet valid")
	// ErrLifetimeTooLong: exp - iat exceeds MaxTokenLifetime.
	ErrLifetimeTooLong = errors.New("token lifetime too long")
	// ErrIssuedBeforeStart: iat is before the verifier's NotBefore (the
	// broker's start), so the replay cache cannot vouch for it.
	ErrIssuedBeforeStart = errors.New("token issued before broker start")
	// ErrJTIInvalid: jti missing, shorter than MinJTILength or longer
	// than MaxJTILength.
	ErrJTIInvalid = errors.New("invalid jti")
	// ErrReplayed: the jti of this issuer was seen before within its
	// lifetime.
	ErrReplayed = errors.New("token replayed")
)

// Sentinels of the binding to the HTTP exchange.
var (
	// ErrAudience: aud is not the verifier's audience.
	ErrAudience = errors.New("audience mismatch")
	// ErrMethod: htm is not the request method.
	ErrMethod = errors.New("method mismatch")
	// ErrURI: htu is not the request target (path and query) as sent.
	ErrURI = errors.New("uri mismatch")
	// ErrBodyHash: bsh is not the SHA-256 of the body as received.
	ErrBodyHash = errors.New("body hash mismatch")
	// ErrBodyHashMissing: the request has a body but the token no bsh.
	ErrBodyHashMissing = errors.New("body hash missing")
	// ErrClaimsInvalid: a required claim is missing or has the wrong type
	// (iss, sub, aud, iat, exp, htm, htu, role; exp not after iat).
	ErrClaimsInvalid = errors.New("invalid claims")
	// ErrRequestMismatch: a response token's req is not the jti of the
	// request it answers.
	ErrRequestMismatch = errors.New("response for another request")
	// ErrStatusMismatch: a response token's status is not the HTTP status
	// received.
	ErrStatusMismatch = errors.New("response status mismatch")
)

// Sentinels of the binding of the claims to the key's owner. The broker
// checks them after the signature verified, against its registry; they are
// not part of Verify.
var (
	// ErrRoleNotAllowed: role is not a role of the partner, or, for a
	// person key, not a role of that person.
	ErrRoleNotAllowed = errors.New("role not allowed")
	// ErrPersonMismatch: the token is signed with a person key and its
	// sub is not the person the key is bound to.
	ErrPersonMismatch = errors.New("sub is not the person of the key")
	// ErrPersonSuspended: the token is signed with a person key whose
	// person is suspended (the organisation is not).
	ErrPersonSuspended = errors.New("person suspended")
)

// reasons maps each sentinel to its reason code.
var reasons = map[error]string{
	ErrMalformed:         ReasonMalformed,
	ErrTokenTooLarge:     ReasonTokenTooLarge,
	ErrAlgorithm:         ReasonAlgNotAllowed,
	ErrType:              ReasonTypInvalid,
	ErrHeaderNotAllowed:  ReasonHeaderNotAllowed,
	ErrUnknownKey:        ReasonUnknownKey,
	ErrPartnerSuspended:  ReasonPartnerSuspended,
	ErrBadSignature:      ReasonBadSignature,
	ErrExpired:           ReasonExpired,
	ErrNotYetValid:       ReasonNotYetValid,
	ErrLifetimeTooLong:   ReasonLifetimeTooLong,
	ErrIssuedBeforeStart: ReasonIssuedBeforeStart,
	ErrJTIInvalid:        ReasonJTIInvalid,
	ErrReplayed:          ReasonReplayed,
	ErrAudience:          ReasonAudienceMismatch,
	ErrMethod:            ReasonMethodMismatch,
	ErrURI:               ReasonURIMismatch,
	ErrBodyHash:          ReasonBodyHashMismatch,
	ErrBodyHashMissing:   ReasonBodyHashMissing,
	ErrClaimsInvalid:     ReasonClaimsInvalid,
	ErrRequestMismatch:   ReasonRequestMismatch,
	ErrStatusMismatch:    ReasonStatusMismatch,
}

// bindingReasons maps each sentinel of the broker's binding checks to its
// reason code (BindingReasons).
var bindingReasons = map[error]string{
	ErrRoleNotAllowed:  ReasonRoleNotAllowed,
	ErrPersonMismatch:  ReasonPersonMismatch,
	ErrPersonSuspended: ReasonPersonSuspended,
}

// Reasons lists every reason code, in the order of the table in
// PROTOCOL.md. Useful to pre-register metric label values.
var Reasons = []string{
	ReasonMalformed, ReasonTokenTooLarge, ReasonAlgNotAllowed, ReasonTypInvalid,
	ReasonHeaderNotAllowed, ReasonUnknownKey, ReasonPartnerSuspended,
	ReasonBadSignature, ReasonExpired, ReasonNotYetValid, ReasonLifetimeTooLong,
	ReasonIssuedBeforeStart, ReasonJTIInvalid, ReasonReplayed,
	ReasonAudienceMismatch, ReasonMethodMismatch, ReasonURIMismatch,
	ReasonBodyHashMismatch, ReasonBodyHashMissing, ReasonClaimsInvalid,
	ReasonRequestMismatch, ReasonStatusMismatch,
}

// BindingReasons lists the reason codes of the checks the broker makes
// against its registry after Verify (role of the partner, person key's
// person and roles); a verifier without the registry never gives them, so
// the test vectors do not cover them.
var BindingReasons = []string{ReasonRoleNotAllowed, ReasonPersonMismatch, ReasonPersonSuspended}

// Refuse returns the *Error of sentinel (one of the Err* sentinels above)
// with a detail message, for checks made outside Verify.
func Refuse(sentinel error, detail string) *Error {
	if detail == "" {
		return refuse(sentinel, "")
	}
	return refuse(sentinel, "%s", detail)
}

// refuse builds the *Error for sentinel with a detail message.
func refuse(sentinel error, format string, args ...any) *Error {
	reason, ok := reasons[sentinel]
	if !ok {
		reason, ok = bindingReasons[sentinel]
	}
	if !ok {
		panic("protocol: refuse called with unknown sentinel " + sentinel.Error())
	}
	if format == "" {
		return &Error{Reason: reason, Err: sentinel}
	}
	return &Error{Reason: reason, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}

// Sentinels of key and JWKS validation (ValidatePublicJWKS, NewPublicKey,
// NewSigner, GenerateKey). They are returned wrapped together with
// ErrInvalidKey and the index and kid of the offending key.
var (
	// ErrInvalidKey wraps every key or JWKS validation failure.
	ErrInvalidKey = errors.New("invalid key")
	// ErrEmptyJWKS: the set has no keys.
	ErrEmptyJWKS = errors.New("empty key set")
	// ErrPrivateKey: a private key where a public key is required.
	ErrPrivateKey = errors.New("private key in public key set")
	// ErrPublicKey: a public key where a private (signing) key is required.
	ErrPublicKey = errors.New("public key cannot sign")
	// ErrSymmetricKey: an oct (HMAC) key; only asymmetric keys are allowed.
	ErrSymmetricKey = errors.New("symmetric key not allowed")
	// ErrWeakKey: an RSA modulus below 2048 bits.
	ErrWeakKey = errors.New("RSA key shorter than 2048 bits")
	// ErrMissingKeyID: the key has no kid.
	ErrMissingKeyID = errors.New("key without kid")
	// ErrMissingAlgorithm: the key has no alg.
	ErrMissingAlgorithm = errors.New("key without alg")
	// ErrKeyAlgorithm: alg not in Algorithms, or not matching the key type
	// or curve (EdDSA needs OKP Ed25519, ES256 EC P-256, PS256 and RS256
	// RSA).
	ErrKeyAlgorithm = errors.New("key algorithm not allowed for this key")
	// ErrKeyUse: "use" is present and not "sig", or "key_ops" is present
	// and lacks "verify".
	ErrKeyUse = errors.New("key not meant for signatures")
	// ErrDuplicateKeyID: two keys in one set share a kid.
	ErrDuplicateKeyID = errors.New("duplicate kid")
	// ErrUnsupportedKey: a key type this protocol does not know.
	ErrUnsupportedKey = errors.New("unsupported key type")
)
