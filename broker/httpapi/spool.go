package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// sendSpooled answers with what write produces, as an attachment named
// filename. The body is spooled to a file in the spool directory first, so that the
// signature header can cover its hash without holding it in memory; an
// error of write is answered as a problem, nothing of the body sent.
func (a *api) sendSpooled(w http.ResponseWriter, r *http.Request, contentType, filename string, write func(io.Writer) error) error {
	sw, ok := w.(*signedWriter)
	if !ok {
		return fmt.Errorf("%s needs the signed writer", filename)
	}
	f, done, err := a.spool("answer-*")
	if err != nil {
		return err
	}
	defer done()
	h := protocol.NewBodyHasher()
	if err := write(io.MultiWriter(f, h)); err != nil {
		return err
	}
	n, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	if err := sw.sendSigned(http.StatusOK, contentType, n, h.Sum(), f); err != nil {
		a.log.Warn("streamed answer interrupted", "file", filename, "request_id", sw.st.requestID, "error", err)
	}
	return nil
}

// spool creates a file in the spool directory (mode 0600, inside the data
// directory) for one request and returns it with the function that closes
// and removes it, to be deferred. Where the system allows, the file's name
// is removed at once, so that not even a broker killed mid-request leaves
// it behind; what survives elsewhere is removed at the next start-up.
func (a *api) spool(pattern string) (*os.File, func(), error) {
	f, err := os.CreateTemp(a.cfg.SpoolDir, pattern)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: spool file: %v", broker.ErrUnavailable, err)
	}
	unlinked := os.Remove(f.Name()) == nil
	return f, func() {
		_ = f.Close()
		if !unlinked {
			_ = os.Remove(f.Name())
		}
	}, nil
}

// checkSpoolDir refuses a spool directory that is missing, not a directory
// or open to others.
func checkSpoolDir(dir string) error {
	if dir == "" {
		return errors.New("httpapi: SpoolDir is required (a directory of mode 0700 inside the data directory)")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("httpapi: SpoolDir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("httpapi: SpoolDir %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("httpapi: SpoolDir %s has mode %v; only its owner may enter it (chmod 700)", dir, fi.Mode().Perm())
	}
	return nil
}
