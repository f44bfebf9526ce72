package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/load"
)

// The broker's data directory, as `ketenbrug init` lays it out.
const (
	storeFile  = "ketenbrug.db"
	secretFile = "pseudonym.secret" // the key of BSN pseudonyms
	benchID    = "ketenbrug-bench"  // the broker id of a local run
)

// localBroker is `ketenbrug serve` on a temporary data directory, a child
// of this process.
type localBroker struct {
	dir, data string
	bin       string
	store     string // a PostgreSQL URL, or "" for bbolt
	cmd       *exec.Cmd
	exited    chan error
	url       string
	debug     string // its pprof address, with --cpuprofile
	target    *load.Target
	procMeter
}

// startLocal initialises a data directory, seeds the data set straight
// into its store and starts the broker on it.
func startLocal(ctx context.Context, c config, ds *dataset.Dataset, res *result, say func(string, ...any)) (*localBroker, error) {
	dir, err := os.MkdirTemp("", "ketenbrug-bench-*")
	if err != nil {
		return nil, err
	}
	b := &localBroker{dir: dir, data: filepath.Join(dir, "data"), bin: c.broker, store: c.store}
	if err := b.prepare(ctx, ds, res, say); err != nil {
		b.cleanup(say)
		return nil, err
	}
	if err := b.start(ctx, ds, c.cpuprofile != "", res, say); err != nil {
		b.cleanup(say)
		return nil, err
	}
	return b, nil
}

// prepare builds the broker when no binary is given, initialises the data
// directory and seeds it.
func (b *localBroker) prepare(ctx context.Context, ds *dataset.Dataset, res *result, say func(string, ...any)) error {
	if b.bin == "" {
		b.bin = filepath.Join(b.dir, "ketenbrug")
		say("building the broker (go build github.com/ketenbrug/ketenbrug/cmd/ketenbrug; --broker to give one)")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "github.com/ketenbrug/ketenbrug/cmd/ketenbrug")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build of the broker: %v\n%s", err, out)
		}
	}
	cmd := exec.CommandContext(ctx, b.bin, "init", "--data", b.data, "--id", benchID, "--log-level", "error")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ketenbrug init: %v\n%s", err, out)
	}
	if err := seed(ctx, b.data, ds, res, say); err != nil {
		return err
	}
	if b.store == "" {
		return nil
	}
	// Seeded as for bbolt, then moved as a region would be: migrate also
	// checks the counts and the audit chain in PostgreSQL.
	start := time.Now()
	if out, err := exec.CommandContext(ctx, b.bin, "migrate", "--from", b.data, "--to", b.store).CombinedOutput(); err != nil {
		return fmt.Errorf("ketenbrug migrate: %v\n%s", err, out)
	}
	say("moved the data set to PostgreSQL with ketenbrug migrate in %.1fs", time.Since(start).Seconds())
	return nil
}

