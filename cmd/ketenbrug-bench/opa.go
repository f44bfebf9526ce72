package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/open-policy-agent/opa/v1/runtime"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/load"
	"github.com/ketenbrug/ketenbrug/policy"
	"github.com/ketenbrug/ketenbrug/rego"
)

// opaPeer starts OPA's own server on a loopback port with the broker's
// bundle and sends it the recorded overview inputs, at the load's
// concurrency, over HTTP with keep-alive: OPA's bare decision throughput,
// to compare the broker's overviews (decision, store, audit, signatures)
// with.
func opaPeer(ctx context.Context, c config, inputs []*broker.DecisionInput, want []broker.Decision,
	res *result, say func(string, ...any)) error {
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
		done, err = startOPABinary(octx, c.opa, addr, bundleDir)
	} else {
		res.OPAKind = "OPA v1/runtime server in process"
		done, err = startOPARuntime(octx, addr, bundleDir)
	}
	if err != nil {
		return err
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
	cl := load.NewHTTPClient(c.clients)
	defer cl.CloseIdleConnections()
	if res.OPAAgree, err = opaAgreement(octx, cl, url, bodies, want); err != nil {
		return err
	}
	say("OPA agrees with the broker on %s decisions; loading it for %s", res.OPAAgree, c.peerDuration)
	loadOPA(octx, cl, url, bodies, c, res)
	return nil
}

// startOPABinary runs `opa run --server` with the bundle in dir.
func startOPABinary(ctx context.Context, opa, addr, dir string) (<-chan error, error) {
	cmd := exec.CommandContext(ctx, opa, "run", "--server", "--addr", addr, "--log-level", "error", "--bundle", dir)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	return ch, nil
}

// startOPARuntime runs OPA's server package in this process with the
// bundle in dir, until ctx ends.
func startOPARuntime(ctx context.Context, addr, dir string) (<-chan error, error) {
	params := runtime.NewParams()
	params.Addrs = &[]string{addr}
	params.DiagnosticAddrs = &[]string{}
	params.Paths = []string{dir}
	params.BundleMode = true
	params.EnableVersionCheck = false
	params.Logging = runtime.LoggingConfig{Level: "error", Format: "json"}
	l := logging.New()
	l.SetLevel(logging.Error)
	l.SetOutput(io.Discard)
	params.Logger, params.ConsoleLogger = l, l
	rt, err := runtime.NewRuntime(ctx, params)
	if err != nil {
		return nil, err
	}
	ch := make(chan error, 1)
	go func() { ch <- rt.Serve(ctx) }()
	return ch, nil
}

// opaAgreement asks OPA each input once and counts the answers equal to
// the broker's, as "n/total".
func opaAgreement(ctx context.Context, cl *http.Client, url string, bodies [][]byte, want []broker.Decision) (string, error) {
	agree := 0
	for i := range bodies {
		var out struct {
			Result *broker.Decision `json:"result"`
		}
		st, body, err := postOPA(ctx, cl, url, bodies[i])
		if err != nil || st != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Result == nil {
			return "", fmt.Errorf("OPA answered status %d: %v %s", st, err, bytes.TrimSpace(body))
		}
		if sameDecision(out.Result, &want[i]) {
			agree++
		}
	}
	return fmt.Sprintf("%d/%d", agree, len(bodies)), nil
}

// loadOPA sends OPA the inputs from c.clients goroutines for
// c.peerDuration and fills its figures.
func loadOPA(ctx context.Context, cl *http.Client, url string, bodies [][]byte, c config, res *result) {
	lat := make([][]time.Duration, c.clients)
	errs := make([]int64, c.clients)
	deadline := time.Now().Add(c.peerDuration)
	start := time.Now()
	var wg sync.WaitGroup
	for k := range c.clients {
		wg.Go(func() {
			for i := k; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				st, _, err := postOPA(ctx, cl, url, bodies[i%len(bodies)])
				d := time.Since(t0)
				if err != nil || st != http.StatusOK {
					errs[k]++
					continue
				}
				lat[k] = append(lat[k], d)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for k := range lat {
		all = append(all, lat[k]...)
		res.OPAErrors += errs[k]
	}
	o := load.NewOpStats("opa", all, elapsed)
	res.OPARPS, res.OPAP50, res.OPAP99 = o.RPS, o.P50, o.P99
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

// opaDataPath is where OPA's Data API (OPA's own v1, not the broker's)
// answers rule: data.ketenbrug.decision is /v1/data/ketenbrug/decision.
func opaDataPath(rule string) string { return path.Join("/v1", strings.ReplaceAll(rule, ".", "/")) }

func postOPA(ctx context.Context, cl *http.Client, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+opaDataPath(policy.Entrypoint), bytes.NewReader(body))
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
