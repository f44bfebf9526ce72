package boltstore

import "testing"

// TestBind: the first fingerprint binds the store; the same one is
// accepted after reopening, another refused.
func TestBind(t *testing.T) {
	s := openTest(t, Config{})
	if ok, err := s.Bind("key:a secret:b"); !ok || err != nil {
		t.Fatalf("first bind: %v, %v", ok, err)
	}
	if ok, err := s.Bind("key:a secret:b"); !ok || err != nil {
		t.Fatalf("the same binding: %v, %v", ok, err)
	}
	for _, other := range []string{"key:a secret:c", "key:x secret:b", ""} {
		if ok, err := s.Bind(other); ok || err != nil {
			t.Errorf("another binding %q: %v, %v", other, ok, err)
		}
	}
}
