package protocol

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jws/jwsbb"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Benchmarks. The development machine (2 vCPU "Intel Xeon Processor",
// shared with other jobs) makes wall-clock ns/op swing by 2x, so the
// benchmarks also report process CPU time per operation (cpu-ns/op,
// from getrusage), which is what bounds throughput. Figures of
// go test -bench . -benchmem on Go 1.26 (Ed25519 verification alone costs
// about 77 µs of CPU there, slower than on current hardware):
//
//	                                   cpu-ns/op   allocs/op
//	BenchmarkVerify/EdDSA                 78 000       9   ~12.8k/s per core, ~25k/s on 2 cores
//	BenchmarkVerify/EdDSA-parallel        86 000       9   (43 µs wall/op on 2 cores: ~23k/s)
//	BenchmarkVerify/ES256                112 000      20   ~9k/s per core
//	BenchmarkVerify/PS256 (RSA 2048)      55 000      23
//	BenchmarkVerify/RS256 (RSA 2048)      55 000      18
//	BenchmarkSignRequest/EdDSA            38 000       6
//	BenchmarkSignRequest/ES256            60 000      69
//	BenchmarkSignResponse (EdDSA)         41 000       6
//	BenchmarkVerifyResponse (EdDSA)       76 000       9
//	refusal before the key lookup      3 000-6 000 ns wall, 12-13 allocs
//
// BenchmarkSignatureBackends justifies checking signatures with the
// standard library on a prepared key rather than through jwx (the same
// EdDSA token; "protocol.Verify" is the whole Verify without the replay
// cache):
//
//	                                   cpu-ns/op   allocs/op
//	stdlib ed25519.Verify (used)          77 000       0
//	jwsbb.Verify (jwx low level)          77 000       4
//	jws.Verify + jws.WithKey             105 000     101
//	jwt.Parse + jwt.WithKey              136 000     251
//	protocol.Verify, no replay cache      84 000      11
//
// So everything Verify does besides the Ed25519 arithmetic (size and
// shape checks, strict JSON, key lookup, claim checks) costs a few µs,
// where going through jws.Verify would add ~28 µs and 100 allocations and
// jwt.Parse ~60 µs and 250. jwsbb.Verify would be as fast; the standard
// library is used so that the exact JOSE encodings are visible in
// PublicKey.verify and pinned by TestInteropJWX.

// tokens signs n distinct request tokens for baseRequest.
func benchTokens(b *testing.B, s *Signer, n int) []string {
	b.Helper()
	toks := make([]string, n)
	for i := range toks {
		c := baseClaims()
		var err error
		if toks[i], err = s.SignRequest(c); err != nil {
			b.Fatal(err)
		}
	}
	return toks
}

// BenchmarkVerify measures the complete check of distinct valid tokens,
// replay cache included. Serially, a pool of tokens is cycled with a fresh
// verifier per cycle (RSA signing is too slow to sign b.N tokens); in
// parallel, b.N tokens are signed up front and share one verifier.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	for _, s := range []*Signer{f.ed, f.es, f.ps, f.rs} {
		b.Run(s.alg, func(b *testing.B) {
			pool := benchTokens(b, s, min(b.N, 2048))
			v := f.verifier(b)
			req := baseRequest()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := range b.N {
				if i > 0 && i%len(pool) == 0 {
					b.StopTimer()
					v = f.verifier(b)
					b.StartTimer()
				}
				if _, err := v.Verify(ctx, pool[i%len(pool)], req); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		if s != f.ed && s != f.es {
			continue
		}
		b.Run(s.alg+"-parallel", func(b *testing.B) {
			toks := benchTokens(b, s, b.N)
			v := f.verifier(b)
			req := baseRequest()
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					if _, err := v.Verify(ctx, toks[i], req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkVerifyRefusal measures refusals an attacker can cause cheaply.
func BenchmarkVerifyRefusal(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	v := f.verifier(b)
	cases := securityCases(b)
	for _, name := range []string{"alg none without signature", "header jwk", "signature by another key under our kid", "token over 8 KiB"} {
		tok := cases[name].token()
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := v.Verify(ctx, tok, baseRequest()); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

func BenchmarkSignatureBackends(b *testing.B) {
	f := newFixture(b)
	for _, s := range []*Signer{f.ed, f.es} {
		tok := benchTokens(b, s, 1)[0]
		tk, e := splitToken(tok, RequestTokenType)
		if e != nil {
			b.Fatal(e)
		}
		key := s.PublicKey()
		alg, _ := jwa.LookupSignatureAlgorithm(s.alg)
		b.Run(s.alg+"/stdlib-prepared-key", func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for range b.N {
				if !key.verify(tk.signingInput, tk.sig) {
					b.Fatal("bad")
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(s.alg+"/jwsbb.Verify", func(b *testing.B) {
			raw := key.CryptoPublicKey()
			b.ReportAllocs()
			cpu := cpuTime()
			for range b.N {
				if err := jwsbb.Verify(raw, s.alg, tk.signingInput, tk.sig); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(s.alg+"/jws.Verify", func(b *testing.B) {
			buf := []byte(tok)
			b.ReportAllocs()
			cpu := cpuTime()
			for range b.N {
				if _, err := jws.Verify(buf, jws.WithKey(alg, key.JWK())); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(s.alg+"/jwt.Parse", func(b *testing.B) {
			buf := []byte(tok)
			b.ReportAllocs()
			cpu := cpuTime()
			for range b.N {
				if _, err := jwt.Parse(buf, jwt.WithKey(alg, key.JWK()), jwt.WithValidate(false)); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(s.alg+"/protocol.Verify-no-replay", func(b *testing.B) {
			v, _ := NewVerifier(VerifierConfig{Audience: testBroker, Keys: f.keys, Replay: nopReplay{}, NotBefore: testStart, Now: fixedClock(testNow)})
			b.ReportAllocs()
			cpu := cpuTime()
			defer reportCPU(b, cpu)
			for range b.N {
				if _, err := v.Verify(context.Background(), tok, baseRequest()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportCPU reports the process CPU time since start per operation.
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

type nopReplay struct{}

func (nopReplay) CheckAndStore(string, string, time.Time) bool { return false }

func BenchmarkSignRequest(b *testing.B) {
	f := newFixture(b)
	for _, s := range []*Signer{f.ed, f.es} {
		b.Run(s.alg, func(b *testing.B) {
			c := baseClaims()
			b.ReportAllocs()
			defer reportCPU(b, cpuTime())
			for range b.N {
				if _, err := s.SignRequest(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSignResponse(b *testing.B) {
	f := newFixture(b)
	r := baseResponse("Vq3Yx8m1T0a6s2Lk9QwE4g")
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for range b.N {
		if _, err := f.broker.SignResponse(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyResponse(b *testing.B) {
	f := newFixture(b)
	const jti = "Vq3Yx8m1T0a6s2Lk9QwE4g"
	tok, _ := f.broker.SignResponse(baseResponse(jti))
	rv := f.responseVerifier(b)
	want := Response{RequestID: jti, Status: 200, BodyHash: BodyHash(testRespBody)}
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for range b.N {
		if _, err := rv.VerifyResponse(context.Background(), tok, want); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplayCache(b *testing.B) {
	c := NewMemoryReplayCache()
	jtis := make([]string, 1<<16)
	for i := range jtis {
		jtis[i] = NewJTI()
	}
	until := time.Now().Add(time.Hour)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			c.CheckAndStore("p", jtis[i&(1<<16-1)]+itoa(i>>16), until)
		}
	})
}
