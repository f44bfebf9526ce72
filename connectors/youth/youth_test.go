package youth

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors/export"
	"github.com/ketenbrug/ketenbrug/connectors/export/exporttest"
)

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.csv")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			exporttest.Golden(t, f+".golden.json", exporttest.Read(t, Adapter{}, f))
		})
	}
}

const header = "clientnummer,bsn,hulpvorm,start,eind,jeugdprofessional,telefoon\n"

func read(t *testing.T, body string) exporttest.Result {
	t.Helper()
	return exporttest.Check(t, Adapter{}.Rows(strings.NewReader(body), export.Options{File: "cjg.csv", Today: exporttest.Today}))
}

func TestBadRows(t *testing.T) {
	for _, tc := range []struct {
		name, row, column, reason string
	}{
		{"invalid BSN", "CJG-1,999990298,Opvoedondersteuning,01-09-2026,,M. Jansen,033-7654321", "bsn", "not a valid BSN"},
		{"two-digit year", "CJG-1,999990263,Opvoedondersteuning,1-9-26,,M. Jansen,033-7654321", "start", "is not a date"},
		{"bad end", "CJG-1,999990263,Opvoedondersteuning,01-09-2026,eind,M. Jansen,033-7654321", "eind", "is not a date"},
		{"missing ref", ",999990263,Opvoedondersteuning,01-09-2026,,M. Jansen,033-7654321", "clientnummer", "is empty"},
		{"missing help", "CJG-1,999990263,,01-09-2026,,M. Jansen,033-7654321", "hulpvorm", "is empty"},
		{"missing start", "CJG-1,999990263,Opvoedondersteuning,,,M. Jansen,033-7654321", "start", "is empty"},
		{"end before start", "CJG-1,999990263,Opvoedondersteuning,01-09-2026,01-01-2026,M. Jansen,033-7654321", "eind", "is before start"},
		{"unquoted comma", "CJG-1,999990263,Opvoedondersteuning,01-09-2026,,Jansen, M.,033-7654321", "", "fields where the header has 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, header+"CJG-0,999990275,Gezinscoaching,01-09-2026,,M. Jansen,033-7654321\n"+tc.row+"\n")
			if res.Error != "" || len(res.Rows) != 1 || len(res.Problems) != 1 {
				t.Fatalf("want 1 row and 1 problem, got %+v", res)
			}
			p := res.Problems[0]
			if p.Line != 3 || p.Column != tc.column || !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("problem %+v, want line 3, column %q, reason with %q", p, tc.column, tc.reason)
			}
		})
	}
}

func TestHeaderWithAccent(t *testing.T) {
	res := read(t, "Cliëntnummer;BSN;Zorgvorm;Begindatum;Einddatum;Hulpverlener;Tel\nCJG-1;999990263;Opvoedondersteuning;01-09-2026;;M. Jansen;033-7654321\n")
	if res.Error != "" || len(res.Rows) != 1 || res.Rows[0].Ref != "cl-CJG-1:opvoedondersteuning:20260901" {
		t.Fatalf("got %+v", res)
	}
}

func FuzzRows(f *testing.F) {
	exporttest.Seeds(f, "testdata/*.csv")
	f.Add([]byte(header + "CJG-1,999990263,Opvoedondersteuning,01-09-2026,,M. Jansen,033-7654321\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exporttest.Check(t, Adapter{}.Rows(bytes.NewReader(data), export.Options{File: "fuzz.csv", Today: exporttest.Today}))
	})
}
