package protocol_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// A partner signs a request; the broker verifies it.
func Example() {
	ctx := context.Background()

	// Partner side, once: make a key and register its public JWKS.
	key, _ := protocol.GenerateKey(protocol.AlgEdDSA)
	signer, _ := protocol.NewSigner(key)
	jwks, _ := protocol.PublicSet(key)

	// Broker side, when the partner is registered.
	partnerKeys, err := protocol.NewKeySet(jwks)
	if err != nil {
		fmt.Println("refused JWKS:", err)
		return
	}
	start := time.Now().Add(-time.Minute)
	verifier, _ := protocol.NewVerifier(protocol.VerifierConfig{
		Audience:  "kb-utrecht",
		Keys:      protocol.StaticKeys{"gem-leusden": partnerKeys},
		Replay:    protocol.NewMemoryReplayCache(),
		NotBefore: start,
	})

	// Partner side, per request.
	body := []byte(`{"service":"schuldregeling"}`)
	now := time.Now()
	token, _ := signer.SignRequest(protocol.Claims{
		Issuer:   "gem-leusden",
		Subject:  "c.devries",
		Audience: "kb-utrecht",
		IssuedAt: now,
		Expiry:   now.Add(time.Minute),
		ID:       protocol.NewJTI(),
		Method:   "PUT",
		URI:      "/v1/involvements/inv-42",
		BodyHash: protocol.BodyHash(body),
		Role:     "connector",
	})
	// ... sent as "Authorization: Bearer " + token

	// Broker side, per request.
	req := protocol.Request{Method: "PUT", URI: "/v1/involvements/inv-42", BodyHash: protocol.BodyHash(body)}
	claims, err := verifier.Verify(ctx, token, req)
	fmt.Println("accepted:", claims.Issuer, claims.Subject, claims.Role, err)

	// The same token again is a replay.
	_, err = verifier.Verify(ctx, token, req)
	fmt.Println("again:", protocol.Reason(err), errors.Is(err, protocol.ErrReplayed))
	// Output:
	// accepted: gem-leusden c.devries connector <nil>
	// again: replayed true
}

// The broker signs every response; the SDK checks the signature.
func ExampleResponseVerifier_VerifyResponse() {
	ctx := context.Background()
	brokerKey, _ := protocol.GenerateKey("")
	brokerSigner, _ := protocol.NewSigner(brokerKey)
	brokerJWKS, _ := protocol.PublicSet(brokerKey) // served at /.well-known/jwks.json

	// Broker: answer the request with jti requestJTI from gem-leusden.
	const requestJTI = "0cW4bZgkQ5mB3vT9xY2a1Q"
	body := []byte(`{"involvements":[]}`)
	sig, _ := brokerSigner.SignResponse(protocol.ResponseClaims{
		Issuer:   "kb-utrecht",
		Audience: "gem-leusden",
		IssuedAt: time.Now(),
		Request:  requestJTI,
		Status:   200,
		BodyHash: protocol.BodyHash(body),
	})
	// ... sent as header protocol.SignatureHeader: sig

	// SDK: verify against the broker's JWKS.
	keys, _ := protocol.NewKeySet(brokerJWKS)
	rv, _ := protocol.NewResponseVerifier(protocol.ResponseVerifierConfig{
		Broker:  "kb-utrecht",
		Partner: "gem-leusden",
		Keys:    protocol.StaticKeys{"kb-utrecht": keys},
	})
	_, err := rv.VerifyResponse(ctx, sig, protocol.Response{RequestID: requestJTI, Status: 200, BodyHash: protocol.BodyHash(body)})
	fmt.Println("genuine:", err)

	// A body changed in transit is caught.
	_, err = rv.VerifyResponse(ctx, sig, protocol.Response{RequestID: requestJTI, Status: 200, BodyHash: protocol.BodyHash([]byte(`{"involvements":[1]}`))})
	fmt.Println("tampered:", protocol.Reason(err))
	// Output:
	// genuine: <nil>
	// tampered: body_hash_mismatch
}

// A large body (for example an NDJSON caseload sync) is hashed while it
// streams: the token is verified first, the bsh at the end of the body.
func ExampleVerifier_VerifyDeferredBody() {
	ctx := context.Background()
	key, _ := protocol.GenerateKey("")
	signer, _ := protocol.NewSigner(key)
	jwks, _ := protocol.PublicSet(key)
	ks, _ := protocol.NewKeySet(jwks)
	verifier, _ := protocol.NewVerifier(protocol.VerifierConfig{
		Audience:  "kb-utrecht",
		Keys:      protocol.StaticKeys{"uwv": ks},
		Replay:    protocol.NewMemoryReplayCache(),
		NotBefore: time.Now().Add(-time.Minute),
	})

	sent := "{\"ref\":\"a\"}\n{\"ref\":\"b\"}\n"
	now := time.Now()
	token, _ := signer.SignRequest(protocol.Claims{
		Issuer: "uwv", Subject: "sync-job", Audience: "kb-utrecht",
		IssuedAt: now, Expiry: now.Add(time.Minute), ID: protocol.NewJTI(),
		Method: "POST", URI: "/v1/involvements:sync", BodyHash: protocol.BodyHash([]byte(sent)),
		Role: "connector",
	})

	// In the middleware: verify everything but the body.
	claims, err := verifier.VerifyDeferredBody(ctx, token, protocol.Request{Method: "POST", URI: "/v1/involvements:sync", HasBody: true})
	if err != nil {
		fmt.Println(protocol.Reason(err))
		return
	}
	// In the handler: read through the verifier, stage the work, and
	// commit only when Finish says the whole body matched.
	received := strings.Replace(sent, `"b"`, `"c"`, 1) // altered in transit
	body := claims.VerifyBody(strings.NewReader(received))
	lines, _ := io.ReadAll(io.LimitReader(body, 11)) // the first line
	fmt.Printf("staged %q\n", lines)
	fmt.Println("commit?", body.Finish() == nil, protocol.Reason(body.Finish()))
	// Output:
	// staged "{\"ref\":\"a\"}"
	// commit? false body_hash_mismatch
}

// Refusals carry a stable reason code for problem documents and metrics.
func ExampleReason() {
	_, err := protocol.BearerToken("Basic dXNlcjpwYXNz")
	var e *protocol.Error
	if errors.As(err, &e) {
		fmt.Println(e.Reason, errors.Is(err, protocol.ErrMalformed))
	}
	fmt.Println(protocol.Reason(errors.New("store closed")) == "")
	// Output:
	// malformed true
	// true
}
