package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestStrictJSON(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		alg  string
		kind string // for refusals: "malformed" (default)
	}{
		{in: `{}`, ok: true},
		{in: " \t\r\n{\"alg\" : \"EdDSA\" }\n", ok: true, alg: "EdDSA"},
		{in: `{"alg":"\u00e9\/\"\\\b\f\n\r\t"}`, ok: true, alg: "é/\"\\\b\f\n\r\t"},
		{in: `{"alg":"\ud83d\ude00"}`, ok: true, alg: "😀"},
		{in: `{"alg":"😀"}`, ok: true, alg: "😀"},
		{in: `{"x":[1,-2.5e+10,true,false,null,"s",{"a":{}},[]]}`, ok: true},
		{in: `{"x":0}`, ok: true},
		{in: `{"x":-0.0E-0}`, ok: true},
		{in: `{"alg":"\ud83d"}`},
		{in: `{"alg":"\ude00"}`},
		{in: `{"alg":"\ud83d\u0041"}`},
		{in: `{"alg":"\ud83dx"}`},
		{in: `{"alg":"\uD83D\uDE0"}`},
		{in: "{\"alg\":\"\xff\"}"},
		{in: "{\"alg\":\"\xc3\\u00a9\"}"},
		{in: "{\"alg\":\"a\x01\"}"},
		{in: `{"alg":"\x"}`},
		{in: `{"alg":"\u12"}`},
		{in: `{"alg":"abc`},
		{in: `{"alg":"EdDSA",}`},
		{in: `{,}`},
		{in: `{"alg" "x"}`},
		{in: `{'alg':'x'}`},
		{in: `{alg:"x"}`},
		{in: `{"x":01}`},
		{in: `{"x":1.}`},
		{in: `{"x":.5}`},
		{in: `{"x":-}`},
		{in: `{"x":1e}`},
		{in: `{"x":+1}`},
		{in: `{"x":NaN}`},
		{in: `{"x":tru}`},
		{in: `{"x":nul}`},
		{in: `{"x":[1,2,]}`},
		{in: `{"x":[,]}`},
		{in: `{"x":[1 2]}`},
		{in: `{"x":{"a":1,"a":1}}`},
		{in: `{"alg":"a","alg":"a"}`},
		{in: `{"alg":"a","\u0061lg":"a"}`},
		{in: `{"alg":"EdDSA"}x`},
		{in: `{"alg":"EdDSA"}{}`},
		{in: ``},
		{in: `{`},
		{in: `[]`},
		{in: `"alg"`},
		{in: `null`},
		{in: "\ufeff{}"},
		{in: `{"x":` + strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2) + `}`},
		{in: `{"x":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`, ok: true},
		{in: `{"alg":1}`},
		{in: `{"alg":null}`},
	}
	var many strings.Builder
	many.WriteString("{")
	for i := range maxJSONMembers + 1 {
		fmt.Fprintf(&many, `"m%d":0,`, i)
	}
	cases = append(cases, struct {
		in   string
		ok   bool
		alg  string
		kind string
	}{in: strings.TrimSuffix(many.String(), ",") + "}"})

	for _, tc := range cases {
		var h header
		err := parseHeader(tc.in, &h)
		if tc.ok != (err == nil) {
			t.Errorf("%q: ok=%v, err=%v", tc.in, tc.ok, err)
			continue
		}
		if err != nil && err.Reason != ReasonMalformed {
			t.Errorf("%q: reason %s", tc.in, err.Reason)
		}
		if tc.ok && h.alg != tc.alg {
			t.Errorf("%q: alg %q, want %q", tc.in, h.alg, tc.alg)
		}
	}
}

