package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strconv"
)

// Signer signs what the log attests on the broker's behalf: the chain head
// in a checkpoint, and the anchor a purge leaves behind.
type Signer interface {
	// KeyID names the signing key; it is stored next to each signature.
	KeyID() string
	// Sign returns a signature over payload in a text form.
	Sign(payload []byte) (string, error)
	Verifier
}

// Verifier checks signatures by key id, so that entries signed before a key
// rotation still verify.
type Verifier interface {
	// Verify returns nil when sig is keyID's signature over payload, and an
	// error matching ErrBadSignature otherwise.
	Verify(keyID string, payload []byte, sig string) error
}

// ErrBadSignature means a checkpoint or purge signature does not verify.
var ErrBadSignature = errors.New("audit: bad signature")

// Detail keys of checkpoint and purge entries.
const (
	DetailHeadSeq    = "head_seq"    // checkpoint: the seq it attests (its own seq − 1)
	DetailHeadHash   = "head_hash"   // checkpoint: that entry's hash (its own prev_hash)
	DetailFirstSeq   = "first_seq"   // purge: the first entry kept
	DetailAnchorHash = "anchor_hash" // purge: the prev_hash of the first entry kept
	DetailRemoved    = "removed"     // purge: how many entries were removed
	DetailBefore     = "before"      // purge: the retention limit asked for
	DetailKeyID      = "kid"
	DetailSignature  = "sig"
)

// checkpointPayload is what a checkpoint signs: the seq and hash of the
// entry before it. The prefix keeps a checkpoint signature from passing as
// any other statement of the same key.
func checkpointPayload(seq uint64, hash string) []byte {
	return []byte("ketenbrug-audit/v1 checkpoint " + strconv.FormatUint(seq, 10) + " " + hash)
}

// purgePayload is what a purge entry signs: the first entry kept and the
// hash it links to, which no longer exists in the store.
func purgePayload(firstSeq uint64, anchor string) []byte {
	return []byte("ketenbrug-audit/v1 purge " + strconv.FormatUint(firstSeq, 10) + " " + anchor)
}

// Ed25519Keys verifies Ed25519 signatures by key id. It is the Verifier for
// checking an exported chain without the broker's private key.
type Ed25519Keys map[string]ed25519.PublicKey

// Verify implements Verifier.
func (k Ed25519Keys) Verify(keyID string, payload []byte, sig string) error {
	pub, ok := k[keyID]
	if !ok {
		return fmt.Errorf("%w: unknown key %q", ErrBadSignature, keyID)
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !ed25519.Verify(pub, payload, raw) {
		return fmt.Errorf("%w: key %q", ErrBadSignature, keyID)
	}
	return nil
}

// Ed25519Signer is a Signer with an Ed25519 key. Signatures are unpadded
// base64url.
type Ed25519Signer struct {
	id   string
	key  ed25519.PrivateKey
	keys Ed25519Keys
}

// NewEd25519Signer signs with key under keyID. previous holds the public
// keys of earlier signing keys, so their checkpoints keep verifying.
func NewEd25519Signer(keyID string, key ed25519.PrivateKey, previous Ed25519Keys) (*Ed25519Signer, error) {
	if keyID == "" {
		return nil, errors.New("audit: signer needs a key id")
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: not an Ed25519 private key")
	}
	keys := maps.Clone(previous)
	if keys == nil {
		keys = Ed25519Keys{}
	}
	keys[keyID] = key.Public().(ed25519.PublicKey)
	return &Ed25519Signer{id: keyID, key: key, keys: keys}, nil
}

// KeyID implements Signer.
func (s *Ed25519Signer) KeyID() string { return s.id }

// Sign implements Signer.
func (s *Ed25519Signer) Sign(payload []byte) (string, error) {
	return base64.RawURLEncoding.EncodeToString(ed25519.Sign(s.key, payload)), nil
}

// Verify implements Verifier with the current and previous public keys.
func (s *Ed25519Signer) Verify(keyID string, payload []byte, sig string) error {
	return s.keys.Verify(keyID, payload, sig)
}

// PublicKeys returns the public keys, current and previous, for verifying
// an exported chain elsewhere.
func (s *Ed25519Signer) PublicKeys() Ed25519Keys { return maps.Clone(s.keys) }
