package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// MaxPersonKeys bounds the persons with keys of one partner.
const MaxPersonKeys = 1000

// PersonKey binds a public JWKS to one person of a partner and the roles
// that person holds (a subset of the partner's roles). A request signed
// with one of its keys acts as that person: its sub must be Person and its
// role one of Roles. A suspended person's keys are refused while the
// organisation keeps working.
type PersonKey struct {
	Person    string          `json:"person"`
	Roles     []Role          `json:"roles"`
	JWKS      json.RawMessage `json:"jwks"`
	Status    PartnerStatus   `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

var personPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$`)

// ValidPersonID reports whether s may name a person: 1-128 letters, digits,
// '.', '_', '@' or '-', starting with a letter or digit (a sub such as
// "anna.bakker" or "a.bakker@fg-regio.nl"), and no BSN in it.
func ValidPersonID(s string) bool { return personPattern.MatchString(s) && !ContainsBSN(s) }

// HasRole reports whether the person may act in role r.
func (k *PersonKey) HasRole(r Role) bool { return slices.Contains(k.Roles, r) }

func (k *PersonKey) validate(p *Partner) error {
	if !ValidPersonID(k.Person) {
		return invalid("person", "must be 1-128 letters, digits, '.', '_', '@' or '-', without a BSN")
	}
	if len(k.Roles) == 0 {
		return invalid("roles", "at least one role is required")
	}
	for _, r := range k.Roles {
		if !p.HasRole(r) {
			return invalid("roles", "role %q is not a role of partner %s", r, p.ID)
		}
	}
	switch k.Status {
	case "":
		k.Status = PartnerActive
	case PartnerActive, PartnerSuspended:
	default:
		return invalid("status", "must be active or suspended")
	}
	if len(k.JWKS) == 0 {
		return invalid("jwks", "a public JWKS is required")
	}
	return nil
}

// PersonKey returns the person key of person, or nil.
func (p *Partner) PersonKey(person string) *PersonKey {
	for i := range p.Persons {
		if p.Persons[i].Person == person {
			return &p.Persons[i]
		}
	}
	return nil
}

// HasOrgKeys reports whether the partner has an organisation JWKS (a
// partner may have person keys only, as the operator after init).
func (p *Partner) HasOrgKeys() bool {
	return len(p.JWKS) > 0 && string(p.JWKS) != "null"
}

// HasPersonKeys reports whether any person key is bound to the partner.
func (p *Partner) HasPersonKeys() bool { return len(p.Persons) > 0 }

// KeyIDs returns the kids of a JWKS ({"keys":[{"kid":…},…]}); the JWKS
// itself is checked by Config.CheckJWKS.
func KeyIDs(jwks json.RawMessage) []string {
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if json.Unmarshal(jwks, &set) != nil {
		return nil
	}
	out := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		out = append(out, k.Kid)
	}
	return out
}

// kidOwners maps every kid of the partner to its owner: "" for the
// organisation's JWKS, the person for a person key.
func (p *Partner) kidOwners() map[string]string {
	m := map[string]string{}
	for _, kid := range KeyIDs(p.JWKS) {
		m[kid] = ""
	}
	for _, k := range p.Persons {
		for _, kid := range KeyIDs(k.JWKS) {
			m[kid] = k.Person
		}
	}
	return m
}

// ErrPersonNotVerified means the action needs a verified person (a
// person-bound key or a login) and the caller's person is only asserted by
// an organisation key. It matches ErrForbidden too.
var ErrPersonNotVerified = errors.New("person not verified")

// ReasonPersonNotVerified is the reason of the audited denial.
const ReasonPersonNotVerified = "person_not_verified"

type personNotVerifiedError struct{ msg string }

func (e *personNotVerifiedError) Error() string { return e.msg }

func (e *personNotVerifiedError) Is(target error) bool {
	return target == ErrPersonNotVerified || target == ErrForbidden
}

// verified reports whether c acts as a verified person: a person key (or
// login) bound to exactly the sub it acts as.
func verified(c *Caller) bool {
	return c.Person.Verified && c.Person.ID != "" && c.Person.ID == c.Sub
}

