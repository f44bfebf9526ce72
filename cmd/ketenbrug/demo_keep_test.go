package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoKeepSaysWhereKeysStay runs the real binary's `demo --keep`,
// stops it with Ctrl-C (SIGINT) and checks that it says where the demo's
// data directory and private keys were left, and that they are there.
func TestDemoKeepSaysWhereKeysStay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo in the real binary")
	}
	bin := buildBroker(t)
	tmp := t.TempDir()
	cmd := exec.Command(bin, "demo", "--keep")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	lines := make(chan string, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out strings.Builder
	deadline := time.After(2 * time.Minute)
	for waiting := true; waiting; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the demo ended before it asked for Ctrl-C:\n%s", out.String())
			}
			out.WriteString(l + "\n")
			waiting = !strings.Contains(l, "Press Ctrl-C to stop.")
		case <-deadline:
			t.Fatalf("the demo did not ask for Ctrl-C in time:\n%s", out.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		out.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo --keep after Ctrl-C: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`private keys stay in (\S+);`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("after Ctrl-C the demo does not say where its keys stay:\n%s", out.String())
	}
	dir := m[1]
	if !strings.HasPrefix(dir, tmp) {
		t.Errorf("the demo left its keys in %s, outside its TMPDIR %s", dir, tmp)
	}
	if !strings.Contains(out.String(), "rm -rf "+dir) {
		t.Errorf("the demo does not say how to remove %s:\n%s", dir, out.String())
	}
	if _, err := os.Stat(dir + "/fg-anna.json"); err != nil {
		t.Errorf("the directory the demo named does not hold its keys: %v", err)
	}
}
