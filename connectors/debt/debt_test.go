package debt

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

func read(t *testing.T, body string) exporttest.Result {
	t.Helper()
	return exporttest.Check(t, Adapter{}.Rows(strings.NewReader(body), export.Options{File: "shv.csv", Today: exporttest.Today}))
}

func TestPhases(t *testing.T) {
	for in, want := range map[string]string{
		"aanmelding": "schuldhulp-aanmelding", "Intake": "schuldhulp-intake", "STABILISATIEFASE": "schuldhulp-stabilisatie",
		"Stabilisatie-fase": "schuldhulp-stabilisatie", "schuldregeling": "schuldregeling", "Wsnp": "wsnp", "nazorg": "schuldhulp-nazorg",
	} {
		res := read(t, "dossiernummer,bsn,fase,startdatum,einddatum,schuldhulpverlener,telefoon\n1,999990196,"+in+",01-01-2026,,P. de Boer,033-4567890\n")
		if len(res.Rows) != 1 || res.Rows[0].Input.Service != want {
			t.Errorf("%s: got %+v, want %s", in, res, want)
		}
	}
}

func TestBadRows(t *testing.T) {
	const header = "dossiernummer;bsn;fase;startdatum;einddatum;schuldhulpverlener;telefoon\n"
	for _, tc := range []struct {
		name, row, column, reason string
	}{
		{"invalid BSN", "1;999990197;intake;01-01-2026;;P. de Boer;033-4567890", "bsn", "not a valid BSN"},
		{"letters in BSN", "1;99999O196;intake;01-01-2026;;P. de Boer;033-4567890", "bsn", "not a valid BSN"},
		{"unknown phase", "1;999990196;budgetbeheer;01-01-2026;;P. de Boer;033-4567890", "fase", "is not a phase this adapter knows (aanmelding, intake, stabilisatie, schuldregeling, wsnp, nazorg)"},
		{"empty phase", "1;999990196;;01-01-2026;;P. de Boer;033-4567890", "fase", "is empty"},
		{"bad date", "1;999990196;intake;januari 2026;;P. de Boer;033-4567890", "startdatum", "is not a date"},
		{"year out of range", "1;999990196;intake;01-01-1850;;P. de Boer;033-4567890", "startdatum", "between 1900 and 2200"},
		{"missing ref", ";999990196;intake;01-01-2026;;P. de Boer;033-4567890", "dossiernummer", "every row needs its own reference"},
		{"ref of punctuation", "///;999990196;intake;01-01-2026;;P. de Boer;033-4567890", "dossiernummer", "does not make a valid reference"},
		{"same dossier", "0;999990202;intake;01-01-2026;;P. de Boer;033-4567890", "dossiernummer", "the same reference as line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, header+"0;999990196;intake;01-01-2026;;P. de Boer;033-4567890\n"+tc.row+"\n")
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

func TestRefNormalised(t *testing.T) {
	res := exporttest.Read(t, Adapter{}, "testdata/schuldhulp-puntkomma.csv")
	if len(res.Rows) != 2 || res.Rows[0].Ref != "shv-SHV-2026-0311" {
		t.Fatalf("got %+v", res)
	}
}

func FuzzRows(f *testing.F) {
	exporttest.Seeds(f, "testdata/*.csv")
	f.Add([]byte("dossiernummer,bsn,fase,startdatum,einddatum,schuldhulpverlener,telefoon\n1,999990196,wsnp,01-01-2026,,P. de Boer,033-4567890\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exporttest.Check(t, Adapter{}.Rows(bytes.NewReader(data), export.Options{File: "fuzz.csv", Today: exporttest.Today}))
	})
}
