package protocol

import (
	"context"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// FuzzVerify feeds arbitrary tokens to Verify. It must never panic, every
// refusal must carry a reason code, and every token it accepts must
// independently check out: jwx verifies the signature with the key's
// registered alg, the header holds exactly alg, typ and kid, and
// encoding/json reads the same claims without duplicates. The seeds are
// the valid and attack tokens of the security matrix.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	for _, tc := range securityCases(f) {
		if tc.req != nil || !tc.now.IsZero() || tc.twice {
			continue // needs its own request or clock
		}
		f.Add(tc.token())
	}
	f.Fuzz(func(t *testing.T, token string) {
		v := fx.verifier(t)
		c, err := v.Verify(context.Background(), token, baseRequest())
		if err != nil {
			if c != nil {
				t.Fatal("claims with an error")
			}
			if Reason(err) == "" {
				t.Fatalf("refusal without reason: %v", err)
			}
			return
		}

		// Accepted: check independently.
		msg, perr := jws.Parse([]byte(token))
		if perr != nil || len(msg.Signatures()) != 1 {
			t.Fatalf("accepted, jwx cannot parse: %v", perr)
		}
		h := msg.Signatures()[0].ProtectedHeaders()
		kid, _ := h.KeyID()
		key, kerr := fx.keys.ResolveKey(context.Background(), c.Issuer, kid)
		if kerr != nil {
			t.Fatalf("accepted with unresolvable key: %v", kerr)
		}
		alg, _ := jwa.LookupSignatureAlgorithm(key.Algorithm())
		payload, verr := jws.Verify([]byte(token), jws.WithKey(alg, key.JWK()))
		if verr != nil {
			t.Fatalf("accepted, jwx says the signature does not verify: %v", verr)
		}
		parts := strings.Split(token, ".")
		rawHdr, _ := b64.DecodeString(parts[0])
		hm, herr := refStrict(string(rawHdr))
		if herr != nil || len(hm) != 3 || hm["alg"] != key.Algorithm() || hm["typ"] != RequestTokenType || hm["kid"] != key.KeyID() {
			t.Fatalf("accepted header %s (%v)", rawHdr, herr)
		}
		cm, cerr := refStrict(string(payload))
		if cerr != nil {
			t.Fatalf("accepted claims encoding/json refuses: %v", cerr)
		}
		for k, got := range map[string]string{"iss": c.Issuer, "sub": c.Subject, "jti": c.ID, "htm": c.Method, "htu": c.URI, "bsh": c.BodyHash, "role": c.Role} {
			if cm[k] != got {
				t.Fatalf("claim %s: verifier %q, encoding/json %v", k, got, cm[k])
			}
		}
		r := baseRequest()
		if c.Audience != testBroker || c.Method != r.Method || c.URI != r.URI || c.BodyHash != r.BodyHash ||
			len(c.ID) < MinJTILength || c.Expiry.Sub(c.IssuedAt) > MaxTokenLifetime ||
			!testNow.Before(c.Expiry.Add(MaxClockSkew)) || c.IssuedAt.After(testNow.Add(MaxClockSkew)) || c.IssuedAt.Before(testStart) {
			t.Fatalf("accepted claims break a rule: %+v", c)
		}
	})
}
