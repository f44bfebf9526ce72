package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
)

// restoreOptions name what a restore is made of: the backup of the store
// (`ketenbrug backup`), and the two secrets that never leave the data
// directory through the API and must be backed up beside it.
type restoreOptions struct {
	from, data, key, secret, operator string
}

func newRestoreCommand() *cobra.Command {
	var o restoreOptions
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Make a new data directory from a backup of the store, the broker key and the pseudonym secret",
		Long: `restore makes a new data directory from a backup taken with 'ketenbrug backup' (the store)
and copies of the broker's key (broker-key.jwk) and pseudonym secret (pseudonym.secret), which
an operator backs up beside it. It refuses a directory that already holds a broker, checks the
store's integrity, and verifies the whole audit chain with the key: a key that does not belong
to the store is refused. Then start the broker on it: ketenbrug serve --data DIR.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return restore(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "the backup of the store (a file written by ketenbrug backup)")
	f.StringVar(&o.data, "data", "", "the new data directory (absent or empty)")
	f.StringVar(&o.key, "broker-key", "", "the backed-up broker key (broker-key.jwk)")
	f.StringVar(&o.secret, "pseudonym-secret", "", "the backed-up pseudonym secret (pseudonym.secret)")
	f.StringVar(&o.operator, "operator", "", "the backed-up operator identity (operator.json), optional")
	return cmd
}

// errRestore marks a restore refused before anything was written.
var errRestore = errors.New("restore refused")

func restore(ctx context.Context, out io.Writer, o restoreOptions) (err error) {
	for flag, v := range map[string]string{"--from": o.from, "--data": o.data, "--broker-key": o.key, "--pseudonym-secret": o.secret} {
		if v == "" {
			return fmt.Errorf("%w: %s is required (see ketenbrug restore --help)", errRestore, flag)
		}
	}
	if entries, err := os.ReadDir(o.data); err == nil && len(entries) > 0 {
		if isInitialised(o.data) {
			return fmt.Errorf("%w: %s holds a broker already; restore into a new, empty directory and point serve --data at it", errRestore, o.data)
		}
		return fmt.Errorf("%w: %s is not empty; restore into a new, empty directory", errRestore, o.data)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	key, err := readSecretFile(o.key)
	if err != nil {
		return fmt.Errorf("%w: the broker key: %v", errRestore, err)
	}
	if _, err := jwk.ParseKey(key); err != nil {
		return fmt.Errorf("%w: %s is not a broker key (a private JWK): %v", errRestore, o.key, err)
	}
	secret, err := readSecretFile(o.secret)
	if err != nil {
		return fmt.Errorf("%w: the pseudonym secret: %v", errRestore, err)
	}
	if len(secret) < broker.MinSecretLen {
		return fmt.Errorf("%w: %s is too short to be a pseudonym secret", errRestore, o.secret)
	}
	var operator []byte
	if o.operator != "" {
		if operator, err = readSecretFile(o.operator); err != nil {
			return fmt.Errorf("%w: the operator identity: %v", errRestore, err)
		}
	}
	// From here on, a failure removes the half-made directory.
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(o.data)
		}
	}()
	if err := copyStore(o.from, filepath.Join(o.data, storeFile)); err != nil {
		return err
	}
	if err := writeSecretFile(filepath.Join(o.data, brokerKeyFile), key); err != nil {
		return err
	}
	if err := writeSecretFile(filepath.Join(o.data, secretFile), secret); err != nil {
		return err
	}
	if operator != nil {
		if err := writeSecretFile(filepath.Join(o.data, operatorFile), operator); err != nil {
			return err
		}
	}
	// Open it as serve would, and walk the whole audit chain with the key:
	// checkpoints signed with another key mean the key is not this store's.
	log := slog.New(slog.DiscardHandler)
	st, err := boltstore.Open(filepath.Join(o.data, storeFile), boltstore.Config{Logger: log})
	if err != nil {
		return storeOpenError(o.data, filepath.Join(o.data, storeFile), err)
	}
	checkErr := st.Check()
	schema, _ := st.SchemaVersion()
	st.Close()
	if checkErr != nil {
		return fmt.Errorf("%w: the backup's store is damaged: %v", errRestore, checkErr)
	}
	sys, err := CreateSystem(ctx, SystemConfig{DataDir: o.data, ID: "restore-check", PolicyTimeout: 2 * time.Second, Logger: log})
	if err != nil {
		return fmt.Errorf("%w: the restored directory does not start: %v", errRestore, err)
	}
	rep, verr := sys.Audit.Verify(ctx)
	sys.Close()
	if verr != nil {
		return verr
	}
	if !rep.OK {
		return fmt.Errorf("%w: the audit chain does not verify with this key (%d problems; first: #%d %s) — is it this store's broker key?",
			errRestore, len(rep.Problems), rep.Problems[0].Seq, rep.Problems[0].Kind)
	}
	fmt.Fprintf(out, "restored %s: store schema %d, audit chain intact (%d entries, %d signed checkpoints)\n", o.data, schema,
		rep.Entries, rep.Checkpoints)
	fmt.Fprintf(out, "start it with: ketenbrug serve --data %s\n", o.data)
	return nil
}

// copyStore copies the backup to path (0600) and syncs it.
func copyStore(from, path string) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("%w: the backup: %v", errRestore, err)
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
