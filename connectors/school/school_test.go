package school

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors/export"
	"github.com/ketenbrug/ketenbrug/connectors/export/exporttest"
)

func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/leerlingen*.*")
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			res := exporttest.Read(t, Adapter{}, f)
			exporttest.Golden(t, f+".golden.json", res)
		})
	}
}

// TestEncodings checks that the three encodings read to the same text.
func TestEncodings(t *testing.T) {
	for file, want := range map[string][]string{
		"testdata/leerlingen.csv":         {"Renée Visser (intern begeleider)", "René Mulder (intern begeleider)"},
		"testdata/leerlingen-cp1252.csv":  {"Anaïs Grégoire (intern begeleider)", "Noël Brouwer (intern begeleider)", "Chloë Dekker (IB'er)"},
		"testdata/leerlingen-unicode.txt": {"José Aydın"},
	} {
		res := exporttest.Read(t, Adapter{}, file)
		names := map[string]bool{}
		for _, r := range res.Rows {
			names[r.Input.Contact.Name] = true
		}
		for _, n := range want {
			if !names[n] {
				t.Errorf("%s: no contact %q in %v", file, n, names)
			}
		}
	}
}

const header = "leerlingnummer;bsn;ondersteuningsvorm;begindatum;einddatum;contactpersoon;telefoon\n"

func read(t *testing.T, body string) exporttest.Result {
	t.Helper()
	return exporttest.Check(t, Adapter{}.Rows(strings.NewReader(body), export.Options{File: "test.csv", Today: exporttest.Today}))
}

func TestBadRows(t *testing.T) {
	for _, tc := range []struct {
		name, row, column, reason string
	}{
		{"invalid BSN", "1;999990057;Plusklas;01-09-2026;;J. Smit;033-2221100", "bsn", "not a valid BSN"},
		{"BSN lost its zero", "1;99999001;Plusklas;01-09-2026;;J. Smit;033-2221100", "bsn", "leading zero"},
		{"empty BSN", "1;;Plusklas;01-09-2026;;J. Smit;033-2221100", "bsn", "is empty"},
		{"no date", "1;999990019;Plusklas;morgen;;J. Smit;033-2221100", "begindatum", "is not a date dd-mm-jjjj or jjjj-mm-dd"},
		{"31 February", "1;999990019;Plusklas;31-02-2026;;J. Smit;033-2221100", "begindatum", "is not a date"},
		{"American date", "1;999990019;Plusklas;09/01/2026;;J. Smit;033-2221100", "begindatum", "is not a date"},
		{"bad end", "1;999990019;Plusklas;01-09-2026;2026-13-01;J. Smit;033-2221100", "einddatum", "is not a date"},
		{"end before start", "1;999990019;Plusklas;01-09-2026;31-08-2026;J. Smit;033-2221100", "einddatum", "is before begindatum"},
		{"missing ref", ";999990019;Plusklas;01-09-2026;;J. Smit;033-2221100", "leerlingnummer", "is empty"},
		{"missing support", "1;999990019;;01-09-2026;;J. Smit;033-2221100", "ondersteuningsvorm", "is empty"},
		{"support without letters", "1;999990019;***;01-09-2026;;J. Smit;033-2221100", "ondersteuningsvorm", "service code"},
		{"missing start", "1;999990019;Plusklas;;;J. Smit;033-2221100", "begindatum", "is empty"},
		{"BSN as pupil number", "999990019;999990019;Plusklas;01-09-2026;;J. Smit;033-2221100", "leerlingnummer", "looks like a BSN"},
		{"BSN in the phone column", "1;999990019;Plusklas;01-09-2026;;J. Smit;999990019", "telefoon", "holds the row's BSN"},
		{"shifted columns", "1;999990019;Plusklas; gedrag;01-09-2026;;J. Smit;033-2221100", "", "fields where the header has 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := "2;999990020;Plusklas;01-09-2026;;J. Smit;033-2221100\n"
			res := read(t, header+good+tc.row+"\n"+good[:0]+"3;999990032;Plusklas;01-09-2026;;J. Smit;033-2221100\n")
			if res.Error != "" || len(res.Rows) != 2 || len(res.Problems) != 1 {
				t.Fatalf("want 2 rows and 1 problem, got %+v", res)
			}
			p := res.Problems[0]
			if p.File != "test.csv" || p.Line != 3 || p.Column != tc.column || !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("problem %+v, want line 3, column %q, reason with %q", p, tc.column, tc.reason)
			}
			if strings.Contains(p.Error(), "99999") {
				t.Errorf("the BSN leaks: %s", p.Error())
			}
		})
	}
}

