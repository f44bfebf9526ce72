package protocol

import (
	"context"
	"strconv"
	"testing"
	"time"
)

var testRespBody = []byte(`{"involvements":[]}`)

func baseResponse(reqJTI string) ResponseClaims {
	return ResponseClaims{
		Issuer:   testBroker,
		Audience: testPartner,
		IssuedAt: testNow.Add(-2 * time.Second),
		Request:  reqJTI,
		Status:   200,
		BodyHash: BodyHash(testRespBody),
	}
}

func (f *fixture) responseVerifier(t testing.TB) *ResponseVerifier {
	t.Helper()
	v, err := NewResponseVerifier(ResponseVerifierConfig{
		Broker:  testBroker,
		Partner: testPartner,
		Keys:    StaticKeys{testBroker: f.keys.keys[testBroker]},
		Now:     fixedClock(testNow),
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifyResponseSecurity: the SDK's checks of Ketenbrug-Signature.
func TestVerifyResponseSecurity(t *testing.T) {
	f := newFixture(t)
	const jti = "Vq3Yx8m1T0a6s2Lk9QwE4g"
	want := Response{RequestID: jti, Status: 200, BodyHash: BodyHash(testRespBody)}
	signed := func(mod func(r *ResponseClaims)) func() string {
		return func() string {
			r := baseResponse(jti)
			if mod != nil {
				mod(&r)
			}
			tok, err := f.broker.SignResponse(r)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
	}
	respClaims := func() string {
		b, _ := (&ResponseClaims{Issuer: testBroker, Audience: testPartner, IssuedAt: testNow, Request: jti, Status: 200, BodyHash: BodyHash(testRespBody)}).marshal()
		return string(b)
	}
	cases := map[string]struct {
		token func() string
		resp  *Response
		want  string
	}{
		"valid":                     {token: signed(nil), want: "accept"},
		"valid empty body":          {token: signed(func(r *ResponseClaims) { r.BodyHash, r.Status = "", 204 }), resp: &Response{RequestID: jti, Status: 204}, want: "accept"},
		"valid 401":                 {token: signed(func(r *ResponseClaims) { r.Status = 401 }), resp: &Response{RequestID: jti, Status: 401, BodyHash: want.BodyHash}, want: "accept"},
		"request token as response": {token: func() string { return forge(hdr(f.broker, RequestTokenType), respClaims(), with(f.broker)) }, want: ReasonTypInvalid},
		"alg none": {token: func() string {
			return forge(`{"alg":"none","typ":"kb-resp+jwt","kid":"`+f.broker.kid+`"}`, respClaims(), nil)
		}, want: ReasonAlgNotAllowed},
		"signed by a partner key": {token: func() string { return forge(hdr(f.ed, ResponseTokenType), respClaims(), with(f.ed)) }, want: ReasonUnknownKey},
		"partner key under broker kid": {
			token: func() string { return forge(hdr(f.broker, ResponseTokenType), respClaims(), with(f.rogue)) }, want: ReasonBadSignature},
		"iss not the broker":  {token: signed(func(r *ResponseClaims) { r.Issuer = "kb-evil" }), want: ReasonUnknownKey},
		"aud another partner": {token: signed(func(r *ResponseClaims) { r.Audience = otherPartner }), want: ReasonAudienceMismatch},
		"req another request": {token: signed(func(r *ResponseClaims) { r.Request = "AAAAAAAAAAAAAAAAAAAAAA" }), want: ReasonRequestMismatch},
		"req empty":           {token: signed(func(r *ResponseClaims) { r.Request = "" }), want: ReasonRequestMismatch},
		"status changed":      {token: signed(nil), resp: &Response{RequestID: jti, Status: 500, BodyHash: want.BodyHash}, want: ReasonStatusMismatch},
		"body changed":        {token: signed(nil), resp: &Response{RequestID: jti, Status: 200, BodyHash: BodyHash([]byte(`{"involvements":[1]}`))}, want: ReasonBodyHashMismatch},
		"body stripped":       {token: signed(nil), resp: &Response{RequestID: jti, Status: 200}, want: ReasonBodyHashMismatch},
		"body without bsh":    {token: signed(func(r *ResponseClaims) { r.BodyHash = "" }), want: ReasonBodyHashMissing},
		"iat in future":       {token: signed(func(r *ResponseClaims) { r.IssuedAt = testNow.Add(31 * time.Second) }), want: ReasonNotYetValid},
		"iat within skew":     {token: signed(func(r *ResponseClaims) { r.IssuedAt = testNow.Add(29 * time.Second) }), want: "accept"},
		"iat too old":         {token: signed(func(r *ResponseClaims) { r.IssuedAt = testNow.Add(-MaxTokenLifetime - MaxClockSkew - time.Second) }), want: ReasonExpired},
		"status missing": {token: func() string {
			return forge(hdr(f.broker, ResponseTokenType), `{"iss":"kb-test","aud":"gem-testdorp","iat":`+itoa(testNow.Unix())+`,"req":"`+jti+`"}`, with(f.broker))
		}, want: ReasonClaimsInvalid},
		"status as string": {token: func() string {
			return forge(hdr(f.broker, ResponseTokenType), `{"iss":"kb-test","aud":"gem-testdorp","iat":`+itoa(testNow.Unix())+`,"req":"`+jti+`","status":"200"}`, with(f.broker))
		}, want: ReasonClaimsInvalid},
		"duplicate status": {token: func() string {
			return forge(hdr(f.broker, ResponseTokenType), `{"iss":"kb-test","aud":"gem-testdorp","iat":`+itoa(testNow.Unix())+`,"req":"`+jti+`","status":500,"status":200}`, with(f.broker))
		}, want: ReasonMalformed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := want
			if tc.resp != nil {
				r = *tc.resp
			}
			c, err := f.responseVerifier(t).VerifyResponse(context.Background(), tc.token(), r)
			if got := reasonOf(err); got != tc.want {
				t.Fatalf("got %s, want %s (%v)", got, tc.want, err)
			}
			if err == nil && (c.Request != jti || c.Issuer != testBroker) {
				t.Fatalf("claims %+v", c)
			}
		})
	}
	if _, err := NewResponseVerifier(ResponseVerifierConfig{Broker: testBroker}); err == nil {
		t.Fatal("response verifier without keys")
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
