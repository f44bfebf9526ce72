package broker

import (
	"context"
	"errors"
)

// Codes under which a refusal that the policy did not make is audited. They
// are the problem codes the API answers with, so that an audit entry and
// the answer the caller got name the same thing.
const (
	RefusalConflict     = "conflict"
	RefusalForbidden    = "forbidden"
	RefusalNotFound     = "not_found"
	RefusalPrecondition = "precondition_failed"
	RefusalInvalid      = "invalid_input"
)

// refusalCode maps a refusal to its audit code; "" for errors that are not
// refusals (a store or audit failure is the broker's, not the caller's).
func refusalCode(err error) string {
	switch {
	case errors.Is(err, ErrConflict):
		return RefusalConflict
	case errors.Is(err, ErrForbidden):
		return RefusalForbidden
	case errors.Is(err, ErrNotFound):
		return RefusalNotFound
	case errors.Is(err, ErrPreconditionFailed):
		return RefusalPrecondition
	case errors.Is(err, ErrInvalid):
		return RefusalInvalid
	}
	return ""
}

// refused audits a refusal of caller c's request about subjects (a
// household's members, a person) that the domain made rather than the
// policy — a lifecycle step by the wrong side, another partner's agreement,
// a stale plan edit — as a denial with the refusal's code, and returns err.
// Every refused request about a person leaves a trace: the policy's
// denials are audited by decide, these here. Errors that are not refusals,
// and denials that decide has already audited, pass through unaudited.
func (s *Service) refused(ctx context.Context, c *Caller, action, object string, subjects []Pseudonym, err error) error {
	var denied *DeniedError
	code := refusalCode(err)
	if code == "" || errors.As(err, &denied) || len(subjects) == 0 {
		return err
	}
	e := s.auditEntry(c, EventDenial, action)
	e.Decision, e.Reasons, e.Object, e.Subjects = DecisionDeny, []string{code}, object, subjects
	if aerr := s.commit(ctx, e, nil, nil); aerr != nil {
		return aerr
	}
	return err
}
