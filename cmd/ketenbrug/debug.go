package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// The debug listener serves Go's profiler (net/http/pprof) for an
// operator chasing a performance problem in production:
//
//	ketenbrug serve --debug-listen 127.0.0.1:6060
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=30
//
// It is off by default, separate from the API listener (so it is never
// reachable through the API's address or its reverse proxy), and refuses
// any address that is not loopback: profiles and goroutine dumps show
// request data in flight, and the endpoints have no authentication.

// checkDebugAddr accepts only a loopback host ("" disables the listener).
func checkDebugAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--debug-listen %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--debug-listen %q: only a loopback address (127.0.0.1, ::1, localhost): the profiler has no authentication", addr)
	}
	return nil
}

// debugHandler serves the profiler's endpoints under /debug/pprof/.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startDebugListener serves debugHandler on addr until ctx ends. It returns
// the address it listens on ("" when addr is "").
func startDebugListener(ctx context.Context, addr string, log *slog.Logger) (string, error) {
	if addr == "" {
		return "", nil
	}
	if err := checkDebugAddr(addr); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("--debug-listen: %w", err)
	}
	srv := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("debug listener stopped", "error", err)
		}
	}()
	context.AfterFunc(ctx, func() { srv.Close() })
	log.Info("debug listener (pprof) serving", "addr", ln.Addr().String())
	return ln.Addr().String(), nil
}
