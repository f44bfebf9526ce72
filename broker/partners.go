package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// systemCaller acts for the broker itself, e.g. when init registers the
// operator.
func (s *Service) systemCaller(sub string) *Caller {
	return &Caller{Partner: Partner{ID: s.cfg.ID}, Sub: sub, Role: RoleOperator,
		Person: Person{ID: sub, Verified: true, Via: "broker"}}
}

func (s *Service) reloadPartners() error {
	var all []Partner
	if err := s.cfg.Store.View(func(tx ReadTx) error {
		var err error
		all, err = tx.Partners()
		return err
	}); err != nil {
		return fmt.Errorf("load partners: %w", err)
	}
	m := make(map[string]*Partner, len(all))
	for i := range all {
		m[all[i].ID] = &all[i]
	}
	s.partners.Store(&m)
	return nil
}

// storePartner publishes p in the snapshot after its commit.
func (s *Service) publishPartner(p Partner) {
	old := *s.partners.Load()
	m := make(map[string]*Partner, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[p.ID] = &p
	s.partners.Store(&m)
}

// LookupPartner returns the registered partner id, from memory. The
// authentication layer calls it for every request. The returned value must
// not be modified.
func (s *Service) LookupPartner(id string) (*Partner, error) {
	p, ok := (*s.partners.Load())[id]
	if !ok {
		return nil, fmt.Errorf("partner %q: %w", id, ErrNotFound)
	}
	return p, nil
}

// OperatorPerson is the person to whom EnsureOperator binds the operator's
// first key: the sub of the identity file init writes.
const OperatorPerson = "operator"

// EnsureOperator registers the region's operator partner when it does not
// exist yet; init calls it without a request. The JWKS of p becomes the
// person key of OperatorPerson (role operator), so that the operator is a
// verified person from the first request on and may administer partners
// and keys; the partner has no organisation key until one is set.
func (s *Service) EnsureOperator(ctx context.Context, p Partner) (Partner, bool, error) {
	if existing, err := s.LookupPartner(p.ID); err == nil {
		return *existing, false, nil
	}
	if !p.HasRole(RoleOperator) {
		p.Roles = append(p.Roles, RoleOperator)
	}
	if len(p.JWKS) > 0 && len(p.Persons) == 0 {
		if err := s.cfg.CheckJWKS(p.JWKS); err != nil {
			return Partner{}, false, err
		}
		now := s.now()
		p.Persons = []PersonKey{{Person: OperatorPerson, Roles: []Role{RoleOperator}, JWKS: p.JWKS,
			Status: PartnerActive, CreatedAt: now, UpdatedAt: now}}
		p.JWKS = nil
	}
	out, err := s.createPartner(ctx, s.systemCaller("ketenbrug init"), p)
	return out, err == nil, err
}

// RegisterPartner registers a new partner (a chain partner or a
// municipality). Operators only.
func (s *Service) RegisterPartner(ctx context.Context, c *Caller, p Partner) (Partner, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return Partner{}, err
	}
	if err := s.requireVerified(ctx, c, "partner.register", "partner:"+p.ID); err != nil {
		return Partner{}, err
	}
	p.Persons = nil // person keys are bound one by one (PutPersonKey)
	p.Login = nil   // and a login configuration with SetLoginConfig
	return s.createPartner(ctx, c, p)
}

// UpdatePartner replaces a partner's registration (name, sector,
// municipalities, roles, level, covenant, webhook), keeping its keys and
// status. Operators only.
func (s *Service) UpdatePartner(ctx context.Context, c *Caller, p Partner) (Partner, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return Partner{}, err
	}
	if err := s.requireVerified(ctx, c, "partner.update", "partner:"+p.ID); err != nil {
		return Partner{}, err
	}
	// Applied to the stored partner (modifyPartner): on a shared store this
	// broker's copy may lag another broker's key, status or login change.
	return s.modifyPartner(ctx, c, p.ID, "partner.update", func(cur *Partner) (map[string]string, error) {
		np := p
		np.JWKS, np.Status, np.CreatedAt, np.Persons = cur.JWKS, cur.Status, cur.CreatedAt, cur.Persons
		np.Login = cur.Login // changed with SetLoginConfig only
		np.Revision = cur.Revision
		*cur = np
		return nil, nil
	})
}

// SetPartnerKeys replaces a partner's JWKS (key rotation: a set that still
// holds the old key keeps the old kid working until a later call removes it).
// Operators only.
func (s *Service) SetPartnerKeys(ctx context.Context, c *Caller, id string, jwks json.RawMessage) (Partner, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return Partner{}, err
	}
	if err := s.requireVerified(ctx, c, "partner.update", "partner:"+id); err != nil {
		return Partner{}, err
	}
	if len(jwks) == 0 {
		return Partner{}, invalid("jwks", "a public JWKS is required")
	}
	return s.modifyPartner(ctx, c, id, "partner.update", func(p *Partner) (map[string]string, error) {
		p.JWKS = jwks
		return nil, nil
	})
}

