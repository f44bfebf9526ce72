package wire

import (
	"encoding/json"
	"time"
)

// Sector is the kind of organisation a partner is. Policies grant and
// withhold by sector.
type Sector string

// Role is the capacity in which a request token acts. A partner may use only
// the roles it was registered with.
type Role string

// PartnerStatus tells whether a partner's tokens are accepted.
type PartnerStatus string

// PersonKey binds a public JWKS to one person of a partner and the roles
// that person holds (broker.PersonKey as it goes over the wire).
type PersonKey struct {
	Person    string          `json:"person"`
	Roles     []Role          `json:"roles"`
	JWKS      json.RawMessage `json:"jwks"`
	Status    PartnerStatus   `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// LoginConfig is how a partner's persons log in to the web console through
// the organisation's own OpenID Connect provider (broker.LoginConfig as it
// goes over the wire). The client secret itself is never sent, only the
// path of the file on the broker's machine that holds it.
type LoginConfig struct {
	Issuer           string `json:"issuer"`
	ClientID         string `json:"client_id"`
	ClientSecretFile string `json:"client_secret_file"`
	// PersonClaim names the claim that is the person's id. Default "sub".
	PersonClaim string `json:"person_claim"`
	// NameClaim names the claim shown as the person's name. Default "name".
	NameClaim string `json:"name_claim"`
	// RolesClaim names the claim whose values RoleMap maps (e.g. "groups").
	RolesClaim string `json:"roles_claim"`
	// RoleMap maps claim values to Ketenbrug roles of the partner.
	RoleMap []RoleMapping `json:"role_map"`
	// Scopes are asked for beside "openid" and "profile".
	Scopes    []string  `json:"scopes,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RoleMapping grants Role to a person whose roles claim holds Value.
type RoleMapping struct {
	Role  Role   `json:"role"`
	Value string `json:"value"`
}

// Whoami describes the verified caller.
type Whoami struct {
	Partner string `json:"partner"`
	Name    string `json:"name"`
	Sub     string `json:"sub"`
	// SubKnown is "verified" when a person key proved who Sub is,
	// "asserted" when an organisation key only names it; SubVia the proof.
	SubKnown string `json:"sub_known"`
	SubVia   string `json:"sub_via,omitempty"`
	Role     Role   `json:"role"`
	Level    int    `json:"level"`
	Sector   Sector `json:"sector"`
}

// Partner is a registered partner organisation as the operator sees it
// (broker.Partner as it goes over the wire).
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
	// ClientCerts are the subject serial numbers or organisation names of
	// the TLS client certificates the partner's requests must come with.
	ClientCerts []string `json:"client_certs,omitempty"`
	// PrivacyOffice marks the region's privacy office.
	PrivacyOffice bool `json:"privacy_office,omitempty"`
	// ControllerRole is controller, joint-controller or processor.
	ControllerRole string `json:"controller_role,omitempty"`
	// PrivacyContact is the partner's contact point for privacy questions.
	PrivacyContact string `json:"privacy_contact,omitempty"`
	// Persons are the partner's person-bound keys.
	Persons []PersonKey `json:"persons,omitempty"`
	// Login is how the partner's persons log in to the console.
	Login *LoginConfig `json:"login,omitempty"`
	// TeamLead is, for a municipality, the person overdue match
	// follow-ups escalate to.
	TeamLead  *Actor    `json:"team_lead,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Revision counts changes.
	Revision uint64 `json:"revision"`
}
