package protocol

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Algorithms are the JWS algorithms a token may use, in order of
// preference. RSA keys (PS256, RS256) must have at least MinRSABits bits.
// Do not modify.
var Algorithms = []string{AlgEdDSA, AlgES256, AlgPS256, AlgRS256}

// Names of the allowed algorithms.
const (
	AlgEdDSA = "EdDSA" // Ed25519 (RFC 8037)
	AlgES256 = "ES256" // ECDSA P-256 with SHA-256; signature is r||s, 64 bytes
	AlgPS256 = "PS256" // RSASSA-PSS with SHA-256, MGF1-SHA-256, salt length 32
	AlgRS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256
)

// MinRSABits is the smallest RSA modulus accepted; GenerateKey makes
// RSAKeyBits-bit keys.
const (
	MinRSABits = 2048
	RSAKeyBits = 3072
)

func algAllowed(alg string) bool {
	switch alg {
	case AlgEdDSA, AlgES256, AlgPS256, AlgRS256:
		return true
	}
	return false
}

// PublicKey is a registered public key prepared once for fast
// verification: its kid, its alg (which alone decides how signatures are
// checked; the alg header of a token must equal it) and the raw
// crypto.PublicKey. It is immutable and safe for concurrent use.
type PublicKey struct {
	kid string
	alg string
	key jwk.Key

	ed  ed25519.PublicKey
	ec  *ecdsa.PublicKey
	rsa *rsa.PublicKey
}

// NewPublicKey validates a public JWK (see ValidatePublicJWKS for the
// rules) and prepares it for verification.
func NewPublicKey(key jwk.Key) (*PublicKey, error) {
	kid, alg, raw, err := inspectKey(key, false)
	if err != nil {
		return nil, err
	}
	pk := &PublicKey{kid: kid, alg: alg, key: key}
	switch k := raw.(type) {
	case ed25519.PublicKey:
		pk.ed = k
	case *ecdsa.PublicKey:
		pk.ec = k
	case *rsa.PublicKey:
		pk.rsa = k
	}
	return pk, nil
}

// KeyID returns the kid.
func (k *PublicKey) KeyID() string { return k.kid }

// Algorithm returns the alg the key is registered for.
func (k *PublicKey) Algorithm() string { return k.alg }

// JWK returns the key as registered.
func (k *PublicKey) JWK() jwk.Key { return k.key }

// CryptoPublicKey returns the raw key: ed25519.PublicKey,
// *ecdsa.PublicKey or *rsa.PublicKey.
func (k *PublicKey) CryptoPublicKey() crypto.PublicKey {
	switch {
	case k.ed != nil:
		return k.ed
	case k.ec != nil:
		return k.ec
	default:
		return k.rsa
	}
}

// verify checks a JWS signature over signingInput with the key's own alg.
//
// Why the standard library and not jws.Verify: see the figures in
// bench_test.go (BenchmarkSignatureBackends). On the same EdDSA token,
// jws.Verify(token, jws.WithKey(alg, jwkKey)) costs about 28 µs of CPU and
// 100 allocations more than ed25519.Verify on the prepared key, and
// jwt.Parse about 60 µs and 250 allocations more, while the whole of
// Verify adds only a few µs. The JOSE encodings are simple and pinned by
// interop tests against jwx (TestInteropJWX): EdDSA is the 64-byte Ed25519
// signature, ES256 the 64-byte big-endian r||s (RFC 7518 section 3.4),
// PS256 uses salt length 32 (RFC 7518 section 3.5).
func (k *PublicKey) verify(signingInput, sig []byte) bool {
	switch k.alg {
	case AlgEdDSA:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, signingInput, sig)
	case AlgES256:
		if len(sig) != 64 {
			return false
		}
		h := sha256.Sum256(signingInput)
		var der [72]byte
		return ecdsa.VerifyASN1(k.ec, h[:], rawToDER(der[:0], sig[:32], sig[32:]))
	case AlgPS256:
		h := sha256.Sum256(signingInput)
		return rsa.VerifyPSS(k.rsa, crypto.SHA256, h[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case AlgRS256:
		h := sha256.Sum256(signingInput)
		return rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, h[:], sig) == nil
	}
	return false
}

