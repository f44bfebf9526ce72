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
