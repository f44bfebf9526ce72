package storetest

import (
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// testSessions: console sessions, each call its own transaction.
func testSessions(t *testing.T, s broker.Store) {
	ss, isSessions := s.(broker.SessionStore)
	if !isSessions {
		t.Fatalf("%T does not implement broker.SessionStore, which the console needs", s)
	}
	session := func(idHash string, minute int) broker.ConsoleSession {
		return broker.ConsoleSession{IDHash: idHash, Partner: "p1", Person: "j.jansen", Name: "J. Jansen",
			Roles: []broker.Role{broker.RoleConnector}, Role: broker.RoleConnector, Issuer: "https://idp.example",
			ClientID: "ketenbrug", AuthTime: at(minute), CreatedAt: at(minute), LastSeen: at(minute)}
	}
	_, err := ss.Session("aa")
	is(t, "Session never stored", err, broker.ErrNotFound)
	for i, id := range []string{"aa", "bb", "cc"} {
		ok(t, "PutSession", ss.PutSession(session(id, i)))
	}
	seen := session("bb", 1)
	seen.LastSeen = at(30)
	ok(t, "PutSession replacing", ss.PutSession(seen))
	got, err := ss.Session("bb")
	ok(t, "Session", err)
	same(t, "Session", got, seen)

	ok(t, "DeleteSession", ss.DeleteSession("aa"))
	ok(t, "DeleteSession of one not stored", ss.DeleteSession("aa"))
	_, err = ss.Session("aa")
	is(t, "Session deleted", err, broker.ErrNotFound)

	n, err := ss.DeleteSessions(func(cs broker.ConsoleSession) bool { return cs.LastSeen.Before(at(10)) })
	ok(t, "DeleteSessions", err)
	if n != 1 {
		t.Errorf("DeleteSessions removed %d, want 1 (cc)", n)
	}
	_, err = ss.Session("cc")
	is(t, "Session expired", err, broker.ErrNotFound)
	_, err = ss.Session("bb")
	ok(t, "Session kept by DeleteSessions", err)
}
