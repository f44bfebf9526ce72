package protocol

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

func TestGenerateKey(t *testing.T) {
	for _, alg := range []string{"", AlgEdDSA, AlgES256, AlgPS256, AlgRS256} {
		k, err := GenerateKey(alg)
		if err != nil {
			t.Fatal(alg, err)
		}
		a, _ := k.Algorithm()
		want := alg
		if want == "" {
			want = AlgEdDSA
		}
		if a.String() != want {
			t.Fatalf("%s: alg %s", alg, a)
		}
		kid, _ := k.KeyID()
		pub, _ := k.PublicKey()
		tp, _ := pub.Thumbprint(crypto.SHA256)
		if kid != b64.EncodeToString(tp) {
			t.Fatalf("%s: kid %s is not the RFC 7638 thumbprint", alg, kid)
		}
		s, err := NewSigner(k)
		if err != nil {
			t.Fatal(alg, err)
		}
		if s.Algorithm() != want || s.KeyID() != kid {
			t.Fatalf("signer %s %s", s.Algorithm(), s.KeyID())
		}
		set, err := PublicSet(k)
		if err != nil {
			t.Fatal(alg, err)
		}
		if err := ValidatePublicJWKS(set); err != nil {
			t.Fatal(alg, err)
		}
		b, _ := json.Marshal(set)
		for _, private := range []string{`"d"`, `"p"`, `"q"`, `"dp"`} {
			if strings.Contains(string(b), private) {
				t.Fatalf("%s: public set has %s: %s", alg, private, b)
			}
		}
		if alg == AlgRS256 {
			var raw rsa.PrivateKey
			if err := jwk.Export(k, &raw); err != nil || raw.N.BitLen() != RSAKeyBits {
				t.Fatalf("RSA key of %d bits", raw.N.BitLen())
			}
		}
	}
	if _, err := GenerateKey("HS256"); !errors.Is(err, ErrKeyAlgorithm) {
		t.Fatalf("HS256: %v", err)
	}
}

