package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Disclosures is what the breach-support route needs (AVG art. 33, 34).
type Disclosures interface {
	// AuditDisclosures answers what a partner was shown, or what was
	// shown about a person, in a period (AVG art. 33, 34).
	AuditDisclosures(ctx context.Context, c *broker.Caller, q broker.DisclosureQuery) (broker.DisclosureReport, error)
}

// disclosureFormat is the format asked by ?format= or, without it, by the
// Accept header; JSON by default.
func disclosureFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case formatJSON, formatNDJSON, formatCSV:
		return f, nil
	case "":
	default:
		return "", &broker.ValidationError{Field: "format", Reason: "json, ndjson or csv"}
	}
	accept := r.Header.Get("Accept")
	switch {
	case strings.Contains(accept, "text/csv"):
		return formatCSV, nil
	case strings.Contains(accept, "application/x-ndjson"):
		return formatNDJSON, nil
	}
	return formatJSON, nil
}

func (a *api) auditDisclosures(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	format, err := disclosureFormat(r)
	if err != nil {
		return err
	}
	var q broker.DisclosureQuery
	if err := decodeStrict(body, &q); err != nil {
		return err
	}
	rep, err := a.b.AuditDisclosures(r.Context(), c, q)
	if err != nil || format == formatJSON {
		return a.reply(w, r, http.StatusOK, rep, err)
	}
	switch format {
	case formatNDJSON:
		return a.sendSpooled(w, r, "application/x-ndjson", "ketenbrug-disclosures.ndjson", func(out io.Writer) error {
			enc := json.NewEncoder(out)
			for i := range rep.Rows {
				if err := enc.Encode(&rep.Rows[i]); err != nil {
					return err
				}
			}
			return nil
		})
	case formatCSV:
		return a.sendSpooled(w, r, "text/csv; charset=utf-8", "ketenbrug-disclosures.csv", func(out io.Writer) error {
			return WriteDisclosuresCSV(out, rep.Rows)
		})
	}
	return nil
}

// WriteDisclosuresCSV writes rows as CSV with a header line
// (broker.DisclosureColumns); lists are joined with ';'.
func WriteDisclosuresCSV(out io.Writer, rows []broker.DisclosureRow) error {
	cw := csv.NewWriter(out)
	if err := cw.Write(broker.DisclosureColumns); err != nil {
		return err
	}
	for _, d := range rows {
		rec := []string{strconv.FormatUint(d.Seq, 10), d.Time.Format(time.RFC3339Nano), d.RequestID, d.To, d.Sub,
			d.SubKnown, string(d.Role), d.Action, d.Purpose, strings.Join(d.Bases, ";"), d.Object, string(d.Subject),
			d.Involvement, d.Partner, strings.Join(d.Fields, ";")}
		for i, f := range rec {
			rec[i] = csvSafe(f)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Formats of a disclosure query's answer.
const (
	formatJSON   = "json"
	formatNDJSON = "ndjson"
	formatCSV    = "csv"
)
