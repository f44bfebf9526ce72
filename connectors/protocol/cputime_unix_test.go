//go:build unix

package protocol

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) used by the process so far.
// Benchmarks report it per operation ("cpu-ns/op") because wall time is
// unreliable on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
