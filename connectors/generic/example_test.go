package generic_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/export"
	"github.com/ketenbrug/ketenbrug/connectors/generic"
)

// A WMO desk's export, mapped with a YAML mapping and written as the
// broker's sync body. The BSNs are test numbers (999 99x xxx).
func Example() {
	mapping, err := generic.ParseMapping([]byte(`
ref: [clientnummer, voorziening]
ref_prefix: wmo-
bsn: bsn
service: voorziening
service_values:
  HH: {code: huishoudelijke-hulp, label: Huishoudelijke hulp}
  BG: {code: wmo-begeleiding, label: Begeleiding (Wmo)}
start: ingangsdatum
end: einddatum
date_format: dd-mm-jjjj
contact:
  name: consulent
  phone: {value: "14 033"}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := generic.New(mapping)
	if err != nil {
		fmt.Println(err)
		return
	}
	export_ := strings.NewReader(`clientnummer;bsn;voorziening;ingangsdatum;einddatum;consulent
W-10233;999990007;HH;01-02-2026;;Gerda Hoekstra
W-10251;999990019;BG;04-11-2025;20-01-2026;Hüseyin Kaya
W-10260;123456789;HH;01-02-2026;;Gerda Hoekstra
`)
	opts := export.Options{File: "wmo.csv", Today: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	var body bytes.Buffer // the CLI writes to a temporary file, to sign and send
	sum, err := export.WriteSync(&body, a.Rows(export_, opts), func(p export.Problem) {
		fmt.Println("problem:", p.Error())
	})
	fmt.Printf("%d rows, %d skipped, %v\n", sum.Rows, sum.Skipped, err)
	fmt.Print(body.String())
	// Output:
	// problem: wmo.csv:4: bsn: is not a valid BSN: a BSN is 9 digits that pass the elfproef
	// 2 rows, 1 skipped, <nil>
	// {"ref":"wmo-W-10233:HH","bsn":"999990007","service":"huishoudelijke-hulp","service_label":"Huishoudelijke hulp","status":"active","start":"2026-02-01","contact":{"name":"Gerda Hoekstra","phone":"14 033"}}
	// {"ref":"wmo-W-10251:BG","bsn":"999990019","service":"wmo-begeleiding","service_label":"Begeleiding (Wmo)","status":"ended","start":"2025-11-04","end":"2026-01-20","contact":{"name":"Hüseyin Kaya","phone":"14 033"}}
}

// A GGD's JSON-lines export with nested objects and one fixed service,
// mapped with a JSON mapping.
func ExampleParseMapping_json() {
	mapping, err := generic.ParseMapping([]byte(`{
  "format": "jsonl",
  "ref": "casusnummer",
  "ref_prefix": "ggd-",
  "bsn": "persoon.bsn",
  "service": {"value": "bemoeizorg"},
  "label": {"value": "Bemoeizorg (OGGz)"},
  "start": "start",
  "end": "eind",
  "contact": {"name": "team.naam", "phone": "team.telefoon"}
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := generic.New(mapping)
	if err != nil {
		fmt.Println(err)
		return
	}
	lines := strings.NewReader(`{"casusnummer": 88120, "persoon": {"bsn": "999990093"}, "start": "2026-06-01", "eind": null, "team": {"naam": "Bemoeizorg Eemland", "telefoon": "033-4600046"}}
{"casusnummer": 88140, "persoon": {"bsn": "999990123"}, "start": "2026-12-01", "team": {"naam": "Zorg- en Veiligheidshuis"}}
`)
	rows, problems, err := export.Read(a, lines, export.Options{File: "ggd.jsonl", Today: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	for _, r := range rows {
		fmt.Println(r) // a Row prints without its BSN
	}
	fmt.Println(len(problems), "problems,", err)
	// Output:
	// line 1 ref ggd-88120 service bemoeizorg status active [bsn]
	// line 2 ref ggd-88140 service bemoeizorg status registered [bsn]
	// 0 problems, <nil>
}

// The CLI opens adapters by name from a registry; the generic one loads
// its mapping file.
func ExampleOpen() {
	adapters := export.Registry{generic.Name: generic.Open}
	a, err := adapters.Open("generic", export.Config{Mapping: "testdata/wmo.yaml"})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.Open("testdata/wmo.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	rows, problems, err := export.Read(a, f, export.Options{File: "wmo.csv", Today: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	fmt.Println(a.Name(), len(rows), "rows,", len(problems), "problems,", err)
	_, err = adapters.Open("wmo", export.Config{})
	fmt.Println(err)
	// Output:
	// generic 5 rows, 4 problems, <nil>
	// export: no adapter "wmo" (known: generic)
}
