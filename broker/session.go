package broker

import (
	"slices"
	"time"
)

// ConsoleSession is a person's console session after a login through the
// partner's OpenID Connect provider. The store keys it by IDHash, the
// SHA-256 of the random id the browser's cookie holds: whoever reads the
// store (or a backup) cannot turn a stored session into a cookie.
type ConsoleSession struct {
	IDHash  string `json:"id_hash"`
	Partner string `json:"partner"`
	Person  string `json:"person"`
	Name    string `json:"name"`
	// Roles are the roles the login mapped; Role is the one acted in.
	Roles    []Role `json:"roles"`
	Role     Role   `json:"role"`
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	// AuthTime is when the provider last authenticated the person (the ID
	// token's auth_time); zero when it did not say, which never counts
	// as a fresh login.
	AuthTime  time.Time `json:"auth_time"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
}

// DemoIssuer is the Issuer of a session made by a demo sign-in link
// (ketenbrug demo --keep, serve --console-demo-login on loopback only):
// its person is known via "demo", not through a provider.
const DemoIssuer = "demo"

// Caller is the domain's caller for a request of this session: the
// verified person, via "oidc:<issuer>" ("demo" for a demo sign-in), in the
// session's current role.
func (s *ConsoleSession) Caller(p *Partner, requestID string) *Caller {
	via := "oidc:" + s.Issuer
	if s.Issuer == DemoIssuer {
		via = DemoIssuer
	}
	return &Caller{Partner: *p, Sub: s.Person, Role: s.Role, RequestID: requestID,
		Person: Person{ID: s.Person, Verified: true, Via: via}}
}

// HasRole reports whether the login mapped role r.
func (s *ConsoleSession) HasRole(r Role) bool { return slices.Contains(s.Roles, r) }

// SessionStore keeps console sessions. Each call is its own durable
// transaction; sessions are not part of the audited state (their logins
// and logouts are audited).
type SessionStore interface {
	// PutSession stores s under s.IDHash, replacing one stored before.
	PutSession(s ConsoleSession) error
	// Session returns the session stored under idHash, or an error
	// matching ErrNotFound.
	Session(idHash string) (ConsoleSession, error)
	// DeleteSession removes the session under idHash; an absent one is
	// no error.
	DeleteSession(idHash string) error
	// DeleteSessions removes every session for which expired reports
	// true, and returns how many it removed.
	DeleteSessions(expired func(ConsoleSession) bool) (int, error)
}
