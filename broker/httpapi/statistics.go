package httpapi

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Statistics is what the figures route needs (stuurinformatie), and the
// gate that keeps the analyst role to it.
type Statistics interface {
	Statistics(ctx context.Context, c *broker.Caller, q broker.StatisticsQuery) (broker.Statistics, error)
	RefuseAnalyst(ctx context.Context, c *broker.Caller, route string) error
}

// analystRoutes are the only routes the analyst role may call.
var analystRoutes = map[string]bool{"GET /v1/statistics": true, "GET /v1/whoami": true}

// analystGate refuses (and audits) an analyst's request for any other
// route, before the handler runs.
func (a *api) analystGate(r *http.Request, c *broker.Caller) error {
	if c.Role != broker.RoleAnalyst {
		return nil
	}
	route := r.Method + " " + r.URL.Path
	if cur := mux.CurrentRoute(r); cur != nil {
		if tpl, err := cur.GetPathTemplate(); err == nil {
			route = r.Method + " " + tpl
		}
	}
	if analystRoutes[route] {
		return nil
	}
	return a.b.RefuseAnalyst(r.Context(), c, route)
}

func (a *api) statistics(w http.ResponseWriter, r *http.Request, c *broker.Caller, _ []byte) error {
	v := r.URL.Query()
	format := v.Get("format")
	switch format {
	case "":
		format = formatJSON
		if strings.Contains(r.Header.Get("Accept"), "text/csv") {
			format = formatCSV
		}
	case formatJSON, formatCSV:
	default:
		return &broker.ValidationError{Field: "format", Reason: "json or csv"}
	}
	for _, name := range []string{"municipality", "from", "to", "by"} {
		if len(v.Get(name)) > 100 {
			return &broker.ValidationError{Field: name, Reason: "at most 100 characters"}
		}
	}
	st, err := a.b.Statistics(r.Context(), c, broker.StatisticsQuery{Municipality: v.Get("municipality"),
		From: v.Get("from"), To: v.Get("to"), By: v.Get("by")})
	if err != nil || format == formatJSON {
		return a.reply(w, r, http.StatusOK, st, err)
	}
	return a.sendSpooled(w, r, "text/csv; charset=utf-8", "ketenbrug-cijfers-"+st.Municipality+".csv", func(out io.Writer) error {
		return WriteStatisticsCSV(out, &st)
	})
}

// StatisticsColumns is the header of the figures as CSV: one line per
// month and measure (long format, for a pivot table), then the households
// served by two or more partners now (month "now").
var StatisticsColumns = []string{"municipality", "month", "measure", "label", "value", "suppressed"}

// WriteStatisticsCSV writes st as CSV (StatisticsColumns). A suppressed
// cell has the value "<10" and suppressed "true".
func WriteStatisticsCSV(out io.Writer, st *broker.Statistics) error {
	cw := csv.NewWriter(out)
	if err := cw.Write(StatisticsColumns); err != nil {
		return err
	}
	write := func(month, key, label string, c broker.StatisticsCell) error {
		rec := []string{st.Municipality, month, key, label, c.Text, "false"}
		if c.Suppressed {
			rec[5] = "true"
		}
		for i, f := range rec {
			rec[i] = csvSafe(f)
		}
		return cw.Write(rec)
	}
	for _, row := range st.Rows {
		for _, m := range st.Measures {
			if err := write(row.Month, m.Key, m.Label, row.Cells[m.Key]); err != nil {
				return err
			}
		}
	}
	if err := write("now", "households_multi_partner", "Huishoudens met twee of meer partners", st.HouseholdsMultiPartner); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
