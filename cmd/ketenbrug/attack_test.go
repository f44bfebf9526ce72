package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// TestAttackMatrix sends the attacks on the request protocol to a real
// broker: each is refused with 401 (a suspended partner 403) and a problem document naming the
// reason, a log line and a metric; valid ES256 and PS256 tokens pass.
func TestAttackMatrix(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()

	const (
		partner = "kredietbank"
		other   = "cjg-test"
		susp    = "school-susp"
		multi   = "uwv-test"
	)
	key := newTestKey(t, protocol.AlgEdDSA)
	otherKey := newTestKey(t, protocol.AlgEdDSA)
	suspKey := newTestKey(t, protocol.AlgEdDSA)
	esKey := newTestKey(t, protocol.AlgES256)
	psKey := newTestKey(t, protocol.AlgPS256)
	rogue := newTestKey(t, protocol.AlgEdDSA) // registered nowhere
	tb.register(t, partner, broker.SectorDebt, []broker.Role{broker.RoleConnector}, key)
	tb.register(t, other, broker.SectorYouth, []broker.Role{broker.RoleConnector}, otherKey)
	tb.register(t, susp, broker.SectorEducation, []broker.Role{broker.RoleConnector}, suspKey)
	tb.register(t, multi, broker.SectorWorkIncome, []broker.Role{broker.RoleConnector}, esKey, psKey)

	const whoami = "/v1/whoami"
	// get sends GET /v1/whoami with token.
	get := func(t *testing.T, token string) (*http.Response, []byte, string) {
		resp, body := tb.send(t, http.MethodGet, whoami, token, nil, nil)
		return resp, body, token
	}
	// forged signs claims changed by edit, with header changes hdr.
	forged := func(t *testing.T, hdr func(map[string]any), edit func(map[string]any)) string {
		h, c := key.header(), claimsFor(partner, "connector", http.MethodGet, whoami, nil)
		if hdr != nil {
			hdr(h)
		}
		if edit != nil {
			edit(c)
		}
		return key.craft(t, h, c)
	}
	now := func() int64 { return time.Now().Unix() }

	attacks := []struct {
		name   string
		reason string
		do     func(t *testing.T) (*http.Response, []byte, string)
	}{
		{"alg none", protocol.ReasonAlgNotAllowed, func(t *testing.T) (*http.Response, []byte, string) {
			h := key.header()
			h["alg"] = "none"
			tok := segment(t, h) + "." + segment(t, claimsFor(partner, "connector", http.MethodGet, whoami, nil)) + "."
			return get(t, tok)
		}},
		{"HS256 signed with the partner's public key as secret", protocol.ReasonAlgNotAllowed, func(t *testing.T) (*http.Response, []byte, string) {
			h := key.header()
			h["alg"] = "HS256"
			input := segment(t, h) + "." + segment(t, claimsFor(partner, "connector", http.MethodGet, whoami, nil))
			mac := hmac.New(sha256.New, jwksOf(t, key))
			mac.Write([]byte(input))
			return get(t, input+"."+base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
		}},
		{"alg of another key type", protocol.ReasonAlgNotAllowed, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { h["alg"] = protocol.AlgES256 }, nil))
		}},
		{"unknown kid", protocol.ReasonUnknownKey, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { h["kid"] = "no-such-key" }, nil))
		}},
		{"missing kid", protocol.ReasonUnknownKey, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { delete(h, "kid") }, nil))
		}},
		{"kid of another partner", protocol.ReasonUnknownKey, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, otherKey.craft(t, otherKey.header(), claimsFor(partner, "connector", http.MethodGet, whoami, nil)))
		}},
		{"unknown issuer", protocol.ReasonUnknownKey, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, rogue.craft(t, rogue.header(), claimsFor("no-such-partner", "connector", http.MethodGet, whoami, nil)))
		}},
		{"signature by another key", protocol.ReasonBadSignature, func(t *testing.T) (*http.Response, []byte, string) {
			h := key.header() // names the partner's kid, but rogue signs
			return get(t, rogue.craft(t, h, claimsFor(partner, "connector", http.MethodGet, whoami, nil)))
		}},
		{"suspended partner", protocol.ReasonPartnerSuspended, func(t *testing.T) (*http.Response, []byte, string) {
			var p broker.Partner
			if err := tb.operator.JSON(ctx, http.MethodPost, "/v1/partners/"+susp+"/suspend", "", nil, &p); err != nil {
				t.Fatal(err)
			}
			if p.Status != broker.PartnerSuspended {
				t.Fatalf("status %s after suspend", p.Status)
			}
			return get(t, suspKey.sign(t, susp, "connector", http.MethodGet, whoami, nil))
		}},
		{"expired", protocol.ReasonExpired, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["iat"], c["exp"] = now()-200, now()-100 }))
		}},
		{"iat in the future beyond skew", protocol.ReasonNotYetValid, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["iat"], c["exp"] = now()+120, now()+180 }))
		}},
		{"nbf in the future beyond skew", protocol.ReasonNotYetValid, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["nbf"], c["exp"] = now()+120, now()+180 }))
		}},
		{"issued before the broker started", protocol.ReasonIssuedBeforeStart, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["iat"] = tb.started.Unix() - 5 }))
		}},
		{"lifetime over 300 s", protocol.ReasonLifetimeTooLong, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["exp"] = c["iat"].(int64) + 301 }))
		}},
		{"missing jti", protocol.ReasonJTIInvalid, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { delete(c, "jti") }))
		}},
		{"short jti", protocol.ReasonJTIInvalid, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["jti"] = "0123456789abcde" })) // 15
		}},
		{"replayed jti", protocol.ReasonReplayed, func(t *testing.T) (*http.Response, []byte, string) {
			tok := key.sign(t, partner, "connector", http.MethodGet, whoami, nil)
			if resp, body, _ := get(t, tok); resp.StatusCode != http.StatusOK {
				t.Fatalf("first use: %d %s", resp.StatusCode, body)
			}
			return get(t, tok)
		}},
		{"replayed jti in a new token", protocol.ReasonReplayed, func(t *testing.T) (*http.Response, []byte, string) {
			jti := protocol.NewJTI()
			first := forged(t, nil, func(c map[string]any) { c["jti"] = jti })
			if resp, body, _ := get(t, first); resp.StatusCode != http.StatusOK {
				t.Fatalf("first use: %d %s", resp.StatusCode, body)
			}
			return get(t, forged(t, nil, func(c map[string]any) { c["jti"], c["sub"] = jti, "someone-else" }))
		}},
		{"missing sub", protocol.ReasonClaimsInvalid, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { delete(c, "sub") }))
		}},
		{"wrong aud", protocol.ReasonAudienceMismatch, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["aud"] = "another-broker" }))
		}},
		{"htm mismatch", protocol.ReasonMethodMismatch, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["htm"] = http.MethodPost }))
		}},
		{"htu with another path", protocol.ReasonURIMismatch, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["htu"] = "/v1/partners" }))
		}},
		{"htu with another query", protocol.ReasonURIMismatch, func(t *testing.T) (*http.Response, []byte, string) {
			tok := forged(t, nil, func(c map[string]any) { c["htu"] = whoami + "?page=1" })
			resp, body := tb.send(t, http.MethodGet, whoami+"?page=2", tok, nil, nil)
			return resp, body, tok
		}},
		{"body changed after signing", protocol.ReasonBodyHashMismatch, func(t *testing.T) (*http.Response, []byte, string) {
			signed, sent := []byte(`{"reason":"signed"}`), []byte(`{"reason":"changed"}`)
			uri := "/v1/consents/c-1/withdraw"
			tok := key.craft(t, key.header(), claimsFor(partner, "connector", http.MethodPost, uri, signed))
			resp, body := tb.send(t, http.MethodPost, uri, tok, sent, nil)
			return resp, body, tok
		}},
		{"body without bsh", protocol.ReasonBodyHashMissing, func(t *testing.T) (*http.Response, []byte, string) {
			uri := "/v1/consents/c-1/withdraw"
			tok := key.craft(t, key.header(), claimsFor(partner, "connector", http.MethodPost, uri, nil))
			resp, body := tb.send(t, http.MethodPost, uri, tok, []byte(`{"reason":"unsigned"}`), nil)
			return resp, body, tok
		}},
		{"typ missing", protocol.ReasonTypInvalid, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { delete(h, "typ") }, nil))
		}},
		{"typ wrong", protocol.ReasonTypInvalid, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { h["typ"] = "JWT" }, nil))
		}},
		{"typ of a response token", protocol.ReasonTypInvalid, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { h["typ"] = protocol.ResponseTokenType }, nil))
		}},
		{"jwk in the header", protocol.ReasonHeaderNotAllowed, func(t *testing.T) (*http.Response, []byte, string) {
			var pub map[string]any
			if err := json.Unmarshal(jwksOf(t, rogue), &pub); err != nil {
				t.Fatal(err)
			}
			return get(t, forged(t, func(h map[string]any) { h["jwk"] = pub["keys"].([]any)[0] }, nil))
		}},
		{"jku in the header", protocol.ReasonHeaderNotAllowed, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { h["jku"] = "https://attacker.example/jwks.json" }, nil))
		}},
		{"x5u in the header", protocol.ReasonHeaderNotAllowed, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { h["x5u"] = "https://attacker.example/cert.pem" }, nil))
		}},
		{"x5c in the header", protocol.ReasonHeaderNotAllowed, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { h["x5c"] = []string{"MIIBszCCAVmgAwIBAgIUQ"} }, nil))
		}},
		{"crit in the header", protocol.ReasonHeaderNotAllowed, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, func(h map[string]any) { h["crit"], h["exp"] = []string{"exp"}, now() }, nil))
		}},
		{"token over 8 KiB", protocol.ReasonTokenTooLarge, func(t *testing.T) (*http.Response, []byte, string) {
			tok := forged(t, nil, func(c map[string]any) { c["pad"] = strings.Repeat("a", protocol.MaxTokenSize) })
			if len(tok) <= protocol.MaxTokenSize {
				t.Fatalf("token of %d bytes is not over the limit", len(tok))
			}
			return get(t, tok)
		}},
		{"malformed compact serialisation", protocol.ReasonMalformed, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, "not-a-compact-jws")
		}},
		{"four parts", protocol.ReasonMalformed, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, nil)+".AAAA")
		}},
		{"claims not JSON", protocol.ReasonMalformed, func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, key.craftPayload(t, key.header(), []byte("not json")))
		}},
		{"missing Authorization header", "missing_token", func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, "")
		}},
		{"Basic instead of Bearer", "missing_token", func(t *testing.T) (*http.Response, []byte, string) {
			resp, body := tb.send(t, http.MethodGet, whoami, "", nil, http.Header{"Authorization": {"Basic a2I6a2I="}})
			return resp, body, ""
		}},
		{"role the partner may not use", "role_not_allowed", func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["role"] = "operator" }))
		}},
		{"role that does not exist", "role_not_allowed", func(t *testing.T) (*http.Response, []byte, string) {
			return get(t, forged(t, nil, func(c map[string]any) { c["role"] = "admin" }))
		}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			before := metricValue(t, tb.metrics(t), refusalSeries(a.reason))
			resp, body, token := a.do(t)
			status := http.StatusUnauthorized
			if a.reason == protocol.ReasonPartnerSuspended {
				status = http.StatusForbidden // PROTOCOL.md section 5
			}
			p := expectProblem(t, resp, body, status, "token_"+a.reason)
			if p.Type != "urn:ketenbrug:problem:token_"+a.reason {
				t.Errorf("type %q", p.Type)
			}
			tb.verifyResponse(t, resp, body, token)
			line := tb.waitLog(t, p.RequestID, p.Code)
			if line["status"] != nil && line["status"] != float64(status) {
				t.Errorf("log line status %v", line["status"])
			}
			if after := metricValue(t, tb.metrics(t), refusalSeries(a.reason)); after != before+1 {
				t.Errorf("%s went from %v to %v, want +1", refusalSeries(a.reason), before, after)
			}
		})
	}
	// The suspended partner comes back.
	if err := tb.operator.JSON(ctx, http.MethodPost, "/v1/partners/"+susp+"/activate", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	if resp, body := tb.send(t, http.MethodGet, whoami, suspKey.sign(t, susp, "connector", http.MethodGet, whoami, nil), nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("reactivated partner: %d %s", resp.StatusCode, body)
	}

	for _, k := range []*testKey{esKey, psKey, key} {
		t.Run(k.alg+" token is accepted", func(t *testing.T) {
			tok := k.sign(t, map[*testKey]string{esKey: multi, psKey: multi, key: partner}[k], "connector", http.MethodGet, whoami, nil)
			resp, body := tb.send(t, http.MethodGet, whoami, tok, nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			tb.verifyResponse(t, resp, body, tok)
			var me broker.Whoami
			if err := json.Unmarshal(body, &me); err != nil {
				t.Fatal(err)
			}
			if me.Role != broker.RoleConnector || me.Sub != "tester" {
				t.Errorf("whoami %+v", me)
			}
		})
	}
}
