package main

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// The files of a data directory.
const (
	storeFile     = "ketenbrug.db"
	brokerKeyFile = "broker-key.jwk"   // the broker's Ed25519 signing key (private JWK)
	secretFile    = "pseudonym.secret" // the key of BSN pseudonyms
	operatorFile  = "operator.json"    // the operator's identity file
	operatorID    = "operator"         // the operator partner that init registers
	spoolDir      = "spool"            // request spool files (sync uploads: BSNs in clear), never kept
)

// dataDir holds the paths and secrets of a data directory.
type dataDir struct {
	path      string
	brokerKey jwk.Key
	secret    []byte
}

func (d *dataDir) file(name string) string { return filepath.Join(d.path, name) }

// isInitialised reports whether dir holds a broker's key and secret.
func isInitialised(dir string) bool {
	for _, f := range []string{brokerKeyFile, secretFile, storeFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// prepareDataDir creates dir (0700) and the broker's key and pseudonym
// secret when they are absent, and loads them. made lists what it created.
func prepareDataDir(dir string) (d *dataDir, made []string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	d = &dataDir{path: dir}
	if _, err := os.Stat(d.file(brokerKeyFile)); errors.Is(err, fs.ErrNotExist) {
		key, err := protocol.GenerateKey(protocol.AlgEdDSA)
		if err != nil {
			return nil, nil, err
		}
		raw, err := json.MarshalIndent(key, "", "  ")
		if err != nil {
			return nil, nil, err
		}
		if err := writeSecretFile(d.file(brokerKeyFile), raw); err != nil {
			return nil, nil, err
		}
		made = append(made, brokerKeyFile+" (the broker's Ed25519 signing key)")
	}
	if _, err := os.Stat(d.file(secretFile)); errors.Is(err, fs.ErrNotExist) {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, nil, err
		}
		if err := writeSecretFile(d.file(secretFile), secret); err != nil {
			return nil, nil, err
		}
		made = append(made, secretFile+" (the key of BSN pseudonyms; back it up with the store)")
	}
	raw, err := readSecretFile(d.file(brokerKeyFile))
	if err != nil {
		return nil, nil, err
	}
	if d.brokerKey, err = jwk.ParseKey(raw); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", brokerKeyFile, err)
	}
	if d.secret, err = readSecretFile(d.file(secretFile)); err != nil {
		return nil, nil, err
	}
	if len(d.secret) < broker.MinSecretLen {
		return nil, nil, fmt.Errorf("%s: too short", secretFile)
	}
	return d, made, nil
}

// ed25519Key returns the broker key as an Ed25519 private key, for the audit
// log's checkpoint signatures.
func (d *dataDir) ed25519Key() (ed25519.PrivateKey, string, error) {
	var priv ed25519.PrivateKey
	if err := jwk.Export(d.brokerKey, &priv); err != nil {
		return nil, "", fmt.Errorf("broker key: %w", err)
	}
	kid, _ := d.brokerKey.KeyID()
	return priv, kid, nil
}

// writeSecretFile writes a new file readable by its owner only.
func writeSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readSecretFile reads a file that must not be readable by others.
func readSecretFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: permissions %v are too open; chmod 600 it", path, fi.Mode().Perm())
	}
	return os.ReadFile(path)
}

// storeOpenError says in one line what keeps the store at path in dir from
// opening, and what to do about it.
func storeOpenError(dir, path string, err error) error {
	switch {
	case errors.Is(err, boltstore.ErrLocked):
		holder := ""
		if pid := lockHolder(path); pid > 0 {
			holder = fmt.Sprintf(" (pid %d)", pid)
		}
		return fmt.Errorf("the data directory %s is in use by another ketenbrug process%s; stop it or use another --data", dir, holder)
	case errors.Is(err, boltstore.ErrDamaged):
		cause := strings.TrimPrefix(err.Error(), boltstore.ErrDamaged.Error()+": ")
		return fmt.Errorf("the store %s is damaged or not a ketenbrug store (%s); restore it from a backup (ketenbrug backup) or move it aside to start afresh", path, oneLine(cause))
	}
	return fmt.Errorf("opening the store %s: %s", path, oneLine(err.Error()))
}

// oneLine joins the lines of s, so that an error stays one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// prepareSpoolDir creates the data directory's spool directory (0700) and
// empties it: whatever is in it was left by a broker that was killed in the
// middle of a request, and may hold BSNs in clear. It returns its path.
func prepareSpoolDir(d *dataDir, log *slog.Logger) (string, error) {
	dir := d.file(spoolDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("spool directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("spool directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("spool directory: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return "", fmt.Errorf("spool directory: removing a leftover: %w", err)
		}
		removed++
	}
	if removed > 0 {
		log.Warn("removed leftover spool files of an interrupted broker", "dir", dir, "removed", removed)
	} else {
		log.Debug("spool directory is empty", "dir", dir)
	}
	return dir, nil
}

// binding is the fingerprint of the data directory's broker key and
// pseudonym secret that the store is bound to (boltstore.Store.Bind): the
// key's JWK thumbprint and an HMAC of a fixed text under the secret, from
// which neither can be recovered.
func (d *dataDir) binding() (string, error) {
	pub, err := d.brokerKey.PublicKey()
	if err != nil {
		return "", err
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, d.secret)
	mac.Write([]byte("ketenbrug store binding"))
	return "key:" + base64.RawURLEncoding.EncodeToString(tp) + " secret:" + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16]), nil
}
