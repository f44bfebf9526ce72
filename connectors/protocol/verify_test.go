package protocol

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// securityCase is one row of the attack matrix.
type securityCase struct {
	token func() string
	req   *Request  // nil: baseRequest()
	now   time.Time // zero: testNow
	twice bool      // present the token once before (that must be accepted)
	want  string    // "accept" or a reason code
}

// securityCases is the attack matrix of the request protocol: every
// refusal the broker relies on has a named case, next to the valid tokens
// that must be accepted (in the style of step-ca's provisioner tests).
// FuzzVerify uses the tokens as its seed corpus.
func securityCases(t testing.TB) map[string]securityCase {
	f := newFixture(t)
	at := func(d time.Duration) float64 { return float64(testNow.Add(d).Unix()) }
	// edit signs baseClaims with the partner's Ed25519 key after fn
	// changed them.
	edit := func(fn func(m map[string]any)) func() string {
		return func() string {
			m := claimsMap(baseClaims())
			fn(m)
			return sign(f.ed, m)
		}
	}
	valid := func(s *Signer) func() string {
		return func() string {
			tok, err := s.SignRequest(baseClaims())
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
	}
	claimsJSON := func() string { return mustJSON(claimsMap(baseClaims())) }
	withHeader := func(h string) func() string {
		return func() string { return forge(h, claimsJSON(), with(f.ed)) }
	}
	withClaims := func(c string) func() string {
		return func() string { return forge(hdr(f.ed, RequestTokenType), c, with(f.ed)) }
	}
	edPub := []byte(f.ed.PublicKey().CryptoPublicKey().(ed25519.PublicKey))
	edJWK, _ := json.Marshal(f.ed.PublicKey().JWK())
	req := func(mod func(r *Request)) *Request {
		r := baseRequest()
		mod(&r)
		return &r
	}
	kidHdr := func(alg, kid string) string {
		return `{"alg":"` + alg + `","typ":"kb-req+jwt","kid":"` + kid + `"}`
	}
	bigToken := func() string {
		m := claimsMap(baseClaims())
		m["pad"] = strings.Repeat("x", MaxTokenSize)
		return sign(f.ed, m)
	}
	validTok := valid(f.ed)
	parts := func(fn func(p []string) string) func() string {
		return func() string { return fn(strings.Split(validTok(), ".")) }
	}

	return map[string]securityCase{
		// Valid tokens of every allowed algorithm.
		"valid EdDSA":              {token: valid(f.ed), want: "accept"},
		"valid ES256":              {token: valid(f.es), want: "accept"},
		"valid PS256 (RSA 2048)":   {token: valid(f.ps), want: "accept"},
		"valid RS256 (RSA 2048)":   {token: valid(f.rs), want: "accept"},
		"valid aud as one-element": {token: edit(func(m map[string]any) { m["aud"] = []string{testBroker} }), want: "accept"},
		"valid unknown claim":      {token: edit(func(m map[string]any) { m["x-trace"] = map[string]any{"a": []any{1, "b", nil, true}} }), want: "accept"},
		"valid without body":       {token: edit(func(m map[string]any) { delete(m, "bsh"); m["htm"] = "GET" }), req: req(func(r *Request) { r.Method, r.BodyHash = "GET", "" }), want: "accept"},
		"valid without purpose":    {token: edit(func(m map[string]any) { delete(m, "purpose") }), want: "accept"},
		"valid fractional times": {token: edit(func(m map[string]any) {
			m["iat"] = json.Number(fmt.Sprintf("%d.5", testNow.Add(-10*time.Second).Unix()))
		}), want: "accept"},
		"valid whitespace in JSON":  {token: withClaims(strings.ReplaceAll(claimsJSON(), ",", " ,\n\t")), want: "accept"},
		"valid escaped claim value": {token: withClaims(strings.Replace(claimsJSON(), `"connector"`, `"\u0063onnector"`, 1)), want: "accept"},

		// alg.
		"alg none without signature": {token: func() string { return forge(kidHdr("none", f.ed.kid), claimsJSON(), nil) }, want: ReasonAlgNotAllowed},
		"alg none with signature":    {token: func() string { return forge(kidHdr("none", f.ed.kid), claimsJSON(), with(f.ed)) }, want: ReasonAlgNotAllowed},
		"alg None (case)":            {token: func() string { return forge(kidHdr("None", f.ed.kid), claimsJSON(), nil) }, want: ReasonAlgNotAllowed},
		"alg missing":                {token: withHeader(`{"typ":"kb-req+jwt","kid":"` + f.ed.kid + `"}`), want: ReasonAlgNotAllowed},
		"alg eddsa lower case":       {token: withHeader(kidHdr("eddsa", f.ed.kid)), want: ReasonAlgNotAllowed},
		"alg HS256 with public key bytes as secret": {
			token: func() string { return forge(kidHdr("HS256", f.ed.kid), claimsJSON(), hmacWith(edPub)) }, want: ReasonAlgNotAllowed},
		"alg HS256 with public JWK as secret": {
			token: func() string { return forge(kidHdr("HS256", f.ed.kid), claimsJSON(), hmacWith(edJWK)) }, want: ReasonAlgNotAllowed},
		"alg ES512 (not allowed)": {token: withHeader(kidHdr("ES512", f.ed.kid)), want: ReasonAlgNotAllowed},
		"alg header EdDSA on registered ES256 key": {
			token: func() string { return forge(kidHdr("EdDSA", f.es.kid), claimsJSON(), with(f.rogue)) }, want: ReasonAlgNotAllowed},
		"alg header RS256 on registered PS256 key": {
			token: func() string {
				// Same RSA private key, PKCS#1 v1.5 instead of PSS.
				rs := *f.ps
				rs.alg = AlgRS256
				return forge(kidHdr("RS256", f.ps.kid), claimsJSON(), with(&rs))
			}, want: ReasonAlgNotAllowed},
		"alg header ES256 on registered EdDSA key": {
			token: func() string { return forge(kidHdr("ES256", f.ed.kid), claimsJSON(), with(f.es)) }, want: ReasonAlgNotAllowed},

		// Keys.
		"kid unknown": {token: func() string { return forge(kidHdr("EdDSA", "no-such-kid"), claimsJSON(), with(f.ed)) }, want: ReasonUnknownKey},
		"kid missing": {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt"}`), want: ReasonUnknownKey},
		"kid empty":   {token: withHeader(kidHdr("EdDSA", "")), want: ReasonUnknownKey},
		"kid of another partner": {
			token: func() string { return forge(hdr(f.other, RequestTokenType), claimsJSON(), with(f.other)) }, want: ReasonUnknownKey},
		"issuer unknown": {token: edit(func(m map[string]any) { m["iss"] = "no-such-partner" }), want: ReasonUnknownKey},
		"issuer missing": {token: edit(func(m map[string]any) { delete(m, "iss") }), want: ReasonClaimsInvalid},
		"partner suspended": {
			token: func() string {
				m := claimsMap(baseClaims())
				m["iss"] = suspendedPart
				return sign(f.suspended, m)
			}, want: ReasonPartnerSuspended},
		"signature by another key under our kid": {
			token: func() string { return forge(hdr(f.ed, RequestTokenType), claimsJSON(), with(f.rogue)) }, want: ReasonBadSignature},
		"claims changed after signing": {
			token: func() string {
				p := strings.Split(validTok(), ".")
				m := claimsMap(baseClaims())
				m["role"] = "operator"
				p[1] = b64.EncodeToString([]byte(mustJSON(m)))
				return strings.Join(p, ".")
			}, want: ReasonBadSignature},
		"signature truncated": {token: parts(func(p []string) string { return p[0] + "." + p[1] + "." + p[2][:40] }), want: ReasonBadSignature},
		"signature empty":     {token: parts(func(p []string) string { return p[0] + "." + p[1] + "." }), want: ReasonMalformed},
		"ES256 signature in DER": {
			token: func() string {
				in := b64.EncodeToString([]byte(hdr(f.es, RequestTokenType))) + "." + b64.EncodeToString([]byte(claimsJSON()))
				sig, _ := f.es.signature([]byte(in))
				der := append([]byte{0x30, 0x44, 0x02, 0x20}, sig[:32]...)
				der = append(der, 0x02, 0x20)
				der = append(der, sig[32:]...)
				return in + "." + b64.EncodeToString(der)
			}, want: ReasonBadSignature},

		// Time.
		"expired":                   {token: edit(func(m map[string]any) { m["iat"], m["exp"] = at(-200*time.Second), at(-31*time.Second) }), want: ReasonExpired},
		"expired within skew":       {token: edit(func(m map[string]any) { m["iat"], m["exp"] = at(-200*time.Second), at(-29*time.Second) }), want: "accept"},
		"iat in future":             {token: edit(func(m map[string]any) { m["iat"], m["exp"] = at(31*time.Second), at(90*time.Second) }), want: ReasonNotYetValid},
		"iat in future within skew": {token: edit(func(m map[string]any) { m["iat"], m["exp"] = at(29*time.Second), at(90*time.Second) }), want: "accept"},
		"nbf in future":             {token: edit(func(m map[string]any) { m["nbf"] = at(31 * time.Second) }), want: ReasonNotYetValid},
		"nbf in future within skew": {token: edit(func(m map[string]any) { m["nbf"] = at(29 * time.Second) }), want: "accept"},
		"lifetime 301 s":            {token: edit(func(m map[string]any) { m["iat"], m["exp"] = at(-1*time.Second), at(300*time.Second) }), want: ReasonLifetimeTooLong},
		"lifetime 300 s":            {token: edit(func(m map[string]any) { m["iat"], m["exp"] = at(0), at(300*time.Second) }), want: "accept"},
		"exp before iat":            {token: edit(func(m map[string]any) { m["iat"], m["exp"] = at(0), at(-1*time.Second) }), want: ReasonClaimsInvalid},
		"exp missing":               {token: edit(func(m map[string]any) { delete(m, "exp") }), want: ReasonClaimsInvalid},
		"iat missing":               {token: edit(func(m map[string]any) { delete(m, "iat") }), want: ReasonClaimsInvalid},
		"iat as string":             {token: edit(func(m map[string]any) { m["iat"] = "1772359190" }), want: ReasonClaimsInvalid},
		"iat negative":              {token: edit(func(m map[string]any) { m["iat"] = -1 }), want: ReasonClaimsInvalid},
		"issued before broker start": {
			token: edit(func(m map[string]any) {
				m["iat"], m["exp"] = float64(testStart.Unix()-1), float64(testStart.Unix()+120)
			}),
			now: testStart.Add(10 * time.Second), want: ReasonIssuedBeforeStart},
		"issued at broker start": {
			token: edit(func(m map[string]any) {
				m["iat"], m["exp"] = float64(testStart.Unix()), float64(testStart.Unix()+120)
			}),
			now: testStart.Add(10 * time.Second), want: "accept"},

		// jti and replay.
		"jti missing":       {token: edit(func(m map[string]any) { delete(m, "jti") }), want: ReasonJTIInvalid},
		"jti 15 characters": {token: edit(func(m map[string]any) { m["jti"] = "abcdefghijklmno" }), want: ReasonJTIInvalid},
		"jti 16 characters": {token: edit(func(m map[string]any) { m["jti"] = NewJTI()[:16] }), want: "accept"},
		"jti not a string":  {token: edit(func(m map[string]any) { m["jti"] = 1234567890123456789 }), want: ReasonClaimsInvalid},
		"jti too long":      {token: edit(func(m map[string]any) { m["jti"] = strings.Repeat("j", MaxJTILength+1) }), want: ReasonJTIInvalid},
		"replayed token":    {token: validTok, twice: true, want: ReasonReplayed},
		"replayed jti, other token": {
			token: func() string {
				// The second presentation differs only in sub.
				return "replay-jti:" + validTok()
			}, twice: true, want: ReasonReplayed},

		// Audience and binding.
		"aud wrong":           {token: edit(func(m map[string]any) { m["aud"] = "kb-other" }), want: ReasonAudienceMismatch},
		"aud two elements":    {token: edit(func(m map[string]any) { m["aud"] = []string{testBroker, "kb-other"} }), want: ReasonClaimsInvalid},
		"aud missing":         {token: edit(func(m map[string]any) { delete(m, "aud") }), want: ReasonClaimsInvalid},
		"htm mismatch":        {token: valid(f.ed), req: req(func(r *Request) { r.Method = "POST" }), want: ReasonMethodMismatch},
		"htm lower case":      {token: edit(func(m map[string]any) { m["htm"] = "put" }), want: ReasonMethodMismatch},
		"htu other path":      {token: valid(f.ed), req: req(func(r *Request) { r.URI = "/v1/involvements/inv-43?dry_run=1&x=%2F" }), want: ReasonURIMismatch},
		"htu other query":     {token: valid(f.ed), req: req(func(r *Request) { r.URI = "/v1/involvements/inv-42?dry_run=0&x=%2F" }), want: ReasonURIMismatch},
		"htu query dropped":   {token: valid(f.ed), req: req(func(r *Request) { r.URI = "/v1/involvements/inv-42" }), want: ReasonURIMismatch},
		"htu re-encoded":      {token: valid(f.ed), req: req(func(r *Request) { r.URI = "/v1/involvements/inv-42?dry_run=1&x=/" }), want: ReasonURIMismatch},
		"htu absolute URL":    {token: edit(func(m map[string]any) { m["htu"] = "https://broker.example/v1/involvements/inv-42?dry_run=1&x=%2F" }), want: ReasonClaimsInvalid},
		"htu missing":         {token: edit(func(m map[string]any) { delete(m, "htu") }), want: ReasonClaimsInvalid},
		"body changed":        {token: valid(f.ed), req: req(func(r *Request) { r.BodyHash = BodyHash([]byte(`{"service":"schuldregeling","status":"ended"}`)) }), want: ReasonBodyHashMismatch},
		"body without bsh":    {token: edit(func(m map[string]any) { delete(m, "bsh") }), want: ReasonBodyHashMissing},
		"bsh without body":    {token: valid(f.ed), req: req(func(r *Request) { r.BodyHash = "" }), want: ReasonBodyHashMismatch},
		"bsh of another body": {token: edit(func(m map[string]any) { m["bsh"] = BodyHash([]byte("{}")) }), want: ReasonBodyHashMismatch},
		"sub missing":         {token: edit(func(m map[string]any) { delete(m, "sub") }), want: ReasonClaimsInvalid},
		"role missing":        {token: edit(func(m map[string]any) { delete(m, "role") }), want: ReasonClaimsInvalid},
		"role not a string":   {token: edit(func(m map[string]any) { m["role"] = []string{"operator"} }), want: ReasonClaimsInvalid},

		// typ.
		"typ missing":           {token: withHeader(`{"alg":"EdDSA","kid":"` + f.ed.kid + `"}`), want: ReasonTypInvalid},
		"typ JWT":               {token: withHeader(`{"alg":"EdDSA","typ":"JWT","kid":"` + f.ed.kid + `"}`), want: ReasonTypInvalid},
		"typ response token":    {token: func() string { return forge(hdr(f.ed, ResponseTokenType), claimsJSON(), with(f.ed)) }, want: ReasonTypInvalid},
		"typ with application/": {token: withHeader(`{"alg":"EdDSA","typ":"application/kb-req+jwt","kid":"` + f.ed.kid + `"}`), want: ReasonTypInvalid},
		"typ not a string":      {token: withHeader(`{"alg":"EdDSA","typ":1,"kid":"` + f.ed.kid + `"}`), want: ReasonMalformed},

		// Headers other than alg, typ, kid.
		"header jwk":        {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","jwk":` + string(edJWK) + `}`), want: ReasonHeaderNotAllowed},
		"header jku":        {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","jku":"https://evil.example/jwks.json"}`), want: ReasonHeaderNotAllowed},
		"header x5u":        {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","x5u":"https://evil.example/cert.pem"}`), want: ReasonHeaderNotAllowed},
		"header x5c":        {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","x5c":["MIIB"]}`), want: ReasonHeaderNotAllowed},
		"header x5t":        {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","x5t":"abc"}`), want: ReasonHeaderNotAllowed},
		"header crit":       {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","crit":["exp"],"exp":1}`), want: ReasonHeaderNotAllowed},
		"header b64":        {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","b64":false}`), want: ReasonHeaderNotAllowed},
		"header cty":        {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","cty":"JWT"}`), want: ReasonHeaderNotAllowed},
		"header empty name": {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","":1}`), want: ReasonHeaderNotAllowed},

		// Size and shape.
		"token over 8 KiB":    {token: bigToken, want: ReasonTokenTooLarge},
		"empty token":         {token: func() string { return "" }, want: ReasonMalformed},
		"two parts":           {token: parts(func(p []string) string { return p[0] + "." + p[1] }), want: ReasonMalformed},
		"four parts":          {token: parts(func(p []string) string { return strings.Join(append(p, p[2]), ".") }), want: ReasonMalformed},
		"JWE-like five parts": {token: parts(func(p []string) string { return strings.Join(append(p, p[2], p[2]), ".") }), want: ReasonMalformed},
		"empty header":        {token: parts(func(p []string) string { return "." + p[1] + "." + p[2] }), want: ReasonMalformed},
		"empty payload":       {token: parts(func(p []string) string { return p[0] + ".." + p[2] }), want: ReasonMalformed},
		"bad base64 char":     {token: parts(func(p []string) string { return p[0] + "." + p[1][:10] + "!" + p[1][11:] + "." + p[2] }), want: ReasonMalformed},
		"standard base64 alphabet": {token: parts(func(p []string) string {
			return p[0] + "." + p[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(p[2]) + "+"
		}), want: ReasonMalformed},
		"padding":          {token: parts(func(p []string) string { return p[0] + "." + p[1] + "." + p[2] + "==" }), want: ReasonMalformed},
		"newline in token": {token: parts(func(p []string) string { return p[0] + "." + p[1][:10] + "\n" + p[1][10:] + "." + p[2] }), want: ReasonMalformed},
		"trailing space":   {token: func() string { return validTok() + " " }, want: ReasonMalformed},
		"non-canonical base64 (trailing bits)": {
			token: parts(func(p []string) string {
				s := p[2]
				// The last character of a 64-byte signature carries 4
				// unused bits; set one of them.
				last := strings.IndexByte(base64URLAlphabet, s[len(s)-1])
				return p[0] + "." + p[1] + "." + s[:len(s)-1] + string(base64URLAlphabet[last|1])
			}), want: ReasonMalformed},
		"header length not base64":      {token: parts(func(p []string) string { return p[0] + "A." + p[1] + "." + p[2] }), want: ReasonMalformed},
		"header not JSON":               {token: withHeader(`alg=EdDSA`), want: ReasonMalformed},
		"header JSON array":             {token: withHeader(`["EdDSA"]`), want: ReasonMalformed},
		"header trailing data":          {token: withHeader(kidHdr("EdDSA", f.ed.kid) + `{}`), want: ReasonMalformed},
		"header duplicate alg":          {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","alg":"none"}`), want: ReasonMalformed},
		"header duplicate alg, escaped": {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.ed.kid + `","\u0061lg":"none"}`), want: ReasonMalformed},
		"header duplicate kid":          {token: withHeader(`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"` + f.other.kid + `","kid":"` + f.ed.kid + `"}`), want: ReasonMalformed},
		"header BOM":                    {token: withHeader("\ufeff" + kidHdr("EdDSA", f.ed.kid)), want: ReasonMalformed},
		"claims duplicate aud": {
			token: withClaims(strings.Replace(claimsJSON(), `"aud":"kb-test"`, `"aud":"kb-other","aud":"kb-test"`, 1)), want: ReasonMalformed},
		"claims duplicate iss": {
			token: withClaims(strings.Replace(claimsJSON(), `"iss":"gem-testdorp"`, `"iss":"gem-testdorp","iss":"kredietbank-test"`, 1)), want: ReasonMalformed},
		"claims duplicate, escaped": {
			token: withClaims(strings.Replace(claimsJSON(), `"role":"connector"`, `"role":"connector","r\u006fle":"operator"`, 1)), want: ReasonMalformed},
		"claims duplicate in nested object": {
			token: withClaims(strings.Replace(claimsJSON(), `{`, `{"x":{"a":1,"a":2},`, 1)), want: ReasonMalformed},
		"claims invalid UTF-8":  {token: withClaims(strings.Replace(claimsJSON(), "j.jansen", "j.jans\xffen", 1)), want: ReasonMalformed},
		"claims lone surrogate": {token: withClaims(strings.Replace(claimsJSON(), "j.jansen", `j.jans\ud800en`, 1)), want: ReasonMalformed},
		"claims not JSON":       {token: withClaims(`iss=gem-testdorp`), want: ReasonMalformed},
		"claims trailing comma": {token: withClaims(strings.TrimSuffix(claimsJSON(), "}") + ",}"), want: ReasonMalformed},
		"claims trailing data":  {token: withClaims(claimsJSON() + `"x"`), want: ReasonMalformed},
		"claims too deep":       {token: withClaims(strings.Replace(claimsJSON(), `{`, `{"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`,`, 1)), want: ReasonMalformed},
		"claims null":           {token: withClaims(`null`), want: ReasonMalformed},
	}
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func TestVerifySecurity(t *testing.T) {
	f := newFixture(t)
	for name, tc := range securityCases(t) {
		t.Run(name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = testNow
			}
			v := f.verifierAt(t, now)
			r := baseRequest()
			if tc.req != nil {
				r = *tc.req
			}
			tok := tc.token()
			if tc.twice {
				first := tok
				if rest, ok := strings.CutPrefix(tok, "replay-jti:"); ok {
					// Same jti, different token: re-sign with another sub.
					var c Claims
					tk, e := splitToken(rest, RequestTokenType)
					if e != nil || parseClaims(tk.payload, &c) != nil {
						t.Fatal("bad seed token")
					}
					first = rest
					c.Subject = "someone.else"
					var err error
					if tok, err = f.ed.SignRequest(c); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := v.Verify(context.Background(), first, r); err != nil {
					t.Fatalf("first presentation refused: %v", err)
				}
			}
			c, err := v.Verify(context.Background(), tok, r)
			if got := reasonOf(err); got != tc.want {
				t.Fatalf("got %s, want %s (err: %v)", got, tc.want, err)
			}
			if err != nil {
				if c != nil {
					t.Fatal("claims returned with an error")
				}
				var e *Error
				if !errors.As(err, &e) || !errors.Is(err, e.Err) {
					t.Fatalf("refusal is not an *Error: %T", err)
				}
				if strings.Contains(err.Error(), tok) && len(tok) > 20 {
					t.Fatal("error message contains the token")
				}
			} else if c.Issuer == "" || c.ID == "" {
				t.Fatalf("accepted without claims: %+v", c)
			}
		})
	}
}

// TestVerifyChecksHeaderBeforeKeyLookup: typ, alg and forbidden headers are
// refused without asking the resolver.
func TestVerifyChecksHeaderBeforeKeyLookup(t *testing.T) {
	f := newFixture(t)
	calls := 0
	counting := resolverFunc(func(ctx context.Context, iss, kid string) (*PublicKey, error) {
		calls++
		return f.keys.ResolveKey(ctx, iss, kid)
	})
	v, err := NewVerifier(VerifierConfig{Audience: testBroker, Keys: counting, Replay: NewMemoryReplayCacheClock(fixedClock(testNow)), NotBefore: testStart, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	cases := securityCases(t)
	for _, name := range []string{"alg none without signature", "alg HS256 with public key bytes as secret", "typ missing", "typ response token", "header jwk", "header jku", "header x5u", "header x5c", "header crit", "token over 8 KiB", "header duplicate alg"} {
		_, err := v.Verify(context.Background(), cases[name].token(), baseRequest())
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
	if calls != 0 {
		t.Fatalf("resolver called %d times for tokens with a bad header", calls)
	}
}

type resolverFunc func(ctx context.Context, issuer, kid string) (*PublicKey, error)

func (f resolverFunc) ResolveKey(ctx context.Context, issuer, kid string) (*PublicKey, error) {
	return f(ctx, issuer, kid)
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// TestVerifyResolverFailure: a resolver failure is internal, not a refusal.
func TestVerifyResolverFailure(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("store closed")
	v, _ := NewVerifier(VerifierConfig{Audience: testBroker, Replay: NewMemoryReplayCacheClock(fixedClock(testNow)), NotBefore: testStart, Now: fixedClock(testNow),
		Keys: resolverFunc(func(context.Context, string, string) (*PublicKey, error) { return nil, boom })})
	tok, _ := f.ed.SignRequest(baseClaims())
	_, err := v.Verify(context.Background(), tok, baseRequest())
	if !errors.Is(err, boom) || Reason(err) != "" {
		t.Fatalf("got %v (reason %q), want the resolver error without reason", err, Reason(err))
	}
	// A resolver returning nil, nil finds no key.
	v, _ = NewVerifier(VerifierConfig{Audience: testBroker, Replay: NewMemoryReplayCacheClock(fixedClock(testNow)), NotBefore: testStart, Now: fixedClock(testNow),
		Keys: resolverFunc(func(context.Context, string, string) (*PublicKey, error) { return nil, nil })})
	if _, err := v.Verify(context.Background(), tok, baseRequest()); Reason(err) != ReasonUnknownKey {
		t.Fatalf("nil key: got %v", err)
	}
	// A resolver returning a key with another kid is not trusted.
	v, _ = NewVerifier(VerifierConfig{Audience: testBroker, Replay: NewMemoryReplayCacheClock(fixedClock(testNow)), NotBefore: testStart, Now: fixedClock(testNow),
		Keys: resolverFunc(func(context.Context, string, string) (*PublicKey, error) { return f.other.PublicKey(), nil })})
	if _, err := v.Verify(context.Background(), tok, baseRequest()); Reason(err) != ReasonUnknownKey {
		t.Fatalf("other kid: got %v", err)
	}
}

func TestVerifyHasBodyWithoutHash(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.ed.SignRequest(baseClaims())
	r := baseRequest()
	r.BodyHash, r.HasBody = "", true
	_, err := f.verifier(t).Verify(context.Background(), tok, r)
	if err == nil || Reason(err) != "" {
		t.Fatalf("got %v, want a usage error", err)
	}
}

func TestReplayIsPerIssuer(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t)
	c := baseClaims()
	tok, _ := f.ed.SignRequest(c)
	if _, err := v.Verify(context.Background(), tok, baseRequest()); err != nil {
		t.Fatal(err)
	}
	c.Issuer = otherPartner
	tok2, _ := f.other.SignRequest(c)
	if _, err := v.Verify(context.Background(), tok2, baseRequest()); err != nil {
		t.Fatalf("same jti from another issuer: %v", err)
	}
}

// TestRefusedTokenDoesNotConsumeJTI: a token refused for its binding does
// not poison the replay cache for the real request.
func TestRefusedTokenDoesNotConsumeJTI(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t)
	tok, _ := f.ed.SignRequest(baseClaims())
	bad := baseRequest()
	bad.Method = "DELETE"
	if _, err := v.Verify(context.Background(), tok, bad); Reason(err) != ReasonMethodMismatch {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok, baseRequest()); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDeferredBody(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	streamed := Request{Method: "PUT", URI: baseRequest().URI, HasBody: true}

	t.Run("body matches", func(t *testing.T) {
		tok, _ := f.ed.SignRequest(baseClaims())
		c, err := f.verifier(t).VerifyDeferredBody(ctx, tok, streamed)
		if err != nil {
			t.Fatal(err)
		}
		bv := c.VerifyBody(strings.NewReader(string(testBody)))
		got, err := readAll(bv, 7)
		if err != nil || got != string(testBody) {
			t.Fatalf("read %q, %v", got, err)
		}
		if err := bv.Finish(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("body changed", func(t *testing.T) {
		tok, _ := f.ed.SignRequest(baseClaims())
		c, err := f.verifier(t).VerifyDeferredBody(ctx, tok, streamed)
		if err != nil {
			t.Fatal(err)
		}
		bv := c.VerifyBody(strings.NewReader(strings.Replace(string(testBody), "active", "ended!", 1)))
		if _, err := readAll(bv, 5); Reason(err) != ReasonBodyHashMismatch {
			t.Fatalf("got %v", err)
		}
		if err := bv.Finish(); Reason(err) != ReasonBodyHashMismatch {
			t.Fatalf("Finish: got %v", err)
		}
	})
	t.Run("body truncated, Finish without reading", func(t *testing.T) {
		tok, _ := f.ed.SignRequest(baseClaims())
		c, _ := f.verifier(t).VerifyDeferredBody(ctx, tok, streamed)
		bv := c.VerifyBody(strings.NewReader(string(testBody[:10])))
		if err := bv.Finish(); Reason(err) != ReasonBodyHashMismatch {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no bsh, body announced", func(t *testing.T) {
		c := baseClaims()
		c.BodyHash = ""
		tok, _ := f.ed.SignRequest(c)
		if _, err := f.verifier(t).VerifyDeferredBody(ctx, tok, streamed); Reason(err) != ReasonBodyHashMissing {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no bsh, body not announced but sent", func(t *testing.T) {
		c := baseClaims()
		c.BodyHash = ""
		tok, _ := f.ed.SignRequest(c)
		r := streamed
		r.HasBody = false
		cl, err := f.verifier(t).VerifyDeferredBody(ctx, tok, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.VerifyBody(strings.NewReader("surprise")).Finish(); Reason(err) != ReasonBodyHashMissing {
			t.Fatalf("got %v", err)
		}
		if err := cl.VerifyBody(strings.NewReader("")).Finish(); err != nil {
			t.Fatalf("empty body: %v", err)
		}
	})
	t.Run("bsh but empty body", func(t *testing.T) {
		tok, _ := f.ed.SignRequest(baseClaims())
		c, _ := f.verifier(t).VerifyDeferredBody(ctx, tok, streamed)
		if err := c.VerifyBody(strings.NewReader("")).Finish(); Reason(err) != ReasonBodyHashMismatch {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("bsh, no body announced", func(t *testing.T) {
		tok, _ := f.ed.SignRequest(baseClaims())
		r := streamed
		r.HasBody = false
		if _, err := f.verifier(t).VerifyDeferredBody(ctx, tok, r); Reason(err) != ReasonBodyHashMismatch {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("everything else still checked", func(t *testing.T) {
		tok, _ := f.ed.SignRequest(baseClaims())
		r := streamed
		r.URI = "/v1/other"
		if _, err := f.verifier(t).VerifyDeferredBody(ctx, tok, r); Reason(err) != ReasonURIMismatch {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("hasher", func(t *testing.T) {
		h := NewBodyHasher()
		h.Write(testBody[:5])
		h.Write(testBody[5:])
		if h.Sum() != BodyHash(testBody) || NewBodyHasher().Sum() != "" || h.Len() != int64(len(testBody)) {
			t.Fatal("BodyHasher disagrees with BodyHash")
		}
	})
}

// readAll reads r in chunks of n bytes.
func readAll(r interface{ Read([]byte) (int, error) }, n int) (string, error) {
	var sb strings.Builder
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		sb.Write(buf[:k])
		if err != nil {
			if errors.Is(err, io.EOF) {
				return sb.String(), nil
			}
			return sb.String(), err
		}
	}
}

func TestSignRequestRefusesBadClaims(t *testing.T) {
	f := newFixture(t)
	for name, mod := range map[string]func(c *Claims){
		"no jti":         func(c *Claims) { c.ID = "" },
		"short jti":      func(c *Claims) { c.ID = "short" },
		"no exp":         func(c *Claims) { c.Expiry = time.Time{} },
		"too long":       func(c *Claims) { c.Expiry = c.IssuedAt.Add(MaxTokenLifetime + time.Second) },
		"no role":        func(c *Claims) { c.Role = "" },
		"absolute htu":   func(c *Claims) { c.URI = "https://x/v1" },
		"exp before iat": func(c *Claims) { c.Expiry = c.IssuedAt.Add(-time.Second) },
	} {
		c := baseClaims()
		mod(&c)
		if _, err := f.ed.SignRequest(c); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	if _, err := f.broker.SignResponse(ResponseClaims{Issuer: testBroker, IssuedAt: testNow, Status: 42}); err == nil {
		t.Error("response with status 42 signed")
	}
}

func TestNewVerifierNeedsConfig(t *testing.T) {
	if _, err := NewVerifier(VerifierConfig{Audience: testBroker}); err == nil {
		t.Fatal("verifier without keys and replay cache")
	}
	f := newFixture(t)
	v, err := NewVerifier(VerifierConfig{Audience: testBroker, Keys: f.keys, Replay: NewMemoryReplayCache()})
	if err != nil {
		t.Fatal(err)
	}
	// NotBefore defaults to now: a token issued a minute ago is refused.
	c := baseClaims()
	c.IssuedAt = time.Now().Add(-time.Minute)
	c.Expiry = c.IssuedAt.Add(2 * time.Minute)
	tok, _ := f.ed.SignRequest(c)
	if _, err := v.Verify(context.Background(), tok, baseRequest()); Reason(err) != ReasonIssuedBeforeStart {
		t.Fatalf("got %v", err)
	}
}

func TestBearerToken(t *testing.T) {
	for in, want := range map[string]string{
		"Bearer abc.def.ghi":  "abc.def.ghi",
		"bearer abc.def.ghi":  "abc.def.ghi",
		"BEARER  abc.def.ghi": "abc.def.ghi",
		"Basic dXNlcjpwdw==":  "",
		"Bearer ":             "",
		"":                    "",
		"Bearerabc":           "",
	} {
		got, err := BearerToken(in)
		if got != want || (want == "") != (Reason(err) == ReasonMalformed) {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
}

func TestPeekRequest(t *testing.T) {
	f := newFixture(t)
	c := baseClaims()
	tok, _ := f.ed.SignRequest(c)
	if iss, jti := PeekRequest(tok); iss != c.Issuer || jti != c.ID {
		t.Fatalf("got %q %q", iss, jti)
	}
	if iss, jti := PeekRequest("garbage"); iss != "" || jti != "" {
		t.Fatal("peeked into garbage")
	}
}

func TestErrorShape(t *testing.T) {
	err := error(refuse(ErrExpired, "exp %d", 5))
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonExpired || !errors.Is(err, ErrExpired) || errors.Is(err, ErrReplayed) {
		t.Fatalf("bad error: %v", err)
	}
	if !strings.Contains(err.Error(), "expired") {
		t.Fatal(err.Error())
	}
	if len(Reasons) != len(reasons) {
		t.Fatalf("Reasons lists %d codes, sentinels map %d", len(Reasons), len(reasons))
	}
	seen := map[string]bool{}
	for _, r := range reasons {
		seen[r] = true
	}
	for _, r := range Reasons {
		if !seen[r] {
			t.Errorf("reason %s has no sentinel", r)
		}
	}
}
