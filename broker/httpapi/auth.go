package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// partnerKeys resolves the key a request token names, from the partner
// registry. Parsed key sets are cached per partner revision, so a request
// never parses a JWKS, and a rotation or suspension applies at once.
type partnerKeys struct {
	b    Broker
	mu   sync.RWMutex
	sets map[string]cachedKeys
}

type cachedKeys struct {
	revision uint64
	keys     *protocol.KeySet // the organisation's keys; nil when it has none
	// persons maps the kid of every person-bound key to its key and the
	// index of its person in Partner.Persons of this revision.
	persons map[string]personKey
}

type personKey struct {
	key    *protocol.PublicKey
	person int
}

func newPartnerKeys(b Broker) *partnerKeys {
	return &partnerKeys{b: b, sets: map[string]cachedKeys{}}
}

// cached returns the parsed keys of p at its current revision.
func (k *partnerKeys) cached(p *broker.Partner) (cachedKeys, error) {
	k.mu.RLock()
	c, ok := k.sets[p.ID]
	k.mu.RUnlock()
	if ok && c.revision == p.Revision {
		return c, nil
	}
	c = cachedKeys{revision: p.Revision, persons: map[string]personKey{}}
	if p.HasOrgKeys() {
		ks, err := protocol.ParseKeySet(p.JWKS)
		if err != nil {
			return c, fmt.Errorf("%w: registered JWKS of %s unusable: %v", protocol.ErrUnknownKey, p.ID, err)
		}
		c.keys = ks
	}
	for i, pk := range p.Persons {
		ks, err := protocol.ParseKeySet(pk.JWKS)
		if err != nil {
			return c, fmt.Errorf("%w: registered JWKS of %s person %s unusable: %v", protocol.ErrUnknownKey, p.ID, pk.Person, err)
		}
		for _, kid := range broker.KeyIDs(pk.JWKS) {
			if key, ok := ks.Key(kid); ok {
				c.persons[kid] = personKey{key: key, person: i}
			}
		}
	}
	k.mu.Lock()
	k.sets[p.ID] = c
	k.mu.Unlock()
	return c, nil
}

// ResolveKey implements protocol.KeyResolver: a kid of the partner's
// organisation JWKS or of one of its person keys. Whether a person key's
// person may act (status, sub, role) is checked by caller, after the
// signature.
func (k *partnerKeys) ResolveKey(_ context.Context, issuer, kid string) (*protocol.PublicKey, error) {
	p, err := k.b.LookupPartner(issuer)
	if err != nil {
		return nil, protocol.ErrUnknownKey
	}
	if p.Status != broker.PartnerActive {
		return nil, protocol.ErrPartnerSuspended
	}
	c, err := k.cached(p)
	if err != nil {
		return nil, err
	}
	if c.keys != nil {
		if key, ok := c.keys.Key(kid); ok {
			return key, nil
		}
	}
	if pk, ok := c.persons[kid]; ok {
		return pk.key, nil
	}
	return nil, protocol.ErrUnknownKey
}

// personOf returns the person key of p that kid belongs to, or nil for an
// organisation key.
func (k *partnerKeys) personOf(p *broker.Partner, kid string) (*broker.PersonKey, error) {
	if len(p.Persons) == 0 {
		return nil, nil
	}
	c, err := k.cached(p)
	if err != nil {
		return nil, err
	}
	pk, ok := c.persons[kid]
	if !ok || pk.person >= len(p.Persons) {
		return nil, nil
	}
	return &p.Persons[pk.person], nil
}

