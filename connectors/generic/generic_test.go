package generic

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors/export"
	"github.com/ketenbrug/ketenbrug/connectors/export/exporttest"
)

// TestGolden maps each export in testdata with the mapping of the same
// name (wmo.csv with wmo.yaml, ggd.jsonl with ggd.json).
func TestGolden(t *testing.T) {
	for _, data := range append(glob(t, "testdata/*.csv"), glob(t, "testdata/*.jsonl")...) {
		stem := strings.TrimSuffix(data, filepath.Ext(data))
		mapping := glob(t, stem+".yaml")
		if len(mapping) == 0 {
			mapping = glob(t, stem+".json")
		}
		if len(mapping) != 1 {
			t.Fatalf("%s: no mapping %s.yaml or .json", data, stem)
		}
		t.Run(filepath.Base(data), func(t *testing.T) {
			a, err := Open(export.Config{Mapping: mapping[0]})
			if err != nil {
				t.Fatal(err)
			}
			exporttest.Golden(t, stem+".golden.json", exporttest.Read(t, a, data))
		})
	}
}

func glob(t *testing.T, pattern string) []string {
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func adapter(t *testing.T, mapping string) *Adapter {
	t.Helper()
	m, err := ParseMapping([]byte(mapping))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func read(t *testing.T, a *Adapter, body string) exporttest.Result {
	t.Helper()
	return exporttest.Check(t, a.Rows(strings.NewReader(body), export.Options{File: "export.csv", Today: exporttest.Today}))
}

const wmoMapping = `
ref: nr
ref_prefix: wmo-
bsn: bsn
service: voorziening
service_values: {HH: {code: huishoudelijke-hulp, label: Huishoudelijke hulp}}
status: status
status_values: {verlengd: active}
start: van
end: tot
date_format: [dd-mm-jjjj, d/m/jjjj]
contact: {name: consulent, phone: {value: "14 033"}}
`

func TestBadRows(t *testing.T) {
	a := adapter(t, wmoMapping)
	const header = "nr;bsn;voorziening;status;van;tot;consulent\n"
	for _, tc := range []struct {
		name, row, column, reason string
	}{
		{"invalid BSN", "2;999990008;HH;lopend;01-02-2026;;G. Hoekstra", "bsn", "not a valid BSN"},
		{"unknown service", "2;999990019;PGB;lopend;01-02-2026;;G. Hoekstra", "voorziening", "is not one of the values in the mapping's service_values"},
		{"empty service", "2;999990019;;lopend;01-02-2026;;G. Hoekstra", "voorziening", "is empty"},
		{"unknown status", "2;999990019;HH;in afwachting;01-02-2026;;G. Hoekstra", "status", "add it to status_values"},
		{"bad date", "2;999990019;HH;lopend;2026-02-01;;G. Hoekstra", "van", "is not a date dd-mm-jjjj or d/m/jjjj"},
		{"missing ref", ";999990019;HH;lopend;01-02-2026;;G. Hoekstra", "nr", "is empty"},
		{"end before start", "2;999990019;HH;lopend;01-02-2026;1/1/2026;G. Hoekstra", "tot", "is before van"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, a, header+"1;999990007;HH;verlengd;01-02-2026;;G. Hoekstra\n"+tc.row+"\n")
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

func TestStatusColumn(t *testing.T) {
	a := adapter(t, wmoMapping)
	res := read(t, a, "NR ; BSN;Voorziening;Status;Van;Tot;Consulent\n"+
		"1;999990007;hh;Verlengd;01-02-2026;;G. Hoekstra\n"+ // status_values
		"2;999990019;HH;Beëindigd;01-02-2026;;G. Hoekstra\n"+ // built in, overrides the dates
		"3;999990020;HH;;01-02-2026;01-03-2026;G. Hoekstra\n") // empty: derived
	want := []string{"active", "ended", "ended"}
	if len(res.Rows) != 3 {
		t.Fatalf("got %+v", res)
	}
	for i, r := range res.Rows {
		if r.Input.Status != want[i] || r.Input.Contact.Phone != "14 033" || r.Input.ServiceLabel != "Huishoudelijke hulp" {
			t.Errorf("row %d: %+v", i+1, r.Input)
		}
	}
}

func TestMissingColumn(t *testing.T) {
	a := adapter(t, wmoMapping)
	res := read(t, a, "nr;bsn;voorziening;status;van;einde;consulent\n1;999990007;HH;;01-02-2026;;G. Hoekstra\n")
	if !strings.Contains(res.Error, "no column tot") {
		t.Errorf("error %q", res.Error)
	}
}

func TestPrefixlessBSNLikeRef(t *testing.T) {
	a := adapter(t, "ref: nr\nbsn: bsn\nservice: {value: x}\n")
	res := read(t, a, "nr,bsn\n999990019,999990007\n")
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Reason, "looks like a BSN") {
		t.Errorf("got %+v", res)
	}
}

func TestMappingErrors(t *testing.T) {
	for _, tc := range []struct{ name, mapping, want string }{
		{"empty", "", "the mapping is empty"},
		{"not an object", "- ref\n", "a mapping is an object"},
		{"unknown key", "ref: nr\nbsn: bsn\nservice: s\ncontcat: {name: x}\n", `unknown key "contcat"`},
		{"unknown contact key", "ref: nr\nbsn: bsn\nservice: s\ncontact: {nme: x}\n", `contact: unknown key "nme"`},
		{"no ref", "bsn: bsn\nservice: s\n", "ref: is required"},
		{"fixed ref", "ref: {value: x}\nbsn: bsn\nservice: s\n", "ref: must be a column"},
		{"no bsn", "ref: nr\nservice: s\n", "bsn: is required"},
		{"two bsn columns", "ref: nr\nbsn: [a, b]\nservice: s\n", "bsn: must be one column"},
		{"no service", "ref: nr\nbsn: bsn\n", "service: is required"},
		{"bad service code", "ref: nr\nbsn: bsn\nservice: {value: Huishoudelijke hulp}\n", "service: the value must be a service code"},
		{"bad service value", "ref: nr\nbsn: bsn\nservice: s\nservice_values: {HH: Huishoudelijke hulp}\n", `service_values: "HH": the code must be`},
		{"bad status value", "ref: nr\nbsn: bsn\nservice: s\nstatus: st\nstatus_values: {open: lopend}\n", `must be registered, active or ended`},
		{"status values without column", "ref: nr\nbsn: bsn\nservice: s\nstatus_values: {open: active}\n", "no status column"},
		{"bad date format", "ref: nr\nbsn: bsn\nservice: s\ndate_format: dd-mm-jj\n", "date_format"},
		{"bad separator", "ref: nr\nbsn: bsn\nservice: s\nseparator: '::'\n", "separator"},
		{"bad encoding", "ref: nr\nbsn: bsn\nservice: s\nencoding: ebcdic\n", "unknown encoding"},
		{"bad format", "ref: nr\nbsn: bsn\nservice: s\nformat: xlsx\n", "format"},
		{"bad prefix", "ref: nr\nref_prefix: 'wmo/'\nbsn: bsn\nservice: s\n", "ref_prefix"},
		{"both column and value", "ref: nr\nbsn: bsn\nservice: s\nlabel: {column: a, value: b}\n", "label: is a column or a fixed value"},
		{"wrong type", `{"ref": "nr", "bsn": "bsn", "service": "s", "separator": 5}`, "separator: must be text"},
		{"bad source", `{"ref": "nr", "bsn": {"col": "bsn"}, "service": "s"}`, "bsn: a column name"},
		{"bad yaml", "ref: [nr\n", "yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMapping([]byte(tc.mapping))
			if err == nil {
				_, err = New(m)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	if _, err := Open(export.Config{}); err == nil {
		t.Error("the generic adapter needs a mapping")
	}
	if _, err := Open(export.Config{Mapping: "testdata/none.yaml"}); err == nil {
		t.Error("a missing mapping file should fail")
	}
}

func FuzzRows(f *testing.F) {
	exporttest.Seeds(f, "testdata/*.csv")
	f.Add([]byte("nr;bsn;voorziening;status;van;tot;consulent\n1;999990007;HH;verlengd;01-02-2026;;G. Hoekstra\n"))
	a, err := New(mustParse(f, wmoMapping))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exporttest.Check(t, a.Rows(bytes.NewReader(data), export.Options{File: "fuzz.csv", Today: exporttest.Today}))
	})
}

func FuzzJSONLines(f *testing.F) {
	exporttest.Seeds(f, "testdata/*.jsonl")
	a, err := Open(export.Config{Mapping: "testdata/ggd.json"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exporttest.Check(t, a.Rows(bytes.NewReader(data), export.Options{File: "fuzz.jsonl", Today: exporttest.Today}))
	})
}

// FuzzMapping checks that no mapping file makes the parser or New panic,
// and that an accepted one maps a small export within the invariants.
func FuzzMapping(f *testing.F) {
	exporttest.Seeds(f, "testdata/*.yaml", "testdata/ggd.json")
	f.Add([]byte(wmoMapping))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping(data)
		if err != nil {
			return
		}
		a, err := New(m)
		if err != nil {
			return
		}
		exporttest.Check(t, a.Rows(strings.NewReader("nr;bsn;voorziening;status;van;tot;consulent\n1;999990007;HH;lopend;01-02-2026;;G. Hoekstra\n"),
			export.Options{File: "fuzz.csv", Today: exporttest.Today}))
	})
}

func mustParse(f *testing.F, s string) *Mapping {
	m, err := ParseMapping([]byte(s))
	if err != nil {
		f.Fatal(err)
	}
	return m
}
