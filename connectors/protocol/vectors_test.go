package protocol

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// go test -run TestVectors -update ./connectors/protocol/ rewrites
// testdata/vectors.json. The Ed25519 keys are derived from fixed seeds and
// Ed25519 signatures are deterministic, so those tokens come out the same;
// the ES256 key is kept from the existing file, but ES256 signatures are
// randomised, so the ES256 tokens change (their verdicts do not).
var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

const vectorsFile = "testdata/vectors.json"

// vectorFile is the layout of testdata/vectors.json (see PROTOCOL.md).
type vectorFile struct {
	Description string                 `json:"description"`
	Warning     string                 `json:"warning"`
	Broker      vectorBroker           `json:"broker"`
	Keys        map[string]vectorKey   `json:"keys"`
	Partners    map[string]vectorParty `json:"partners"`
	Requests    []requestVector        `json:"request_vectors"`
	Responses   []responseVector       `json:"response_vectors"`
}

type vectorBroker struct {
	ID        string          `json:"id"`
	StartedAt int64           `json:"started_at"`
	JWKS      json.RawMessage `json:"jwks"`
}

type vectorKey struct {
	Owner   string          `json:"owner"`
	Comment string          `json:"comment"`
	JWK     json.RawMessage `json:"private_jwk_TEST_ONLY"`
}

type vectorParty struct {
	Status string          `json:"status"`
	JWKS   json.RawMessage `json:"jwks"`
}

type vectorHTTP struct {
	Method string `json:"method"`
	URI    string `json:"uri"`
	Body   string `json:"body"`
}

type requestVector struct {
	Name            string     `json:"name"`
	Description     string     `json:"description"`
	Now             int64      `json:"now"`
	Request         vectorHTTP `json:"request"`
	BodyHash        string     `json:"body_hash"`
	PresentedBefore bool       `json:"presented_before,omitempty"`
	Reproducible    bool       `json:"reproducible,omitempty"`
	SigningKey      string     `json:"signing_key"`
	Token           string     `json:"token"`
	Expect          string     `json:"expect"`
}

type responseVector struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Now         int64  `json:"now"`
	Partner     string `json:"partner"`
	RequestJTI  string `json:"request_jti"`
	Status      int    `json:"status"`
	Body        string `json:"body"`
	BodyHash    string `json:"body_hash"`
	Token       string `json:"token"`
	Expect      string `json:"expect"`
}