// authedHandler handles a request whose token was verified; body is the
// request body, already bound to the token by its hash.
type authedHandler func(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error

// errRoleNotAllowed refuses a token whose role the partner was not
// registered for.
var errRoleNotAllowed = protocol.Refuse(protocol.ErrRoleNotAllowed, "role not allowed for this partner")

// errSubCarriesBSN refuses a token whose sub holds a BSN.
var errSubCarriesBSN = &protocol.Error{Reason: protocol.ReasonClaimsInvalid,
	Err: fmt.Errorf("%w: sub must name a person or service, never carry a BSN", protocol.ErrClaimsInvalid)}

// errMissingToken refuses a request without a bearer token.
var errMissingToken = &protocol.Error{Reason: "missing_token", Err: errors.New("no bearer token")}

// authed verifies the request token of every /v1/ request (except the
// OpenAPI document) and builds the verified Caller. Everything but the body
// hash is checked before the body is read, so that a request without a
// valid token cannot make the broker read and hold a body of up to limit
// bytes; the body, refused over limit, is then checked against bsh.
func (a *api) authed(limit int64, h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := a.bearerToken(w, r)
		if !ok {
			return
		}
		req := protocol.Request{Method: r.Method, URI: r.RequestURI, HasBody: r.ContentLength > 0}
		claims, err := a.verifier.VerifyDeferredBody(r.Context(), token, req)
		c := a.caller(w, r, claims, err)
		if c == nil {
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				a.writeProblem(w, r, fmt.Errorf("%w: body over %d bytes", broker.ErrTooLarge, limit))
				return
			}
			a.writeProblem(w, r, malformed("", "reading the body: %v", err))
			return
		}
		if err := claims.CheckBodyHash(protocol.BodyHash(body)); err != nil {
			a.refuse(w, r, err)
			return
		}
		if err := h(w, r, c, body); err != nil {
			a.writeProblem(w, r, err)
		}
	}
}

// streamHandler handles a request whose body is streamed: the handler
// must read it through claims.VerifyBody and act only on a body that
// verified.
type streamHandler func(w http.ResponseWriter, r *http.Request, c *broker.Caller, claims *protocol.Claims) error

// authedStream is authed for streamed bodies (a full-caseload sync): the
// token is verified before the body is read, and the body hash while it is.
func (a *api) authedStream(h streamHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := a.bearerToken(w, r)
		if !ok {
			return
		}
		req := protocol.Request{Method: r.Method, URI: r.RequestURI, HasBody: r.ContentLength != 0}
		claims, err := a.verifier.VerifyDeferredBody(r.Context(), token, req)
		if c := a.caller(w, r, claims, err); c != nil {
			if err := h(w, r, c, claims); err != nil {
				a.writeProblem(w, r, err)
			}
		}
	}
}

// bearerToken returns the request's token, or answers 401 without one.
func (a *api) bearerToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	if err := a.limits.addrBlocked(clientAddr(r), a.cfg.Now()); err != nil {
		a.metrics.limited("auth-failures")
		a.writeProblem(w, r, err)
		return "", false
	}
	token, ok := bearer(r)
	if !ok {
		a.refuse(w, r, errMissingToken)
		return "", false
	}
	// Until the token is verified, the response names the claimed issuer
	// and jti, so that the caller can still check that a refusal came from
	// the broker and answers its own request.
	st := stateOf(w)
	st.aud, st.jti = protocol.PeekRequest(token)
	return token, true
}

