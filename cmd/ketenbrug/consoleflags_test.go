package main

import (
	"strings"
	"testing"
	"time"
)

// TestConsoleDemoLoginOnlyOnLoopback: --console-demo-login is refused
// unless the broker listens on a loopback address, and off by default.
func TestConsoleDemoLoginOnlyOnLoopback(t *testing.T) {
	cmd := newServeCommand()
	if f := cmd.Flags().Lookup("console-demo-login"); f == nil || f.DefValue != "false" {
		t.Fatalf("--console-demo-login: %+v", f)
	}
	for listen, ok := range map[string]bool{"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true,
		"0.0.0.0:8080": false, "10.0.0.5:8080": false, "broker.regio.example:443": false} {
		c := consoleFlags{on: true, idle: time.Minute, max: time.Hour, demoLogin: true}
		var cfg SystemConfig
		if listen == "0.0.0.0:8080" || listen == "broker.regio.example:443" {
			c.publicURL = "https://broker.regio.example"
		}
		err := c.apply(&cfg, listen, false)
		if ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "loopback")) {
			t.Fatalf("%s: %v", listen, err)
		}
		if ok && !cfg.ConsoleDemoLogin {
			t.Fatalf("%s: demo login not passed on", listen)
		}
	}
}
