package main

import (
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker/brokertest"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// buildBroker builds the ketenbrug binary into a temporary directory of t.
func buildBroker(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ketenbrug")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// childBroker is `ketenbrug serve` running as a child process on a fixed
// loopback port and data directory, so that it can be killed and started
// again where it was.
type childBroker struct {
	t    *testing.T
	bin  string
	dir  string
	id   string
	addr string
	args []string // extra serve flags
	env  []string // extra environment of serve
	// clientCfg, when set, adjusts the configuration of every client
	// client makes (TestFailoverTwoBrokers sends through a transport that
	// fails over between two brokers, with the SDK's retries).
	clientCfg func(*connectors.Config)

	cmd    *exec.Cmd
	out    *brokertest.Buffer
	exited chan struct{}
}

func (b *childBroker) base() string { return "http://" + b.addr }

// init runs `ketenbrug init` and picks the port.
func (b *childBroker) init() {
	t := b.t
	t.Helper()
	out, err := exec.Command(b.bin, "init", "--data", b.dir, "--id", b.id, "--log-level", "warn").CombinedOutput()
	if err != nil {
		t.Fatalf("ketenbrug init: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.addr = ln.Addr().String()
	ln.Close()
	t.Cleanup(func() {
		if b.cmd != nil {
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	})
}

// start starts `ketenbrug serve` and waits until /readyz answers.
func (b *childBroker) start() {
	t := b.t
	t.Helper()
	// No per-partner rate limit: the harness's writers are a few partners
	// writing as fast as they can, which is what it tests. A generous
	// policy deadline: the harness tests what survives a crash, not
	// latency, and on a loaded machine a decision past the default 100 ms
	// would be refused (policy_error) and read as a lost write.
	args := append([]string{"serve", "--data", b.dir, "--id", b.id, "--listen", b.addr, "--log-level", "warn",
		"--partner-rate", "0", "--policy-timeout", "5s"}, b.args...)
	b.out = &brokertest.Buffer{}
	b.cmd = exec.Command(b.bin, args...)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if b.env != nil {
		b.cmd.Env = append(os.Environ(), b.env...)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.exited = make(chan struct{})
	cmd, exited := b.cmd, b.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := waitReady(b.base(), 30*time.Second, b.exited); err != nil {
		t.Fatalf("ketenbrug serve: %v\n%s", err, b.out.String())
	}
}

// kill ends the broker with SIGKILL: no shutdown, no flush.
func (b *childBroker) kill() {
	b.t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		b.t.Fatal(err)
	}
	<-b.exited
	b.cmd = nil
}

// stop ends the broker gracefully (SIGTERM) and wants a clean exit.
func (b *childBroker) stop() {
	t := b.t
	t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.exited:
	case <-time.After(40 * time.Second):
		t.Fatalf("the broker did not stop on SIGTERM\n%s", b.out.String())
	}
	if code := b.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("graceful stop: exit code %d\n%s", code, b.out.String())
	}
	b.cmd = nil
}

// client returns an SDK client for id that does not retry: a write is
// acknowledged or it is not.
func (b *childBroker) client(id *connectors.Identity) *connectors.Client {
	b.t.Helper()
	cfg := connectors.Config{Server: b.base(), Identity: id, MaxRetries: -1,
		Logger: slog.New(slog.DiscardHandler)}
	if b.clientCfg != nil {
		b.clientCfg(&cfg)
	}
	c, err := connectors.New(cfg)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}