// caller turns verified claims into the Caller, checking that the partner
// may use the role; it answers the refusal itself and returns nil.
func (a *api) caller(w http.ResponseWriter, r *http.Request, claims *protocol.Claims, err error) *broker.Caller {
	if errors.Is(err, protocol.ErrReplayUnavailable) {
		// A shared replay cache that cannot answer (its database is
		// down): 503, which clients retry with a new token, rather than
		// a refusal as replayed, which they would not.
		a.writeProblem(w, r, errors.Join(broker.ErrUnavailable, err))
		return nil
	}
	if err != nil {
		a.refuse(w, r, err)
		return nil
	}
	p, err := a.b.LookupPartner(claims.Issuer)
	if err != nil {
		a.refuse(w, r, &protocol.Error{Reason: protocol.ReasonUnknownKey, Err: err})
		return nil
	}
	// The sub claim names a professional or service and lands in the audit
	// trail and the logs: one that carries a BSN (a client's number typed
	// where the professional's belongs) is refused, without echoing it.
	if broker.ContainsBSN(claims.Subject) {
		a.refuse(w, r, errSubCarriesBSN)
		return nil
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		leaf := r.TLS.PeerCertificates[0]
		if !p.AcceptsClientCert(leaf.Subject.SerialNumber, leaf.Subject.Organization) {
			a.writeProblem(w, r, fmt.Errorf("%w: the connection's client certificate is not registered for partner %s",
				broker.ErrForbidden, p.ID))
			return nil
		}
	}
	role := broker.Role(claims.Role)
	if !slices.Contains(broker.Roles, role) || !p.HasRole(role) {
		a.refuse(w, r, errRoleNotAllowed)
		return nil
	}
	person, ok := a.personOf(w, r, p, claims, role)
	if !ok {
		return nil
	}
	st := stateOf(w)
	st.partner, st.role, st.aud, st.jti = p.ID, claims.Role, p.ID, claims.ID
	if err := a.limits.allow(p.ID, a.cfg.Now()); err != nil {
		a.metrics.limited("rate")
		a.writeProblem(w, r, err)
		return nil
	}
	c := &broker.Caller{Partner: *p, Sub: claims.Subject, Role: role, Purpose: claims.Purpose,
		RequestID: st.requestID, TokenID: claims.ID, Person: person}
	if err := a.analystGate(r, c); err != nil {
		a.writeProblem(w, r, err)
		return nil
	}
	return c
}

// personOf tells how the person of a verified token is known. A token
// signed with a person key acts as that person: its person must be active,
// its sub the person and its role one of the person's roles, else it is
// refused (the refusal of an authentic token is audited too). A token
// signed with an organisation key names an asserted person.
func (a *api) personOf(w http.ResponseWriter, r *http.Request, p *broker.Partner, claims *protocol.Claims, role broker.Role) (broker.Person, bool) {
	pk, err := a.keys.personOf(p, claims.KeyID)
	if err != nil {
		a.refuse(w, r, err)
		return broker.Person{}, false
	}
	if pk == nil {
		return broker.Person{}, true
	}
	var refusal *protocol.Error
	switch {
	case pk.Status != broker.PartnerActive:
		refusal = protocol.Refuse(protocol.ErrPersonSuspended, "person "+pk.Person+" is suspended")
	case claims.Subject != pk.Person:
		refusal = protocol.Refuse(protocol.ErrPersonMismatch, "the key is bound to another person than sub")
	case !pk.HasRole(role):
		refusal = protocol.Refuse(protocol.ErrRoleNotAllowed, "role not allowed for this person")
	}
	if refusal != nil {
		a.b.RecordRefusal(r.Context(), &broker.Caller{Partner: *p, Sub: pk.Person, Role: role, Purpose: claims.Purpose,
			RequestID: stateOf(w).requestID, TokenID: claims.ID,
			Person: broker.Person{ID: pk.Person, Verified: true, Via: "key:" + claims.KeyID}},
			refusal.Reason, claims.Subject)
		a.refuse(w, r, refusal)
		return broker.Person{}, false
	}
	return broker.Person{ID: pk.Person, Verified: true, Via: "key:" + claims.KeyID}, true
}

// refuse answers a refused token: 401 with the reason, a metric and a log
// line (written by writeProblem).
func (a *api) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var perr *protocol.Error
	reason := protocol.ReasonMalformed
	if errors.As(err, &perr) {
		reason = perr.Reason
	} else {
		err = &protocol.Error{Reason: reason, Err: err}
	}
	a.metrics.refused(reason)
	a.limits.refused(clientAddr(r), a.cfg.Now())
	a.writeProblem(w, r, err)
}

// clientAddr is the address a request came from (without its port).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// bearer returns the bearer token of r.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}
