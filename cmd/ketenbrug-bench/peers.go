package main

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/load"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
	"github.com/ketenbrug/ketenbrug/policy"
	"github.com/ketenbrug/ketenbrug/rego"
)

// cryptoCeiling measures requests per second on all cores doing only the
// signatures one request needs: the client signs its request token, the
// broker verifies it (with the replay cache) and signs its response.
func cryptoCeiling(ctx context.Context, d time.Duration) (float64, error) {
	ck, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		return 0, err
	}
	bk, err := protocol.GenerateKey(protocol.AlgEdDSA)
	if err != nil {
		return 0, err
	}
	client, err := protocol.NewSigner(ck)
	if err != nil {
		return 0, err
	}
	brokerSigner, err := protocol.NewSigner(bk)
	if err != nil {
		return 0, err
	}
	pub, err := ck.PublicKey()
	if err != nil {
		return 0, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return 0, err
	}
	ks, err := protocol.NewKeySet(set)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	v, err := protocol.NewVerifier(protocol.VerifierConfig{Audience: "ketenbrug-bench", Keys: protocol.StaticKeys{"p": ks}, Replay: protocol.NewMemoryReplayCache(),
		NotBefore: start.Add(-time.Minute)})
	if err != nil {
		return 0, err
	}
	body := []byte(`{"bsn":"123456782","service":"x"}`)
	var n atomic.Int64
	var firstErr atomic.Pointer[error]
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				now := time.Now()
				claims := protocol.Claims{Issuer: "p", Subject: "s", Audience: "ketenbrug-bench", IssuedAt: now,
					Expiry: now.Add(time.Minute), ID: protocol.NewJTI(), Method: http.MethodPut, URI: load.UpsertPath("x"),
					Role: "connector", BodyHash: protocol.BodyHash(body)}
				tok, err := client.SignRequest(claims)
				if err == nil {
					_, err = v.Verify(ctx, tok, protocol.Request{Method: http.MethodPut, URI: load.UpsertPath("x"),
						HasBody: true, BodyHash: protocol.BodyHash(body)})
				}
				if err == nil {
					_, err = brokerSigner.SignResponse(protocol.ResponseClaims{Issuer: "ketenbrug-bench", Audience: "p",
						IssuedAt: now, Request: claims.ID, Status: 200, BodyHash: protocol.BodyHash(body)})
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return 0, *p
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// embeddedPeer decides inputs through the broker's policy engine (the
// same package and built-in bundle the broker runs), in this process, at
// the load's concurrency.
func embeddedPeer(ctx context.Context, inputs []*broker.DecisionInput, c config, res *result) error {
	engine, err := policy.New(policy.Config{Logger: slog.New(slog.DiscardHandler), Timeout: time.Second, Default: rego.Bundle})
	if err != nil {
		return err
	}
	lat := make([][]time.Duration, c.clients)
	deadline := time.Now().Add(c.peerDuration)
	cpu0 := processCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for k := range c.clients {
		wg.Go(func() {
			for i := k; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				in := *inputs[i%len(inputs)]
				t0 := time.Now()
				_, _ = engine.Decide(ctx, &in)
				lat[k] = append(lat[k], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	o := load.NewOpStats("embedded", all, elapsed)
	res.EngineRPS, res.EngineP50, res.EngineP99 = o.RPS, o.P50, o.P99
	if len(all) > 0 {
		res.EngineCPUPerDec = (processCPU() - cpu0) / float64(len(all)) * 1e6
	}
	return nil
}
