// Package connectors is the SDK every partner uses to talk to a Ketenbrug
// broker: identity files, request signing, response-signature checks,
// retries with backoff, and (in the adapter packages below it) the mapping
// of partners' own export files to involvements.
//
// A partner needs only an identity file (made by `ketenbrug identity new`)
// and the broker's URL:
//
//	id, _ := connectors.LoadIdentity("kredietbank.json")
//	c, _ := connectors.New(connectors.Config{Server: "https://broker.example", Identity: id})
//	var me map[string]any
//	err := c.Whoami(ctx, &me)
//
// Every operation of the broker's OpenAPI document has a method of Client,
// in a file named for its resource (households.go, consents.go, …); Do and
// JSON remain for what the document does not describe. The JSON shapes the
// SDK types live in connectors/wire, so that a partner's program does not
// link the broker's domain.
package connectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// Identity is what a connector signs with: the partner it speaks for, the
// acting person or service (sub), the role it uses, and the private key. It
// is kept in a file readable by its owner only.
//
// An identity whose key is bound to a person (a person key, registered with
// `ketenbrug partner keys add --person`) names that person in Person; its
// sub is the person, and the broker refuses any other.
type Identity struct {
	Partner string          `json:"partner"`
	Person  string          `json:"person,omitempty"`
	Sub     string          `json:"sub"`
	Role    string          `json:"role"`
	Key     json.RawMessage `json:"key"`

	signer *protocol.Signer
}

// NewIdentity makes an identity with a fresh key pair for alg (EdDSA,
// ES256, PS256; "" means EdDSA) and returns it with its public JWKS, which
// the operator registers for the partner.
func NewIdentity(partner, sub, role, alg string) (*Identity, []byte, error) {
	if partner == "" || sub == "" || role == "" {
		return nil, nil, errors.New("connectors: partner, sub and role are required")
	}
	if alg == "" {
		alg = "EdDSA"
	}
	key, err := protocol.GenerateKey(alg)
	if err != nil {
		return nil, nil, err
	}
	priv, err := json.Marshal(key)
	if err != nil {
		return nil, nil, err
	}
	set, err := protocol.PublicSet(key)
	if err != nil {
		return nil, nil, err
	}
	pub, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	id := &Identity{Partner: partner, Sub: sub, Role: role, Key: priv}
	if err := id.prepare(); err != nil {
		return nil, nil, err
	}
	return id, pub, nil
}

// NewPersonIdentity makes an identity for a person key: Person and Sub are
// person. Register its public JWKS with `partner keys add --person`.
func NewPersonIdentity(partner, person, role, alg string) (*Identity, []byte, error) {
	if person == "" {
		return nil, nil, errors.New("connectors: person is required")
	}
	id, pub, err := NewIdentity(partner, person, role, alg)
	if err != nil {
		return nil, nil, err
	}
	id.Person = person
	return id, pub, nil
}

// LoadIdentity reads an identity file. It refuses files that others may
// read, as ssh does for private keys.
func LoadIdentity(path string) (*Identity, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	// A public key set is the other file identity new writes: say so
	// before complaining about its permissions (which it may rightly have
	// open) or its fields.
	if raw, err := os.ReadFile(path); err == nil && isKeySet(raw) {
		return nil, fmt.Errorf("identity %s is a public key set (JWKS), not an identity file: give --as the identity file "+
			"that identity new wrote with --out, and send this JWKS to the operator", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("identity %s: permissions %v are too open; chmod 600 it", path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return ParseIdentity(raw)
}

// isKeySet reports whether raw is a JSON Web Key Set ({"keys": [...]}).
func isKeySet(raw []byte) bool {
	var set struct {
		Keys json.RawMessage `json:"keys"`
	}
	return json.Unmarshal(raw, &set) == nil && len(set.Keys) > 0
}

// ParseIdentity parses the JSON of an identity file.
func ParseIdentity(raw []byte) (*Identity, error) {
	if isKeySet(raw) {
		return nil, errors.New("identity: this is a public key set (JWKS), not an identity file: use the identity file identity new wrote with --out")
	}
	var id Identity
	if err := json.Unmarshal(raw, &id); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if id.Person != "" && id.Sub == "" {
		id.Sub = id.Person
	}
	if id.Person != "" && id.Sub != id.Person {
		return nil, errors.New("identity: sub must be the person of a person key")
	}
	if id.Partner == "" || id.Sub == "" || id.Role == "" || len(id.Key) == 0 {
		return nil, errors.New("identity: partner, sub, role and key are required")
	}
	if err := id.prepare(); err != nil {
		return nil, err
	}
	return &id, nil
}

func (id *Identity) prepare() error {
	key, err := jwk.ParseKey(id.Key)
	if err != nil {
		return fmt.Errorf("identity key: %w", err)
	}
	s, err := protocol.NewSigner(key)
	if err != nil {
		return fmt.Errorf("identity key: %w", err)
	}
	id.signer = s
	return nil
}

// Signer returns the identity's request signer.
func (id *Identity) Signer() *protocol.Signer { return id.signer }

// PublicJWKS returns the public key set of the identity.
func (id *Identity) PublicJWKS() ([]byte, error) {
	key, err := jwk.ParseKey(id.Key)
	if err != nil {
		return nil, err
	}
	set, err := protocol.PublicSet(key)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(set, "", "  ")
}

// WriteFile writes the identity to path with mode 0600, refusing to
// overwrite an existing file (a lost private key cannot be recovered).
func (id *Identity) WriteFile(path string) error {
	raw, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if _, err := f.Write(append(raw, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
