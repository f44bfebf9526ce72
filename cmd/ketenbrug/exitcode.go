package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// Exit codes, documented in the README, so that scripts can tell a typo
// from an unreachable broker, a refusal and a broken audit chain.
const (
	exitFailure      = 1 // anything else
	exitUsage        = 2 // the command line or its input is wrong (also 400 and 422 from the broker)
	exitUnreachable  = 3 // the broker could not be reached or did not answer in time
	exitRefused      = 4 // the broker refused: the token, the role or the policy (401, 403, 429)
	exitConflict     = 5 // the object changed or clashes (404, 409, 412, 428): fetch it again
	exitVerification = 6 // a verification failed: the audit chain, a signature of the broker
)

// errVerificationFailed marks a failed verification (audit verify,
// audit verify-file).
var errVerificationFailed = errors.New("verification failed")

// usageError marks a wrong command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// cobraUsage are the starts of cobra's own messages about a wrong command
// line (cobra returns plain errors for them).
var cobraUsage = []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "accepts ",
	"requires at least", "requires at most", "invalid argument", "flag needs an argument", "bad flag syntax"}

// withoutBSN replaces an error whose text holds a BSN — cobra repeats an
// unknown argument (`consent record 999990196` answers `unknown command
// "999990196"`) — by one that names the safe ways to give it, so that a
// BSN typed on the command line is not repeated into a terminal log too.
func withoutBSN(err error) error {
	if err == nil || !broker.ContainsBSN(err.Error()) {
		return err
	}
	return usageError{errors.New("a BSN is never given on the command line (process lists and shell history keep it): " +
		"put it in --bsn-file FILE, pipe it to standard input, or type it at the prompt; the value is not repeated here")}
}

// exitCode maps the error a command ended with to the process's exit code.
func exitCode(err error) int {
	var pe *connectors.ProblemError
	var ue usageError
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, errVerificationFailed), errors.Is(err, connectors.ErrUnverifiedResponse):
		return exitVerification
	case errors.As(err, &pe):
		switch {
		case pe.Status == http.StatusBadRequest, pe.Status == http.StatusUnprocessableEntity, pe.Status == http.StatusRequestEntityTooLarge,
			pe.Status == http.StatusUnsupportedMediaType:
			return exitUsage
		case pe.Status == http.StatusUnauthorized, pe.Status == http.StatusForbidden, pe.Status == http.StatusTooManyRequests:
			return exitRefused
		case pe.Status == http.StatusNotFound, pe.Status == http.StatusConflict, pe.Status == http.StatusPreconditionFailed,
			pe.Status == http.StatusPreconditionRequired:
			return exitConflict
		case pe.Status >= 500:
			return exitUnreachable
		}
		return exitFailure
	case errors.As(err, &oe), errors.As(err, &de), errors.Is(err, context.DeadlineExceeded),
		strings.Contains(err.Error(), "reaching the broker"):
		return exitUnreachable
	}
	for _, p := range cobraUsage {
		if strings.HasPrefix(err.Error(), p) {
			return exitUsage
		}
	}
	return exitFailure
}

// plural writes n with the singular or plural noun ("1 problem", "2
// problems").
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
