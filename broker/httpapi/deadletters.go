package httpapi

import (
	"context"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// DeadLetters is what the operator's webhook routes need.
type DeadLetters interface {
	DeadLetters(ctx context.Context, c *broker.Caller) (broker.DeadLetterList, error)
	RetryDeadLetter(ctx context.Context, c *broker.Caller, id string) (broker.Delivery, error)
}

func (a *api) deadLetters(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	list, err := a.b.DeadLetters(r.Context(), c)
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) retryDeadLetter(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := a.b.RetryDeadLetter(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, d, err)
}
