package httpapi

import (
	"context"
	"io"
	"net/http"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Backups is what the backup route needs.
type Backups interface {
	Backup(ctx context.Context, c *broker.Caller, w io.Writer) (int64, error)
}

// backup streams a consistent copy of the store.
func (a *api) backup(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	return a.sendSpooled(w, r, "application/octet-stream", "ketenbrug-backup.db", func(out io.Writer) error {
		_, err := a.b.Backup(r.Context(), c, out)
		return err
	})
}
