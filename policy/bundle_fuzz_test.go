package policy

import (
	"context"
	"errors"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// FuzzLoadBundle feeds arbitrary uploads to the bundle reader a policy
// push goes through: it never panics, and whatever it refuses is refused
// as invalid input (a 422 for the privacy officer, not a 500).
func FuzzLoadBundle(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("not a tarball"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00})
	f.Add(pack(f, map[string]string{"p.rego": minimalPolicy, "p_test.rego": minimalTest}))
	f.Add(pack(f, map[string]string{"p.rego": "package ketenbrug\n\ndecision := {"}))
	f.Add(pack(f, map[string]string{"data.json": `{"ketenbrug_config": {}}`, "p.rego": "package other\n\nx := 1\n"}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 1<<16 {
			return
		}
		_, _, err := load(context.Background(), raw)
		if err != nil && !errors.Is(err, broker.ErrInvalid) {
			t.Fatalf("refused, but not as invalid input: %v", err)
		}
	})
}
