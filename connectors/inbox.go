package connectors

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// The inbox: assignments, match signals, plan changes and notices for the
// caller's organisation, oldest first. Items are also pushed to a
// registered webhook (WebhookHandler).

// InboxQuery selects a page of the inbox.
type InboxQuery struct {
	// After is the cursor: the id of the last item already seen.
	After string
	// Limit bounds the page; 0 is the broker's default.
	Limit int
	// Wait, when set, long-polls: the broker answers as soon as an item
	// arrives, or after Wait with an empty page (at most a minute). The
	// request is then bounded by Wait plus Config.Timeout.
	Wait time.Duration
}

func (q InboxQuery) values() url.Values {
	v := url.Values{}
	if q.After != "" {
		v.Set("after", q.After)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Wait > 0 {
		v.Set("wait", q.Wait.String())
	}
	return v
}

// Inbox returns a page of the caller's inbox.
func (c *Client) Inbox(ctx context.Context, q InboxQuery) (wire.InboxPage, error) {
	var page wire.InboxPage
	req := Request{Method: http.MethodGet, Path: withQuery("/v1/inbox", q.values())}
	if q.Wait > 0 && c.cfg.Timeout > 0 {
		req.Timeout = c.cfg.Timeout + q.Wait // the broker holds a long-poll for Wait
	}
	resp, err := c.Do(ctx, req)
	if err != nil {
		return page, err
	}
	return page, decodeInto(resp, &page)
}

// AckInbox acknowledges inbox item id: the caller has handled it.
func (c *Client) AckInbox(ctx context.Context, id string) error {
	return c.JSON(ctx, http.MethodPost, route("/v1/inbox/{}/ack", id), "", nil, nil)
}
