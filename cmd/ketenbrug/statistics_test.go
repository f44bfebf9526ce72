package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// The figures over real HTTP, signed tokens, the real policy and bbolt:
// the command in its three outputs, CSV by Accept, and the analyst role
// kept to the figures.
func TestStatisticsCommand(t *testing.T) {
	tb := newTestBroker(t)
	ctx := context.Background()
	dir := t.TempDir()
	gemKey, otherKey := newTestKey(t, "EdDSA"), newTestKey(t, "EdDSA")
	tb.register(t, "gem-test", broker.SectorMunicipality, []broker.Role{broker.RoleCoordinator, broker.RoleAnalyst}, gemKey)
	req := map[string]any{"id": "gem-other", "name": "Gemeente Anders", "sector": broker.SectorMunicipality,
		"roles": []broker.Role{broker.RoleAnalyst}, "level": 2, "municipalities": []string{"gem-other"}, "covenant": "2026-1",
		"jwks": jwksOf(t, otherKey)}
	if err := tb.operator.JSON(ctx, http.MethodPost, "/v1/partners", "", req, nil); err != nil {
		t.Fatal(err)
	}
	analyst := invIdentityFile(t, dir, gemKey, "gem-test", "a.analist", broker.RoleAnalyst)

	out := invMustCLI(t, tb, analyst, "", "statistics", "--municipality", "gem-test", "--from", "2026-01", "--to", "2026-06")
	for _, want := range []string{"gem-test, 2026-01 to 2026-06", "overviews_asked", "<10", "followups_in_time", "followups_median_days_to_contact"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	var st wire.Statistics
	out = invMustCLI(t, tb, analyst, "", "statistics", "--from", "2026-01", "--to", "2026-06", "-o", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Municipality != "gem-test" || len(st.Rows) != 6 || st.MinCell != 10 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	out = invMustCLI(t, tb, analyst, "", "statistics", "--from", "2026-01", "--to", "2026-02", "-o", "csv")
	if !strings.HasPrefix(out, "municipality,month,measure,label,value,suppressed\n") || !strings.Contains(out, "gem-test,2026-02,overviews_asked,Overzichten gevraagd,<10,true\n") {
		t.Errorf("csv:\n%s", out)
	}

	// CSV by the Accept header, as a reporting tool asks.
	uri := "/v1/statistics?municipality=gem-test&from=2026-03&to=2026-03"
	resp, body := tb.send(t, http.MethodGet, uri, gemKey.sign(t, "gem-test", "analyst", http.MethodGet, uri, nil), nil,
		http.Header{"Accept": {"text/csv"}})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(string(body), "gem-test,2026-03,consents_given,Toestemmingen gegeven,<10,true\n") ||
		!strings.Contains(string(body), "gem-test,now,households_multi_partner,") {
		t.Errorf("Accept: text/csv: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	// Another municipality is answered as one that does not exist.
	c := tb.client(t, gemKey.identity(t, "gem-test", "a.analist", broker.RoleAnalyst))
	_, errOther := c.Statistics(ctx, connectors.StatisticsQuery{Municipality: "gem-other"})
	_, errNone := c.Statistics(ctx, connectors.StatisticsQuery{Municipality: "gem-nope"})
	po, pn := problemOf(t, errOther), problemOf(t, errNone)
	if po.Status != http.StatusNotFound || po.Code != pn.Code || po.Status != pn.Status ||
		strings.ReplaceAll(po.Detail, "gem-other", "M") != strings.ReplaceAll(pn.Detail, "gem-nope", "M") {
		t.Errorf("another municipality %+v; one that does not exist %+v", po, pn)
	}

	// The analyst reads nothing else; each refusal is audited.
	if _, err := c.Whoami(ctx); err != nil {
		t.Errorf("whoami: %v", err)
	}
	if _, err := c.AuditEntries(ctx, url.Values{"reference": {"X-1"}}); problemOf(t, err).Status != http.StatusForbidden {
		t.Errorf("an analyst reading the audit trail: %v", err)
	}
	if _, err := c.Inbox(ctx, connectors.InboxQuery{}); problemOf(t, err).Status != http.StatusForbidden {
		t.Errorf("an analyst reading the inbox: %v", err)
	}
	if _, err := c.HouseholdOverview(ctx, "hh-1", "integrale-ondersteuning"); problemOf(t, err).Status != http.StatusForbidden {
		t.Errorf("an analyst asking an overview: %v", err)
	}
	page, err := tb.operator.AuditEntries(ctx, url.Values{"action": {broker.ActionAnalystRefused}, "limit": {"1000"}})
	if err != nil || len(page.Entries) != 3 {
		t.Fatalf("the analyst's refusals in the audit trail: %+v, %v", page.Entries, err)
	}
	page, err = tb.operator.AuditEntries(ctx, url.Values{"action": {broker.ActionStatisticsRead}, "limit": {"1000"}})
	if err != nil || len(page.Entries) != 6 {
		t.Fatalf("every question is audited: %d entries, %v", len(page.Entries), err)
	}

	// A coordinator is refused the figures.
	coord := tb.client(t, gemKey.identity(t, "gem-test", "c.devries", broker.RoleCoordinator))
	if _, err := coord.Statistics(ctx, connectors.StatisticsQuery{}); problemOf(t, err).Status != http.StatusForbidden {
		t.Errorf("a coordinator asking the figures: %v", err)
	}
}