// rawToDER converts the JOSE form of an ECDSA signature (fixed-size
// big-endian r and s) to the ASN.1 DER SEQUENCE of two INTEGERs that
// crypto/ecdsa verifies, appending to dst. Zero values become INTEGER 0,
// which verification refuses.
func rawToDER(dst, r, s []byte) []byte {
	integer := func(b []byte) []byte {
		for len(b) > 1 && b[0] == 0 {
			b = b[1:]
		}
		return b
	}
	r, s = integer(r), integer(s)
	pad := func(b []byte) int {
		if b[0]&0x80 != 0 {
			return 1
		}
		return 0
	}
	rl, sl := len(r)+pad(r), len(s)+pad(s)
	dst = append(dst, 0x30, byte(2+rl+2+sl), 0x02, byte(rl))
	if pad(r) == 1 {
		dst = append(dst, 0)
	}
	dst = append(dst, r...)
	dst = append(dst, 0x02, byte(sl))
	if pad(s) == 1 {
		dst = append(dst, 0)
	}
	return append(dst, s...)
}

// inspectKey checks a JWK against the protocol's rules and returns its
// kid, alg and raw key (public, or private when private is true).
func inspectKey(key jwk.Key, private bool) (kid, alg string, raw any, err error) {
	if key == nil {
		return "", "", nil, fmt.Errorf("%w: nil key", ErrInvalidKey)
	}
	kid, _ = key.KeyID()
	fail := func(why error, detail string) (string, string, any, error) {
		if detail != "" {
			return "", "", nil, fmt.Errorf("%w: kid %q: %w (%s)", ErrInvalidKey, kid, why, detail)
		}
		return "", "", nil, fmt.Errorf("%w: kid %q: %w", ErrInvalidKey, kid, why)
	}
	if _, ok := key.(jwk.UnsupportedKey); ok {
		return fail(ErrUnsupportedKey, "kty "+key.KeyType().String())
	}
	if key.KeyType() == jwa.OctetSeq() {
		return fail(ErrSymmetricKey, "")
	}
	isPrivate, err := jwk.IsPrivateKey(key)
	if err != nil {
		return fail(ErrUnsupportedKey, err.Error())
	}
	if isPrivate && !private {
		return fail(ErrPrivateKey, "")
	}
	if !isPrivate && private {
		return fail(ErrPublicKey, "")
	}
	if kid == "" {
		return fail(ErrMissingKeyID, "")
	}
	a, ok := key.Algorithm()
	if !ok || a.String() == "" {
		return fail(ErrMissingAlgorithm, "")
	}
	alg = a.String()
	if !algAllowed(alg) {
		return fail(ErrKeyAlgorithm, "alg "+alg+" is not one of EdDSA, ES256, PS256, RS256")
	}
	if use, ok := key.KeyUsage(); ok && use != "sig" {
		return fail(ErrKeyUse, "use "+use)
	}
	if ops, ok := key.KeyOps(); ok {
		want := jwk.KeyOpVerify
		if private {
			want = jwk.KeyOpSign
		}
		if !slices.Contains(ops, want) {
			return fail(ErrKeyUse, "key_ops lacks "+string(want))
		}
	}
	if key.KeyType() == jwa.RSA() {
		// Before Export, which may refuse small keys with a vaguer error.
		var n []byte
		switch k := key.(type) {
		case jwk.RSAPublicKey:
			n, _ = k.N()
		case jwk.RSAPrivateKey:
			n, _ = k.N()
		}
		if bits := new(big.Int).SetBytes(n).BitLen(); bits < MinRSABits {
			return fail(ErrWeakKey, fmt.Sprintf("%d bits", bits))
		}
	}
	if err := jwk.Export(key, &raw); err != nil {
		return fail(ErrUnsupportedKey, err.Error())
	}
	var pub any = raw
	if s, ok := raw.(crypto.Signer); ok {
		pub = s.Public()
	}
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if alg != AlgEdDSA || len(p) != ed25519.PublicKeySize {
			return fail(ErrKeyAlgorithm, "an Ed25519 key needs alg EdDSA")
		}
	case *ecdsa.PublicKey:
		if alg != AlgES256 || p.Curve != elliptic.P256() {
			return fail(ErrKeyAlgorithm, "alg ES256 needs an EC key on P-256")
		}
	case *rsa.PublicKey:
		if alg != AlgPS256 && alg != AlgRS256 {
			return fail(ErrKeyAlgorithm, "an RSA key needs alg PS256 or RS256")
		}
		if p.N.BitLen() < MinRSABits {
			return fail(ErrWeakKey, fmt.Sprintf("%d bits", p.N.BitLen()))
		}
	case *ecdh.PublicKey:
		return fail(ErrKeyAlgorithm, "X25519 keys are for key agreement, not signatures")
	default:
		return fail(ErrUnsupportedKey, fmt.Sprintf("%T", pub))
	}
	return kid, alg, raw, nil
}

