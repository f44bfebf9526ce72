package broker

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Sector is the kind of organisation a partner is. Policies grant and
// withhold by sector.
type Sector string

// The sectors of the social domain.
const (
	SectorMunicipality   Sector = "municipality"
	SectorEducation      Sector = "education"
	SectorWorkIncome     Sector = "work-income"
	SectorDebt           Sector = "debt"
	SectorYouth          Sector = "youth"
	SectorSocialServices Sector = "social-services"
	SectorWMO            Sector = "wmo"
	SectorHealth         Sector = "health"
	SectorOther          Sector = "other"
)

// Sectors lists every valid sector.
var Sectors = []Sector{SectorMunicipality, SectorEducation, SectorWorkIncome, SectorDebt,
	SectorYouth, SectorSocialServices, SectorWMO, SectorHealth, SectorOther}

// Role is the capacity in which a request token acts. A partner may use only
// the roles it was registered with.
type Role string

// The roles of the request protocol.
const (
	RoleConnector      Role = "connector"
	RoleProfessional   Role = "professional"
	RoleCoordinator    Role = "coordinator"
	RolePrivacyOfficer Role = "privacy-officer"
	RoleOperator       Role = "operator"
)

// Roles lists every valid role.
var Roles = []Role{RoleConnector, RoleProfessional, RoleCoordinator, RolePrivacyOfficer, RoleOperator}

// PartnerStatus tells whether a partner's tokens are accepted.
type PartnerStatus string

// Partner statuses.
const (
	PartnerActive    PartnerStatus = "active"
	PartnerSuspended PartnerStatus = "suspended"
)

// Ambition levels of Mens Centraal, 1 (consult a few partners) to 4 (joint
// plan).
const (
	MinLevel = 1
	MaxLevel = 4
)

// Partner is a registered organisation: a chain partner, a municipality (a
// tenant, whose Level is the municipality's chosen ambition level), or the
// region's operator.
type Partner struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Sector Sector `json:"sector"`
	// Municipalities this partner serves. A municipality serves itself.
	Municipalities []string `json:"municipalities"`
	Roles          []Role   `json:"roles"`
	// Level is the ambition level the partner joined at (1–4).
	Level int `json:"level"`
	// Covenant is the version of the covenant (convenant) the partner signed.
	Covenant string `json:"covenant,omitempty"`
	// JWKS is the partner's public JSON Web Key Set, as registered.
	JWKS   json.RawMessage `json:"jwks"`
	Status PartnerStatus   `json:"status"`
	// Webhook, when set, receives the partner's inbox items (level 3).
	Webhook string `json:"webhook,omitempty"`
	// ClientCerts binds the partner to its organisation's TLS client
	// certificates, where the broker requires them (serve --client-ca):
	// the subject serial numbers (PKIoverheid puts the organisation's OIN
	// there) or organisation names its certificates carry. When set, a
	// request of this partner over a connection whose certificate names
	// none of them is refused. Empty: any certificate of the region's PKI.
	ClientCerts []string  `json:"client_certs,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Revision counts changes; keys and caches key on it.
	Revision uint64 `json:"revision"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidID reports whether s is a valid identifier for partners,
// municipalities, households and references: lower-case letters, digits, '.',
// '_' and '-', 1 to 63 characters, starting with a letter or digit.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// HasRole reports whether the partner may act in role r.
func (p *Partner) HasRole(r Role) bool { return slices.Contains(p.Roles, r) }

// Serves reports whether the partner serves municipality m.
func (p *Partner) Serves(m string) bool { return slices.Contains(p.Municipalities, m) }

// Validate checks the partner's own fields; the JWKS is checked by the
// service's key checker.
func (p *Partner) Validate() error {
	if !ValidID(p.ID) {
		return invalid("id", "must be 1-63 lower-case letters, digits, '.', '_' or '-'")
	}
	if p.Name == "" || len(p.Name) > 200 {
		return invalid("name", "must be 1-200 characters")
	}
	if !slices.Contains(Sectors, p.Sector) {
		return invalid("sector", "unknown sector %q", p.Sector)
	}
	if len(p.Roles) == 0 {
		return invalid("roles", "at least one role is required")
	}
	for i, r := range p.Roles {
		if !slices.Contains(Roles, r) {
			return invalid("roles", "unknown role %q at %d", r, i)
		}
	}
	if p.Level < MinLevel || p.Level > MaxLevel {
		return invalid("level", "must be 1-4")
	}
	if len(p.ClientCerts) > 10 {
		return invalid("client_certs", "at most 10")
	}
	for _, c := range p.ClientCerts {
		if c == "" || len(c) > 128 || strings.ContainsFunc(c, unicode.IsControl) {
			return invalid("client_certs", "each 1-128 printable characters")
		}
	}
	if len(p.Municipalities) > 1000 {
		return invalid("municipalities", "at most 1000")
	}
	for _, m := range p.Municipalities {
		if !ValidID(m) {
			return invalid("municipalities", "invalid municipality id %q", m)
		}
	}
	if p.Sector == SectorMunicipality && !p.Serves(p.ID) {
		p.Municipalities = append(p.Municipalities, p.ID)
	}
	if len(p.Covenant) > 64 {
		return invalid("covenant", "at most 64 characters")
	}
	switch p.Status {
	case "":
		p.Status = PartnerActive
	case PartnerActive, PartnerSuspended:
	default:
		return invalid("status", "must be active or suspended")
	}
	if len(p.JWKS) == 0 {
		return invalid("jwks", "a public JWKS is required")
	}
	return nil
}

// Caller is the verified identity of a request: which partner signed it, for
// whom, in which role and for which purpose. The HTTP layer builds it from a
// verified request token; the domain trusts it.
type Caller struct {
	Partner   Partner
	Sub       string // the acting person or service, as the partner names them
	Role      Role
	Purpose   string // purpose code, "" when the action discloses nothing
	RequestID string
	TokenID   string // jti of the request token
}

// EffectiveLevel is the lower of the caller's partner level and the
// municipality's level (DESIGN: ambition levels).
func EffectiveLevel(partnerLevel, municipalityLevel int) int {
	return min(partnerLevel, municipalityLevel)
}

// AcceptsClientCert reports whether a connection with the verified client
// certificate whose subject has serialNumber and organizations may carry
// this partner's requests: always when no certificates are bound.
func (p *Partner) AcceptsClientCert(serialNumber string, organizations []string) bool {
	if len(p.ClientCerts) == 0 {
		return true
	}
	for _, c := range p.ClientCerts {
		if c == serialNumber || slices.Contains(organizations, c) {
			return true
		}
	}
	return false
}
