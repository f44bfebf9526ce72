package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestDebugListenerOnlyOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"", true},
		{"127.0.0.1:6060", true},
		{"[::1]:6060", true},
		{"localhost:6060", true},
		{"0.0.0.0:6060", false},
		{":6060", false},
		{"10.1.2.3:6060", false},
		{"broker.example:6060", false},
		{"127.0.0.1", false},
	} {
		if err := checkDebugAddr(tc.addr); (err == nil) != tc.ok {
			t.Errorf("checkDebugAddr(%q) = %v, want ok %v", tc.addr, err, tc.ok)
		}
	}
}

func TestDebugListenerServesProfiles(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := startDebugListener(ctx, "127.0.0.1:0", discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("goroutine profile: %d %.200s", resp.StatusCode, body)
	}
	cancel()
	if _, err := startDebugListener(context.Background(), "0.0.0.0:0", discardLogger()); err == nil {
		t.Fatal("a debug listener on every interface was allowed")
	}
}
