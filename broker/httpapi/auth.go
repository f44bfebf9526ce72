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
	keys     *protocol.KeySet
}

func newPartnerKeys(b Broker) *partnerKeys {
	return &partnerKeys{b: b, sets: map[string]cachedKeys{}}
}

// ResolveKey implements protocol.KeyResolver.
func (k *partnerKeys) ResolveKey(_ context.Context, issuer, kid string) (*protocol.PublicKey, error) {
	p, err := k.b.LookupPartner(issuer)
	if err != nil {
		return nil, protocol.ErrUnknownKey
	}
	if p.Status != broker.PartnerActive {
		return nil, protocol.ErrPartnerSuspended
	}
	k.mu.RLock()
	c, ok := k.sets[issuer]
	k.mu.RUnlock()
	if !ok || c.revision != p.Revision {
		ks, err := protocol.ParseKeySet(p.JWKS)
		if err != nil {
			return nil, fmt.Errorf("%w: registered JWKS of %s unusable: %v", protocol.ErrUnknownKey, issuer, err)
		}
		c = cachedKeys{revision: p.Revision, keys: ks}
		k.mu.Lock()
		k.sets[issuer] = c
		k.mu.Unlock()
	}
	key, ok := c.keys.Key(kid)
	if !ok {
		return nil, protocol.ErrUnknownKey
	}
	return key, nil
}

// authedHandler handles a request whose token was verified; body is the
// request body, already bound to the token by its hash.
type authedHandler func(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte)

// errRoleNotAllowed refuses a token whose role the partner was not
// registered for.
var errRoleNotAllowed = &protocol.Error{Reason: "role_not_allowed", Err: errors.New("role not allowed for this partner")}

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
		h(w, r, c, body)
	}
}

// streamHandler handles a request whose body is streamed: the handler
// must read it through claims.VerifyBody and act only on a body that
// verified.
type streamHandler func(w http.ResponseWriter, r *http.Request, c *broker.Caller, claims *protocol.Claims)

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
			h(w, r, c, claims)
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
	if err != nil {
		a.refuse(w, r, err)
		return nil
	}
	p, err := a.b.LookupPartner(claims.Issuer)
	if err != nil {
		a.refuse(w, r, &protocol.Error{Reason: "unknown_key", Err: err})
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
	st := stateOf(w)
	st.partner, st.role, st.aud, st.jti = p.ID, claims.Role, p.ID, claims.ID
	if err := a.limits.allow(p.ID, a.cfg.Now()); err != nil {
		a.metrics.limited("rate")
		a.writeProblem(w, r, err)
		return nil
	}
	return &broker.Caller{Partner: *p, Sub: claims.Subject, Role: role, Purpose: claims.Purpose,
		RequestID: st.requestID, TokenID: claims.ID}
}

// refuse answers a refused token: 401 with the reason, a metric and a log
// line (written by writeProblem).
func (a *api) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var perr *protocol.Error
	reason := "malformed"
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
