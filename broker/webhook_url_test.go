package broker

import (
	"errors"
	"testing"
)

func TestCheckWebhook(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"https://connector.school.example/ketenbrug/inbox", true},
		{"https://connector.example:8443/hook?partner=school", true},
		{"http://127.0.0.1:9000/hook", true},
		{"http://localhost/hook", true},
		{"http://[::1]:9000/hook", true},
		{"http://connector.example/hook", false},
		{"http://10.0.0.5/hook", false},
		{"ftp://connector.example/hook", false},
		{"/relative/hook", false},
		{"https:opaque", false},
		{"https://user:secret@connector.example/hook", false},
		{"https://connector.example/hook#frag", false},
		{"https://", false},
		{"https://connector.example/" + string(make([]byte, 2001)), false},
	} {
		err := checkWebhook(tc.url)
		if tc.ok && err != nil {
			t.Errorf("checkWebhook(%q) = %v, want accepted", tc.url, err)
		}
		if !tc.ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("checkWebhook(%q) = %v, want ErrInvalid", tc.url, err)
		}
	}
}
