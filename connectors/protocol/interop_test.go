package protocol

import (
	"context"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// TestInteropJWX checks our JOSE encodings against an independent
// implementation: tokens we sign verify with jwx's jws.Verify, and tokens
// jwx signs verify with ours, for every algorithm.
func TestInteropJWX(t *testing.T) {
	f := newFixture(t)
	for _, s := range []*Signer{f.ed, f.es, f.ps, f.rs} {
		t.Run(s.alg, func(t *testing.T) {
			alg, _ := jwa.LookupSignatureAlgorithm(s.alg)
			c := baseClaims()

			// Ours -> jwx.
			tok, err := s.SignRequest(c)
			if err != nil {
				t.Fatal(err)
			}
			payload, err := jws.Verify([]byte(tok), jws.WithKey(alg, s.PublicKey().JWK()))
			if err != nil {
				t.Fatalf("jwx refuses our token: %v", err)
			}
			want, _ := c.marshal()
			if string(payload) != string(want) {
				t.Fatalf("payload %s", payload)
			}
			msg, err := jws.Parse([]byte(tok))
			if err != nil {
				t.Fatal(err)
			}
			h := msg.Signatures()[0].ProtectedHeaders()
			if typ, _ := h.Type(); typ != RequestTokenType {
				t.Fatalf("typ %q", typ)
			}
			if kid, _ := h.KeyID(); kid != s.kid {
				t.Fatalf("kid %q", kid)
			}

			// jwx -> ours.
			var priv jwk.Key
			switch s {
			case f.ed:
				priv = seededEd25519(t, "partner ed25519")
			default:
				var err error
				if priv, err = jwk.Import(s.priv); err != nil {
					t.Fatal(err)
				}
			}
			hdrs := jws.NewHeaders()
			_ = hdrs.Set(jws.TypeKey, RequestTokenType)
			_ = hdrs.Set(jws.KeyIDKey, s.kid)
			c.ID = NewJTI()
			payload, _ = c.marshal()
			jwxTok, err := jws.Sign(payload, jws.WithKey(alg, priv, jws.WithProtectedHeaders(hdrs)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.verifier(t).Verify(context.Background(), string(jwxTok), baseRequest()); err != nil {
				t.Fatalf("we refuse jwx's token %s: %v", jwxTok, err)
			}
		})
	}
}
