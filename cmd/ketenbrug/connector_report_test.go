package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors"
)

// TestSyncReportNamesEachBadRowOnce: a bad row is listed once, on the
// export's own line with the column that was wrong, and every value left
// out is named. (The report used to list a skipped row a second time as
// "rejected" by the broker — at the body's line number and with field
// bsn, because a skipped row is sent as a bare reference to keep its
// involvement — and only counted the values left out.)
func TestSyncReportNamesEachBadRowOnce(t *testing.T) {
	tb := newTestBroker(t)
	dir := t.TempDir()
	ident, err := connectors.LoadIdentity(newPartnerIdentity(t, tb.operator, dir, "kredietbank", broker.SectorDebt))
	if err != nil {
		t.Fatal(err)
	}
	c := tb.client(t, ident)
	csv := filepath.Join(dir, "export.csv")
	if err := os.WriteFile(csv, []byte(strings.Join([]string{
		"Dossiernummer,BSN,Fase,Startdatum,Einddatum,Schuldhulpverlener,Telefoon,E-mail,Totale schuld",
		"2026-0117,999990196,schuldregeling,12-01-2026,,P. de Boer,033-4567890,,",
		"2026-0142,999990202,onbekend,03-03-2026,,P. de Boer,033-4567890,,",
		"2026-0201,999990214,intake,20-11-2026,,Team Schuldhulp,bel maar,,",
		"2026-0203,999990226,intake,25-11-2026,,Team Schuldhulp,033-4567800,geen-adres,",
	}, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := syncExport(context.Background(), c, syncJob{adapter: "debt", file: csv})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Line != 3 || rep.Skipped[0].Column != "fase" {
		t.Errorf("skipped: want line 3 (fase) once, got %+v", rep.Skipped)
	}
	if len(rep.LeftOut) != 2 || rep.LeftOut[0].Line != 4 || rep.LeftOut[1].Line != 5 {
		t.Errorf("left out: want lines 4 and 5 named, got %+v", rep.LeftOut)
	}
	for _, r := range []*broker.SyncResult{rep.Plan, rep.Result} {
		if r == nil || r.Rejected != 0 || len(r.Problems) != 0 || r.Added != 3 {
			t.Errorf("the broker's part lists the skipped row again, or is wrong: %+v", r)
		}
	}
	var out bytes.Buffer
	printSyncReport(&out, rep)
	text := out.String()
	for _, want := range []string{"3 rows mapped, 1 skipped, 2 with a value left out", "skipped line 3 (fase):",
		"line 4 (telefoon) left out: is not a phone number", "line 5 (e-mail) left out: is not an e-mail address",
		"0 rejected by the broker"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "rejected line") || strings.Count(text, "line 3") != 1 {
		t.Errorf("the report names the bad row more than once:\n%s", text)
	}
}

// TestSyncReportFromExport: the broker's rejections are renumbered from
// the body's lines to the export's, and those of skipped rows' bare
// references are dropped from the list and the count.
func TestSyncReportFromExport(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     map[int]bodyLine
		kept     int
		in, want broker.SyncResult
	}{
		{"renumbered",
			map[int]bodyLine{1: {file: 2}, 2: {file: 4}}, 0,
			broker.SyncResult{Rejected: 1, Problems: []broker.SyncRejection{{Line: 2, Ref: "a", Field: "status", Reason: "r"}}},
			broker.SyncResult{Rejected: 1, Problems: []broker.SyncRejection{{Line: 4, Ref: "a", Field: "status", Reason: "r"}}}},
		{"a kept reference is not a rejection",
			map[int]bodyLine{1: {file: 2}, 2: {file: 3, kept: true}, 3: {file: 5}}, 1,
			broker.SyncResult{Rejected: 2, Problems: []broker.SyncRejection{{Line: 2, Ref: "k", Field: "bsn"}, {Line: 3, Ref: "b", Field: "status"}}},
			broker.SyncResult{Rejected: 1, Problems: []broker.SyncRejection{{Line: 5, Ref: "b", Field: "status"}}}},
		{"beyond the detailed rejections the count stays exact",
			map[int]bodyLine{1: {file: 2, kept: true}, 2: {file: 3, kept: true}}, 2,
			broker.SyncResult{Rejected: 2, Problems: []broker.SyncRejection{{Line: 1, Ref: "k", Field: "bsn"}}},
			broker.SyncResult{Rejected: 0, Problems: []broker.SyncRejection{}}},
		{"a line the body map does not know keeps its number",
			map[int]bodyLine{}, 0,
			broker.SyncResult{Rejected: 1, Problems: []broker.SyncRejection{{Line: 7, Field: "ref"}}},
			broker.SyncResult{Rejected: 1, Problems: []broker.SyncRejection{{Line: 7, Field: "ref"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := syncReport{body: tc.body, kept: tc.kept}
			got := tc.in
			rep.fromExport(&got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
