package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// Syncs is what the full-caseload sync needs.
type Syncs interface {
	Sync(ctx context.Context, c *broker.Caller, items iter.Seq[broker.SyncItem], opts broker.SyncOptions) (broker.SyncResult, error)
}

// syncInvolvements takes a full caseload as NDJSON. The body is spooled to
// a file in the spool directory while its hash is checked against the
// token's bsh, and only a body that matches is read: nothing of a tampered
// body takes effect. The spool file holds BSNs in clear, so it lives only
// inside the data directory and only as long as the request (see spool).
func (a *api) syncInvolvements(w http.ResponseWriter, r *http.Request, c *broker.Caller, claims *protocol.Claims) error {
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !ndjsonTypes[strings.TrimSpace(strings.ToLower(ct))] {
		return &bodyError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			detail: "send the caseload as application/x-ndjson: one JSON object per line"}
	}
	var opts broker.SyncOptions
	for _, q := range []struct {
		name string
		v    *bool
	}{{"dry_run", &opts.DryRun}, {"allow_mass_end", &opts.AllowMassEnd}} {
		if s := r.URL.Query().Get(q.name); s != "" {
			var err error
			if *q.v, err = strconv.ParseBool(s); err != nil {
				return &broker.ValidationError{Field: q.name, Reason: "true or false"}
			}
		}
	}
	f, done, err := a.spool("sync-*")
	if err != nil {
		return err
	}
	defer done()
	if _, err := io.Copy(f, claims.VerifyBody(http.MaxBytesReader(w, r.Body, a.cfg.MaxSync))); err != nil {
		var tooLarge *http.MaxBytesError
		var perr *protocol.Error
		switch {
		case errors.As(err, &tooLarge):
			return fmt.Errorf("%w: caseload over %d bytes", broker.ErrTooLarge, a.cfg.MaxSync)
		case errors.As(err, &perr):
			a.refuse(w, r, err)
			return nil
		default:
			return malformed("", "reading the body: %v", err)
		}
	}
	// The body is in and its hash checked. The server's read and write
	// timeouts bound a slow client, not a large caseload: from here the
	// sync keeps its write deadline ahead of it as long as it makes
	// progress. A client that goes away still cancels it (r.Context()).
	opts.Progress = a.keepWriting(w)
	// The domain may read the caseload twice (the mass-end guard counts
	// its references before anything is applied): each reading starts at
	// the top of the spool file.
	var readErr error
	lines := func(yield func(broker.SyncItem) bool) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			readErr = err
			return
		}
		ndjson(f)(yield)
	}
	res, err := a.b.Sync(r.Context(), c, lines, opts)
	if err == nil && readErr != nil {
		err = readErr
	}
	return a.reply(w, r, http.StatusOK, res, err)
}

// keepWriting clears the request's read deadline (the request is read;
// Go's server clears it too once the body is read to its end) and, when
// the server has a write timeout, moves the write deadline that far ahead
// now and each time the returned function is called. A writer without
// deadlines (http.ErrNotSupported: a test's recorder), or a connection
// already gone, leaves the deadlines as they are: the answer's write then
// fails as it would have.
func (a *api) keepWriting(w http.ResponseWriter) func(done int) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	if a.cfg.WriteTimeout <= 0 {
		return nil
	}
	extend := func(int) { _ = rc.SetWriteDeadline(time.Now().Add(a.cfg.WriteTimeout)) }
	extend(0) // the upload may have used up most of the write timeout
	return extend
}

// ndjsonTypes are the accepted media types of a caseload.
var ndjsonTypes = map[string]bool{"application/x-ndjson": true, "application/ndjson": true, "application/jsonl": true}

// syncLine is one line of a sync: the reference and the involvement.
type syncLine struct {
	Ref string `json:"ref"`
	broker.InvolvementInput
}

// ndjson yields the lines of r as sync items; a line that is not strict
// JSON of the right shape becomes an item with Err set, and the sync goes
// on with the next line.
func ndjson(r io.Reader) iter.Seq[broker.SyncItem] {
	return func(yield func(broker.SyncItem) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		for n := 1; ; n++ {
			line, err := readLine(br)
			item := broker.SyncItem{Line: n}
			switch {
			case err == io.EOF:
				return
			case errors.Is(err, errLineTooLong):
				item.Err = &broker.ValidationError{Field: "line", Reason: fmt.Sprintf("longer than %d bytes", maxSyncLine)}
			case err != nil:
				item.Err = err
				yield(item)
				return
			case len(bytes.TrimSpace(line)) == 0:
				continue
			default:
				var l syncLine
				if derr := decodeStrict(line, &l); derr != nil {
					item.Err = lineError(derr)
					if l.Ref == "" {
						// The line is refused as a whole, but its
						// reference, when one can be read, keeps its
						// involvement from being ended as missing.
						var r struct {
							Ref string `json:"ref"`
						}
						if json.Unmarshal(line, &r) == nil {
							l.Ref = r.Ref
						}
					}
				}
				item.Ref, item.Input = l.Ref, l.InvolvementInput
			}
			if !yield(item) {
				return
			}
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its newline, refusing (and skipping) one
// longer than maxSyncLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			return line, err
		}
		line = append(line, chunk...)
		if len(line) > maxSyncLine {
			for isPrefix {
				if _, isPrefix, err = br.ReadLine(); err != nil {
					return nil, err
				}
			}
			return nil, errLineTooLong
		}
		if !isPrefix {
			return line, nil
		}
	}
}

// lineError turns a body error into a validation error naming the field.
func lineError(err error) error {
	var be *bodyError
	if errors.As(err, &be) {
		return &broker.ValidationError{Field: be.field, Reason: be.detail}
	}
	return err
}

// massEndDetail explains a refused mass end: the figures, and how to allow
// it when the export is complete.
func massEndDetail(e *broker.MassEndError) string {
	return fmt.Sprintf("this sync would end %d of your %d live involvements; one sync may end at most %d. Nothing was applied. "+
		"Check that the export is complete (a truncated export would end every involvement it misses); if these involvements "+
		"really ended, send the sync again with allow_mass_end=true (ketenbrug connector sync --allow-mass-end; "+
		"the connector daemon: \"allow_mass_end\": true)", e.Ended, e.Live, e.Limit)
}

// Sync limits.
const (
	// DefaultMaxSync bounds a full-caseload sync body: 500 000 lines of
	// about 300 bytes fit with room to spare.
	DefaultMaxSync = 512 << 20
	// maxSyncLine bounds one NDJSON line.
	maxSyncLine = 16 << 10
)
