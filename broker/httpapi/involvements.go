package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// Sync limits.
const (
	// DefaultMaxSync bounds a full-caseload sync body: 500 000 lines of
	// about 300 bytes fit with room to spare.
	DefaultMaxSync = 512 << 20
	// maxSyncLine bounds one NDJSON line.
	maxSyncLine = 16 << 10
)

func pathRef(r *http.Request) (string, error) {
	v := mux.Vars(r)["ref"]
	if !broker.ValidRef(v) {
		return "", &broker.ValidationError{Field: "ref", Reason: "1-128 letters, digits, '.', '_', ':' or '-', and not a BSN"}
	}
	return v, nil
}

func (a *api) putInvolvement(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	ref, err := pathRef(r)
	if err != nil {
		return err
	}
	var in broker.InvolvementInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	v, changed, err := a.b.PutInvolvement(r.Context(), c, ref, in)
	status := http.StatusOK
	if changed && v.Revision == 1 {
		status = http.StatusCreated
	}
	return a.reply(w, r, status, v, err)
}

func (a *api) endInvolvement(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	ref, err := pathRef(r)
	if err != nil {
		return err
	}
	var req struct {
		End string `json:"end"`
	}
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
	}
	v, err := a.b.EndInvolvement(r.Context(), c, ref, req.End)
	return a.reply(w, r, http.StatusOK, v, err)
}

func (a *api) listInvolvements(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := a.b.Involvements(r.Context(), c, q.Get("status"), q.Get("after"), limit)
	return a.reply(w, r, http.StatusOK, page, err)
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

func (a *api) putHousehold(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	var in broker.HouseholdInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	h, err := a.b.PutHousehold(r.Context(), c, id, in)
	return a.reply(w, r, http.StatusOK, h, err)
}

func (a *api) getHousehold(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	h, err := a.b.Household(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, h, err)
}

func (a *api) householdOverview(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := householdPathID(r)
	if err != nil {
		return err
	}
	o, err := a.b.HouseholdOverview(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, o, err)
}

func (a *api) personOverview(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req struct {
		BSN          string `json:"bsn"`
		Municipality string `json:"municipality,omitempty"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	o, err := a.b.PersonOverview(r.Context(), c, req.BSN, req.Municipality)
	return a.reply(w, r, http.StatusOK, o, err)
}

func (a *api) inbox(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	q := r.URL.Query()
	var after uint64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return &broker.ValidationError{Field: "after", Reason: "an inbox item id"}
		}
		after = n
	}
	limit, err := queryInt(r, "limit", 100, 500)
	if err != nil {
		return err
	}
	var wait time.Duration
	if s := q.Get("wait"); s != "" {
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 || wait > broker.MaxInboxWait {
			return &broker.ValidationError{Field: "wait", Reason: "a duration such as 30s, at most 60s"}
		}
	}
	if wait > 0 {
		done, err := a.limits.startPoll(c.Partner.ID)
		if err != nil {
			a.metrics.limited("long-polls")
			return err
		}
		defer done()
	}
	page, err := a.b.Inbox(r.Context(), c, after, limit, wait)
	return a.reply(w, r, http.StatusOK, page, err)
}

func (a *api) ackInbox(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.b.AckInbox(r.Context(), c, id)
	return a.reply(w, r, http.StatusOK, v, err)
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

// massEndDetail explains a refused mass end: the figures, and how to allow
// it when the export is complete.
func massEndDetail(e *broker.MassEndError) string {
	return fmt.Sprintf("this sync would end %d of your %d live involvements; one sync may end at most %d. Nothing was applied. "+
		"Check that the export is complete (a truncated export would end every involvement it misses); if these involvements "+
		"really ended, send the sync again with allow_mass_end=true (ketenbrug connector sync --allow-mass-end; "+
		"the connector daemon: \"allow_mass_end\": true)", e.Ended, e.Live, e.Limit)
}
