package uwv

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ketenbrug/ketenbrug/connectors/export"
	"github.com/ketenbrug/ketenbrug/connectors/export/exporttest"
)

func TestGolden(t *testing.T) {
	const f = "testdata/uwv-uitkeringen.jsonl"
	exporttest.Golden(t, f+".golden.json", exporttest.Read(t, Adapter{}, f))
}

func read(t *testing.T, body string) exporttest.Result {
	t.Helper()
	return exporttest.Check(t, Adapter{}.Rows(strings.NewReader(body), export.Options{File: "uwv.jsonl", Today: exporttest.Today}))
}

func TestBadRows(t *testing.T) {
	for _, tc := range []struct {
		name, line, column, reason string
	}{
		{"invalid BSN", `{"uitkeringsnummer":"WW-1","bsn":"999990341","regeling":"WW"}`, "bsn", "not a valid BSN"},
		{"BSN as a small number", `{"uitkeringsnummer":"WW-1","bsn":99999034,"regeling":"WW"}`, "bsn", "leading zero"},
		{"unknown scheme", `{"uitkeringsnummer":"WW-1","bsn":"999990342","regeling":"IOAW"}`, "regeling", "is not a scheme this adapter knows"},
		{"no scheme", `{"uitkeringsnummer":"WW-1","bsn":"999990342"}`, "regeling", "is empty"},
		{"bad date", `{"uitkeringsnummer":"WW-1","bsn":"999990342","regeling":"WW","ingangsdatum":"2 maart 2026"}`, "ingangsdatum", "is not a date jjjj-mm-dd or dd-mm-jjjj"},
		{"date as a number", `{"uitkeringsnummer":"WW-1","bsn":"999990342","regeling":"WW","einddatum":20260302}`, "einddatum", "is not a date"},
		{"end before start", `{"uitkeringsnummer":"WW-1","bsn":"999990342","regeling":"WW","ingangsdatum":"2026-03-02","einddatum":"2026-03-01"}`, "einddatum", "is before ingangsdatum"},
		{"missing ref", `{"bsn":"999990342","regeling":"WW"}`, "uitkeringsnummer", "every row needs its own reference"},
		{"ref of the wrong type", `{"uitkeringsnummer":{"nr":1},"bsn":"999990342","regeling":"WW"}`, "uitkeringsnummer", "must be text"},
		{"BSN as benefit number", `{"uitkeringsnummer":"999990342","bsn":"999990342","regeling":"WW"}`, "uitkeringsnummer", "looks like a BSN"},
		{"contact of the wrong type", `{"uitkeringsnummer":"WW-1","bsn":"999990342","regeling":"WW","contact":["x"]}`, "contact", "must be an object"},
		{"contact phone of the wrong type", `{"uitkeringsnummer":"WW-1","bsn":"999990342","regeling":"WW","contact":{"telefoon":{}}}`, "contact.telefoon", "must be text"},
		{"not JSON", `{"uitkeringsnummer":"WW-1","bsn":"999990342",`, "", "not valid JSON"},
		{"not an object", `["WW-1","999990342"]`, "", "not a JSON object"},
		{"two objects", `{"uitkeringsnummer":"WW-1"} {"bsn":"999990342"}`, "", "trailing data"},
		{"too long", `{"uitkeringsnummer":"WW-1","x":"` + strings.Repeat("a", 70000) + `"}`, "", "longer than"},
		{"same benefit twice", `{"uitkeringsnummer":"WW-0","bsn":"999990354","regeling":"WW"}`, "uitkeringsnummer", "same reference as line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := `{"uitkeringsnummer":"WW-0","bsn":"999990366","regeling":"WW","ingangsdatum":"2026-01-05"}` + "\n"
			res := read(t, good+tc.line+"\n"+strings.Replace(good, "WW-0", "WW-2", 1))
			if res.Error != "" || len(res.Rows) != 2 || len(res.Problems) != 1 {
				t.Fatalf("want 2 rows and 1 problem, got %+v", res)
			}
			p := res.Problems[0]
			if p.Line != 2 || p.Column != tc.column || !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("problem %+v, want line 2, column %q, reason with %q", p, tc.column, tc.reason)
			}
			if strings.Contains(p.Error(), "99999") {
				t.Errorf("the BSN leaks: %s", p.Error())
			}
		})
	}
}

func TestDossiernummerAndCase(t *testing.T) {
	res := read(t, `{"Dossiernummer":"D-7","BSN":"999990342","Regeling":"wajong","Contact":{"Naam":"Team Wajong","Telefoon":"088-8982000"}}`+"\n")
	if len(res.Rows) != 1 {
		t.Fatalf("got %+v", res)
	}
	r := res.Rows[0]
	if r.Ref != "uwv-D-7" || r.Input.Service != "wajong" || r.Input.Contact.Phone != "088-8982000" || r.Input.Status != "active" {
		t.Errorf("got %+v", r.Input)
	}
}

func FuzzRows(f *testing.F) {
	exporttest.Seeds(f, "testdata/*.jsonl")
	f.Add([]byte(`{"uitkeringsnummer":"WW-1","bsn":"999990342","regeling":"WW","contact":"Team WW"}`))
	f.Add([]byte("\xef\xbb\xbf{\"uitkeringsnummer\":1,\"bsn\":999990342,\"regeling\":\"zw\",\"einddatum\":null}\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exporttest.Check(t, Adapter{}.Rows(bytes.NewReader(data), export.Options{File: "fuzz.jsonl", Today: exporttest.Today}))
	})
}
