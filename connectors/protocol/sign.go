package protocol

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Signer signs request tokens (partners) or response tokens (the broker)
// with one private key. It is immutable and safe for concurrent use.
type Signer struct {
	kid, alg  string
	priv      crypto.Signer
	pub       *PublicKey
	reqHeader string // base64url of the protected header for kb-req+jwt
	resHeader string // same for kb-resp+jwt
	rand      io.Reader
}

// NewSigner prepares a private JWK for signing. The key must carry kid and
// alg and satisfy the same rules as a registered public key (see
// ValidatePublicJWKS); GenerateKey makes such keys.
func NewSigner(key jwk.Key) (*Signer, error) {
	kid, alg, raw, err := inspectKey(key, true)
	if err != nil {
		return nil, err
	}
	priv, ok := raw.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: kid %q: %w", ErrInvalidKey, kid, ErrUnsupportedKey)
	}
	pubJWK, err := key.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	// A private key's key_ops (["sign"]) would make its public half
	// invalid; the public half is only used for verification.
	_ = pubJWK.Remove(jwk.KeyOpsKey)
	pub, err := NewPublicKey(pubJWK)
	if err != nil {
		return nil, err
	}
	s := &Signer{kid: kid, alg: alg, priv: priv, pub: pub, rand: rand.Reader}
	if s.reqHeader, err = encodeHeader(alg, RequestTokenType, kid); err != nil {
		return nil, err
	}
	if s.resHeader, err = encodeHeader(alg, ResponseTokenType, kid); err != nil {
		return nil, err
	}
	return s, nil
}

// encodeHeader returns the base64url protected header
// {"alg":...,"typ":...,"kid":...}.
func encodeHeader(alg, typ, kid string) (string, error) {
	h, err := marshalJSON(struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}{alg, typ, kid})
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(h), nil
}

// KeyID returns the kid of the signing key.
func (s *Signer) KeyID() string { return s.kid }

// Algorithm returns the alg of the signing key.
func (s *Signer) Algorithm() string { return s.alg }

// PublicKey returns the public half, prepared for verification.
func (s *Signer) PublicKey() *PublicKey { return s.pub }

// SignRequest returns a compact request token (typ kb-req+jwt) for c.
// It refuses claims the broker would refuse for their shape: missing
// iss, sub, aud, iat, exp, htm, htu or role; a jti shorter than
// MinJTILength; exp not after iat or more than MaxTokenLifetime after it.
// Times are truncated to whole seconds.
func (s *Signer) SignRequest(c Claims) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	payload, err := c.marshal()
	if err != nil {
		return "", err
	}
	return s.sign(s.reqHeader, payload)
}

// SignResponse returns a compact response token (typ kb-resp+jwt) for r,
// for the Ketenbrug-Signature header. Request is "" and Audience is ""
// when the request carried no valid token (for example a 401 answer).
func (s *Signer) SignResponse(r ResponseClaims) (string, error) {
	if r.Issuer == "" || r.IssuedAt.IsZero() || r.Status < 100 || r.Status > 599 {
		return "", refuse(ErrClaimsInvalid, "response needs iss, iat and a status between 100 and 599")
	}
	payload, err := r.marshal()
	if err != nil {
		return "", err
	}
	return s.sign(s.resHeader, payload)
}

// sign builds header.payload.signature.
func (s *Signer) sign(header string, payload []byte) (string, error) {
	plen := b64.EncodedLen(len(payload))
	buf := make([]byte, 0, len(header)+1+plen+1+b64.EncodedLen(512))
	buf = append(buf, header...)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, payload)
	sig, err := s.signature(buf)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// signature computes the JWS signature of signingInput with the JOSE
// encoding of the key's alg.
func (s *Signer) signature(signingInput []byte) ([]byte, error) {
	switch s.alg {
	case AlgEdDSA:
		return ed25519.Sign(s.priv.(ed25519.PrivateKey), signingInput), nil
	case AlgES256:
		h := sha256.Sum256(signingInput)
		r, sv, err := ecdsa.Sign(s.rand, s.priv.(*ecdsa.PrivateKey), h[:])
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		sv.FillBytes(sig[32:])
		return sig, nil
	case AlgPS256:
		h := sha256.Sum256(signingInput)
		return rsa.SignPSS(s.rand, s.priv.(*rsa.PrivateKey), crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case AlgRS256:
		h := sha256.Sum256(signingInput)
		return rsa.SignPKCS1v15(nil, s.priv.(*rsa.PrivateKey), crypto.SHA256, h[:])
	}
	return nil, fmt.Errorf("%w: %q", ErrKeyAlgorithm, s.alg)
}
