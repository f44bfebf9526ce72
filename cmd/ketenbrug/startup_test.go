package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildBrokerTags builds the ketenbrug binary with build tags.
func buildBrokerTags(t *testing.T, tags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ketenbrug")
	cmd := exec.Command("go", "build", "-tags", tags, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %s: %v\n%s", tags, err, out)
	}
	return bin
}

// runStartup runs the binary with args and returns its exit code and
// combined output; it must end within a minute.
func runStartup(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not end\n%s", args, out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// TestStartupFailuresAreOneClearLine runs the real binary into each way
// start-up can fail: every one ends with a non-zero exit status and one
// line naming the problem and what to do — never a panic.
func TestStartupFailuresAreOneClearLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the broker binary")
	}
	bin := buildBroker(t)

	// A serving broker holds its data directory.
	held := filepath.Join(t.TempDir(), "held")
	b := &childBroker{t: t, bin: bin, dir: held, id: "kb-startup"}
	b.init()
	b.start()

	corrupt := filepath.Join(t.TempDir(), "corrupt")
	if out, err := exec.Command(bin, "init", "--data", corrupt, "--log-level", "warn").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	garbage := bytes.Repeat([]byte("not a bbolt page "), 4096)
	if err := os.WriteFile(filepath.Join(corrupt, storeFile), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated")
	if out, err := exec.Command(bin, "init", "--data", truncated, "--log-level", "warn").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if err := os.Truncate(filepath.Join(truncated, storeFile), 100); err != nil {
		t.Fatal(err)
	}

	listen := func() string { return "127.0.0.1:0" }
	for _, tc := range []struct {
		name string
		bin  string
		args []string
		want []string // in the one line, each
	}{
		{"serve on a data directory another broker serves", bin,
			[]string{"serve", "--data", held, "--listen", listen()},
			[]string{"in use by another ketenbrug process", held, "stop it or use another --data"}},
		{"init while serving", bin,
			[]string{"init", "--data", held},
			[]string{"in use by another ketenbrug process", held, "stop it or use another --data"}},
		{"serve on a corrupt store", bin,
			[]string{"serve", "--data", corrupt, "--listen", listen()},
			[]string{"is damaged or not a ketenbrug store", filepath.Join(corrupt, storeFile), "restore it from a backup"}},
		{"serve on a truncated store", bin,
			[]string{"serve", "--data", truncated, "--listen", listen()},
			[]string{"is damaged or not a ketenbrug store", "restore it from a backup"}},
		{"a default bundle that fails its tests", buildBrokerTags(t, "ketenbrug_brokenbundle"),
			[]string{"serve", "--data", filepath.Join(t.TempDir(), "fresh"), "--listen", listen()},
			[]string{"built-in policy bundle", "fails", "this build is broken"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runStartup(t, tc.bin, append(tc.args, "--log-level", "error")...)
			if code == 0 {
				t.Fatalf("exit status 0\n%s", out)
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Fatalf("it panicked:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			last := lines[len(lines)-1]
			if len(lines) != 1 || !strings.HasPrefix(last, "ketenbrug: ") {
				t.Errorf("want one line 'ketenbrug: …', got:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(last, w) {
					t.Errorf("the line does not say %q:\n%s", w, last)
				}
			}
		})
	}
	// The serving broker was not disturbed.
	if err := waitReady(b.base(), 5*time.Second, b.exited); err != nil {
		t.Fatalf("the serving broker: %v\n%s", err, b.out.String())
	}
}