// SetPartnerStatus suspends or reactivates a partner. A suspended partner's
// tokens are refused from the next request on. Operators only; an operator
// cannot suspend its own partner (that would lock the region out).
func (s *Service) SetPartnerStatus(ctx context.Context, c *Caller, id string, status PartnerStatus) (Partner, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return Partner{}, err
	}
	if id == c.Partner.ID && status == PartnerSuspended {
		return Partner{}, fmt.Errorf("%w: an operator cannot suspend its own partner", ErrConflict)
	}
	if err := s.requireVerified(ctx, c, "partner.update", "partner:"+id); err != nil {
		return Partner{}, err
	}
	return s.modifyPartner(ctx, c, id, "partner.update", func(p *Partner) (map[string]string, error) {
		p.Status = status
		return nil, nil
	})
}

// Partner returns one partner. Operators see every partner; others only
// their own.
func (s *Service) Partner(_ context.Context, c *Caller, id string) (Partner, error) {
	if c.Role != RoleOperator && id != c.Partner.ID {
		return Partner{}, fmt.Errorf("partner %q: %w", id, ErrNotFound)
	}
	p, err := s.LookupPartner(id)
	if err != nil {
		return Partner{}, err
	}
	return *p, nil
}

// Partners lists all partners, sorted by id. Operators only.
func (s *Service) Partners(_ context.Context, c *Caller) ([]Partner, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return nil, err
	}
	m := *s.partners.Load()
	out := make([]Partner, 0, len(m))
	for _, p := range m {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Partner) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, nil
}

// createPartner stores a new partner; a change goes through
// modifyPartner, which checks it the same way.
func (s *Service) createPartner(ctx context.Context, c *Caller, p Partner) (Partner, error) {
	if err := s.checkPartner(&p); err != nil {
		return Partner{}, err
	}
	s.partnerMu.Lock()
	defer s.partnerMu.Unlock()
	return s.putPartnerLocked(ctx, c, p, true, "partner.register", nil, nil)
}

// checkPartner is every check a partner passes before it is stored, new
// or changed: its fields, the organisation's keys under the protocol's
// rules, key ids unique over the organisation's and its persons' keys, and
// a webhook the broker may call.
func (s *Service) checkPartner(p *Partner) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.HasOrgKeys() {
		if err := s.cfg.CheckJWKS(p.JWKS); err != nil {
			return err
		}
	}
	if err := checkKidsUnique(p); err != nil {
		return err
	}
	return checkWebhook(p.Webhook)
}

// putPartnerLocked stores a validated p; the caller holds partnerMu.
// rebase, when not nil, makes p again from the stored partner when that
// is not the revision p was made from: p comes from this broker's
// snapshot, which on a shared store lags writes of other brokers by up to
// a refresh period, and storing it as is would undo them (a person key
// bound at broker 1 lost by a bind at broker 2 moments later).
func (s *Service) putPartnerLocked(ctx context.Context, c *Caller, p Partner, create bool, action string, detail map[string]string,
	rebase func(stored Partner) (Partner, error)) (Partner, error) {
	now := s.now()
	e := s.auditEntry(c, EventChange, action)
	e.Object = "partner:" + p.ID
	e.Detail = map[string]string{"status": string(p.Status), "level": strconv.Itoa(p.Level), "sector": string(p.Sector)}
	if p.PrivacyOffice {
		e.Detail["privacy_office"] = "true"
	}
	if detail != nil {
		e.Detail = detail
	}
	var out Partner
	err := s.commit(ctx, e, nil, noItems(func(tx Tx) error {
		old, err := tx.Partner(p.ID)
		switch {
		case err == nil && create:
			return fmt.Errorf("partner %q: %w: already registered", p.ID, ErrConflict)
		case err == nil:
			// Writers are serialised across brokers (the store's writer
			// lock), so what tx read is the latest revision.
			if rebase != nil && old.Revision != p.Revision {
				if p, err = rebase(old); err != nil {
					return err
				}
			}
			p.CreatedAt, p.Revision = old.CreatedAt, old.Revision+1
		case create:
			p.CreatedAt, p.Revision = now, 1
		default:
			return err
		}
		p.UpdatedAt = now
		out = p
		return tx.PutPartner(p)
	}))
	if err != nil {
		return Partner{}, err
	}
	s.publishPartner(out)
	return out, nil
}

// Whoami is wire.Whoami: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type Whoami = wire.Whoami

// Whoami answers who the broker takes the caller to be.
func (s *Service) Whoami(c *Caller) Whoami {
	return Whoami{Partner: c.Partner.ID, Name: c.Partner.Name, Sub: c.Sub, SubKnown: c.Person.Known(), SubVia: c.Person.Via, Role: c.Role,
		Level: c.Partner.Level, Sector: c.Partner.Sector}
}

// checkWebhook accepts an empty webhook or an absolute https URL; plain
// http only to a loopback host, where a connector on the partner's own
// machine receives it. Inbox items carry what the policy allowed about a
// person, so they never travel unencrypted over a network.
func checkWebhook(raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > 2000 {
		return invalid("webhook", "at most 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return invalid("webhook", "an absolute https URL")
	}
	if u.User != nil || u.Fragment != "" {
		return invalid("webhook", "no user information or fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return invalid("webhook", "https, or http to a loopback host only")
	default:
		return invalid("webhook", "scheme %q: https only", u.Scheme)
	}
}
