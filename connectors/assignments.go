package connectors

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Assignments (opdrachten, ambition level 3): one partner asks another to
// act about a household. Every step states its purpose, which must be the
// assignment's.

// GiveAssignment gives an assignment (in is an AssignmentRequest:
// household, recipient, type, instruction, due) under purpose.
func (c *Client) GiveAssignment(ctx context.Context, purpose string, in any) (wire.AssignmentView, error) {
	var v wire.AssignmentView
	err := c.JSON(ctx, http.MethodPost, "/v1/assignments", purpose, in, &v)
	return v, err
}

// ListAssignments lists the assignments the caller's organisation gave or
// received; q may hold side, status and household.
func (c *Client) ListAssignments(ctx context.Context, q url.Values) ([]wire.AssignmentView, error) {
	var out struct {
		Assignments []wire.AssignmentView `json:"assignments"`
	}
	err := c.JSON(ctx, http.MethodGet, withQuery("/v1/assignments", q), "", nil, &out)
	return out.Assignments, err
}

// GetAssignment returns assignment id with its steps.
func (c *Client) GetAssignment(ctx context.Context, id string) (wire.AssignmentView, error) {
	var v wire.AssignmentView
	err := c.JSON(ctx, http.MethodGet, route("/v1/assignments/{}", id), "", nil, &v)
	return v, err
}

// assignmentStep takes step on assignment id; the body is {key: text},
// or none when text is "".
func (c *Client) assignmentStep(ctx context.Context, id, step, purpose, key, text string) (wire.AssignmentView, error) {
	var in any
	if text != "" {
		in = map[string]string{key: text}
	}
	var v wire.AssignmentView
	err := c.JSON(ctx, http.MethodPost, route("/v1/assignments/{}/"+step, id), purpose, in, &v)
	return v, err
}

// AcceptAssignment accepts an assignment the caller received.
func (c *Client) AcceptAssignment(ctx context.Context, id, purpose string) (wire.AssignmentView, error) {
	return c.assignmentStep(ctx, id, "accept", purpose, "", "")
}

// DeclineAssignment declines an assignment the caller received, for reason.
func (c *Client) DeclineAssignment(ctx context.Context, id, purpose, reason string) (wire.AssignmentView, error) {
	return c.assignmentStep(ctx, id, "decline", purpose, "reason", reason)
}

// CompleteAssignment completes an accepted assignment with a short outcome.
func (c *Client) CompleteAssignment(ctx context.Context, id, purpose, outcome string) (wire.AssignmentView, error) {
	return c.assignmentStep(ctx, id, "complete", purpose, "outcome", outcome)
}

// CancelAssignment cancels an assignment the caller gave; reason may be "".
func (c *Client) CancelAssignment(ctx context.Context, id, purpose, reason string) (wire.AssignmentView, error) {
	return c.assignmentStep(ctx, id, "cancel", purpose, "reason", reason)
}
