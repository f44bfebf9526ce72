package policy

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	kbrego "github.com/ketenbrug/ketenbrug/rego"
)

func BenchmarkZZParts(b *testing.B) {
	raw, _ := Pack(kbrego.Bundle)
	l, _, err := load(context.Background(), raw)
	if err != nil {
		b.Fatal(err)
	}
	in := inputValue(overviewInput())
	qs := strings.Split(os.Getenv("QS"), "\n")
	for i, q := range qs {
		if q == "" {
			continue
		}
		pq, err := rego.New(rego.Query(q), rego.Compiler(l.compiler), rego.Store(l.store)).PrepareForEval(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(rune('A'+i)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pq.Eval(context.Background(), rego.EvalParsedInput(in)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
