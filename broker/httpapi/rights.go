package httpapi

import (
	"context"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Rights is what the API needs from the domain for the data subject's
// rights and the officer's paperwork (issue 13): restriction and objection
// (AVG art. 18, 21).
type Rights interface {
	RecordRestriction(ctx context.Context, c *broker.Caller, bsn string, in broker.RestrictionInput) (broker.RestrictionView, error)
	Restrictions(ctx context.Context, c *broker.Caller, bsn, reference string) (broker.RestrictionList, error)
	LiftRestriction(ctx context.Context, c *broker.Caller, id, reason, reference string) (broker.RestrictionView, error)
	// AuditDisclosures answers what a partner was shown, or what was
	// shown about a person, in a period (AVG art. 33, 34).
	AuditDisclosures(ctx context.Context, c *broker.Caller, q broker.DisclosureQuery) (broker.DisclosureReport, error)
}

// RestrictionRequest records a restriction (AVG art. 18) or objection
// (art. 21) of one person for one purpose. The BSN travels only in this
// body.
type RestrictionRequest struct {
	BSN string `json:"bsn"`
	broker.RestrictionInput
}

// LiftRequest lifts a restriction or objection.
type LiftRequest struct {
	Reason    string `json:"reason,omitempty"`
	Reference string `json:"reference,omitempty"`
}

func (a *api) rightsRoutes(v1 v1Routes) {
	body := a.cfg.MaxBody
	v1.HandleFunc("/restrictions", a.authed(body, a.recordRestriction)).Methods(http.MethodPost)
	v1.HandleFunc("/restrictions/search", a.authed(body, a.searchRestrictions)).Methods(http.MethodPost)
	v1.HandleFunc("/restrictions/{id}/lift", a.authed(body, a.liftRestriction)).Methods(http.MethodPost)
	v1.HandleFunc("/audit/disclosures", a.authed(body, a.auditDisclosures)).Methods(http.MethodPost)
}

// Formats of a disclosure query's answer.
const (
	formatJSON   = "json"
	formatNDJSON = "ndjson"
	formatCSV    = "csv"
)

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

func (a *api) recordRestriction(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req RestrictionRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	v, err := a.b.RecordRestriction(r.Context(), c, req.BSN, req.RestrictionInput)
	return a.reply(w, r, http.StatusCreated, v, err)
}

func (a *api) searchRestrictions(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	var req LookupRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	list, err := a.b.Restrictions(r.Context(), c, req.BSN, req.Reference)
	return a.reply(w, r, http.StatusOK, list, err)
}

func (a *api) liftRestriction(w http.ResponseWriter, r *http.Request, c *broker.Caller, body []byte) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req LiftRequest
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
	}
	v, err := a.b.LiftRestriction(r.Context(), c, id, req.Reason, req.Reference)
	return a.reply(w, r, http.StatusOK, v, err)
}

// The OpenAPI document of these routes is kept next to them, in
// openapi_rights.json, and merged into the served document like the
// collaboration routes' (it also adds SubjectFacts.restrictions).
//
//go:embed openapi_rights.json
var rightsOpenAPI []byte

func init() {
	openAPIDocument = mergeOpenAPI(openAPIDocument, rightsOpenAPI)
}
