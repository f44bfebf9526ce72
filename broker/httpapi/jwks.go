package httpapi

import (
	"encoding/json"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// CheckJWKS validates a partner's public key set with the protocol's rules
// (broker.Config.CheckJWKS): the domain stores key sets, the protocol says
// which keys a partner may sign with.
func CheckJWKS(raw json.RawMessage) error {
	set, err := jwk.Parse(raw)
	if err != nil {
		return &broker.ValidationError{Field: "jwks", Reason: "not a JSON Web Key Set"}
	}
	if err := protocol.ValidatePublicJWKS(set); err != nil {
		return &broker.ValidationError{Field: "jwks", Reason: err.Error()}
	}
	return nil
}
