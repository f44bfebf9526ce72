package broker

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// Sector is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type Sector = wire.Sector

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

// Role is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type Role = wire.Role

// The roles of the request protocol.
const (
	RoleConnector      Role = "connector"
	RoleProfessional   Role = "professional"
	RoleCoordinator    Role = "coordinator"
	RolePrivacyOfficer Role = "privacy-officer"
	RoleOperator       Role = "operator"
	// RoleAnalyst reads the figures of its municipality's pilot
	// (stuurinformatie, Service.Statistics) and nothing else: no
	// overview, no inbox, no audit entry.
	RoleAnalyst Role = "analyst"
)

// Roles lists every valid role.
var Roles = []Role{RoleConnector, RoleProfessional, RoleCoordinator, RolePrivacyOfficer, RoleOperator, RoleAnalyst}

// PartnerStatus is the wire type (connectors/wire), so that the SDK carries it without
// importing the domain.
type PartnerStatus = wire.PartnerStatus

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
	JWKS   json.RawMessage `json:"jwks,omitempty"`
	Status PartnerStatus   `json:"status"`
	// Webhook, when set, receives the partner's inbox items (level 3).
	Webhook string `json:"webhook,omitempty"`
	// ClientCerts binds the partner to its organisation's TLS client
	// certificates, where the broker requires them (serve --client-ca):
	// the subject serial numbers (PKIoverheid puts the organisation's OIN
	// there) or organisation names its certificates carry. When set, a
	// request of this partner over a connection whose certificate names
	// none of them is refused. Empty: any certificate of the region's PKI.
	ClientCerts []string `json:"client_certs,omitempty"`
	// PrivacyOffice marks the region's privacy office: its privacy officers
	// supervise the whole broker (every audit entry, consent and access
	// report). Other partners' privacy officers see the persons their own
	// partner serves (officer.go).
	PrivacyOffice bool `json:"privacy_office,omitempty"`
	// ControllerRole is the partner's role for the broker's processing:
	// controller, joint-controller (AVG art. 26, where joint control is
	// actually arranged) or processor (art. 28); shown in the register of
	// processing and the resident's access report. "" until registered.
	ControllerRole string `json:"controller_role,omitempty"`
	// PrivacyContact is the partner's contact point for privacy questions
	// (an address, phone number or URL of its FG or privacy desk).
	PrivacyContact string `json:"privacy_contact,omitempty"`
	// Persons are the partner's person-bound keys: each binds a JWKS to one
	// person and the roles that person holds. A token signed with one acts
	// as that person (a verified person); a token signed with a key of JWKS
	// is an organisation key, whose sub is only asserted.
	Persons []PersonKey `json:"persons,omitempty"`
	// Login, when set, lets the partner's persons log in to the console
	// through the organisation's own OpenID Connect provider.
	Login *LoginConfig `json:"login,omitempty"`
	// TeamLead is, for a municipality, the person overdue match
	// follow-ups escalate to (a person of this or another partner).
	TeamLead  *Actor    `json:"team_lead,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Revision counts changes; keys and caches key on it.
	Revision uint64 `json:"revision"`
}

// IDRule says what makes a valid identifier, for error messages.
const IDRule = "1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, and no BSN in it"

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidID reports whether s is a valid identifier for partners,
// municipalities, households, plan goals and agreements: lower-case
// letters, digits, '.', '_' and '-', 1 to 63 characters, starting with a
// letter or digit, and carrying no BSN (ContainsBSN): identifiers appear in
// URLs, logs and the store.
func ValidID(s string) bool { return idPattern.MatchString(s) && !ContainsBSN(s) }

// HasRole reports whether the partner may act in role r.
func (p *Partner) HasRole(r Role) bool { return slices.Contains(p.Roles, r) }

// Serves reports whether the partner serves municipality m.
func (p *Partner) Serves(m string) bool { return slices.Contains(p.Municipalities, m) }

// validateTeamLead checks the team lead: only a municipality names one, a
// person (sub) of a partner, with no BSN in it.
func (p *Partner) validateTeamLead() error {
	t := p.TeamLead
	if t == nil {
		return nil
	}
	if p.Sector != SectorMunicipality {
		return invalid("team_lead", "only a municipality names a team lead")
	}
	if !ValidID(t.Partner) || t.Sub == "" || len(t.Sub) > 200 {
		return invalid("team_lead", "a partner id ("+IDRule+") and the person (sub, 1-200 characters) acting for it")
	}
	return refuseBSNIn("team_lead.sub", t.Sub)
}

// Validate checks the partner's own fields; the JWKS is checked by the
// service's key checker.
func (p *Partner) Validate() error {
	if !ValidID(p.ID) {
		return invalid("id", IDRule)
	}
	if p.Name == "" || len(p.Name) > 200 {
		return invalid("name", "must be 1-200 characters")
	}
	if !slices.Contains(Sectors, p.Sector) {
		return invalid("sector", "unknown sector %q", p.Sector)
	}
	if p.ControllerRole != "" && !slices.Contains(ControllerRoles, p.ControllerRole) {
		return invalid("controller_role", "controller, joint-controller or processor")
	}
	if len(p.PrivacyContact) > 200 {
		return invalid("privacy_contact", "at most 200 characters")
	}
	if err := refuseBSNIn("privacy_contact", p.PrivacyContact); err != nil {
		return err
	}
	if err := p.validateTeamLead(); err != nil {
		return err
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
	if !p.HasOrgKeys() && len(p.Persons) == 0 {
		return invalid("jwks", "a public JWKS is required")
	}
	if len(p.Persons) > MaxPersonKeys {
		return invalid("persons", "at most %d persons with keys", MaxPersonKeys)
	}
	for i := range p.Persons {
		if err := p.Persons[i].validate(p); err != nil {
			return err
		}
	}
	if p.Login != nil {
		lc := *p.Login // a copy: Validate must not change a published value
		if err := lc.normalize(p); err != nil {
			return err
		}
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
	// Person tells how the broker knows the acting person: verified (a
	// person-bound key, later a console login) or only asserted by the
	// organisation's key (the zero value).
	Person Person
}

// Person is how the broker knows the person behind a request.
type Person struct {
	// ID is the verified person; "" when the person is only asserted (Sub).
	ID string `json:"id,omitempty"`
	// Verified is true when a person key (or login) proved who acts.
	Verified bool `json:"verified"`
	// Via names the proof: "key:<kid>" for a person-bound key,
	// "oidc:<issuer>" for a console login.
	Via string `json:"via,omitempty"`
}

// How an audit entry's person was known (AuditEntry.SubKnown).
const (
	SubVerified = "verified"
	SubAsserted = "asserted"
)

// Known returns SubVerified or SubAsserted.
func (p Person) Known() string {
	if p.Verified {
		return SubVerified
	}
	return SubAsserted
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
