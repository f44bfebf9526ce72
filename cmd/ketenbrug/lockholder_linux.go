package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder returns the process that holds the flock on path, read from
// /proc/locks (Linux), or 0 when it cannot tell.
func lockHolder(path string) int {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0
	}
	raw, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0
	}
	// "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF"
	want := ":" + strconv.FormatUint(st.Ino, 10)
	for l := range strings.Lines(string(raw)) {
		f := strings.Fields(l)
		if len(f) < 6 || f[1] != "FLOCK" || !strings.HasSuffix(f[5], want) {
			continue
		}
		if pid, err := strconv.Atoi(f[4]); err == nil && pid != os.Getpid() {
			return pid
		}
	}
	return 0
}
