package console

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// TestLiveInbox: the live inbox's question is answered 204 when nothing
// came in time; a question that is no newest-item key is refused; it is
// for the roles with an inbox only; and it does not keep the session
// alive (the browser test TestBrowserOperator sees an item arrive).
func TestLiveInbox(t *testing.T) {
	e := newEnv(t)
	e.h.liveWait = 100 * time.Millisecond
	anna := e.browser(t)
	p := anna.login("partner-a", "anna") // coordinator
	if !strings.Contains(p.body, `id="kb-inbox" data-newest="0"`) {
		t.Fatalf("the inbox list: %.2000s", p.body)
	}
	start := time.Now()
	if p := anna.get(livePath + "?na=0"); p.status != http.StatusNoContent || time.Since(start) < e.h.liveWait {
		t.Fatalf("no news: %d after %s", p.status, time.Since(start))
	}
	if p := anna.get(livePath + "?na=-1"); p.status != http.StatusBadRequest {
		t.Fatalf("a bad key: %d", p.status)
	}
	if newestKey([]broker.InboxView{{ID: "7"}, {ID: "123456782"}}) != "21i3v2" {
		t.Fatalf("newestKey %s", newestKey([]broker.InboxView{{ID: "123456782"}}))
	}

	// Questions do not count as use: the idle timeout still ends the
	// session of a forgotten tab.
	id := anna.sessionCookie().Value
	before, err := e.store.Session(hash32(id))
	if err != nil {
		t.Fatal(err)
	}
	e.offset.Add(int64(lastSeenGranularity + time.Minute))
	anna.get(livePath + "?na=0")
	if after, _ := e.store.Session(hash32(id)); !after.LastSeen.Equal(before.LastSeen) {
		t.Fatalf("a live question moved the session's last use from %s to %s", before.LastSeen, after.LastSeen)
	}
	e.offset.Add(int64(DefaultIdleTimeout))
	if p := anna.get(livePath + "?na=0"); p.status != http.StatusUnauthorized {
		t.Fatalf("after the idle timeout: %d", p.status)
	}
}