func TestDuplicate(t *testing.T) {
	row := "5521;999990019;Extra ondersteuning;01-09-2026;;J. Smit;033-2221100\n"
	res := read(t, header+row+row)
	if len(res.Rows) != 1 || len(res.Problems) != 1 || res.Problems[0].Reason != "gives the same reference as line 2" {
		t.Errorf("got %+v", res)
	}
}

func TestWarnings(t *testing.T) {
	res := read(t, "leerlingnummer;bsn;ondersteuningsvorm;begindatum;einddatum;contactpersoon;telefoon;e-mail\n"+
		"1;999990019;Plusklas;01-09-2026;;J. Smit;bel de administratie;j.smit@@school\n"+
		"2;999990020;Plusklas;01-09-2026;;J. Smit;332221100;j.smit@deregenboog.nl\n")
	if len(res.Rows) != 2 || len(res.Problems) != 0 {
		t.Fatalf("got %+v", res)
	}
	w := res.Rows[0].Warnings
	if len(w) != 2 || w[0].Column != "telefoon" || w[1].Column != "e-mail" || res.Rows[0].Input.Contact.Phone != "" || res.Rows[0].Input.Contact.Email != "" {
		t.Errorf("warnings %+v, contact %+v", w, res.Rows[0].Input.Contact)
	}
	if c := res.Rows[1].Input.Contact; c.Phone != "0332221100" || c.Email != "j.smit@deregenboog.nl" {
		t.Errorf("contact %+v: the leading zero a spreadsheet dropped should be back", c)
	}
}

func TestStatus(t *testing.T) {
	res := read(t, header+
		"1;999990019;Plusklas;01-09-2026;;J. Smit;033-2221100\n"+ // started, no end
		"2;999990020;Plusklas;01-09-2026;22-11-2026;J. Smit;033-2221100\n"+ // ends today: still active
		"3;999990032;Plusklas;01-09-2026;21-11-2026;J. Smit;033-2221100\n"+ // ended yesterday
		"4;999990044;Plusklas;23-11-2026;;J. Smit;033-2221100\n"+ // starts tomorrow
		"5;999990056;Plusklas;22-11-2026;;J. Smit;033-2221100\n") // starts today
	want := []string{"active", "active", "ended", "registered", "active"}
	if len(res.Rows) != len(want) {
		t.Fatalf("got %+v", res)
	}
	for i, r := range res.Rows {
		if r.Input.Status != want[i] {
			t.Errorf("row %d: status %s, want %s", i+1, r.Input.Status, want[i])
		}
	}
}

func TestFileErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "", "the file is empty"},
		{"no header", "5521;999990019;Extra ondersteuning;01-09-2026;;J. Smit;033-2221100\n", "no column leerlingnummer, bsn, ondersteuningsvorm"},
		{"missing column", "leerlingnummer;bsn;ondersteuningsvorm;begindatum;contactpersoon;telefoon\n", "no column einddatum"},
		{"two BSN columns", "leerlingnummer;bsn;BSN;ondersteuningsvorm;begindatum;einddatum;contactpersoon;telefoon\n", "two columns are named bsn"},
		{"unclosed quote", header + "1;999990019;\"Plusklas;01-09-2026;;J. Smit;033-2221100\n" + strings.Repeat("x;", 600000), "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, tc.body)
			if !strings.Contains(res.Error, tc.want) {
				t.Errorf("error %q, want %q", res.Error, tc.want)
			}
			if strings.Contains(res.Error, "99999") {
				t.Errorf("the BSN leaks: %s", res.Error)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	if _, err := Open(export.Config{Mapping: "x.yaml"}); err == nil {
		t.Error("a mapping file should be refused")
	}
	a, err := export.Registry{Name: Open}.Open("school", export.Config{})
	if err != nil || a.Name() != "school" {
		t.Fatal(a, err)
	}
}

func FuzzRows(f *testing.F) {
	exporttest.Seeds(f, "testdata/*.csv", "testdata/*.txt")
	f.Add([]byte(header + "1;999990019;Plusklas;01-09-2026;;J. Smit;033-2221100\n"))
	f.Add([]byte("sep=,\nLLNR,BSN,Arrangement,Begin,Eind,IB,Tel\n\"1\",\"999990019\",\"a\"\"b\",2026-09-01,,x,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exporttest.Check(t, Adapter{}.Rows(bytes.NewReader(data), export.Options{File: "fuzz.csv", Today: exporttest.Today}))
	})
}
