package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/ketenbrug/ketenbrug/broker/audit"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/broker/pgstore"
)

// migrateOptions: the bbolt region to move and the PostgreSQL database
// to move it to.
type migrateOptions struct {
	from string
	to   StoreConfig
}

func newMigrateCommand() *cobra.Command {
	var o migrateOptions
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Move a region from its bbolt store to PostgreSQL, verifying counts and the audit chain",
		Long: `migrate copies everything in the bbolt store of a stopped broker's data directory into an
empty PostgreSQL database, in one transaction, with the audit records byte for byte under their
own sequence numbers. It then checks that every table holds as many objects as the bbolt store,
that the audit head and the binding to the broker's key and pseudonym secret came along, and
verifies the whole audit chain in PostgreSQL with the data directory's broker key. The bbolt store
is left as it was. Then start the brokers on the database:
ketenbrug serve --data DATA_DIR --store postgres://…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return migrate(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "the stopped broker's data directory (its ketenbrug.db is read, not changed)")
	f.StringVar(&o.to.URL, "to", "", "postgres://HOST[:PORT]/DATABASE?sslmode=verify-full, an empty database (no password in it)")
	f.StringVar(&o.to.PasswordFile, "to-password-file", "", "file holding the PostgreSQL password; otherwise PGPASSWORD or PGPASSFILE")
	return cmd
}

// errMigrate marks a migration that failed its checks.
var errMigrate = errors.New("migration refused")

func migrate(ctx context.Context, out io.Writer, o migrateOptions) error {
	if o.from == "" || o.to.URL == "" {
		return fmt.Errorf("%w: --from and --to are required (see ketenbrug migrate --help)", errMigrate)
	}
	if !isInitialised(o.from) {
		return fmt.Errorf("%w: %s holds no broker (no %s, %s and %s)", errMigrate, o.from, storeFile, brokerKeyFile, secretFile)
	}
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(o.from, storeFile)
	bolt, err := boltstore.Open(path, boltstore.Config{Logger: log})
	if err != nil {
		return storeOpenError(o.from, path, err)
	}
	defer bolt.Close()
	pc, err := postgresConfig(o.to)
	if err != nil {
		return err
	}
	pg, err := pgstore.OpenConfig(ctx, pc, pgstore.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("opening the PostgreSQL store at %s: %s", redactedHost(o.to.URL), oneLine(err.Error()))
	}
	defer pg.Close()

	if err := pg.Import(func(im *pgstore.Importer) error { return bolt.Export(im) }); err != nil {
		if errors.Is(err, pgstore.ErrNotEmpty) {
			return fmt.Errorf("%w: %s already holds a region; migrate into an empty database", errMigrate, redactedHost(o.to.URL))
		}
		return fmt.Errorf("migrating: %w (nothing was written to PostgreSQL)", err)
	}

	// Counted on each side independently of the copy itself.
	want, err := bolt.Counts()
	if err != nil {
		return err
	}
	got, err := pg.Counts()
	if err != nil {
		return err
	}
	for _, table := range slices.Sorted(maps.Keys(want)) {
		if got[table] != want[table] {
			return fmt.Errorf("%w: %s has %d rows in PostgreSQL, %d in bbolt", errMigrate, table, got[table], want[table])
		}
	}
	// The store's binding came along: the data directory's key and
	// secret are the ones PostgreSQL now expects.
	dir, _, err := prepareDataDir(o.from)
	if err != nil {
		return err
	}
	fp, err := dir.binding()
	if err != nil {
		return err
	}
	if bound, err := pg.Bind(fp); err != nil || !bound {
		return fmt.Errorf("%w: the migrated store is not bound to %s's broker key and pseudonym secret (%v)", errMigrate, o.from, err)
	}
	// The whole chain, read back from PostgreSQL, with the broker's key.
	key, kid, err := dir.ed25519Key()
	if err != nil {
		return err
	}
	signer, err := audit.NewEd25519Signer(kid, key, nil)
	if err != nil {
		return err
	}
	l, err := audit.New(audit.Config{Store: pg, Signer: signer, Logger: log})
	if err != nil {
		return err
	}
	rep, verr := l.Verify(ctx)
	if err := l.Close(); err != nil && verr == nil {
		verr = err
	}
	if verr != nil {
		return fmt.Errorf("verifying the audit chain in PostgreSQL: %w", verr)
	}
	if !rep.OK {
		return fmt.Errorf("%w: the audit chain in PostgreSQL does not verify (%d problems; first: #%d %s)",
			errMigrate, len(rep.Problems), rep.Problems[0].Seq, rep.Problems[0].Kind)
	}
	fmt.Fprintf(out, "migrated %s to %s:\n", o.from, redactedHost(o.to.URL))
	for _, table := range slices.Sorted(maps.Keys(want)) {
		fmt.Fprintf(out, "  %-18s %d\n", table, want[table])
	}
	fmt.Fprintf(out, "counts equal; audit chain intact in PostgreSQL (%d entries, %d signed checkpoints)\n", rep.Entries, rep.Checkpoints)
	fmt.Fprintf(out, "start the brokers with: ketenbrug serve --data %s --store '%s'\n", o.from, o.to.URL)
	return nil
}
