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

func (a *api) putInvolvement(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) {
	ref, err := pathRef(r)
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	var in broker.InvolvementInput
	if err := decodeStrict(body, &in); err != nil {
		a.writeProblem(w, r, err)
		return
	}
	v, changed, err := a.b.PutInvolvement(r.Context(), c, ref, in)
	status := http.StatusOK
	if changed && v.Revision == 1 {
		status = http.StatusCreated
	}
	a.reply(w, r, status, v, err)
}

func (a *api) endInvolvement(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) {
	ref, err := pathRef(r)
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	var req struct {
		End string `json:"end"`
	}
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			a.writeProblem(w, r, err)
			return
		}
	}
	v, err := a.b.EndInvolvement(r.Context(), c, ref, req.End)
	a.reply(w, r, http.StatusOK, v, err)
}

func (a *api) listInvolvements(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) {
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := a.b.Involvements(r.Context(), c, q.Get("status"), q.Get("after"), limit)
	a.reply(w, r, http.StatusOK, page, err)
}

// syncInvolvements takes a full caseload as NDJSON. The body is spooled to
// a temporary file while its hash is checked against the token's bsh, and
// only a body that matches is read: nothing of a tampered body takes effect.
func (a *api) syncInvolvements(w http.ResponseWriter, r *http.Request, c *broker.Caller, claims *protocol.Claims) {
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !ndjsonTypes[strings.TrimSpace(strings.ToLower(ct))] {
		a.writeProblem(w, r, &bodyError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			detail: "send the caseload as application/x-ndjson: one JSON object per line"})
		return
	}
	dryRun := false
	if s := r.URL.Query().Get("dry_run"); s != "" {
		var err error
		if dryRun, err = strconv.ParseBool(s); err != nil {
			a.writeProblem(w, r, &broker.ValidationError{Field: "dry_run", Reason: "true or false"})
			return
		}
	}
	f, err := os.CreateTemp("", "ketenbrug-sync-*")
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	if _, err := io.Copy(f, claims.VerifyBody(http.MaxBytesReader(w, r.Body, a.cfg.MaxSync))); err != nil {
		var tooLarge *http.MaxBytesError
		var perr *protocol.Error
		switch {
		case errors.As(err, &tooLarge):
			a.writeProblem(w, r, fmt.Errorf("%w: caseload over %d bytes", broker.ErrTooLarge, a.cfg.MaxSync))
		case errors.As(err, &perr):
			a.refuse(w, r, err)
		default:
			a.writeProblem(w, r, malformed("", "reading the body: %v", err))
		}
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		a.writeProblem(w, r, err)
		return
	}
	res, err := a.b.Sync(r.Context(), c, ndjson(f), dryRun)
	a.reply(w, r, http.StatusOK, res, err)
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

func (a *api) putHousehold(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) {
	id, err := householdPathID(r)
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	var in broker.HouseholdInput
	if err := decodeStrict(body, &in); err != nil {
		a.writeProblem(w, r, err)
		return
	}
	h, err := a.b.PutHousehold(r.Context(), c, id, in)
	a.reply(w, r, http.StatusOK, h, err)
}

func (a *api) getHousehold(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) {
	id, err := householdPathID(r)
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	h, err := a.b.Household(r.Context(), c, id)
	a.reply(w, r, http.StatusOK, h, err)
}

func (a *api) householdOverview(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) {
	id, err := householdPathID(r)
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	o, err := a.b.HouseholdOverview(r.Context(), c, id)
	a.reply(w, r, http.StatusOK, o, err)
}

func (a *api) personOverview(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) {
	var req struct {
		BSN          string `json:"bsn"`
		Municipality string `json:"municipality,omitempty"`
	}
	if err := decodeStrict(body, &req); err != nil {
		a.writeProblem(w, r, err)
		return
	}
	o, err := a.b.PersonOverview(r.Context(), c, req.BSN, req.Municipality)
	a.reply(w, r, http.StatusOK, o, err)
}

func (a *api) inbox(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) {
	q := r.URL.Query()
	var after uint64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			a.writeProblem(w, r, &broker.ValidationError{Field: "after", Reason: "an inbox item id"})
			return
		}
		after = n
	}
	limit, err := queryInt(r, "limit", 100, 500)
	if err != nil {
		a.writeProblem(w, r, err)
		return
	}
	var wait time.Duration
	if s := q.Get("wait"); s != "" {
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 || wait > broker.MaxInboxWait {
			a.writeProblem(w, r, &broker.ValidationError{Field: "wait", Reason: "a duration such as 30s, at most 60s"})
			return
		}
	}
	if wait > 0 {
		done, err := a.limits.startPoll(c.Partner.ID)
		if err != nil {
			a.metrics.limited("long-polls")
			a.writeProblem(w, r, err)
			return
		}
		defer done()
	}
	page, err := a.b.Inbox(r.Context(), c, after, limit, wait)
	a.reply(w, r, http.StatusOK, page, err)
}

func (a *api) ackInbox(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) {
	v, err := a.b.AckInbox(r.Context(), c, mux.Vars(r)["id"])
	a.reply(w, r, http.StatusOK, v, err)
}
