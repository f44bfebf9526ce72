// Package load is the closed loop of the load tool (cmd/ketenbrug-bench):
// concurrent partner identities of a synthetic data set (package dataset)
// sending signed requests to a broker over HTTP with keep-alive — household
// overviews, involvement upserts and consents in a chosen mix — with every
// n-th response's signature checked by protocol.ResponseVerifier, and the
// latency and status of every request counted.
//
// The tool drives it against a broker it starts or one already running;
// cmd/ketenbrug's soak test drives it against a broker in its own process.
package load

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// Target is the broker under load and what the clients need of it.
type Target struct {
	// URL is the broker's base URL.
	URL string
	// BrokerID is the broker's id: the audience of request tokens and the
	// issuer of response tokens.
	BrokerID string
	// Dataset is the data set the broker holds.
	Dataset *dataset.Dataset
	// TokenLifetime is the lifetime of the load's request tokens (0: one
	// minute). The broker remembers every jti until its token expires, so
	// the soak test shortens it to reach a steady state sooner.
	TokenLifetime time.Duration

	signers   map[string]*protocol.Signer           // partner id → signer with the data set's key
	verifiers map[string]*protocol.ResponseVerifier // partner id → checks responses to it (nil: not checked)
}

// NewTarget prepares a request signer for every partner of ds and, when
// brokerKeys (the broker's public JWKS) is given, a response verifier.
func NewTarget(url, brokerID string, ds *dataset.Dataset, brokerKeys jwk.Set) (*Target, error) {
	t := &Target{URL: url, BrokerID: brokerID, Dataset: ds, signers: map[string]*protocol.Signer{}}
	var keys protocol.KeyResolver
	if brokerKeys != nil {
		ks, err := protocol.NewKeySet(brokerKeys)
		if err != nil {
			return nil, fmt.Errorf("the broker's keys: %w", err)
		}
		keys = protocol.StaticKeys{brokerID: ks}
		t.verifiers = map[string]*protocol.ResponseVerifier{}
	}
	for _, ps := range [][]dataset.Partner{ds.Municipalities(), ds.ChainPartners()} {
		for _, p := range ps {
			s, err := partnerSigner(p)
			if err != nil {
				return nil, fmt.Errorf("partner %s: %w", p.ID, err)
			}
			t.signers[p.ID] = s
			if keys != nil {
				if t.verifiers[p.ID], err = protocol.NewResponseVerifier(protocol.ResponseVerifierConfig{
					Broker: brokerID, Partner: p.ID, Keys: keys}); err != nil {
					return nil, err
				}
			}
		}
	}
	return t, nil
}

// partnerSigner returns a request signer with the data set's key of p.
func partnerSigner(p dataset.Partner) (*protocol.Signer, error) {
	key, err := PartnerKey(p)
	if err != nil {
		return nil, err
	}
	return protocol.NewSigner(key)
}

// PartnerKey returns the data set's private key of p as a JWK, with the
// key id and algorithm its public half was registered under.
func PartnerKey(p dataset.Partner) (jwk.Key, error) {
	key, err := jwk.Import(p.Key)
	if err != nil {
		return nil, err
	}
	if err := key.Set(jwk.KeyIDKey, p.KeyID); err != nil {
		return nil, err
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.EdDSA()); err != nil {
		return nil, err
	}
	return key, nil
}

// NewHTTPClient returns a keep-alive client for conns concurrent callers.
func NewHTTPClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = conns*2, conns*2, 0
	tr.DisableCompression = true
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// Request is one signed request of a partner of the data set.
type Request struct {
	Partner, Sub string
	Role         broker.Role
	Method, Path string
	Purpose      string
	Body         []byte
	// ContentType is the body's media type (default application/json).
	ContentType string

	keep *[]byte // set by Call: where the response's body goes
}

// Call signs and sends one request and returns its status and the
// response's body.
func (t *Target) Call(ctx context.Context, cl *http.Client, r Request) (int, []byte, error) {
	var body []byte
	r.keep = &body
	st, _, err := t.Do(ctx, cl, r, false)
	return st, body, err
}

// Send signs and sends one request and returns its status; the body is
// read and dropped.
func (t *Target) Send(ctx context.Context, cl *http.Client, r Request) (int, error) {
	st, _, err := t.Do(ctx, cl, r, false)
	return st, err
}

// Do sends one request; with verify it checks the response's signature
// (when the target has the broker's keys) and reports whether it held.
func (t *Target) Do(ctx context.Context, cl *http.Client, r Request, verify bool) (status int, sigOK bool, err error) {
	s := t.signers[r.Partner]
	if s == nil {
		return 0, false, fmt.Errorf("partner %s is not in the data set", r.Partner)
	}
	now := time.Now()
	claims := protocol.Claims{Issuer: r.Partner, Subject: r.Sub, Audience: t.BrokerID, IssuedAt: now,
		Expiry: now.Add(cmp.Or(t.TokenLifetime, time.Minute)), ID: protocol.NewJTI(), Method: r.Method, URI: r.Path,
		Role: string(r.Role), Purpose: r.Purpose}
	if len(r.Body) > 0 {
		claims.BodyHash = protocol.BodyHash(r.Body)
	}
	tok, err := s.SignRequest(claims)
	if err != nil {
		return 0, false, err
	}
	var rd io.Reader = http.NoBody
	if len(r.Body) > 0 {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, t.URL+r.Path, rd)
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if len(r.Body) > 0 {
		req.Header.Set("Content-Type", cmp.Or(r.ContentType, "application/json"))
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, false, err
	}
	v := t.verifiers[r.Partner]
	var body []byte
	if verify && v != nil || r.keep != nil {
		body, err = io.ReadAll(resp.Body)
		if r.keep != nil {
			*r.keep = body
		}
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	if err != nil {
		return 0, false, err
	}
	if !verify || v == nil {
		return resp.StatusCode, true, nil
	}
	got := protocol.Response{RequestID: claims.ID, Status: resp.StatusCode}
	if len(body) > 0 {
		got.BodyHash = protocol.BodyHash(body)
	}
	_, err = v.VerifyResponse(ctx, resp.Header.Get(protocol.SignatureHeader), got)
	return resp.StatusCode, err == nil, nil
}