func TestClaimsTypes(t *testing.T) {
	for in, want := range map[string]string{
		`{"iss":"a","iat":1772359190}`:    "",
		`{"iat":1772359190.25}`:           "",
		`{"iat":1.77235919e9}`:            "",
		`{"aud":["kb"]}`:                  "",
		`{"aud":[]}`:                      ReasonClaimsInvalid,
		`{"aud":["a","b"]}`:               ReasonClaimsInvalid,
		`{"aud":[1]}`:                     ReasonClaimsInvalid,
		`{"aud":["a",]}`:                  ReasonMalformed,
		`{"aud":1}`:                       ReasonClaimsInvalid,
		`{"iat":"1"}`:                     ReasonClaimsInvalid,
		`{"iat":-1}`:                      ReasonClaimsInvalid,
		`{"iat":1e300}`:                   ReasonClaimsInvalid,
		`{"iat":253402300800}`:            ReasonClaimsInvalid,
		`{"iat":99999999999999999999999}`: ReasonClaimsInvalid,
		`{"iat":null}`:                    ReasonClaimsInvalid,
		`{"iss":null}`:                    ReasonClaimsInvalid,
		`{"iss":1,"iss":2}`:               ReasonMalformed,
		`{"iss":1,"x":[}`:                 ReasonMalformed,
		`{"role":{"a":1}}`:                ReasonClaimsInvalid,
		`{"purpose":"p","x-ext":{"deep":[{"a":[]}]}}`:       "",
		`{"htu":"/v1/x?a=1\u0026b=2"}`:                      "",
		`{"iss":"a"} `:                                      "",
		`{"iss":"a"} ,`:                                     ReasonMalformed,
		`{"sub":"\u0000"}`:                                  "",
		`{"nbf":0}`:                                         "",
		`{"exp":1772359190,"exp":1772359191}`:               ReasonMalformed,
		`{"bsh":"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3h"}`: "",
	} {
		var c Claims
		got := ""
		if e := parseClaims(in, &c); e != nil {
			got = e.Reason
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
	var c Claims
	if parseClaims(`{"iat":1772359190.25,"aud":["kb"],"htu":"/v1/x?a=1\u0026b=2"}`, &c) != nil ||
		!c.IssuedAt.Equal(time.Unix(1772359190, 250000000)) || c.Audience != "kb" || c.URI != "/v1/x?a=1&b=2" {
		t.Fatalf("decoded %+v", c)
	}
}

// refStrict is the reference for the strict reader: encoding/json plus
// duplicate detection and a UTF-8 check. It returns the top-level object.
func refStrict(s string) (map[string]any, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := refValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	return m, nil
}

func refValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			if _, dup := m[k]; dup {
				return nil, errors.New("duplicate")
			}
			v, err := refValue(dec)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		_, err := dec.Token()
		return m, err
	case json.Delim('['):
		var a []any
		for dec.More() {
			v, err := refValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

var surrogateEscape = regexp.MustCompile(`\\u[dD][89a-fA-F]`)

// FuzzParseHeader checks the strict JSON reader (header and claims)
// against encoding/json: whatever it accepts, encoding/json reads the same
// way without duplicates; whatever encoding/json reads strictly, it
// accepts, except for what it refuses on purpose (lone surrogates, depth
// and size limits).
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		`{"alg":"EdDSA","typ":"kb-req+jwt","kid":"k1"}`,
		`{"alg":"EdDSA","alg":"none"}`,
		`{"alg":"EdDSA","\u0061lg":"none"}`,
		`{"alg":"\ud83d\ude00","x5c":["a"],"crit":["b64"],"b64":false}`,
		`{"iss":"a","aud":["b"],"iat":1.5e9,"exp":1772359190,"x":{"y":[null,true,-0.1]}}`,
		"{\"alg\":\"\xff\"}",
		`{"alg":"\ud800"}`,
		` {"kid" : "a\/b" } `,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, refErr := refStrict(s)
		surrogates := surrogateEscape.MatchString(s)

		var h header
		e := parseHeader(s, &h)
		if e == nil {
			if refErr != nil {
				t.Fatalf("header accepted, encoding/json refuses: %v", refErr)
			}
			extra := false
			for k, v := range ref {
				switch k {
				case "alg", "typ", "kid":
					want := map[string]string{"alg": h.alg, "typ": h.typ, "kid": h.kid}[k]
					if v != want {
						t.Fatalf("%s: got %q, encoding/json %q", k, want, v)
					}
				default:
					extra = true
				}
			}
			if extra != h.hasExtra {
				t.Fatalf("extra headers: got %v, encoding/json %v", h.hasExtra, extra)
			}
		} else if refErr == nil && !surrogates && !strings.Contains(e.Error(), errJSONLimits.Error()) {
			for _, k := range []string{"alg", "typ", "kid"} {
				if v, ok := ref[k]; ok {
					if _, isStr := v.(string); !isStr {
						return // refused for its type, rightly
					}
				}
			}
			t.Fatalf("header refused (%v), encoding/json reads it", e)
		}

		var c Claims
		ce := parseClaims(s, &c)
		if ce == nil {
			if refErr != nil {
				t.Fatalf("claims accepted, encoding/json refuses: %v", refErr)
			}
			for k, got := range map[string]string{"iss": c.Issuer, "sub": c.Subject, "jti": c.ID, "htm": c.Method, "htu": c.URI, "bsh": c.BodyHash, "role": c.Role, "purpose": c.Purpose} {
				if v, ok := ref[k]; ok && v != got {
					t.Fatalf("%s: got %q, encoding/json %q", k, got, v)
				}
			}
		} else if ce.Reason == ReasonMalformed && refErr == nil && !surrogates && !strings.Contains(ce.Error(), errJSONLimits.Error()) {
			t.Fatalf("claims refused as malformed (%v), encoding/json reads them", ce)
		}
	})
}
