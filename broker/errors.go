package broker

import (
	"errors"
	"fmt"
)

// Errors of lookups and writes in the store.
var (
	// ErrNotFound means the requested object does not exist (or is not
	// visible to the caller; the two are deliberately indistinguishable).
	ErrNotFound = errors.New("not found")
	// ErrConflict means the write clashes with the current state, such as a
	// duplicate id or an illegal lifecycle step.
	ErrConflict = errors.New("conflict")
	// ErrPreconditionFailed means an If-Match version no longer matches.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrMassEnd means a full-caseload sync would end more of the
	// partner's involvements than one sync may (SyncEndLimit); see
	// *MassEndError for the figures. Nothing of the sync was applied.
	ErrMassEnd = errors.New("sync would end too much of the caseload")
)

// Errors of access control. A request is refused with one of these before
// anything about a person is read.
var (
	// ErrUnauthenticated means the caller could not be identified.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the caller is known but may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrFourEyes (an ErrForbidden) refuses an approval that four eyes
	// forbids: the approver pushed the version, or its uploader was not
	// a verified person.
	ErrFourEyes = fmt.Errorf("%w: four eyes", ErrForbidden)
	// ErrDenied means the policy refused the request; see *DeniedError for
	// the reasons.
	ErrDenied = errors.New("denied by policy")
	// ErrPolicy means the policy engine failed; the request is denied (fail
	// closed) with reason ReasonPolicyError.
	ErrPolicy = errors.New("policy error")
)

// Errors of input.
var (
	// ErrInvalid means the input failed validation; see *ValidationError
	// for the field.
	ErrInvalid = errors.New("invalid input")
	// ErrTooLarge means the input exceeded a size limit.
	ErrTooLarge = errors.New("input too large")
)

// Errors of the broker's own machinery.
var (
	// ErrUnavailable means the broker cannot serve right now (shutting
	// down, store closed, audit log not writable). Nothing was disclosed.
	ErrUnavailable = errors.New("unavailable")
	// ErrAuditFailed means the audit entry could not be written durably, so
	// the request did not take effect and nothing was disclosed.
	ErrAuditFailed = errors.New("audit write failed")
)

// ValidationError names the field that failed validation and why. It
// matches ErrInvalid with errors.Is.
type ValidationError struct {
	Field  string // JSON path of the field, e.g. "members[2].bsn"
	Reason string // safe to show to the client; never contains the value of a BSN
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// invalid is shorthand for a *ValidationError.
func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// DeniedError carries the policy's stable reason codes for a denial. It
// matches ErrDenied with errors.Is, and ErrPolicy too when the reason is
// ReasonPolicyError.
type DeniedError struct {
	Reasons []string
}

func (e *DeniedError) Error() string { return fmt.Sprintf("denied by policy: %v", e.Reasons) }

// Is makes errors.Is(err, ErrDenied) true.
func (e *DeniedError) Is(target error) bool {
	if target == ErrDenied {
		return true
	}
	if target == ErrPolicy {
		for _, r := range e.Reasons {
			if r == ReasonPolicyError {
				return true
			}
		}
	}
	return false
}
