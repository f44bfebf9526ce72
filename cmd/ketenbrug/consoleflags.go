package main

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker/console"
)

// consoleFlags are serve's flags of the web console.
type consoleFlags struct {
	on        bool
	publicURL string
	idle, max time.Duration
	// demoLogin enables the console's one-time demo sign-in links
	// (loopback only).
	demoLogin bool
}

func (c *consoleFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	on, _ := strconv.ParseBool(envOr("KETENBRUG_CONSOLE", "true"))
	fl.BoolVar(&c.on, "console", on, "serve the web console (login through the partners' own OpenID Connect providers) at /console/ (env KETENBRUG_CONSOLE)")
	fl.StringVar(&c.publicURL, "public-url", envOr("KETENBRUG_PUBLIC_URL", ""), "the broker's external base URL, e.g. https://broker.regio.example: the console's redirect URI is it + /console/callback; default http(s)://--listen (env KETENBRUG_PUBLIC_URL)")
	idle, _ := time.ParseDuration(envOr("KETENBRUG_SESSION_IDLE", console.DefaultIdleTimeout.String()))
	fl.DurationVar(&c.idle, "session-idle-timeout", idle, "a console session unused this long ends (env KETENBRUG_SESSION_IDLE)")
	max, _ := time.ParseDuration(envOr("KETENBRUG_SESSION_MAX", console.DefaultAbsoluteTimeout.String()))
	fl.DurationVar(&c.max, "session-max-age", max, "a console session ends this long after its login, used or not (env KETENBRUG_SESSION_MAX)")
	demo, _ := strconv.ParseBool(envOr("KETENBRUG_CONSOLE_DEMO_LOGIN", "false"))
	fl.BoolVar(&c.demoLogin, "console-demo-login", demo, "accept one-time demo sign-in links (ketenbrug demo --keep prints them) from this machine; only with a loopback --listen, never in production (env KETENBRUG_CONSOLE_DEMO_LOGIN)")
}

// apply puts the console's settings into cfg; without --public-url the
// console is reached at the listen address itself.
func (c *consoleFlags) apply(cfg *SystemConfig, listen string, tls bool) error {
	if !c.on {
		return nil
	}
	if c.idle <= 0 || c.max <= 0 || c.idle > c.max {
		return fmt.Errorf("--session-idle-timeout %s and --session-max-age %s: both above 0, the idle one not longer", c.idle, c.max)
	}
	if c.demoLogin {
		host, _, err := net.SplitHostPort(listen)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("--console-demo-login needs a loopback --listen (127.0.0.1:8080), not %s: demo sign-in links must never reach a network", listen)
		}
	}
	cfg.Console, cfg.PublicURL, cfg.SessionIdle, cfg.SessionMax = true, c.publicURL, c.idle, c.max
	cfg.ConsoleDemoLogin = c.demoLogin
	if cfg.PublicURL == "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return fmt.Errorf("--listen %s: %w", listen, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			return fmt.Errorf("--listen %s names no host browsers can reach: give --public-url https://broker.regio.example (or --console=false)", listen)
		}
		scheme := "http"
		if tls {
			scheme = "https"
		}
		cfg.PublicURL = scheme + "://" + net.JoinHostPort(host, port)
	}
	return nil
}
