package main

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"none", nil, 0},
		{"unknown command", errors.New(`unknown command "x" for "ketenbrug"`), exitUsage},
		{"missing flag", errors.New(`required flag(s) "purpose" not set`), exitUsage},
		{"usage error", usageError{errors.New("give one of --file or --close")}, exitUsage},
		{"invalid input at the broker", &connectors.ProblemError{Status: 422, Code: "invalid_input"}, exitUsage},
		{"token refused", &connectors.ProblemError{Status: 401, Code: "token_expired"}, exitRefused},
		{"policy denial", fmt.Errorf("giving: %w", &connectors.ProblemError{Status: 403, Code: "denied"}), exitRefused},
		{"rate limited", &connectors.ProblemError{Status: 429, Code: "rate_limited"}, exitRefused},
		{"not found", &connectors.ProblemError{Status: 404, Code: "not_found"}, exitConflict},
		{"stale plan", &connectors.ProblemError{Status: 412, Code: "precondition_failed"}, exitConflict},
		{"broker unavailable", &connectors.ProblemError{Status: 503, Code: "unavailable"}, exitUnreachable},
		{"connection refused", fmt.Errorf("connectors: reaching the broker: %w", &net.OpError{Op: "dial", Err: errors.New("refused")}), exitUnreachable},
		{"broken chain", fmt.Errorf("%w: audit chain broken: 2 problems", errVerificationFailed), exitVerification},
		{"unsigned answer", fmt.Errorf("%w: no signature", connectors.ErrUnverifiedResponse), exitVerification},
		{"anything else", errors.New("disk full"), exitFailure},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestExitCodesOfTheBinary runs the real binary for the codes a script
// meets first: a typo and an unreachable broker.
func TestExitCodesOfTheBinary(t *testing.T) {
	bin := buildBroker(t)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"no-such-command"}, exitUsage},
		{[]string{"whoami", "--server", "http://127.0.0.1:1", "--as", "/nonexistent.json"}, exitFailure},
		{[]string{"version", "--server", "http://127.0.0.1:1"}, exitUnreachable},
	} {
		err := exec.Command(bin, tc.args...).Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.want {
			t.Errorf("ketenbrug %v: %v, want exit %d", tc.args, err, tc.want)
		}
	}
}