// requireVerified refuses a caller whose person is only asserted, with an
// audited denial (reason person_not_verified) and a message naming the
// next step.
func (s *Service) requireVerified(ctx context.Context, c *Caller, action, object string) error {
	if verified(c) {
		return nil
	}
	e := s.auditEntry(c, EventDenial, action)
	e.Object, e.Decision, e.Reasons = object, DecisionDeny, []string{ReasonPersonNotVerified}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		return err
	}
	return &personNotVerifiedError{msg: fmt.Sprintf("%s needs a verified person, and %q is only asserted by an organisation key: "+
		"sign with a person key bound to you: ketenbrug partner keys add --partner %s --person %s --roles %s --jwks YOUR.jwks.json "+
		"(by the operator; make the key with ketenbrug identity new --person)", action, c.Sub, c.Partner.ID, c.Sub, c.Role)}
}

// checkKidsUnique refuses a partner whose organisation keys and person
// keys share a kid: a kid must name one owner.
func checkKidsUnique(p *Partner) error {
	seen := map[string]string{}
	owner := func(person string) string {
		if person == "" {
			return "an organisation key of " + p.ID
		}
		return "a key of person " + person
	}
	add := func(person string, jwks json.RawMessage) error {
		for _, kid := range KeyIDs(jwks) {
			if prev, ok := seen[kid]; ok && prev != person {
				return fmt.Errorf("%w: kid %q is already %s", ErrConflict, kid, owner(prev))
			}
			seen[kid] = person
		}
		return nil
	}
	if err := add("", p.JWKS); err != nil {
		return err
	}
	for _, k := range p.Persons {
		if err := add(k.Person, k.JWKS); err != nil {
			return err
		}
	}
	return nil
}

// modifyPartner changes partner id under the registry lock and stores it
// with an audit entry of action; fn returns the entry's detail.
func (s *Service) modifyPartner(ctx context.Context, c *Caller, id, action string, fn func(p *Partner) (map[string]string, error)) (Partner, error) {
	s.partnerMu.Lock()
	defer s.partnerMu.Unlock()
	old, err := s.LookupPartner(id)
	if err != nil {
		return Partner{}, err
	}
	apply := func(old *Partner) (Partner, map[string]string, error) {
		p := *old
		p.Persons = slices.Clone(old.Persons)
		detail, err := fn(&p)
		if err != nil {
			return Partner{}, nil, err
		}
		if err := s.checkPartner(&p); err != nil {
			return Partner{}, nil, err
		}
		return p, detail, nil
	}
	p, detail, err := apply(old)
	if err != nil {
		return Partner{}, err
	}
	// The snapshot old may lag another broker's write to this partner: fn
	// is applied again to the stored revision in the write transaction.
	return s.putPartnerLocked(ctx, c, p, false, action, detail, func(stored Partner) (Partner, error) {
		p, _, err := apply(&stored)
		return p, err
	})
}

// requirePersonAdmin lets an operator administer person keys: a verified
// person, or — once, to move an old region onto person keys — an operator
// whose own partner has no person key yet binding the first one to it.
func (s *Service) requirePersonAdmin(ctx context.Context, c *Caller, partner, person string) error {
	if err := requireRole(c, RoleOperator); err != nil {
		return err
	}
	if !verified(c) && partner == c.Partner.ID && !c.Partner.HasPersonKeys() {
		return nil // bootstrap of a region registered before person keys
	}
	return s.requireVerified(ctx, c, "partner.person", "partner:"+partner+"/person:"+person)
}