// ValidatePublicJWKS checks a JWKS a partner registers (or the broker
// publishes). It refuses: an empty set; private keys; symmetric (oct)
// keys; RSA keys under 2048 bits; keys without kid or alg; alg not in
// Algorithms or not matching the key type and curve; "use" other than
// "sig" or "key_ops" without "verify"; duplicate kids. The error wraps
// ErrInvalidKey and the specific sentinel (ErrPrivateKey, ErrWeakKey, ...)
// and names the index and kid of the offending key.
func ValidatePublicJWKS(set jwk.Set) error {
	_, err := newKeySet(set)
	return err
}

// KeySet is the prepared public keys of one issuer, by kid. It is
// immutable and safe for concurrent use. Build one per partner when its
// JWKS is registered or rotated, not per request.
type KeySet struct {
	keys map[string]*PublicKey
	kids []string
	set  jwk.Set
}

// NewKeySet validates set with the rules of ValidatePublicJWKS and
// prepares its keys.
func NewKeySet(set jwk.Set) (*KeySet, error) { return newKeySet(set) }

func newKeySet(set jwk.Set) (*KeySet, error) {
	if set == nil || set.Len() == 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, ErrEmptyJWKS)
	}
	ks := &KeySet{keys: make(map[string]*PublicKey, set.Len()), set: set}
	for i := range set.Len() {
		key, _ := set.Key(i)
		pk, err := NewPublicKey(key)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if _, dup := ks.keys[pk.kid]; dup {
			return nil, fmt.Errorf("key %d: %w: kid %q: %w", i, ErrInvalidKey, pk.kid, ErrDuplicateKeyID)
		}
		ks.keys[pk.kid] = pk
		ks.kids = append(ks.kids, pk.kid)
	}
	return ks, nil
}

// ParseKeySet parses a JWKS document ({"keys":[...]}) and returns it
// prepared, with the rules of ValidatePublicJWKS.
func ParseKeySet(jwks []byte) (*KeySet, error) {
	if err := precheckJWKS(jwks); err != nil {
		return nil, err
	}
	set, err := jwk.Parse(jwks)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return NewKeySet(set)
}

