// Package protocol is the wire contract between Ketenbrug partners and the
// broker: how a request is authenticated and bound, and how a response is
// signed. The broker's HTTP middleware and the partner SDK both use it;
// it imports nothing from the project. PROTOCOL.md beside this file
// describes the protocol for implementers in other languages, and
// testdata/vectors.json holds test vectors.
//
// # Requests
//
// Every request to /v1/... carries "Authorization: Bearer <token>", a
// compact JWS signed by a key of the calling partner:
//
//   - protected header: exactly alg (EdDSA, ES256, PS256 or RS256 — the
//     alg the key is registered with), typ "kb-req+jwt" and kid (a key in
//     the partner's registered JWKS); any other header is refused;
//   - claims: iss (partner id), sub (acting person or service), aud
//     (broker id), iat and exp (lifetime at most 300 s), optional nbf,
//     jti (at least 16 characters, used once), htm (method), htu (path and
//     query exactly as sent), bsh (base64url SHA-256 of the body; absent
//     without a body), role and an optional purpose.
//
// A partner signs with a Signer (SignRequest); the broker checks with a
// Verifier (Verify, or VerifyDeferredBody for streamed bodies, whose hash
// is then checked while reading with Claims.VerifyBody).
//
// # Responses
//
// Every broker response carries a Ketenbrug-Signature header: a compact
// JWS (typ "kb-resp+jwt") by the broker's key over iss, aud, iat, req (the
// request's jti), status and bsh of the response body. The broker signs
// with Signer.SignResponse; the SDK checks with
// ResponseVerifier.VerifyResponse against the broker's JWKS.
//
// # Refusals
//
// Every refusal is an *Error whose Reason is a stable code (see the
// Reason* constants and Reasons) and which wraps a sentinel (ErrExpired,
// ErrReplayed, ...) for errors.Is. The broker puts the code in its
// problem documents and metrics.
//
// # Verification order and cost
//
// The token size is checked before anything is parsed; header checks
// (alg allow-list, typ, no other header) come before the key lookup and
// signature; claims are decoded by a strict JSON reader (no duplicate
// names, valid UTF-8 only) and trusted only after the signature verifies.
// The signature is checked with the standard library on a key prepared
// once (PublicKey), always with the key's registered alg, never the
// header's. See bench_test.go for figures.
package protocol

// Discovery paths on the broker.
const (
	// ConfigurationPath serves the Configuration document.
	ConfigurationPath = "/.well-known/ketenbrug-configuration"
	// JWKSPath serves the broker's public JWKS (response signature keys).
	JWKSPath = "/.well-known/jwks.json"
	// APIVersion is the version of the API and of this protocol.
	APIVersion = "v1"
)

// Configuration is the discovery document served at ConfigurationPath.
type Configuration struct {
	ID                string   `json:"id"`                   // the broker id: aud of request tokens, iss of response tokens
	JWKSURI           string   `json:"jwks_uri"`             // absolute URL of the broker's JWKS
	Algorithms        []string `json:"algorithms"`           // Algorithms
	MaxTokenLifetimeS int      `json:"max_token_lifetime_s"` // MaxTokenLifetime in seconds
	APIVersion        string   `json:"api_version"`          // APIVersion
}

// NewConfiguration returns the discovery document of a broker with this
// id whose JWKS is at jwksURI.
func NewConfiguration(id, jwksURI string) Configuration {
	return Configuration{
		ID:                id,
		JWKSURI:           jwksURI,
		Algorithms:        append([]string(nil), Algorithms...),
		MaxTokenLifetimeS: int(MaxTokenLifetime.Seconds()),
		APIVersion:        APIVersion,
	}
}