// PutPersonKey binds k (person, roles, JWKS) to partner, or replaces the
// roles and keys of a person already bound (rotation: a set holding old
// and new keeps both working). The person's status is kept. Operators
// only, as a verified person; audited.
func (s *Service) PutPersonKey(ctx context.Context, c *Caller, partner string, k PersonKey) (PersonKey, error) {
	if err := s.requirePersonAdmin(ctx, c, partner, k.Person); err != nil {
		return PersonKey{}, err
	}
	if !ValidPersonID(k.Person) {
		return PersonKey{}, invalid("person", "must be 1-128 letters, digits, '.', '_', '@' or '-', without a BSN")
	}
	if len(k.JWKS) == 0 {
		return PersonKey{}, invalid("jwks", "a public JWKS is required")
	}
	if err := s.cfg.CheckJWKS(k.JWKS); err != nil {
		return PersonKey{}, err
	}
	var out PersonKey
	_, err := s.modifyPartner(ctx, c, partner, "partner.person.put", func(p *Partner) (map[string]string, error) {
		now := s.now()
		nk := PersonKey{Person: k.Person, Roles: k.Roles, JWKS: k.JWKS, Status: PartnerActive, CreatedAt: now, UpdatedAt: now}
		if cur := p.PersonKey(k.Person); cur != nil {
			nk.Status, nk.CreatedAt = cur.Status, cur.CreatedAt
			*cur = nk
		} else {
			p.Persons = append(p.Persons, nk)
		}
		out = nk
		return map[string]string{"person": k.Person, "roles": joinRoles(k.Roles), "kids": strings.Join(KeyIDs(k.JWKS), ",")}, nil
	})
	if err != nil {
		return PersonKey{}, err
	}
	return out, nil
}

// RemovePersonKey removes a person's keys from partner; its tokens are
// refused from the next request on. An operator cannot remove the key it
// signs with. Operators only, as a verified person; audited.
func (s *Service) RemovePersonKey(ctx context.Context, c *Caller, partner, person string) error {
	if err := s.requirePersonAdmin(ctx, c, partner, person); err != nil {
		return err
	}
	if partner == c.Partner.ID && person == c.Person.ID {
		return fmt.Errorf("%w: an operator cannot remove the key it signs with", ErrConflict)
	}
	_, err := s.modifyPartner(ctx, c, partner, "partner.person.remove", func(p *Partner) (map[string]string, error) {
		i := slices.IndexFunc(p.Persons, func(k PersonKey) bool { return k.Person == person })
		if i < 0 {
			return nil, fmt.Errorf("person %q of partner %q: %w", person, partner, ErrNotFound)
		}
		p.Persons = slices.Delete(p.Persons, i, i+1)
		return map[string]string{"person": person}, nil
	})
	return err
}

// SetPersonStatus suspends or reactivates a person's keys; the
// organisation and its other persons keep working. Operators only, as a
// verified person; audited.
func (s *Service) SetPersonStatus(ctx context.Context, c *Caller, partner, person string, status PartnerStatus) (PersonKey, error) {
	if err := s.requirePersonAdmin(ctx, c, partner, person); err != nil {
		return PersonKey{}, err
	}
	if partner == c.Partner.ID && person == c.Person.ID && status == PartnerSuspended {
		return PersonKey{}, fmt.Errorf("%w: an operator cannot suspend the key it signs with", ErrConflict)
	}
	var out PersonKey
	_, err := s.modifyPartner(ctx, c, partner, "partner.person.status", func(p *Partner) (map[string]string, error) {
		k := p.PersonKey(person)
		if k == nil {
			return nil, fmt.Errorf("person %q of partner %q: %w", person, partner, ErrNotFound)
		}
		k.Status, k.UpdatedAt = status, s.now()
		out = *k
		return map[string]string{"person": person, "status": string(status)}, nil
	})
	if err != nil {
		return PersonKey{}, err
	}
	return out, nil
}

// PersonKeys lists the persons bound to partner, sorted by person.
// Operators only.
func (s *Service) PersonKeys(_ context.Context, c *Caller, partner string) ([]PersonKey, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return nil, err
	}
	p, err := s.LookupPartner(partner)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(p.Persons)
	if out == nil {
		out = []PersonKey{}
	}
	slices.SortFunc(out, func(a, b PersonKey) int { return strings.Compare(a.Person, b.Person) })
	return out, nil
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// RecordRefusal audits the refusal of an authentic token before it acts:
// c is who signed (the person of a person key), reason the token's reason
// code, claimed the sub the token claimed. A failure to write is logged;
// the request is refused either way.
func (s *Service) RecordRefusal(ctx context.Context, c *Caller, reason, claimed string) {
	e := s.auditEntry(c, EventDenial, "token.refused")
	e.Decision, e.Reasons = DecisionDeny, []string{reason}
	if claimed != c.Sub {
		if len(claimed) > 128 || ContainsBSN(claimed) {
			claimed = "[withheld]"
		}
		e.Detail = map[string]string{"claimed_sub": claimed}
	}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		s.log.Error("auditing a refused token", "error", err)
	}
}
