package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// partnerRequest is a valid registration of id with the keys' public JWKS.
func partnerRequest(id string, jwks json.RawMessage) map[string]any {
	return map[string]any{"id": id, "name": "Partner " + id, "sector": "education", "roles": []string{"connector"},
		"level": 2, "municipalities": []string{"gem-test"}, "covenant": "2026-1", "jwks": jwks}
}

// partnerIDs lists the registered partners' ids, as the operator sees them.
func partnerIDs(t testing.TB, op *connectors.Client) []string {
	t.Helper()
	var list struct {
		Partners []broker.Partner `json:"partners"`
	}
	if err := op.JSON(context.Background(), http.MethodGet, "/v1/partners", "", nil, &list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range list.Partners {
		ids = append(ids, p.ID)
	}
	return ids
}

// TestPartnerRegistry drives the partner registry through the SDK:
// registration (operators only), duplicates, refused key sets, key
// rotation, suspension, listing and visibility.
func TestPartnerRegistry(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	op := tb.operator
	connKey := newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "kredietbank", broker.SectorDebt, []broker.Role{broker.RoleConnector}, connKey)
	conn := tb.client(t, connKey.identity(t, "kredietbank", "connector", broker.RoleConnector))

	schoolKey := newTestKey(t, protocol.AlgEdDSA)
	t.Run("a connector cannot register", func(t *testing.T) {
		err := conn.JSON(ctx, http.MethodPost, "/v1/partners", "", partnerRequest("school-x", jwksOf(t, schoolKey)), nil)
		if pe := problemOf(t, err); pe.Status != http.StatusForbidden || pe.Code != "forbidden" {
			t.Errorf("%v", pe)
		}
	})
	t.Run("the operator registers", func(t *testing.T) {
		var p broker.Partner
		if err := op.JSON(ctx, http.MethodPost, "/v1/partners", "", partnerRequest("school-a", jwksOf(t, schoolKey)), &p); err != nil {
			t.Fatal(err)
		}
		if p.ID != "school-a" || p.Status != broker.PartnerActive || p.Revision != 1 || p.CreatedAt.IsZero() {
			t.Errorf("registered %+v", p)
		}
	})
	t.Run("duplicate id", func(t *testing.T) {
		err := op.JSON(ctx, http.MethodPost, "/v1/partners", "", partnerRequest("school-a", jwksOf(t, newTestKey(t, ""))), nil)
		if pe := problemOf(t, err); pe.Status != http.StatusConflict || pe.Code != "conflict" {
			t.Errorf("%v", pe)
		}
	})

	// Key sets the protocol refuses.
	private, err := json.Marshal(map[string]any{"keys": []jwk.Key{schoolKey.key}})
	if err != nil {
		t.Fatal(err)
	}
	oct, err := jwk.Import([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	_ = oct.Set(jwk.KeyIDKey, "hmac-1")
	_ = oct.Set(jwk.AlgorithmKey, jwa.HS256())
	octJWKS, _ := json.Marshal(map[string]any{"keys": []jwk.Key{oct}})
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakKey, err := jwk.Import(&weak.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_ = weakKey.Set(jwk.KeyIDKey, "rsa-1024")
	_ = weakKey.Set(jwk.AlgorithmKey, jwa.RS256())
	weakJWKS, _ := json.Marshal(map[string]any{"keys": []jwk.Key{weakKey}})
	for _, c := range []struct {
		name string
		jwks json.RawMessage
	}{
		{"JWKS with a private key", private},
		{"JWKS with an oct key", octJWKS},
		{"JWKS with an RSA-1024 key", weakJWKS},
		{"JWKS without keys", json.RawMessage(`{"keys":[]}`)},
		{"JWKS that is not one", json.RawMessage(`{"kty":"OKP"}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := "bad-" + strings.ReplaceAll(strings.ToLower(c.name[10:]), " ", "-")
			err := op.JSON(ctx, http.MethodPost, "/v1/partners", "", partnerRequest(id, c.jwks), nil)
			pe := problemOf(t, err)
			if pe.Status != http.StatusUnprocessableEntity || pe.Code != "invalid_input" || pe.Field != "jwks" {
				t.Errorf("%v (field %q)", pe, pe.Field)
			}
			if slices.Contains(partnerIDs(t, op), id) {
				t.Errorf("%s was stored", id)
			}
			// Nor may a rotation install it.
			err = op.JSON(ctx, http.MethodPut, "/v1/partners/school-a/keys", "", map[string]any{"jwks": c.jwks}, nil)
			if pe := problemOf(t, err); pe.Status != http.StatusUnprocessableEntity || pe.Field != "jwks" {
				t.Errorf("rotation: %v (field %q)", pe, pe.Field)
			}
		})
	}

	// whoami as the school with key k.
	whoami := func(k *testKey) error {
		return tb.client(t, k.identity(t, "school-a", "connector", broker.RoleConnector)).JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil)
	}
	t.Run("key rotation", func(t *testing.T) {
		newKey := newTestKey(t, protocol.AlgES256)
		if err := whoami(schoolKey); err != nil {
			t.Fatalf("old key before rotation: %v", err)
		}
		if err := whoami(newKey); problemOf(t, err).Code != "token_unknown_key" {
			t.Fatalf("new key before rotation: %v", err)
		}
		var p broker.Partner
		if err := op.JSON(ctx, http.MethodPut, "/v1/partners/school-a/keys", "", map[string]any{"jwks": jwksOf(t, schoolKey, newKey)}, &p); err != nil {
			t.Fatal(err)
		}
		if p.Revision != 2 {
			t.Errorf("revision %d after adding a key", p.Revision)
		}
		for name, k := range map[string]*testKey{"old": schoolKey, "new": newKey} {
			if err := whoami(k); err != nil {
				t.Errorf("%s key during rotation: %v", name, err)
			}
		}
		if err := op.JSON(ctx, http.MethodPut, "/v1/partners/school-a/keys", "", map[string]any{"jwks": jwksOf(t, newKey)}, nil); err != nil {
			t.Fatal(err)
		}
		if err := whoami(schoolKey); problemOf(t, err).Code != "token_unknown_key" {
			t.Errorf("old key after rotation: %v", err)
		}
		if err := whoami(newKey); err != nil {
			t.Errorf("new key after rotation: %v", err)
		}
		schoolKey = newKey
	})
	t.Run("suspend and activate", func(t *testing.T) {
		var p broker.Partner
		if err := op.JSON(ctx, http.MethodPost, "/v1/partners/school-a/suspend", "", nil, &p); err != nil {
			t.Fatal(err)
		}
		if p.Status != broker.PartnerSuspended {
			t.Errorf("status %s", p.Status)
		}
		if err := whoami(schoolKey); problemOf(t, err).Code != "token_partner_suspended" {
			t.Errorf("suspended: %v", err)
		}
		if err := op.JSON(ctx, http.MethodPost, "/v1/partners/school-a/activate", "", nil, &p); err != nil {
			t.Fatal(err)
		}
		if p.Status != broker.PartnerActive {
			t.Errorf("status %s", p.Status)
		}
		if err := whoami(schoolKey); err != nil {
			t.Errorf("reactivated: %v", err)
		}
		err := op.JSON(ctx, http.MethodPost, "/v1/partners/"+operatorID+"/suspend", "", nil, nil)
		if pe := problemOf(t, err); pe.Status != http.StatusConflict {
			t.Errorf("the operator suspended itself: %v", pe)
		}
		err = conn.JSON(ctx, http.MethodPost, "/v1/partners/school-a/suspend", "", nil, nil)
		if pe := problemOf(t, err); pe.Status != http.StatusForbidden {
			t.Errorf("a connector suspended a partner: %v", pe)
		}
		err = op.JSON(ctx, http.MethodPost, "/v1/partners/no-such-partner/suspend", "", nil, nil)
		if pe := problemOf(t, err); pe.Status != http.StatusNotFound {
			t.Errorf("suspending an unknown partner: %v", pe)
		}
	})
	t.Run("update", func(t *testing.T) {
		req := partnerRequest("school-a", nil)
		delete(req, "jwks")
		req["name"] = "Basisschool De Regenboog"
		var p broker.Partner
		if err := op.JSON(ctx, http.MethodPut, "/v1/partners/school-a", "", req, &p); err != nil {
			t.Fatal(err)
		}
		if p.Name != "Basisschool De Regenboog" || p.Status != broker.PartnerActive || len(p.JWKS) == 0 {
			t.Errorf("updated %+v", p)
		}
		req["jwks"] = jwksOf(t, newTestKey(t, ""))
		if pe := problemOf(t, op.JSON(ctx, http.MethodPut, "/v1/partners/school-a", "", req, nil)); pe.Field != "jwks" {
			t.Errorf("keys changed through update: %v", pe)
		}
		delete(req, "jwks")
		req["id"] = "school-b"
		if pe := problemOf(t, op.JSON(ctx, http.MethodPut, "/v1/partners/school-a", "", req, nil)); pe.Field != "id" {
			t.Errorf("id differing from the path: %v", pe)
		}
	})
	t.Run("list and show", func(t *testing.T) {
		ids := partnerIDs(t, op)
		for _, want := range []string{operatorID, "kredietbank", "school-a"} {
			if !slices.Contains(ids, want) {
				t.Errorf("list lacks %s: %v", want, ids)
			}
		}
		if !slices.IsSorted(ids) {
			t.Errorf("list not sorted: %v", ids)
		}
		var p broker.Partner
		if err := op.JSON(ctx, http.MethodGet, "/v1/partners/school-a", "", nil, &p); err != nil {
			t.Fatal(err)
		}
		if p.ID != "school-a" || !bytes.Contains(p.JWKS, []byte(schoolKey.kid)) {
			t.Errorf("show %+v", p)
		}
		if pe := problemOf(t, op.JSON(ctx, http.MethodGet, "/v1/partners/no-such-partner", "", nil, nil)); pe.Status != http.StatusNotFound {
			t.Errorf("unknown partner: %v", pe)
		}
	})
	t.Run("a non-operator sees only its own partner", func(t *testing.T) {
		var p broker.Partner
		if err := conn.JSON(ctx, http.MethodGet, "/v1/partners/kredietbank", "", nil, &p); err != nil {
			t.Fatal(err)
		}
		if p.ID != "kredietbank" {
			t.Errorf("own partner %+v", p)
		}
		if pe := problemOf(t, conn.JSON(ctx, http.MethodGet, "/v1/partners/school-a", "", nil, nil)); pe.Status != http.StatusNotFound {
			t.Errorf("another partner: %v", pe)
		}
		if pe := problemOf(t, conn.JSON(ctx, http.MethodGet, "/v1/partners", "", nil, nil)); pe.Status != http.StatusForbidden {
			t.Errorf("list: %v", pe)
		}
		if pe := problemOf(t, conn.JSON(ctx, http.MethodGet, "/v1/backup", "", nil, nil)); pe.Status != http.StatusForbidden {
			t.Errorf("backup: %v", pe)
		}
	})
	t.Run("backup", func(t *testing.T) {
		resp, err := op.Do(ctx, connectors.Request{Method: http.MethodGet, Path: "/v1/backup"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Type") != "application/octet-stream" || len(resp.Body) < 4096 {
			t.Errorf("backup: %s, %d bytes", resp.Header.Get("Content-Type"), len(resp.Body))
		}
	})
}

// TestBadInput sends malformed bodies and paths: each gets a 4xx problem
// naming the field where there is one, and nothing is stored.
func TestBadInput(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	op := tb.operator
	jwks := string(jwksOf(t, newTestKey(t, "")))
	valid := func(id string) string {
		return `{"id":"` + id + `","name":"Partner","sector":"education","roles":["connector"],"level":2,"jwks":` + jwks
	}
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   string
		field  string
	}{
		{"unknown JSON field", "POST", "/v1/partners", valid("unknown-a") + `,"colour":"red"}`, 400, "malformed_body", "colour"},
		{"duplicate key", "POST", "/v1/partners", valid("dup-a") + `,"id":"dup-b"}`, 400, "malformed_body", "id"},
		{"duplicate key in a nested object", "POST", "/v1/partners", `{"id":"dup-c","name":"P","sector":"education","roles":["connector"],"level":2,"jwks":{"keys":[],"keys":[]}}`, 400, "malformed_body", "keys"},
		{"trailing data", "POST", "/v1/partners", valid("trailing-a") + `}{}`, 400, "malformed_body", ""},
		{"two values", "POST", "/v1/partners", valid("trailing-b") + `} "x"`, 400, "malformed_body", ""},
		{"wrong type", "POST", "/v1/partners", `{"id":"wrong-type-a","name":"P","sector":"education","roles":["connector"],"level":"two","jwks":` + jwks + `}`, 400, "malformed_body", "level"},
		{"not JSON", "POST", "/v1/partners", `id=not-json-a`, 400, "malformed_body", ""},
		{"empty body", "POST", "/v1/partners", ``, 400, "malformed_body", ""},
		{"invalid id in the body", "POST", "/v1/partners", valid("Not_Valid") + `}`, 422, "invalid_input", "id"},
		{"unknown sector", "POST", "/v1/partners", strings.Replace(valid("sector-a"), "education", "banking", 1) + `}`, 422, "invalid_input", "sector"},
		{"level out of range", "POST", "/v1/partners", strings.Replace(valid("level-a"), `"level":2`, `"level":7`, 1) + `}`, 422, "invalid_input", "level"},
		{"invalid path id", "GET", "/v1/partners/Not_Valid", "", 422, "invalid_input", "id"},
		{"invalid path id on a write", "POST", "/v1/partners/Not_Valid/suspend", "", 422, "invalid_input", "id"},
		{"invalid consent id", "POST", "/v1/consents/C.1!/withdraw", "", 422, "invalid_input", "id"},
		{"invalid policy version", "GET", "/v1/policies/not-hex", "", 422, "invalid_input", "version"},
		{"invalid query parameter", "GET", "/v1/audit?limit=lots", "", 422, "invalid_input", "limit"},
		{"query parameter out of range", "GET", "/v1/audit?limit=100000", "", 422, "invalid_input", "limit"},
		{"bundle of the wrong media type", "POST", "/v1/policies", `{"not":"a bundle"}`, 415, "unsupported_media_type", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := connectors.Request{Method: c.method, Path: c.path, Body: []byte(c.body)}
			_, err := op.Do(ctx, req)
			pe := problemOf(t, err)
			if pe.Status != c.status || pe.Code != c.code || pe.Field != c.field {
				t.Errorf("got %d %s field %q, want %d %s field %q (%s)", pe.Status, pe.Code, pe.Field, c.status, c.code, c.field, pe.Detail)
			}
			if pe.RequestID == "" || pe.Title == "" || pe.Type == "" {
				t.Errorf("incomplete problem %+v", pe)
			}
		})
	}
	t.Run("oversized body", func(t *testing.T) {
		body := []byte(valid("big-a") + `,"name2":"` + strings.Repeat("x", 1<<20) + `"}`)
		_, err := op.Do(ctx, connectors.Request{Method: http.MethodPost, Path: "/v1/partners", Body: body})
		if pe := problemOf(t, err); pe.Status != http.StatusRequestEntityTooLarge || pe.Code != "too_large" {
			t.Errorf("%v", pe)
		}
	})
	t.Run("oversized body with a refused token", func(t *testing.T) {
		// The token is checked before the body is read: without a valid
		// one, the broker reads nothing.
		rogue := newTestKey(t, protocol.AlgEdDSA)
		body := bytes.Repeat([]byte("x"), 4<<20)
		tok := rogue.craft(t, rogue.header(), claimsFor(operatorID, "operator", http.MethodPost, "/v1/partners", body))
		resp, out := tb.send(t, http.MethodPost, "/v1/partners", tok, body, nil)
		expectProblem(t, resp, out, http.StatusUnauthorized, "token_unknown_key")
		tb.verifyResponse(t, resp, out, tok)
	})
	t.Run("nothing stored", func(t *testing.T) {
		ids := partnerIDs(t, op)
		if len(ids) != 1 || ids[0] != operatorID {
			t.Errorf("partners after bad input: %v", ids)
		}
	})
}