// seed writes ds straight into the store of the data directory data, with
// the directory's pseudonym secret.
func seed(ctx context.Context, data string, ds *dataset.Dataset, res *result, say func(string, ...any)) error {
	secret, err := os.ReadFile(filepath.Join(data, secretFile))
	if err != nil {
		return err
	}
	pseudonyms, err := broker.NewPseudonymizer(secret)
	if err != nil {
		return err
	}
	file := filepath.Join(data, storeFile)
	store, err := boltstore.Open(file, boltstore.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	say("seeding %d persons, %d households, %d involvements straight into %s (synthetic: not audited)",
		ds.Persons(), ds.Households(), ds.Involvements(), file)
	st, err := dataset.Load(ctx, store, pseudonyms, ds, dataset.LoadOptions{})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	res.Consents = st.Consents
	res.SeedSeconds = st.Elapsed.Seconds()
	res.SeedRate = float64(st.Involvements) / st.Elapsed.Seconds()
	if fi, err := os.Stat(file); err == nil {
		res.StoreBytes = fi.Size()
	}
	say("seeded in %.1fs; store %.1f MiB (%.0f bytes per involvement)", res.SeedSeconds,
		float64(res.StoreBytes)/(1<<20), float64(res.StoreBytes)/float64(max(1, ds.Involvements())))
	return nil
}

// start runs `ketenbrug serve` and waits until it answers; start-up is
// what a restart of a broker with this data costs.
func (b *localBroker) start(ctx context.Context, ds *dataset.Dataset, debug bool, res *result, say func(string, ...any)) error {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	// No per-partner rate limit: the load tool concentrates its clients on
	// a few partners to measure the broker's capacity, not its limiter.
	args := []string{"serve", "--data", b.data, "--id", benchID, "--listen", addr, "--partner-rate", "0",
		"--policy-four-eyes=true", "--policy-timeout", "1s", "--log-level", "error"}
	if b.store != "" {
		args = append(args, "--store", b.store)
	}
	if debug {
		if b.debug, err = freeLoopbackAddr(); err != nil {
			return err
		}
		args = append(args, "--debug-listen", b.debug)
	}
	start := time.Now()
	b.cmd = exec.Command(b.bin, args...)
	b.cmd.Stdout, b.cmd.Stderr = io.Discard, os.Stderr
	if err := b.cmd.Start(); err != nil {
		return err
	}
	b.exited = make(chan error, 1)
	go func() { b.exited <- b.cmd.Wait() }()
	b.url, b.pid, b.metrics = "http://"+addr, b.cmd.Process.Pid, "http://"+addr
	if err := b.waitReady(ctx); err != nil {
		return err
	}
	res.StartupSecs = time.Since(start).Seconds()
	say("broker started in %.2fs at %s (pid %d)", res.StartupSecs, b.url, b.pid)
	keys, err := brokerKeys(ctx, b.url)
	if err != nil {
		return err
	}
	b.target, err = load.NewTarget(b.url, benchID, ds, keys)
	return err
}

// waitReady polls the broker's configuration document for 60 s at most.
func (b *localBroker) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case err := <-b.exited:
			b.exited <- err
			return fmt.Errorf("ketenbrug serve stopped: %v", err)
		default:
		}
		var conf struct {
			ID string `json:"id"`
		}
		if getJSON(ctx, b.url+"/.well-known/ketenbrug-configuration", &conf) == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.Join(errors.New("ketenbrug serve did not answer within a minute"), ctx.Err())
}

// stop ends the broker (SIGTERM, as an operator would) and waits for it.
func (b *localBroker) stop() error {
	if b.cmd == nil {
		return nil
	}
	cmd := b.cmd
	b.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.exited:
		return err
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return errors.Join(errors.New("ketenbrug serve did not stop within 30s"), <-b.exited)
	}
}

// stopAndRead stops the broker and returns the input documents of the
// overview decisions it made (its decision records), with its answers.
func (b *localBroker) stopAndRead() ([]*broker.DecisionInput, []broker.Decision, error) {
	if err := b.stop(); err != nil {
		return nil, nil, fmt.Errorf("stopping the broker: %w", err)
	}
	store, err := boltstore.Open(filepath.Join(b.data, storeFile), boltstore.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	var recs []broker.DecisionRecord
	if err := store.View(func(tx broker.ReadTx) error {
		recs, err = tx.RecentDecisions(2000)
		return err
	}); err != nil {
		return nil, nil, err
	}
	var ins []*broker.DecisionInput
	var ds []broker.Decision
	for _, r := range recs {
		if r.Input != nil && r.Input.Action == broker.ActionHouseholdOverview {
			ins = append(ins, r.Input)
			ds = append(ds, r.Decision)
		}
	}
	return ins, ds, nil
}

// cleanup stops the broker if it still runs and removes the directory.
func (b *localBroker) cleanup(say func(string, ...any)) {
	if err := b.stop(); err != nil {
		say("stopping the broker: %v", err)
	}
	os.RemoveAll(b.dir)
}

// profile fetches a CPU profile of the run from the broker's pprof
// listener (--debug-listen).
func (b *localBroker) profile(ctx context.Context, file string, d time.Duration) (func() error, error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	secs := strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
	done := make(chan error, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.debug+"/debug/pprof/profile?seconds="+secs, nil)
		if err == nil {
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				_, err = io.Copy(f, resp.Body)
				resp.Body.Close()
			}
		}
		done <- errors.Join(err, f.Close())
	}()
	return func() error { return <-done }, nil
}

// brokerKeys fetches the broker's public keys, to check its responses.
func brokerKeys(ctx context.Context, url string) (jwk.Set, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/.well-known/jwks.json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/.well-known/jwks.json: status %d", url, resp.StatusCode)
	}
	return jwk.ParseReader(resp.Body)
}
