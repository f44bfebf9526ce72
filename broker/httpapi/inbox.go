package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Inbox is what the inbox routes need.
type Inbox interface {
	Inbox(ctx context.Context, c *broker.Caller, after uint64, limit int, wait time.Duration) (broker.InboxPage, error)
	AckInbox(ctx context.Context, c *broker.Caller, id string) (broker.InboxView, error)
}

func (a *api) inbox(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	q := r.URL.Query()
	var after uint64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return &broker.ValidationError{Field: "after", Reason: "an inbox item id"}
		}
		after = n
	}
	limit, err := queryInt(r, "limit", 100, 500)
	if err != nil {
		return err
	}
	var wait time.Duration
	if s := q.Get("wait"); s != "" {
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 || wait > broker.MaxInboxWait {
			return &broker.ValidationError{Field: "wait", Reason: "a duration such as 30s, at most 60s"}
		}
	}
	if wait > 0 {
		done, err := a.limits.startPoll(c.Partner.ID)
		if err != nil {
			a.metrics.limited("long-polls")
			return err
		}
		defer done()
	}
	page, err := a.b.Inbox(r.Context(), c, after, limit, wait)
	return a.reply(w, r, http.StatusOK, page, err)
}

func (a *api) ackInbox(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.b.AckInbox(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, v, err)
}