// precheckJWKS looks at the JSON of a JWKS before jwx parses it, so that
// the commonest registration mistakes get a precise error (jwx refuses
// some of them itself, with a less specific one): a private or symmetric
// key, or an RSA modulus under MinRSABits.
func precheckJWKS(jwks []byte) error {
	var doc struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			D   string `json:"d"`
			K   string `json:"k"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil {
		return fmt.Errorf("%w: not a JWKS document: %w", ErrInvalidKey, err)
	}
	if len(doc.Keys) == 0 {
		return fmt.Errorf("%w: %w", ErrInvalidKey, ErrEmptyJWKS)
	}
	for i, k := range doc.Keys {
		var why error
		detail := ""
		switch {
		case k.Kty == "oct" || k.K != "":
			why = ErrSymmetricKey
		case k.D != "":
			why = ErrPrivateKey
		case k.Kty == "RSA":
			if n, err := b64.DecodeString(k.N); err == nil {
				bits := new(big.Int).SetBytes(n).BitLen()
				if bits < MinRSABits {
					why, detail = ErrWeakKey, fmt.Sprintf(" (%d bits)", bits)
				}
			}
		}
		if why != nil {
			return fmt.Errorf("key %d: %w: kid %q: %w%s", i, ErrInvalidKey, k.Kid, why, detail)
		}
	}
	return nil
}

// Key returns the key with this kid.
func (s *KeySet) Key(kid string) (*PublicKey, bool) {
	k, ok := s.keys[kid]
	return k, ok
}

// KeyIDs returns the kids in the order of the JWKS.
func (s *KeySet) KeyIDs() []string { return slices.Clone(s.kids) }

// Len returns the number of keys.
func (s *KeySet) Len() int { return len(s.kids) }

// JWKS returns the set as validated (for publishing or storing).
func (s *KeySet) JWKS() jwk.Set { return s.set }

// KeyResolver finds the registered public key of an issuer. The broker
// implements it over its partner store; the SDK over the broker's JWKS.
//
// ResolveKey returns ErrUnknownKey (possibly wrapped) when the issuer is
// unknown or has no key with this kid, and ErrPartnerSuspended when the
// issuer is suspended. Any other error is treated as an internal failure:
// Verify returns it without a reason code (answer 5xx, not 401).
// A key of one issuer must never be returned for another.
type KeyResolver interface {
	ResolveKey(ctx context.Context, issuer, kid string) (*PublicKey, error)
}

// StaticKeys is a KeyResolver over a fixed map of issuer to key set, for
// tests, tools and the SDK (issuer = broker id, keys = the broker's JWKS).
type StaticKeys map[string]*KeySet

// ResolveKey implements KeyResolver.
func (m StaticKeys) ResolveKey(_ context.Context, issuer, kid string) (*PublicKey, error) {
	ks, ok := m[issuer]
	if !ok || ks == nil {
		return nil, fmt.Errorf("%w: unknown issuer", ErrUnknownKey)
	}
	k, ok := ks.keys[kid]
	if !ok {
		return nil, fmt.Errorf("%w: issuer has no key with this kid", ErrUnknownKey)
	}
	return k, nil
}

// GenerateKey makes a private signing key for alg: "" or EdDSA (the
// default and recommended), ES256, PS256 or RS256 (RSA keys have
// RSAKeyBits bits). The key carries "alg" and "kid", the kid being its
// RFC 7638 SHA-256 thumbprint in base64url.
func GenerateKey(alg string) (jwk.Key, error) {
	var raw any
	var err error
	switch alg {
	case "", AlgEdDSA:
		alg = AlgEdDSA
		_, raw, err = ed25519.GenerateKey(rand.Reader)
	case AlgES256:
		raw, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgPS256, AlgRS256:
		raw, err = rsa.GenerateKey(rand.Reader, RSAKeyBits)
	default:
		return nil, fmt.Errorf("%w: %w: %q", ErrInvalidKey, ErrKeyAlgorithm, alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	return importPrivate(raw, alg)
}

// importPrivate turns a raw private key into a JWK with alg and kid.
func importPrivate(raw any, alg string) (jwk.Key, error) {
	key, err := jwk.Import(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	sa, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		return nil, fmt.Errorf("%w: %w: %q", ErrInvalidKey, ErrKeyAlgorithm, alg)
	}
	if err := key.Set(jwk.AlgorithmKey, sa); err != nil {
		return nil, err
	}
	if err := jwk.AssignKeyID(key); err != nil {
		return nil, err
	}
	return key, nil
}

// PublicSet returns the public JWKS of one or more private (or public)
// keys, keeping kid and alg and dropping everything private. The result
// passes ValidatePublicJWKS.
func PublicSet(keys ...jwk.Key) (jwk.Set, error) {
	set := jwk.NewSet()
	for i, k := range keys {
		if k == nil {
			return nil, fmt.Errorf("key %d: %w: nil key", i, ErrInvalidKey)
		}
		pub, err := k.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("key %d: %w: %w", i, ErrInvalidKey, err)
		}
		if err := set.AddKey(pub); err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
	}
	if err := ValidatePublicJWKS(set); err != nil {
		return nil, err
	}
	return set, nil
}