// TestValidatePublicJWKS: the registration rules for a partner's JWKS.
func TestValidatePublicJWKS(t *testing.T) {
	f := newFixture(t)
	pub := func(s *Signer) jwk.Key {
		k, err := s.PublicKey().JWK().Clone()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	set := func(keys ...jwk.Key) jwk.Set {
		s := jwk.NewSet()
		for _, k := range keys {
			if err := s.AddKey(k); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	withField := func(k jwk.Key, name string, v any) jwk.Key {
		if v == nil {
			_ = k.Remove(name)
		} else if err := k.Set(name, v); err != nil {
			t.Fatal(err)
		}
		return k
	}
	private, _ := GenerateKey(AlgEdDSA)
	oct, _ := jwk.Import([]byte("a shared secret of thirty-two b!"))
	_ = oct.Set(jwk.KeyIDKey, "oct-1")
	_ = oct.Set(jwk.AlgorithmKey, jwa.HS256())
	p384raw, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384, _ := jwk.Import(&p384raw.PublicKey)
	_ = p384.Set(jwk.AlgorithmKey, jwa.ES256())
	_ = jwk.AssignKeyID(p384)
	xraw, _ := ecdh.X25519().GenerateKey(rand.Reader)
	x25519, _ := jwk.Import(xraw.PublicKey())
	_ = x25519.Set(jwk.AlgorithmKey, jwa.EdDSA())
	_ = jwk.AssignKeyID(x25519)

	// An RSA 1024 key: jwx itself refuses to import one by default, so
	// lower its floor for a moment to check that ours holds on its own.
	jwk.Configure(jwk.WithMinRSAModulusBits(1024))
	r1024raw, _ := rsa.GenerateKey(rand.Reader, 1024)
	r1024, err := jwk.Import(&r1024raw.PublicKey)
	jwk.Configure(jwk.WithMinRSAModulusBits(2048))
	if err != nil {
		t.Fatal(err)
	}
	_ = r1024.Set(jwk.AlgorithmKey, jwa.RS256())
	_ = jwk.AssignKeyID(r1024)

	cases := map[string]struct {
		set  jwk.Set
		want error
	}{
		"valid, all algorithms":      {set(pub(f.ed), pub(f.es), pub(f.ps), pub(f.rs)), nil},
		"empty set":                  {jwk.NewSet(), ErrEmptyJWKS},
		"nil set":                    {nil, ErrEmptyJWKS},
		"private key":                {set(private), ErrPrivateKey},
		"symmetric key":              {set(oct), ErrSymmetricKey},
		"RSA 1024 key":               {set(r1024), ErrWeakKey},
		"no kid":                     {set(withField(pub(f.ed), jwk.KeyIDKey, nil)), ErrMissingKeyID},
		"no alg":                     {set(withField(pub(f.ed), jwk.AlgorithmKey, nil)), ErrMissingAlgorithm},
		"alg not allowed (ES384)":    {set(withField(pub(f.es), jwk.AlgorithmKey, jwa.ES384())), ErrKeyAlgorithm},
		"alg none":                   {set(withField(pub(f.ed), jwk.AlgorithmKey, jwa.NoSignature())), ErrKeyAlgorithm},
		"alg ES256 on Ed25519 key":   {set(withField(pub(f.ed), jwk.AlgorithmKey, jwa.ES256())), ErrKeyAlgorithm},
		"alg EdDSA on EC key":        {set(withField(pub(f.es), jwk.AlgorithmKey, jwa.EdDSA())), ErrKeyAlgorithm},
		"alg RS256 on EC key":        {set(withField(pub(f.es), jwk.AlgorithmKey, jwa.RS256())), ErrKeyAlgorithm},
		"alg ES256 on RSA key":       {set(withField(pub(f.rs), jwk.AlgorithmKey, jwa.ES256())), ErrKeyAlgorithm},
		"alg ES256 on P-384 key":     {set(p384), ErrKeyAlgorithm},
		"X25519 key":                 {set(x25519), ErrKeyAlgorithm},
		"use enc":                    {set(withField(pub(f.ed), jwk.KeyUsageKey, "enc")), ErrKeyUse},
		"key_ops without verify":     {set(withField(pub(f.ed), jwk.KeyOpsKey, jwk.KeyOperationList{jwk.KeyOpEncrypt})), ErrKeyUse},
		"duplicate kid":              {set(pub(f.ed), withField(pub(f.other), jwk.KeyIDKey, f.ed.kid)), ErrDuplicateKeyID},
		"use sig and key_ops verify": {set(withField(withField(pub(f.ed), jwk.KeyUsageKey, "sig"), jwk.KeyOpsKey, jwk.KeyOperationList{jwk.KeyOpVerify})), nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := ValidatePublicJWKS(tc.set)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestParseKeySet: the JSON form of registration, including keys jwx
// itself refuses.
func TestParseKeySet(t *testing.T) {
	f := newFixture(t)
	good, _ := json.Marshal(f.keys.keys[testPartner].JWKS())
	ks, err := ParseKeySet(good)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Len() != 4 || len(ks.KeyIDs()) != 4 {
		t.Fatalf("%d keys", ks.Len())
	}
	if k, ok := ks.Key(f.es.kid); !ok || k.Algorithm() != AlgES256 || k.KeyID() != f.es.kid || k.CryptoPublicKey() == nil {
		t.Fatal("ES256 key not found")
	}
	r1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	weak := `{"keys":[{"kty":"RSA","kid":"weak","alg":"RS256","e":"AQAB","n":"` + b64.EncodeToString(r1024.N.Bytes()) + `"}]}`
	priv, _ := GenerateKey("")
	privJSON, _ := json.Marshal(map[string]any{"keys": []any{priv}})
	for name, tc := range map[string]struct {
		doc  string
		want error
	}{
		"RSA 1024":  {weak, ErrWeakKey},
		"private":   {string(privJSON), ErrPrivateKey},
		"oct":       {`{"keys":[{"kty":"oct","kid":"o","alg":"HS256","k":"c2VjcmV0"}]}`, ErrSymmetricKey},
		"empty":     {`{"keys":[]}`, ErrEmptyJWKS},
		"not JSON":  {`keys`, ErrInvalidKey},
		"bad key":   {`{"keys":[{"kty":"EC","kid":"e","alg":"ES256","crv":"P-256","x":"AAAA","y":"AAAA"}]}`, ErrInvalidKey},
		"duplicate": {`{"keys":[` + strings.Repeat(mustJSON(f.ed.PublicKey().JWK())+",", 1) + mustJSON(f.ed.PublicKey().JWK()) + `]}`, ErrInvalidKey},
	} {
		if _, err := ParseKeySet([]byte(tc.doc)); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func TestNewSignerRefuses(t *testing.T) {
	f := newFixture(t)
	if _, err := NewSigner(f.ed.PublicKey().JWK()); !errors.Is(err, ErrPublicKey) {
		t.Fatalf("public key: %v", err)
	}
	k, _ := GenerateKey("")
	_ = k.Remove(jwk.KeyIDKey)
	if _, err := NewSigner(k); !errors.Is(err, ErrMissingKeyID) {
		t.Fatalf("no kid: %v", err)
	}
	if _, err := NewSigner(nil); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("nil: %v", err)
	}
	if _, err := PublicSet(); !errors.Is(err, ErrEmptyJWKS) {
		t.Fatalf("empty PublicSet: %v", err)
	}
}

func TestStaticKeysPerIssuer(t *testing.T) {
	f := newFixture(t)
	if _, err := f.keys.keys.ResolveKey(t.Context(), testPartner, f.other.kid); !errors.Is(err, ErrUnknownKey) {
		t.Fatal("key of another issuer resolved")
	}
	if _, err := f.keys.keys.ResolveKey(t.Context(), "nobody", f.ed.kid); !errors.Is(err, ErrUnknownKey) {
		t.Fatal("unknown issuer resolved")
	}
	if k, err := f.keys.keys.ResolveKey(t.Context(), testPartner, f.ed.kid); err != nil || k.KeyID() != f.ed.kid {
		t.Fatal(err)
	}
}

func TestRawToDER(t *testing.T) {
	vals := [][]byte{
		make([]byte, 32),
		append(make([]byte, 31), 1),
		append([]byte{0x80}, make([]byte, 31)...),
		append([]byte{0, 0, 0x7f}, make([]byte, 29)...),
		append([]byte{0, 0x80}, make([]byte, 30)...),
	}
	for range 20 {
		v := make([]byte, 32)
		_, _ = rand.Read(v)
		vals = append(vals, v)
	}
	for _, r := range vals {
		for _, s := range vals {
			want, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(r), new(big.Int).SetBytes(s)})
			if err != nil {
				t.Fatal(err)
			}
			if got := rawToDER(nil, r, s); !bytes.Equal(got, want) {
				t.Fatalf("r=%x s=%x:\n got %x\nwant %x", r, s, got, want)
			}
		}
	}
}
