package load

import "testing"

func TestParseMix(t *testing.T) {
	for in, want := range map[string]Mix{
		"overview=80,upsert=15,consent=5": {80, 15, 5},
		"100,0,0":                         {100, 0, 0},
		"consent=1":                       {0, 0, 1},
	} {
		got, err := ParseMix(in)
		if err != nil || got != want {
			t.Errorf("ParseMix(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "overview=x", "foo=3", "0,0,0"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}
