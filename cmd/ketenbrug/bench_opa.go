package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/open-policy-agent/opa/v1/runtime"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/rego"
)

// opaPeer starts OPA's own server on a loopback port with the broker's
// bundle and sends it the recorded overview inputs, at the bench's
// concurrency, over HTTP with keep-alive: OPA's bare decision throughput,
// to compare the broker's overviews (decision, store, audit, signatures)
// with.
func opaPeer(ctx context.Context, c benchConfig, inputs []*broker.DecisionInput, want []broker.Decision,
	res *benchResult, say func(string, ...any)) error {
	dir, err := os.MkdirTemp("", "ketenbrug-bench-opa-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bundleDir := filepath.Join(dir, "bundle")
	if err := os.CopyFS(bundleDir, rego.Bundle); err != nil {
		return err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	octx, stop := context.WithCancel(ctx)
	defer stop()
	var done <-chan error
	if c.opa != "" {
		res.OPAKind = "opa run --server (" + c.opa + ")"
		cmd := exec.CommandContext(octx, c.opa, "run", "--server", "--addr", addr, "--log-level", "error",
			"--bundle", bundleDir)
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		ch := make(chan error, 1)
		go func() { ch <- cmd.Wait() }()
		done = ch
	} else {
		res.OPAKind = "OPA v1/runtime server in process"
		params := runtime.NewParams()
		params.Addrs = &[]string{addr}
		params.DiagnosticAddrs = &[]string{}
		params.Paths = []string{bundleDir}
		params.BundleMode = true
		params.EnableVersionCheck = false
		params.Logging = runtime.LoggingConfig{Level: "error", Format: "json"}
		l := logging.New()
		l.SetLevel(logging.Error)
		l.SetOutput(io.Discard)
		params.Logger, params.ConsoleLogger = l, l
		rt, err := runtime.NewRuntime(octx, params)
		if err != nil {
			return err
		}
		ch := make(chan error, 1)
		go func() { ch <- rt.Serve(octx) }()
		done = ch
	}
	defer func() {
		stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}()
	url := "http://" + addr
	if err := waitHealthy(octx, url, done); err != nil {
		return err
	}
	say("OPA (%s) listens at %s; checking its answers on %d recorded inputs", res.OPAKind, url, len(inputs))
	bodies := make([][]byte, len(inputs))
	for i, in := range inputs {
		if bodies[i], err = json.Marshal(map[string]any{"input": in}); err != nil {
			return err
		}
	}
	cl := newBenchHTTPClient(c.clients)
	agree := 0
	for i := range inputs {
		var out struct {
			Result *broker.Decision `json:"result"`
		}
		st, body, err := postOPA(octx, cl, url, bodies[i])
		if err != nil || st != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Result == nil {
			return fmt.Errorf("OPA answered status %d: %v %s", st, err, bytes.TrimSpace(body))
		}
		if sameDecision(out.Result, &want[i]) {
			agree++
		}
	}
	res.OPAAgree = fmt.Sprintf("%d/%d", agree, len(inputs))
	say("OPA agrees with the broker on %s decisions; loading it for %s", res.OPAAgree, c.peerDuration)
	lat := make([][]time.Duration, c.clients)
	errs := make([]int64, c.clients)
	deadline := time.Now().Add(c.peerDuration)
	start := time.Now()
	var wg sync.WaitGroup
	for k := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; time.Now().Before(deadline) && octx.Err() == nil; i++ {
				t0 := time.Now()
				st, _, err := postOPA(octx, cl, url, bodies[i%len(bodies)])
				d := time.Since(t0)
				if err != nil || st != http.StatusOK {
					errs[k]++
					continue
				}
				lat[k] = append(lat[k], d)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for k := range lat {
		all = append(all, lat[k]...)
		res.OPAErrors += errs[k]
	}
	o := &opStats{lat: all, count: int64(len(all))}
	o.finish(elapsed)
	res.OPARPS, res.OPAP50, res.OPAP99 = o.rps, o.p50, o.p99
	return nil
}

// sameDecision compares OPA's answer with the broker's: allow, reasons and
// what is shown.
func sameDecision(a, b *broker.Decision) bool {
	if a.Allow != b.Allow || !slices.Equal(a.Reasons, b.Reasons) || len(a.Show) != len(b.Show) {
		return false
	}
	for id, f := range a.Show {
		if !slices.Equal(f, b.Show[id]) {
			return false
		}
	}
	return true
}

func postOPA(ctx context.Context, cl *http.Client, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/data/ketenbrug/decision", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := cl.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func waitHealthy(ctx context.Context, url string, done <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("OPA stopped: %v", err)
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health?bundles", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("OPA did not become healthy within 30s")
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
