package protocol

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Test identities.
const (
	testBroker    = "kb-test"
	testPartner   = "gem-testdorp"
	otherPartner  = "kredietbank-test"
	suspendedPart = "mee-geschorst"
)

var (
	testStart = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // broker start
	testNow   = testStart.Add(time.Hour)                    // verification time
	testBody  = []byte(`{"service":"schuldregeling","status":"active"}`)
)

// fixture holds the keys of the test partners and a resolver over them.
type fixture struct {
	ed, es, ps, rs *Signer // gem-testdorp, one key per algorithm
	other          *Signer // kredietbank-test (EdDSA)
	suspended      *Signer // mee-geschorst (EdDSA)
	rogue          *Signer // an Ed25519 key registered nowhere
	broker         *Signer // the broker's response key (EdDSA)
	keys           testResolver
}

// testResolver is a KeyResolver over StaticKeys that knows suspended
// partners.
type testResolver struct {
	keys      StaticKeys
	suspended map[string]bool
}

func (r testResolver) ResolveKey(ctx context.Context, issuer, kid string) (*PublicKey, error) {
	if r.suspended[issuer] {
		return nil, fmt.Errorf("partner %s: %w", issuer, ErrPartnerSuspended)
	}
	return r.keys.ResolveKey(ctx, issuer, kid)
}

var (
	fixtureOnce sync.Once
	theFixture  *fixture
	fixtureErr  error
)

// seededEd25519 returns a deterministic Ed25519 JWK (test only).
func seededEd25519(t testing.TB, label string) jwk.Key {
	t.Helper()
	seed := sha256.Sum256([]byte("ketenbrug test key: " + label))
	k, err := importPrivate(ed25519.NewKeyFromSeed(seed[:]), AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	fixtureOnce.Do(func() {
		f := &fixture{}
		mk := func(k jwk.Key, err error) *Signer {
			if err != nil {
				fixtureErr = err
				return nil
			}
			s, err := NewSigner(k)
			if err != nil {
				fixtureErr = err
			}
			return s
		}
		f.ed = mk(seededEd25519(t, "partner ed25519"), nil)
		f.es = mk(GenerateKey(AlgES256))
		rsaKey := func(alg string) (jwk.Key, error) {
			raw, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return nil, err
			}
			return importPrivate(raw, alg)
		}
		f.ps = mk(rsaKey(AlgPS256))
		f.rs = mk(rsaKey(AlgRS256))
		f.other = mk(seededEd25519(t, "other partner"), nil)
		f.suspended = mk(seededEd25519(t, "suspended partner"), nil)
		f.rogue = mk(seededEd25519(t, "rogue"), nil)
		f.broker = mk(seededEd25519(t, "broker"), nil)
		if fixtureErr != nil {
			return
		}
		ks := func(signers ...*Signer) *KeySet {
			var keys []jwk.Key
			for _, s := range signers {
				keys = append(keys, s.PublicKey().JWK())
			}
			set, err := PublicSet(keys...)
			if err != nil {
				fixtureErr = err
				return nil
			}
			k, err := NewKeySet(set)
			if err != nil {
				fixtureErr = err
			}
			return k
		}
		f.keys = testResolver{
			keys: StaticKeys{
				testPartner:   ks(f.ed, f.es, f.ps, f.rs),
				otherPartner:  ks(f.other),
				suspendedPart: ks(f.suspended),
				testBroker:    ks(f.broker),
			},
			suspended: map[string]bool{suspendedPart: true},
		}
		theFixture = f
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return theFixture
}

// verifier returns a fresh verifier (fresh replay cache) at testNow.
func (f *fixture) verifier(t testing.TB) *Verifier {
	t.Helper()
	return f.verifierAt(t, testNow)
}

func (f *fixture) verifierAt(t testing.TB, now time.Time) *Verifier {
	t.Helper()
	clock := func() time.Time { return now }
	v, err := NewVerifier(VerifierConfig{
		Audience:  testBroker,
		Keys:      f.keys,
		Replay:    NewMemoryReplayCacheClock(clock),
		NotBefore: testStart,
		Now:       clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// baseClaims are valid claims for a POST of testBody at testNow.
func baseClaims() Claims {
	return Claims{
		Issuer:   testPartner,
		Subject:  "j.jansen",
		Audience: testBroker,
		IssuedAt: testNow.Add(-10 * time.Second),
		Expiry:   testNow.Add(110 * time.Second),
		ID:       NewJTI(),
		Method:   "PUT",
		URI:      "/v1/involvements/inv-42?dry_run=1&x=%2F",
		BodyHash: BodyHash(testBody),
		Role:     "connector",
		Purpose:  "integrale-ondersteuning",
	}
}

// baseRequest is the request baseClaims are bound to.
func baseRequest() Request {
	return Request{Method: "PUT", URI: "/v1/involvements/inv-42?dry_run=1&x=%2F", BodyHash: BodyHash(testBody)}
}

// claimsMap is the wire form of c as a map, for tests that edit claims.
func claimsMap(c Claims) map[string]any {
	m := map[string]any{}
	b, err := c.marshal()
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

func mustJSON(v any) string {
	b, err := marshalJSON(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// forge builds a compact JWS from raw header and claims JSON, signed by
// sign (which may be nil for an empty signature).
func forge(hdr, claims string, sign func([]byte) []byte) string {
	in := b64.EncodeToString([]byte(hdr)) + "." + b64.EncodeToString([]byte(claims))
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	return in + "." + b64.EncodeToString(sig)
}

// with signs with s's key and JOSE encoding, whatever the header says.
func with(s *Signer) func([]byte) []byte {
	return func(in []byte) []byte {
		sig, err := s.signature(in)
		if err != nil {
			panic(err)
		}
		return sig
	}
}

func hmacWith(secret []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	}
}

// hdr returns a header JSON for s with the given typ.
func hdr(s *Signer, typ string) string {
	return fmt.Sprintf(`{"alg":%q,"typ":%q,"kid":%q}`, s.alg, typ, s.kid)
}

// sign signs claims (as a map) with s and a correct request header.
func sign(s *Signer, m map[string]any) string {
	return forge(hdr(s, RequestTokenType), mustJSON(m), with(s))
}

func reasonOf(err error) string {
	if err == nil {
		return "accept"
	}
	if r := Reason(err); r != "" {
		return r
	}
	return "internal: " + err.Error()
}