func TestVectors(t *testing.T) {
	if *update {
		generateVectors(t)
	}
	raw, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vf); err != nil {
		t.Fatal(err)
	}

	// Registered keys, from the public JWKS in the file.
	keys := testResolver{keys: StaticKeys{}, suspended: map[string]bool{}}
	for id, p := range vf.Partners {
		ks, err := ParseKeySet(p.JWKS)
		if err != nil {
			t.Fatalf("partner %s: %v", id, err)
		}
		keys.keys[id] = ks
		keys.suspended[id] = p.Status == "suspended"
	}
	brokerKeys, err := ParseKeySet(vf.Broker.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	// The private keys match the registered ones.
	signers := map[string]*Signer{}
	for name, k := range vf.Keys {
		key, err := jwk.ParseKey(k.JWK)
		if err != nil {
			t.Fatalf("key %s: %v", name, err)
		}
		s, err := NewSigner(key)
		if err != nil {
			t.Fatalf("key %s: %v", name, err)
		}
		signers[name] = s
		var reg *KeySet
		switch {
		case k.Owner == vf.Broker.ID:
			reg = brokerKeys
		case k.Owner != "":
			reg = keys.keys[k.Owner]
		}
		if reg != nil {
			if _, ok := reg.Key(s.KeyID()); !ok {
				t.Fatalf("key %s is not in the JWKS of %s", name, k.Owner)
			}
		}
	}
	start := time.Unix(vf.Broker.StartedAt, 0)

	seen := map[string]bool{}
	for _, vec := range vf.Requests {
		t.Run("request/"+vec.Name, func(t *testing.T) {
			if seen[vec.Name] {
				t.Fatal("duplicate vector name")
			}
			seen[vec.Name] = true
			if BodyHash([]byte(vec.Request.Body)) != vec.BodyHash {
				t.Fatalf("body_hash %s is not the hash of the body", vec.BodyHash)
			}
			now := time.Unix(vec.Now, 0)
			clock := fixedClock(now)
			v, err := NewVerifier(VerifierConfig{Audience: vf.Broker.ID, Keys: keys, Replay: NewMemoryReplayCacheClock(clock), NotBefore: start, Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			req := Request{Method: vec.Request.Method, URI: vec.Request.URI, BodyHash: vec.BodyHash}
			if vec.PresentedBefore {
				if _, err := v.Verify(context.Background(), vec.Token, req); err != nil {
					t.Fatalf("first presentation refused: %v", err)
				}
			}
			c, err := v.Verify(context.Background(), vec.Token, req)
			if got := reasonOf(err); got != vec.Expect {
				t.Fatalf("got %s, want %s (%v)", got, vec.Expect, err)
			}
			// Tokens marked reproducible come out byte for byte the same when
			// their claims are signed again (Ed25519 is deterministic).
			if vec.Reproducible {
				if err != nil || signers[vec.SigningKey] == nil || signers[vec.SigningKey].Algorithm() != AlgEdDSA {
					t.Fatal("only accepted EdDSA tokens can be reproducible")
				}
				again, err := signers[vec.SigningKey].SignRequest(*c)
				if err != nil || again != vec.Token {
					t.Fatalf("re-signing gives another token: %v\n%s\n%s", err, again, vec.Token)
				}
			}
		})
	}
	for _, vec := range vf.Responses {
		t.Run("response/"+vec.Name, func(t *testing.T) {
			if BodyHash([]byte(vec.Body)) != vec.BodyHash {
				t.Fatalf("body_hash %s is not the hash of the body", vec.BodyHash)
			}
			rv, err := NewResponseVerifier(ResponseVerifierConfig{Broker: vf.Broker.ID, Partner: vec.Partner, Keys: StaticKeys{vf.Broker.ID: brokerKeys}, Now: fixedClock(time.Unix(vec.Now, 0))})
			if err != nil {
				t.Fatal(err)
			}
			_, err = rv.VerifyResponse(context.Background(), vec.Token, Response{RequestID: vec.RequestJTI, Status: vec.Status, BodyHash: vec.BodyHash})
			if got := reasonOf(err); got != vec.Expect {
				t.Fatalf("got %s, want %s (%v)", got, vec.Expect, err)
			}
		})
	}
	// Every request reason code that a single token can show has a vector.
	covered := map[string]bool{}
	for _, vec := range vf.Requests {
		covered[vec.Expect] = true
	}
	for _, r := range Reasons {
		if r == ReasonRequestMismatch || r == ReasonStatusMismatch {
			continue
		}
		if !covered[r] {
			t.Errorf("no request vector for reason %s", r)
		}
	}
}

// generateVectors writes testdata/vectors.json.
func generateVectors(t *testing.T) {
	t.Helper()
	var old vectorFile
	if raw, err := os.ReadFile(vectorsFile); err == nil {
		_ = json.Unmarshal(raw, &old)
	}

	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := start.Add(time.Hour)
	iat := now.Add(-10 * time.Second)

	// Keys: Ed25519 from fixed seeds; ES256 kept from the old file.
	ed := func(label string) *Signer {
		s, err := NewSigner(seededEd25519(t, label))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	partnerEd := ed("partner ed25519")
	otherEd := ed("other partner")
	suspendedEd := ed("suspended partner")
	rogueEd := ed("rogue")
	brokerEd := ed("broker")
	var esKey jwk.Key
	if k, ok := old.Keys["partner-es256"]; ok {
		esKey, _ = jwk.ParseKey(k.JWK)
	}
	if esKey == nil {
		var err error
		if esKey, err = GenerateKey(AlgES256); err != nil {
			t.Fatal(err)
		}
	}
	partnerEs, err := NewSigner(esKey)
	if err != nil {
		t.Fatal(err)
	}
	privJSON := func(s *Signer, label string) json.RawMessage {
		var k jwk.Key
		if s == partnerEs {
			k = esKey
		} else {
			k = seededEd25519(t, label)
		}
		b, _ := json.Marshal(k)
		return b
	}
	jwks := func(ss ...*Signer) json.RawMessage {
		var keys []jwk.Key
		for _, s := range ss {
			keys = append(keys, s.PublicKey().JWK())
		}
		set, err := PublicSet(keys...)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(set)
		return b
	}

	body := `{"service":"schuldregeling","status":"active","contact":{"name":"J. Jansen","phone":"+31 33 000 0000"}}`
	put := vectorHTTP{Method: "PUT", URI: "/v1/involvements/inv-42?dry_run=1", Body: body}
	get := vectorHTTP{Method: "GET", URI: "/v1/households/hh-1042/involvements?purpose=integrale-ondersteuning"}
	n := 0
	jti := func() string {
		n++
		return "vector-jti-" + strings.Repeat("0", 4-len(itoa(int64(n)))) + itoa(int64(n)) + "-abcdef" // 22 characters
	}
	claims := func(r vectorHTTP) Claims {
		return Claims{
			Issuer: testPartner, Subject: "j.jansen", Audience: testBroker,
			IssuedAt: iat, Expiry: iat.Add(2 * time.Minute), ID: jti(),
			Method: r.Method, URI: r.URI, BodyHash: BodyHash([]byte(r.Body)),
			Role: "connector", Purpose: "integrale-ondersteuning",
		}
	}
	var reqs []requestVector
	add := func(name, desc string, r vectorHTTP, key string, tok string, expect string) *requestVector {
		reqs = append(reqs, requestVector{Name: name, Description: desc, Now: now.Unix(), Request: r, BodyHash: BodyHash([]byte(r.Body)), SigningKey: key, Token: tok, Expect: expect})
		return &reqs[len(reqs)-1]
	}
	signed := func(s *Signer, c Claims) string {
		tok, err := s.SignRequest(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// edited signs the claims of r after fn edited their JSON map (keys
	// then in sorted order).
	edited := func(s *Signer, r vectorHTTP, fn func(m map[string]any)) string {
		m := claimsMap(claims(r))
		fn(m)
		return sign(s, m)
	}
	withHeader := func(h string, r vectorHTTP) string {
		return forge(h, mustJSON(claimsMap(claims(r))), with(partnerEd))
	}
	at := func(d time.Duration) int64 { return now.Add(d).Unix() }
	kh := func(alg, kid string, extra string) string {
		return `{"alg":"` + alg + `","typ":"kb-req+jwt","kid":"` + kid + `"` + extra + `}`
	}

	add("valid-eddsa", "A valid EdDSA request token for a PUT with a JSON body. The worked example of PROTOCOL.md.", put, "partner-ed25519", signed(partnerEd, claims(put)), "accept").Reproducible = true
	add("valid-es256", "A valid ES256 request token (ES256 signatures are randomised: do not expect to reproduce it).", put, "partner-es256", signed(partnerEs, claims(put)), "accept")
	add("valid-get-without-body", "A GET without body: no bsh claim.", get, "partner-ed25519", signed(partnerEd, claims(get)), "accept").Reproducible = true
	add("valid-aud-array", "aud as an array of one string is accepted.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["aud"] = []string{testBroker} }), "accept")
	add("valid-expired-within-skew", "exp passed 29 s ago: within the 30 s clock skew.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["iat"], m["exp"] = at(-200*time.Second), at(-29*time.Second) }), "accept")
	add("valid-iat-in-future-within-skew", "iat 29 s in the future: within the clock skew.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["iat"], m["exp"] = at(29*time.Second), at(120*time.Second) }), "accept")
	add("valid-unknown-claim", "Unknown claims are ignored.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["x-trace-id"] = "4bf92f3577b34da6" }), "accept")

	add("alg-none", `alg "none" with an empty signature.`, put, "", forge(kh("none", partnerEd.kid, ""), mustJSON(claimsMap(claims(put))), nil), ReasonAlgNotAllowed)
	add("alg-hs256-public-key-as-secret", "HS256 with the partner's public Ed25519 key bytes as the HMAC secret (key confusion).", put, "",
		forge(kh("HS256", partnerEd.kid, ""), mustJSON(claimsMap(claims(put))), hmacWith([]byte(partnerEd.PublicKey().CryptoPublicKey().(ed25519.PublicKey)))), ReasonAlgNotAllowed)
	add("alg-not-the-keys-alg", "Header alg EdDSA naming the partner's ES256 key, signed by an unregistered Ed25519 key.", put, "rogue-ed25519",
		forge(kh("EdDSA", partnerEs.kid, ""), mustJSON(claimsMap(claims(put))), with(rogueEd)), ReasonAlgNotAllowed)
	add("typ-missing", "No typ header.", put, "partner-ed25519", withHeader(`{"alg":"EdDSA","kid":"`+partnerEd.kid+`"}`, put), ReasonTypInvalid)
	add("typ-response-token", "typ kb-resp+jwt: a response token presented as a request token.", put, "partner-ed25519",
		forge(hdr(partnerEd, ResponseTokenType), mustJSON(claimsMap(claims(put))), with(partnerEd)), ReasonTypInvalid)
	add("header-jwk", "An embedded jwk header.", put, "partner-ed25519", withHeader(kh("EdDSA", partnerEd.kid, `,"jwk":`+mustJSON(partnerEd.PublicKey().JWK())), put), ReasonHeaderNotAllowed)
	add("header-jku", "A jku header.", put, "partner-ed25519", withHeader(kh("EdDSA", partnerEd.kid, `,"jku":"https://attacker.example/jwks.json"`), put), ReasonHeaderNotAllowed)
	add("header-x5c", "An x5c header.", put, "partner-ed25519", withHeader(kh("EdDSA", partnerEd.kid, `,"x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]`), put), ReasonHeaderNotAllowed)
	add("header-crit", "A crit header.", put, "partner-ed25519", withHeader(kh("EdDSA", partnerEd.kid, `,"crit":["exp"]`), put), ReasonHeaderNotAllowed)
	add("unknown-kid", "A kid the partner never registered.", put, "partner-ed25519", withHeader(kh("EdDSA", "unregistered-kid", ""), put), ReasonUnknownKey)
	add("kid-of-another-partner", "iss gem-testdorp, signed with the key (and kid) of kredietbank-test.", put, "other-ed25519",
		forge(hdr(otherEd, RequestTokenType), mustJSON(claimsMap(claims(put))), with(otherEd)), ReasonUnknownKey)
	add("unknown-issuer", "iss of no registered partner.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["iss"] = "gem-onbekend" }), ReasonUnknownKey)
	add("partner-suspended", "A valid token of a suspended partner.", put, "suspended-ed25519", edited(suspendedEd, put, func(m map[string]any) { m["iss"] = suspendedPart }), ReasonPartnerSuspended)
	add("bad-signature", "The partner's kid, signed by another Ed25519 key.", put, "rogue-ed25519",
		forge(hdr(partnerEd, RequestTokenType), mustJSON(claimsMap(claims(put))), with(rogueEd)), ReasonBadSignature)
	add("expired", "exp passed 31 s ago.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["iat"], m["exp"] = at(-200*time.Second), at(-31*time.Second) }), ReasonExpired)
	add("iat-in-future", "iat 31 s in the future.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["iat"], m["exp"] = at(31*time.Second), at(120*time.Second) }), ReasonNotYetValid)
	add("nbf-in-future", "nbf 31 s in the future.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["nbf"] = at(31 * time.Second) }), ReasonNotYetValid)
	add("lifetime-301s", "exp - iat = 301 s.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["iat"], m["exp"] = at(-1*time.Second), at(300*time.Second) }), ReasonLifetimeTooLong)
	v := add("issued-before-start", "iat one second before the broker started; checked 10 s after the start.", put, "partner-ed25519",
		edited(partnerEd, put, func(m map[string]any) { m["iat"], m["exp"] = start.Unix()-1, start.Unix()+119 }), ReasonIssuedBeforeStart)
	v.Now = start.Add(10 * time.Second).Unix()
	add("jti-missing", "No jti.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { delete(m, "jti") }), ReasonJTIInvalid)
	add("jti-15-characters", "A jti of 15 characters.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["jti"] = "abcdefghijklmno" }), ReasonJTIInvalid)
	v = add("replayed", "The same valid token presented a second time (present it once before checking).", put, "partner-ed25519", signed(partnerEd, claims(put)), ReasonReplayed)
	v.PresentedBefore = true
	add("aud-other-broker", "aud names another broker.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["aud"] = "kb-elders" }), ReasonAudienceMismatch)
	add("htm-mismatch", "Signed for POST, sent as PUT.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["htm"] = "POST" }), ReasonMethodMismatch)
	add("htu-other-path", "Signed for another path.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["htu"] = "/v1/involvements/inv-43?dry_run=1" }), ReasonURIMismatch)
	add("htu-other-query", "Signed for another query.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { m["htu"] = "/v1/involvements/inv-42?dry_run=0" }), ReasonURIMismatch)
	changed := put
	changed.Body = strings.Replace(body, "active", "ended", 1)
	v = add("body-changed", "The body was changed after signing: bsh is that of the original body.", changed, "partner-ed25519", signed(partnerEd, claims(put)), ReasonBodyHashMismatch)
	add("body-without-bsh", "A request with a body whose token has no bsh.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { delete(m, "bsh") }), ReasonBodyHashMissing)
	add("role-missing", "No role claim.", put, "partner-ed25519", edited(partnerEd, put, func(m map[string]any) { delete(m, "role") }), ReasonClaimsInvalid)
	add("duplicate-claim", `Two "aud" members in the claims (parser differential).`, put, "partner-ed25519",
		forge(hdr(partnerEd, RequestTokenType), strings.Replace(mustJSON(claimsMap(claims(put))), `"aud":"kb-test"`, `"aud":"kb-elders","aud":"kb-test"`, 1), with(partnerEd)), ReasonMalformed)
	add("duplicate-header", `Two "alg" members in the header.`, put, "partner-ed25519", withHeader(kh("EdDSA", partnerEd.kid, `,"alg":"none"`), put), ReasonMalformed)
	add("two-parts", "Only header and payload.", put, "", strings.Join(strings.Split(signed(partnerEd, claims(put)), ".")[:2], "."), ReasonMalformed)
	add("bad-base64", "A '+' (standard base64) in the signature.", put, "", signed(partnerEd, claims(put))+"+", ReasonMalformed)
	add("token-too-large", "A validly signed token of more than 8192 bytes.", put, "partner-ed25519",
		edited(partnerEd, put, func(m map[string]any) { m["padding"] = strings.Repeat("x", MaxTokenSize) }), ReasonTokenTooLarge)

	// Responses, to the valid-eddsa request.
	reqJTI := "vector-jti-0001-abcdef"
	respBody := `{"involvement":"inv-42","result":"updated"}`
	resp := func(mod func(r *ResponseClaims)) string {
		r := ResponseClaims{Issuer: testBroker, Audience: testPartner, IssuedAt: now.Add(-1 * time.Second), Request: reqJTI, Status: 200, BodyHash: BodyHash([]byte(respBody))}
		if mod != nil {
			mod(&r)
		}
		tok, err := brokerEd.SignResponse(r)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	rv := func(name, desc string, status int, body, tok, expect string) responseVector {
		return responseVector{Name: name, Description: desc, Now: now.Unix(), Partner: testPartner, RequestJTI: reqJTI, Status: status, Body: body, BodyHash: BodyHash([]byte(body)), Token: tok, Expect: expect}
	}
	resps := []responseVector{
		rv("valid", "The Ketenbrug-Signature of a 200 answer to valid-eddsa.", 200, respBody, resp(nil), "accept"),
		rv("valid-204-no-body", "An answer without body: no bsh.", 204, "", resp(func(r *ResponseClaims) { r.Status, r.BodyHash = 204, "" }), "accept"),
		rv("other-request", "Signed for another request's jti.", 200, respBody, resp(func(r *ResponseClaims) { r.Request = "vector-jti-9999-abcdef" }), ReasonRequestMismatch),
		rv("status-changed", "Signed 403, received 200.", 200, respBody, resp(func(r *ResponseClaims) { r.Status = 403 }), ReasonStatusMismatch),
		rv("body-changed", "The body was changed in transit.", 200, strings.Replace(respBody, "updated", "deleted", 1), resp(nil), ReasonBodyHashMismatch),
		rv("request-typ", "A token with typ kb-req+jwt in the signature header.", 200, respBody,
			forge(hdr(brokerEd, RequestTokenType), mustJSON(map[string]any{"iss": testBroker, "aud": testPartner, "iat": now.Unix(), "req": reqJTI, "status": 200, "bsh": BodyHash([]byte(respBody))}), with(brokerEd)), ReasonTypInvalid),
		rv("signed-by-partner", "Signed by a partner key instead of the broker's.", 200, respBody,
			forge(hdr(partnerEd, ResponseTokenType), mustJSON(map[string]any{"iss": testBroker, "aud": testPartner, "iat": now.Unix(), "req": reqJTI, "status": 200, "bsh": BodyHash([]byte(respBody))}), with(partnerEd)), ReasonUnknownKey),
	}

	vf := vectorFile{
		Description: "Ketenbrug request protocol test vectors. Check each request vector with a fresh replay cache, the clock at `now`, the broker id and start time below and the partners' registered JWKS; see PROTOCOL.md.",
		Warning:     "The private keys in this file are TEST-ONLY and public. Never use them, or anything signed with them, outside tests.",
		Broker:      vectorBroker{ID: testBroker, StartedAt: start.Unix(), JWKS: jwks(brokerEd)},
		Keys: map[string]vectorKey{
			"partner-ed25519":   {Owner: testPartner, Comment: "Ed25519 seed = SHA-256(\"ketenbrug test key: partner ed25519\")", JWK: privJSON(partnerEd, "partner ed25519")},
			"partner-es256":     {Owner: testPartner, Comment: "ES256 (P-256)", JWK: privJSON(partnerEs, "")},
			"other-ed25519":     {Owner: otherPartner, Comment: "Ed25519 seed = SHA-256(\"ketenbrug test key: other partner\")", JWK: privJSON(otherEd, "other partner")},
			"suspended-ed25519": {Owner: suspendedPart, Comment: "Ed25519 seed = SHA-256(\"ketenbrug test key: suspended partner\")", JWK: privJSON(suspendedEd, "suspended partner")},
			"rogue-ed25519":     {Owner: "", Comment: "registered nowhere; seed = SHA-256(\"ketenbrug test key: rogue\")", JWK: privJSON(rogueEd, "rogue")},
			"broker-ed25519":    {Owner: testBroker, Comment: "the broker's response key; seed = SHA-256(\"ketenbrug test key: broker\")", JWK: privJSON(brokerEd, "broker")},
		},
		Partners: map[string]vectorParty{
			testPartner:   {Status: "active", JWKS: jwks(partnerEd, partnerEs)},
			otherPartner:  {Status: "active", JWKS: jwks(otherEd)},
			suspendedPart: {Status: "suspended", JWKS: jwks(suspendedEd)},
		},
		Requests:  reqs,
		Responses: resps,
	}
	out, err := json.MarshalIndent(vf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsFile, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d request and %d response vectors", vectorsFile, len(reqs), len(resps))
}

// TestProtocolDocumentReasonTable: section 5 of PROTOCOL.md lists every
// reason code with the HTTP status the broker answers it with — 401, 403
// for partner_suspended (a new token would not help), "—" for the codes
// only the SDK gives — and every request vector's verdict is one of them.
// The broker's side of this agreement is tested over HTTP in
// broker/httpapi (TestConformanceTokenRefusalStatuses).
func TestProtocolDocumentReasonTable(t *testing.T) {
	raw, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	sec5 := strings.Index(doc, "## 5. Errors")
	sec6 := strings.Index(doc, "## 6.")
	if sec5 < 0 || sec6 < sec5 {
		t.Fatal("PROTOCOL.md has no section 5 before section 6")
	}
	documented := map[string]string{}
	for _, line := range strings.Split(doc[sec5:sec6], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		documented[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
	}
	for _, r := range Reasons {
		want := "401"
		switch r {
		case ReasonPartnerSuspended:
			want = "403"
		case ReasonRequestMismatch, ReasonStatusMismatch:
			want = "—"
		}
		if got, ok := documented[r]; !ok {
			t.Errorf("PROTOCOL.md's table of reasons lacks %s", r)
		} else if got != want {
			t.Errorf("PROTOCOL.md: %s has status %q, want %q", r, got, want)
		}
	}
	// The example and the text describe what the broker sends: member
	// code with token_<reason>, type urn:ketenbrug:problem:<code>, and the
	// challenge.
	for _, want := range []string{`"code": "token_expired"`, `"type": "urn:ketenbrug:problem:token_expired"`,
		`WWW-Authenticate: Bearer realm="`, `error="invalid_token"`, "`403 Forbidden`", "`bad_path`"} {
		if !strings.Contains(doc[sec5:sec6], want) {
			t.Errorf("PROTOCOL.md section 5 does not say %s", want)
		}
	}
	for _, stale := range []string{`"about:blank"`, `"reason":`} {
		if strings.Contains(doc[sec5:sec6], stale) {
			t.Errorf("PROTOCOL.md section 5 still shows %s, which the broker never sends", stale)
		}
	}

	// Every verdict of a request vector is a documented reason.
	var vf struct {
		Requests []struct {
			Name   string `json:"name"`
			Expect string `json:"expect"`
		} `json:"request_vectors"`
	}
	vraw, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(vraw, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Requests) == 0 {
		t.Fatal("no request vectors")
	}
	for _, v := range vf.Requests {
		if v.Expect == "accept" {
			continue
		}
		if status, ok := documented[v.Expect]; !ok || status == "—" {
			t.Errorf("vector %s expects %s, which PROTOCOL.md's table does not give a broker status", v.Name, v.Expect)
		}
	}
}
