package policy

import (
	"context"
	"testing"
	"time"

	kbrego "github.com/ketenbrug/ketenbrug/rego"
)

// BenchmarkDecideOverview decides a household overview: a household of
// four, six candidate involvements, realistic consents.
func BenchmarkDecideOverview(b *testing.B) {
	// A generous limit: this measures throughput, and a busy machine may
	// stall one decision past the default 100 ms.
	e, err := New(Config{Default: kbrego.Bundle, Logger: quiet(), Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	in := overviewInput()
	ctx := context.Background()
	if d, err := e.Decide(ctx, in); err != nil || !d.Allow || len(d.Show) != 4 {
		b.Fatalf("%+v %v", d, err)
	}
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Decide(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.Decide(ctx, in); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkInputConversion converts the overview input to an OPA value.
func BenchmarkInputConversion(b *testing.B) {
	in := overviewInput()
	b.ReportAllocs()
	for b.Loop() {
		_ = inputValue(in)
	}
}

// BenchmarkPrepare compiles and prepares the default bundle, as activating
// a version not yet cached does.
func BenchmarkPrepare(b *testing.B) {
	raw, err := Pack(kbrego.Bundle)
	if err != nil {
		b.Fatal(err)
	}
	id := "x"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := build(id, raw); err != nil {
			b.Fatal(err)
		}
	}
}
