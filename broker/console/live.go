package console

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// The live inbox. The inbox page works without script (reload for news);
// static/inbox.js asks livePath for news and swaps in the list it gets.
// The broker holds each question until an item arrives for the partner or
// liveWait passes (the domain's long-poll, as connectors use it), so an
// open inbox costs one waiting request, not a poll a second.

// livePath is the inbox's news: answered with the inbox list as HTML
// (the "inboxList" part of home.html) or 204 No Content.
const livePath = "/console/inbox/nieuw"

// DefaultLiveWait is how long a question for news is held: under the
// usual 60 s of proxies' idle timeouts.
const DefaultLiveWait = 25 * time.Second

// newestKey is the inbox's newest item as it goes in the news question's
// URL: its sequence number in base 36, so that no nine-digit run (which
// the console refuses as a BSN) appears in the address.
func newestKey(items []broker.InboxView) string {
	var newest uint64
	for _, it := range items {
		if n, err := strconv.ParseUint(it.ID, 10, 64); err == nil {
			newest = max(newest, n)
		}
	}
	return strconv.FormatUint(newest, 36)
}

// inboxNew waits for an item newer than ?na= and answers the inbox list,
// or 204 when none came in time. A live question does not keep the
// session alive (session.go): a forgotten open tab still times out.
func (h *Handler) inboxNew(w http.ResponseWriter, r *http.Request, c *broker.Caller, s *broker.ConsoleSession) error {
	if !slices.Contains(workRoles, s.Role) {
		return errPageNotFound
	}
	after, err := strconv.ParseUint(r.URL.Query().Get("na"), 36, 64)
	if err != nil {
		return &broker.ValidationError{Field: "na", Reason: "laad de inbox opnieuw"}
	}
	pg, err := h.b.Inbox(r.Context(), c, after, 1, h.liveWait)
	if err != nil {
		return err
	}
	if len(pg.Items) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	items, more, err := h.inbox(r.Context(), c)
	if err != nil {
		return err
	}
	renderPart(w, http.StatusOK, "home", "inboxList", h.frame(r, c, s, "Inbox",
		view{"Items": items, "More": more, "Newest": newestKey(items), "PartnerName": c.Partner.Name}))
	return nil
}
