package broker

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// LoginConfig is how a partner's persons log in to the console: through
// the organisation's own OpenID Connect provider (Issuer), as the client
// ClientID, whose secret the broker reads from ClientSecretFile (never
// sent through the API or typed on a command line). The claims of a
// verified ID token map to the person (PersonClaim), the name shown
// (NameClaim) and the person's roles (RolesClaim values through RoleMap).
//
// An issuer vouches only for the persons of the partners registered with
// it: a login is started for one partner, and its ID token is accepted
// only when issued by that partner's Issuer to that partner's ClientID,
// and only the roles that partner's RoleMap grants come of it.
type LoginConfig struct {
	Issuer           string `json:"issuer"`
	ClientID         string `json:"client_id"`
	ClientSecretFile string `json:"client_secret_file"`
	// PersonClaim names the claim that is the person's id. Default "sub";
	// e.g. "preferred_username" to match the ids of person keys.
	PersonClaim string `json:"person_claim"`
	// NameClaim names the claim shown as the person's name. Default "name".
	NameClaim string `json:"name_claim"`
	// RolesClaim names the claim whose values RoleMap maps (e.g. "groups").
	RolesClaim string `json:"roles_claim"`
	// RoleMap maps claim values to Ketenbrug roles of the partner.
	RoleMap []RoleMapping `json:"role_map"`
	// Scopes are asked for beside "openid" and "profile", where the
	// provider releases the roles claim only for a scope (e.g. "groups").
	Scopes    []string  `json:"scopes,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RoleMapping grants Role to a person whose roles claim holds Value.
type RoleMapping struct {
	Role  Role   `json:"role"`
	Value string `json:"value"`
}

// Limits of a login configuration.
const (
	maxLoginURL      = 2000
	maxClaimName     = 64
	maxClaimValue    = 256
	maxRoleMappings  = 100
	maxClientID      = 255
	maxSecretPath    = 1024
	maxClientSecret  = 4096
	maxClaimValuesIn = 1000
	maxDisplayName   = 200
)

// ParseRoleMapping parses ROLE=VALUE (e.g. "coordinator=regisseurs"): a
// person whose roles claim holds VALUE may act as ROLE. The value is
// everything after the first '=' (a group's name may hold one).
func ParseRoleMapping(s string) (RoleMapping, error) {
	role, value, ok := strings.Cut(s, "=")
	if !ok {
		return RoleMapping{}, invalid("role_map", "%q: write ROLE=CLAIM-VALUE, e.g. coordinator=regisseurs", clip(s))
	}
	m := RoleMapping{Role: Role(strings.TrimSpace(role)), Value: value}
	if err := m.validate(); err != nil {
		return RoleMapping{}, err
	}
	return m, nil
}

func (m RoleMapping) validate() error {
	if !slices.Contains(Roles, m.Role) || m.Role == RoleConnector {
		// A connector is a machine with an organisation key; no person
		// logs in as one.
		return invalid("role_map", "role %q: one of coordinator, professional, privacy-officer, operator", clip(string(m.Role)))
	}
	if !printable(m.Value, maxClaimValue) {
		return invalid("role_map", "the claim value for %s must be 1-%d printable characters", m.Role, maxClaimValue)
	}
	return nil
}

// printable reports whether s is valid UTF-8 of 1..max bytes without
// control characters.
func printable(s string, max int) bool {
	return s != "" && len(s) <= max && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// clip shortens untrusted text quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

var claimNameOK = func(s string) bool {
	return len(s) <= maxClaimName && s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '_' || r == '-' || r == '.' || r == ':' || r == '/' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	})
}

// CheckIssuer accepts an absolute https URL without query, fragment or
// user information; plain http only to a loopback host (a provider on the
// broker's own machine, as in tests). The ID tokens of a login are signed
// by whoever answers there, so it must be authenticated by TLS.
func CheckIssuer(raw string) error {
	if raw == "" || len(raw) > maxLoginURL {
		return invalid("issuer", "an https URL of at most %d characters", maxLoginURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return invalid("issuer", "an absolute https URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return invalid("issuer", "no user information, query or fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return invalid("issuer", "https, or http to a loopback host only")
	}
	return invalid("issuer", "scheme %q: https only", clip(u.Scheme))
}

// normalize fills the defaults and checks every field but the secret
// file's content; p is the partner whose roles the mapping may grant.
func (l *LoginConfig) normalize(p *Partner) error {
	if err := CheckIssuer(l.Issuer); err != nil {
		return err
	}
	if !printable(l.ClientID, maxClientID) {
		return invalid("client_id", "1-%d printable characters", maxClientID)
	}
	if l.ClientSecretFile == "" || len(l.ClientSecretFile) > maxSecretPath || !filepath.IsAbs(l.ClientSecretFile) ||
		strings.ContainsFunc(l.ClientSecretFile, unicode.IsControl) {
		return invalid("client_secret_file", "the absolute path of a file on the broker's machine that holds the client secret")
	}
	if l.PersonClaim == "" {
		l.PersonClaim = "sub"
	}
	if l.NameClaim == "" {
		l.NameClaim = "name"
	}
	for field, v := range map[string]string{"person_claim": l.PersonClaim, "name_claim": l.NameClaim, "roles_claim": l.RolesClaim} {
		if !claimNameOK(v) {
			return invalid(field, "a claim name: 1-%d letters, digits, '_', '-', '.', ':' or '/'", maxClaimName)
		}
	}
	if len(l.Scopes) > 10 {
		return invalid("scopes", "at most 10")
	}
	for _, sc := range l.Scopes {
		if !claimNameOK(sc) {
			return invalid("scopes", "a scope: 1-%d letters, digits, '_', '-', '.', ':' or '/'", maxClaimName)
		}
	}
	if len(l.RoleMap) == 0 {
		return invalid("role_map", "at least one ROLE=CLAIM-VALUE: without it nobody of the partner could log in")
	}
	if len(l.RoleMap) > maxRoleMappings {
		return invalid("role_map", "at most %d mappings", maxRoleMappings)
	}
	for _, m := range l.RoleMap {
		if err := m.validate(); err != nil {
			return err
		}
		if !p.HasRole(m.Role) {
			return invalid("role_map", "role %q is not a role of partner %s", m.Role, p.ID)
		}
	}
	return nil
}

// SecretDir confines the client-secret files of logins to one directory.
// The broker sends a client secret to the partner's issuer; an operator
// who could name any file would make the broker send, say, its pseudonym
// secret to an issuer of their choosing. So a secret file must lie in
// this directory (after symbolic links), be a regular file readable by
// its owner only, and hold one short line.
type SecretDir string

// Read returns the client secret in file.
func (d SecretDir) Read(file string) (string, error) {
	if d == "" {
		return "", invalid("client_secret_file", "this broker was started without a directory for login secrets (serve --login-secrets DIR)")
	}
	dir, err := filepath.EvalSymlinks(string(d))
	if err != nil {
		return "", invalid("client_secret_file", "the broker's login-secrets directory %s is missing", d)
	}
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		return "", invalid("client_secret_file", "the broker cannot read %s: put the secret there (one line, mode 0600)", clip(file))
	}
	if rel, err := filepath.Rel(dir, real); err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
		return "", invalid("client_secret_file", "must lie in the broker's login-secrets directory %s", d)
	}
	info, err := os.Stat(real)
	if err != nil || !info.Mode().IsRegular() {
		return "", invalid("client_secret_file", "the broker cannot read %s: put the secret there (one line, mode 0600)", clip(file))
	}
	if info.Mode().Perm()&0o077 != 0 {
		return "", invalid("client_secret_file", "%s is readable by others: chmod 600 it", clip(file))
	}
	if info.Size() > maxClientSecret {
		return "", invalid("client_secret_file", "%s is over %d bytes: it should hold the client secret only", clip(file), maxClientSecret)
	}
	raw, err := os.ReadFile(real)
	if err != nil {
		return "", invalid("client_secret_file", "the broker cannot read %s", clip(file))
	}
	secret := strings.TrimRight(string(raw), "\r\n")
	if !printable(secret, maxClientSecret) || strings.ContainsAny(secret, "\r\n") {
		return "", invalid("client_secret_file", "%s must hold the client secret on one line", clip(file))
	}
	return secret, nil
}

// LoginIdentity is who a verified ID token names, mapped by a partner's
// login configuration.
type LoginIdentity struct {
	Person string
	Name   string
	Roles  []Role
}

// Reasons a login is refused (audited; the console names the next step).
const (
	ReasonLoginNoRole          = "login_no_role"
	ReasonLoginPersonClaim     = "login_person_claim"
	ReasonLoginPersonSuspended = "login_person_suspended"
	ReasonLoginPartner         = "login_partner_unavailable"
)

// LoginRefusedError is a verified ID token that does not let its person
// in; Reason is one of the Reason* codes of logins.
type LoginRefusedError struct {
	Reason string
	Person string // "" when the person claim was unusable
	msg    string
}

func (e *LoginRefusedError) Error() string { return e.msg }

// Is makes a refused login match ErrForbidden.
func (e *LoginRefusedError) Is(target error) bool { return target == ErrForbidden }

// MapClaims maps the claims of a verified ID token to the person, name and
// roles, for partner p. Only the roles p's mapping grants and p holds come
// of it; a person without one, whose person claim is missing or unusable,
// or whose person key says suspended, is refused.
func (l *LoginConfig) MapClaims(p *Partner, claims map[string]any) (LoginIdentity, error) {
	person, _ := claims[l.PersonClaim].(string)
	if !ValidPersonID(person) {
		return LoginIdentity{}, &LoginRefusedError{Reason: ReasonLoginPersonClaim,
			msg: fmt.Sprintf("the ID token's %s claim is missing or not a usable person id", l.PersonClaim)}
	}
	if k := p.PersonKey(person); k != nil && k.Status != PartnerActive {
		return LoginIdentity{}, &LoginRefusedError{Reason: ReasonLoginPersonSuspended, Person: person,
			msg: fmt.Sprintf("person %s of %s is suspended", person, p.ID)}
	}
	id := LoginIdentity{Person: person, Name: person}
	if name, ok := claims[l.NameClaim].(string); ok {
		name = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, strings.ToValidUTF8(name, ""))
		if len(name) > maxDisplayName {
			name = strings.ToValidUTF8(name[:maxDisplayName], "")
		}
		if strings.TrimSpace(name) != "" {
			id.Name = name
		}
	}
	var values []string
	switch v := claims[l.RolesClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for i, x := range v {
			if i == maxClaimValuesIn {
				break
			}
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	for _, m := range l.RoleMap {
		if slices.Contains(values, m.Value) && p.HasRole(m.Role) && !slices.Contains(id.Roles, m.Role) {
			id.Roles = append(id.Roles, m.Role)
		}
	}
	if len(id.Roles) == 0 {
		return LoginIdentity{}, &LoginRefusedError{Reason: ReasonLoginNoRole, Person: person,
			msg: fmt.Sprintf("no value of the %s claim maps to a role of %s", l.RolesClaim, p.ID)}
	}
	slices.SortFunc(id.Roles, func(a, b Role) int { return slices.Index(Roles, a) - slices.Index(Roles, b) })
	return id, nil
}

// LoginAccepts reports whether a session made by a login at issuer as
// client may still act for p: p is active and still names that issuer and
// client. (MapClaims and the person's status are checked apart.)
func (p *Partner) LoginAccepts(issuer, clientID string) bool {
	return p.Status == PartnerActive && p.Login != nil && p.Login.Issuer == issuer && p.Login.ClientID == clientID
}

// SetLoginConfig registers (or replaces) partner's login configuration.
// The client secret file is read once to check it. Operators only, as a
// verified person; audited.
func (s *Service) SetLoginConfig(ctx context.Context, c *Caller, partner string, lc LoginConfig) (LoginConfig, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return LoginConfig{}, err
	}
	if err := s.requireVerified(ctx, c, "partner.login", "partner:"+partner+"/login"); err != nil {
		return LoginConfig{}, err
	}
	p, err := s.LookupPartner(partner)
	if err != nil {
		return LoginConfig{}, err
	}
	if err := lc.normalize(p); err != nil {
		return LoginConfig{}, err
	}
	if _, err := s.cfg.LoginSecrets.Read(lc.ClientSecretFile); err != nil {
		return LoginConfig{}, err
	}
	var out LoginConfig
	_, err = s.modifyPartner(ctx, c, partner, "partner.login.set", func(p *Partner) (map[string]string, error) {
		if err := lc.normalize(p); err != nil { // the partner may have changed meanwhile
			return nil, err
		}
		lc.UpdatedAt = s.now()
		out = lc
		p.Login = &out // a new value: the published snapshot's is never changed
		maps := make([]string, len(lc.RoleMap))
		for i, m := range lc.RoleMap {
			maps[i] = string(m.Role) + "=" + m.Value
		}
		return map[string]string{"issuer": lc.Issuer, "client_id": lc.ClientID, "person_claim": lc.PersonClaim,
			"roles_claim": lc.RolesClaim, "role_map": strings.Join(maps, ",")}, nil
	})
	if err != nil {
		return LoginConfig{}, err
	}
	return out, nil
}

// LoginConfig returns partner's login configuration. Operators only.
func (s *Service) LoginConfig(_ context.Context, c *Caller, partner string) (LoginConfig, error) {
	if err := requireRole(c, RoleOperator); err != nil {
		return LoginConfig{}, err
	}
	p, err := s.LookupPartner(partner)
	if err != nil {
		return LoginConfig{}, err
	}
	if p.Login == nil {
		return LoginConfig{}, fmt.Errorf("login configuration of partner %q: %w", partner, ErrNotFound)
	}
	return *p.Login, nil
}

// RemoveLoginConfig removes partner's login configuration; its console
// sessions end at their next request. Operators only, as a verified
// person; audited.
func (s *Service) RemoveLoginConfig(ctx context.Context, c *Caller, partner string) error {
	if err := requireRole(c, RoleOperator); err != nil {
		return err
	}
	if err := s.requireVerified(ctx, c, "partner.login", "partner:"+partner+"/login"); err != nil {
		return err
	}
	_, err := s.modifyPartner(ctx, c, partner, "partner.login.remove", func(p *Partner) (map[string]string, error) {
		if p.Login == nil {
			return nil, fmt.Errorf("login configuration of partner %q: %w", partner, ErrNotFound)
		}
		issuer := p.Login.Issuer
		p.Login = nil
		return map[string]string{"issuer": issuer}, nil
	})
	return err
}

// LoginPartner is a partner one may log in for, as the console's partner
// picker shows it.
type LoginPartner struct {
	ID   string
	Name string
}

// LoginPartners lists the active partners with a login configuration,
// sorted by name: the console's partner picker, shown before login (names
// of the region's organisations only).
func (s *Service) LoginPartners() []LoginPartner {
	var out []LoginPartner
	for _, p := range *s.partners.Load() {
		if p.Status == PartnerActive && p.Login != nil {
			out = append(out, LoginPartner{ID: p.ID, Name: p.Name})
		}
	}
	slices.SortFunc(out, func(a, b LoginPartner) int {
		return strings.Compare(strings.ToLower(a.Name)+a.ID, strings.ToLower(b.Name)+b.ID)
	})
	return out
}

// ClientSecret reads the client secret of partner p's login from its file,
// at each use, so that a rotated secret applies without a restart.
func (s *Service) ClientSecret(p *Partner) (string, error) {
	if p.Login == nil {
		return "", fmt.Errorf("login configuration of partner %q: %w", p.ID, ErrNotFound)
	}
	return s.cfg.LoginSecrets.Read(p.Login.ClientSecretFile)
}

// Console audit actions.
const (
	ActionConsoleLogin   = "console.login"
	ActionConsoleLogout  = "console.logout"
	ActionConsoleRevoked = "console.session.revoked"
)

// RecordLogin audits a console login of c (the verified person, via
// "oidc:<issuer>"). The session is used only once this entry is durable.
func (s *Service) RecordLogin(ctx context.Context, c *Caller, detail map[string]string) error {
	e := s.auditEntry(c, EventChange, ActionConsoleLogin)
	e.Object = "partner:" + c.Partner.ID
	e.Detail = detail
	return s.commit(ctx, e, nil, nil)
}

// RecordLoginRefused audits a refused console login: partner, the issuer
// it went to, the person when the ID token named one, and the reason code.
func (s *Service) RecordLoginRefused(ctx context.Context, partner, issuer, person, reason string) {
	if !ValidPersonID(person) {
		person = "" // an unusable claim (or a BSN in it) is never written
	}
	c := &Caller{Partner: Partner{ID: partner}, Sub: person}
	if issuer != "" {
		c.Person = Person{ID: person, Verified: person != "", Via: "oidc:" + issuer}
	}
	e := s.auditEntry(c, EventDenial, ActionConsoleLogin)
	e.Decision, e.Reasons = DecisionDeny, []string{reason}
	if partner != "" {
		e.Object = "partner:" + partner
	}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		s.log.Error("auditing a refused login", "error", err)
	}
}

// RecordLogout audits the end of c's console session: "logout" when the
// person logged out, or why it was revoked or expired.
func (s *Service) RecordLogout(ctx context.Context, c *Caller, reason string) error {
	action := ActionConsoleLogout
	if reason != "logout" {
		action = ActionConsoleRevoked
	}
	e := s.auditEntry(c, EventChange, action)
	e.Object = "partner:" + c.Partner.ID
	e.Detail = map[string]string{"reason": reason}
	return s.commit(ctx, e, nil, nil)
}
