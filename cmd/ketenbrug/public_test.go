package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/httpapi"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// TestPublicEndpoints checks the endpoints that need no token: they answer,
// carry a verifiable Ketenbrug-Signature and a request id, and say what
// they should.
func TestPublicEndpoints(t *testing.T) {
	tb := newTestBroker(t)
	key := newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "kredietbank", broker.SectorDebt, []broker.Role{broker.RoleConnector}, key)
	// A request with an id in its path, for the metrics below.
	c := tb.client(t, key.identity(t, "kredietbank", "connector", broker.RoleConnector))
	if err := c.JSON(context.Background(), http.MethodGet, "/v1/partners/kredietbank", "", nil, nil); err != nil {
		t.Fatal(err)
	}

	get := func(t *testing.T, path string) []byte {
		t.Helper()
		// Ask for the body as is, so that the signature is checked over
		// the bytes sent.
		resp, body := tb.send(t, http.MethodGet, path, "", nil, http.Header{"Accept-Encoding": {"identity"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		if resp.Header.Get(httpapi.RequestIDHeader) == "" {
			t.Errorf("GET %s: no request id", path)
		}
		tb.verifyResponse(t, resp, body, "")
		return body
	}
	t.Run("healthz", func(t *testing.T) {
		if body := get(t, "/healthz"); !bytes.Contains(body, []byte(`"ok"`)) {
			t.Errorf("%s", body)
		}
	})
	t.Run("readyz", func(t *testing.T) {
		if body := get(t, "/readyz"); !bytes.Contains(body, []byte(`"ready"`)) {
			t.Errorf("%s", body)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		body := string(get(t, "/metrics"))
		if !strings.Contains(body, `ketenbrug_http_requests_total{method="GET",route="/v1/partners/{id}",status="200"}`) {
			t.Errorf("no request count by route template:\n%s", grepLines(body, "ketenbrug_http_requests_total"))
		}
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "ketenbrug_") && strings.Contains(line, "kredietbank") {
				t.Errorf("a metric label holds a raw id: %s", line)
			}
		}
		if !strings.Contains(body, "ketenbrug_http_request_duration_seconds_bucket") {
			t.Error("no latency histogram")
		}
	})
	t.Run("metrics compressed", func(t *testing.T) {
		// A scraper that takes gzip gets gzip; the signature covers the
		// bytes as sent.
		resp, body := tb.send(t, http.MethodGet, "/metrics", "", nil, http.Header{"Accept-Encoding": {"gzip"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatal(resp.StatusCode)
		}
		tb.verifyResponse(t, resp, body, "")
	})
	t.Run("jwks", func(t *testing.T) {
		body := get(t, "/.well-known/jwks.json")
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(body, &set); err != nil {
			t.Fatal(err)
		}
		if len(set.Keys) == 0 {
			t.Fatal("no keys")
		}
		for _, k := range set.Keys {
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
				if _, ok := k[private]; ok {
					t.Errorf("the broker's JWKS holds private member %q", private)
				}
			}
			if k["kid"] == nil || k["alg"] == nil {
				t.Errorf("key without kid or alg: %v", k)
			}
		}
		if _, err := protocol.ParseKeySet(body); err != nil {
			t.Errorf("the JWKS does not pass the protocol's rules: %v", err)
		}
	})
	t.Run("configuration", func(t *testing.T) {
		body := get(t, protocol.ConfigurationPath)
		var conf httpapi.Configuration
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&conf); err != nil {
			t.Fatal(err)
		}
		want := httpapi.Configuration{ID: testBrokerID, JWKSURI: tb.url + protocol.JWKSPath, Algorithms: protocol.Algorithms,
			MaxTokenLifetimeS: 300, MaxClockSkewS: 30, APIVersion: "v1", Build: buildInfo()}
		if !equalJSON(t, conf, want) {
			t.Errorf("configuration %+v, want %+v", conf, want)
		}
	})
	t.Run("openapi", func(t *testing.T) {
		body := get(t, "/v1/openapi.json")
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.1.") || len(doc.Paths) == 0 {
			t.Errorf("openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
		}
		if !bytes.Equal(body, httpapi.OpenAPI()) {
			t.Error("the served document is not the embedded one")
		}
	})
	t.Run("unknown route", func(t *testing.T) {
		resp, body := tb.send(t, http.MethodGet, "/v1/no-such-thing", "", nil, nil)
		expectProblem(t, resp, body, http.StatusNotFound, "not_found")
		tb.verifyResponse(t, resp, body, "")
	})
	t.Run("method not allowed", func(t *testing.T) {
		resp, body := tb.send(t, http.MethodDelete, "/healthz", "", nil, nil)
		expectProblem(t, resp, body, http.StatusMethodNotAllowed, "method_not_allowed")
		tb.verifyResponse(t, resp, body, "")
	})
	t.Run("method not allowed under v1", func(t *testing.T) {
		resp, body := tb.send(t, http.MethodDelete, "/v1/whoami", "", nil, nil)
		expectProblem(t, resp, body, http.StatusMethodNotAllowed, "method_not_allowed")
		tb.verifyResponse(t, resp, body, "")
	})
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func equalJSON(t testing.TB, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// TestResponseSignatures checks that the SDK refuses a response whose body,
// status or signature was changed on the way.
func TestResponseSignatures(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	key := newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "kredietbank", broker.SectorDebt, []broker.Role{broker.RoleConnector}, key)
	id := key.identity(t, "kredietbank", "connector", broker.RoleConnector)

	t.Run("verifier", func(t *testing.T) {
		tok := key.sign(t, "kredietbank", "connector", http.MethodGet, "/v1/whoami", nil)
		resp, body := tb.send(t, http.MethodGet, "/v1/whoami", tok, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		_, jti := protocol.PeekRequest(tok)
		sig := resp.Header.Get(protocol.SignatureHeader)
		if err := tb.verifySDK(sig, "kredietbank", jti, resp.StatusCode, body); err != nil {
			t.Fatalf("untouched response: %v", err)
		}
		tampered := bytes.Replace(body, []byte(`"connector"`), []byte(`"operator"`), 1)
		if bytes.Equal(tampered, body) {
			t.Fatal("nothing to tamper with")
		}
		cases := []struct {
			name    string
			sig     string
			partner string
			jti     string
			status  int
			body    []byte
			reason  string
		}{
			{"body changed", sig, "kredietbank", jti, resp.StatusCode, tampered, protocol.ReasonBodyHashMismatch},
			{"body dropped", sig, "kredietbank", jti, resp.StatusCode, nil, protocol.ReasonBodyHashMismatch},
			{"status changed", sig, "kredietbank", jti, http.StatusCreated, body, protocol.ReasonStatusMismatch},
			{"answer to another request", sig, "kredietbank", protocol.NewJTI(), resp.StatusCode, body, protocol.ReasonRequestMismatch},
			{"answer to another partner", sig, "cjg", jti, resp.StatusCode, body, protocol.ReasonAudienceMismatch},
			{"signature changed", sig[:len(sig)-12] + flip(sig[len(sig)-12:len(sig)-8]) + sig[len(sig)-8:], "kredietbank", jti, resp.StatusCode, body, protocol.ReasonBadSignature},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := tb.verifySDK(c.sig, c.partner, c.jti, c.status, c.body)
				if got := protocol.Reason(err); got != c.reason {
					t.Errorf("reason %q (%v), want %q", got, err, c.reason)
				}
			})
		}
	})

	// A proxy between the SDK and the broker that changes what /v1/
	// answers.
	proxy := func(t *testing.T, change func(*http.Response, []byte) []byte) *connectors.Client {
		target, err := url.Parse(tb.url)
		if err != nil {
			t.Fatal(err)
		}
		rp := httputil.NewSingleHostReverseProxy(target)
		rp.ModifyResponse = func(resp *http.Response) error {
			if !strings.HasPrefix(resp.Request.URL.Path, "/v1/") {
				return nil
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			body = change(resp, body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		}
		srv := httptest.NewServer(rp)
		t.Cleanup(srv.Close)
		c, err := connectors.New(connectors.Config{Server: srv.URL, Identity: id, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("through an honest proxy", func(t *testing.T) {
		c := proxy(t, func(_ *http.Response, b []byte) []byte { return b })
		var me broker.Whoami
		if err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, &me); err != nil {
			t.Fatal(err)
		}
		if me.Partner != "kredietbank" {
			t.Errorf("whoami %+v", me)
		}
	})
	t.Run("body changed by a proxy", func(t *testing.T) {
		c := proxy(t, func(_ *http.Response, b []byte) []byte {
			return bytes.Replace(b, []byte(`"connector"`), []byte(`"operator"`), 1)
		})
		err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil)
		if !errors.Is(err, connectors.ErrUnverifiedResponse) {
			t.Errorf("want ErrUnverifiedResponse, got %v", err)
		}
	})
	t.Run("problem changed by a proxy", func(t *testing.T) {
		c := proxy(t, func(_ *http.Response, b []byte) []byte {
			return bytes.Replace(b, []byte(`"forbidden"`), []byte(`"not_found"`), 1)
		})
		err := c.JSON(ctx, http.MethodGet, "/v1/partners", "", nil, nil) // 403 for a connector
		if !errors.Is(err, connectors.ErrUnverifiedResponse) {
			t.Errorf("want ErrUnverifiedResponse, got %v", err)
		}
	})
	t.Run("signature removed by a proxy", func(t *testing.T) {
		c := proxy(t, func(r *http.Response, b []byte) []byte {
			r.Header.Del(protocol.SignatureHeader)
			return b
		})
		err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil)
		if !errors.Is(err, connectors.ErrUnverifiedResponse) {
			t.Errorf("want ErrUnverifiedResponse, got %v", err)
		}
	})
	t.Run("signature of another response", func(t *testing.T) {
		var last string
		c := proxy(t, func(r *http.Response, b []byte) []byte {
			if last != "" {
				r.Header.Set(protocol.SignatureHeader, last)
			}
			last = r.Header.Get(protocol.SignatureHeader)
			return b
		})
		if err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil); err != nil {
			t.Fatal(err)
		}
		err := c.JSON(ctx, http.MethodGet, "/v1/whoami", "", nil, nil)
		if !errors.Is(err, connectors.ErrUnverifiedResponse) {
			t.Errorf("want ErrUnverifiedResponse, got %v", err)
		}
	})
}

// flip changes every character of s to another base64url character.
func flip(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}
