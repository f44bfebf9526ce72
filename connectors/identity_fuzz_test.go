package connectors

import (
	"encoding/json"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// FuzzParseIdentity feeds arbitrary identity files to the parser: it never
// panics, and an identity it accepts can sign.
func FuzzParseIdentity(f *testing.F) {
	id, _, err := NewIdentity("kredietbank", "connector", "connector", "EdDSA")
	if err != nil {
		f.Fatal(err)
	}
	raw, err := json.Marshal(id)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"partner":"p","sub":"s","role":"connector","key":{"kty":"oct","k":"AAAA"}}`))
	f.Add([]byte(`{"partner":"p","sub":"s","role":"connector","key":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, err := ParseIdentity(raw)
		if err != nil {
			return
		}
		if id.Signer() == nil {
			t.Fatal("an accepted identity has no signer")
		}
	})
}

// FuzzParseKeySet feeds arbitrary JWKS documents to the key-set parser
// that partner registration and broker discovery use: it never panics.
func FuzzParseKeySet(f *testing.F) {
	_, pub, err := NewIdentity("p", "s", "connector", "EdDSA")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(pub))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"k","alg":"RS256"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":"","kid":"k","alg":"ES256"}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = protocol.ParseKeySet(raw)
	})
}
