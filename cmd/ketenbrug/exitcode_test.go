package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
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

// TestBSNOnTheCommandLineIsNotRepeated: `consent record <BSN>` is refused
// by the real binary without the BSN in its output, naming the safe ways.
func TestBSNOnTheCommandLineIsNotRepeated(t *testing.T) {
	bin := buildBroker(t)
	const bsn = "999990196"
	out, err := exec.Command(bin, "consent", "record", bsn).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
		t.Errorf("exit %v, want %d", err, exitUsage)
	}
	if strings.Contains(string(out), bsn) || !strings.Contains(string(out), "--bsn-file") {
		t.Errorf("the refusal printed %q", out)
	}
}

// TestErrorsNameTheNextStep: the command line's refusals say what to do.
func TestErrorsNameTheNextStep(t *testing.T) {
	tb := newTestBroker(t)
	dir := t.TempDir()
	k := newTestKey(t, protocol.AlgEdDSA)
	tb.register(t, "gem-x", broker.SectorMunicipality, []broker.Role{broker.RoleCoordinator}, k)
	coord := invIdentityFile(t, dir, k, "gem-x", "c.regisseur", broker.RoleCoordinator)
	jwks := filepath.Join(dir, "gem-x.jwks.json")
	if err := os.WriteFile(jwks, []byte(jwksOf(t, k)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, as, stdin string
		args            []string
		want            []string
	}{
		{"empty standard input", coord, "", []string{"consent", "list"}, []string{"no BSN on standard input", "--bsn-file"}},
		{"a public key set as identity", jwks, "", []string{"whoami"}, []string{"public key set", "identity new"}},
		{"a role that may not", coord, "", []string{"audit", "list"}, []string{"role coordinator may not do this", "privacy-officer"}},
		{"a plan that is not there", coord, "", []string{"plan", "show", "hh-9", "--purpose", "integrale-ondersteuning"}, []string{"no plan yet", "plan edit hh-9 --create"}},
	} {
		out, err := invCLI(t, tb, tc.as, tc.stdin, tc.args...)
		if err == nil {
			t.Errorf("%s: no error\n%s", tc.name, out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err.Error(), w)
			}
		}
		if strings.Contains(err.Error(), "forbidden: forbidden") {
			t.Errorf("%s: %q repeats itself", tc.name, err.Error())
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 problems", 1: "1 problem", 2: "2 problems"} {
		if got := plural(n, "problem", "problems"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
