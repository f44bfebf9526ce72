package export

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/ketenbrug/ketenbrug/broker"
)

var today = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"01-09-2026", "2026-09-01"},
		{"1-9-2026", "2026-09-01"},
		{"2026-09-01", "2026-09-01"},
		{"2026-9-1", "2026-09-01"},
		{"01-09-2026 00:00:00", "2026-09-01"},
		{"2026-09-01T00:00:00.000Z", "2026-09-01"},
		{"2026-09-01T00:00:00+02:00", "2026-09-01"},
		{"29-02-2028", "2028-02-29"},
		{"29-02-2026", ""},
		{"31-04-2026", ""},
		{"00-01-2026", ""},
		{"01-13-2026", ""},
		{"01-09-26", ""},
		{"01/09/2026", ""},
		{"01-09-2026x", ""},
		{"01-09-2026 morgen", ""},
		{"01-09-1899", ""},
		{"01-09-2201", ""},
		{"2026-09-01-", ""},
		{"", ""},
		{"١-٩-٢٠٢٦", ""},
	} {
		got, ok := ParseDate(tc.in, DutchOrISO)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	f := MustDateFormat("D/M/YYYY")
	if got, ok := f.Parse("9/1/2026"); !ok || got != "2026-01-09" {
		t.Errorf("d/m/yyyy: %q %v", got, ok)
	}
	f = MustDateFormat("jjjjmmdd")
	if got, ok := f.Parse("20260109"); !ok || got != "2026-01-09" || f.String() != "jjjjmmdd" {
		t.Errorf("jjjjmmdd: %q %v", got, ok)
	}
}

func TestParseDateFormatErrors(t *testing.T) {
	for _, s := range []string{"", "dd-mm", "dd-mm-jj", "dd-dd-jjjj", "dd-mm-jjjj hh:mm", "dd-mm-jjjj-jjjj", "dd-mm-2026"} {
		if _, err := ParseDateFormat(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

func TestServiceCode(t *testing.T) {
	for in, want := range map[string]string{
		"Extra ondersteuning":       "extra-ondersteuning",
		"Ambulante hulp (Jeugdwet)": "ambulante-hulp-jeugdwet",
		"  Cliëntondersteuning  ":   "clientondersteuning",
		"Taalklas (NT2)":            "taalklas-nt2",
		"Zorg & Welzijn":            "zorg-welzijn",
		"***":                       "",
		"":                          "",
		strings.Repeat("ab ", 40):   strings.TrimRight(strings.Repeat("ab-", 22), "-")[:64],
	} {
		if got := ServiceCode(in); got != want {
			t.Errorf("ServiceCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRefPart(t *testing.T) {
	for in, want := range map[string]string{
		"SHV/2026/0117": "SHV-2026-0117", " 5521 ": "5521", "Cliënt 7": "Client-7", "a//b": "a-b", "#1": "1", "x.y_z:1-2": "x.y_z:1-2",
	} {
		if got := RefPart(in); got != want {
			t.Errorf("RefPart(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"033-2221100": "033-2221100", "033 222 11 00": "033 222 11 00", "033.222.11.00": "033 222 11 00",
		"033/2221100": "033 2221100", "(033) 222 11 00": "033 222 11 00", "+31 (0)33 222 1100": "+31 (0)33 222 1100",
		"332221100": "0332221100", "612345678": "0612345678", "14 033": "14 033", "088\u00a08982000": "088 8982000",
		"tel. 033-2221100": "", "geen": "", "12345": "",
	} {
		got, ok := Phone(in)
		if ok != (want != "") || ok && got != want {
			t.Errorf("Phone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestShorten(t *testing.T) {
	s := strings.Repeat("é", 60) // 120 bytes
	got := Shorten(s, 100)
	if len(got) > 100 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") {
		t.Errorf("Shorten: %q (%d bytes)", got, len(got))
	}
	if Shorten("kort", 100) != "kort" {
		t.Error("a short text changed")
	}
}

func TestStatusOn(t *testing.T) {
	for _, tc := range []struct{ start, end, want string }{
		{"", "", "active"},
		{"2026-01-01", "", "active"},
		{"2026-11-22", "", "active"},
		{"2026-11-23", "", "registered"},
		{"2026-11-23", "2027-01-01", "registered"},
		{"2026-01-01", "2026-11-22", "active"},
		{"2026-01-01", "2026-11-21", "ended"},
		{"", "2026-11-21", "ended"},
	} {
		if got := StatusOn(tc.start, tc.end, "2026-11-22"); got != tc.want {
			t.Errorf("StatusOn(%q, %q) = %s, want %s", tc.start, tc.end, got, tc.want)
		}
	}
}

func TestTodayDefault(t *testing.T) {
	got := Options{}.today()
	if _, err := time.Parse(time.DateOnly, got); err != nil {
		t.Fatal(got)
	}
	if (Options{Today: today}).today() != "2026-11-22" {
		t.Error("injected today not used")
	}
}

var testColumns = []Column{
	{Names: []string{"nummer"}, Required: true},
	{Names: []string{"naam", "contactpersoon"}},
	{Names: []string{"optioneel"}},
}

type csvResult struct {
	lines    []int
	values   [][]string
	problems []string
	err      string
}

func readCSV(t *testing.T, data []byte, o CSVOptions) csvResult {
	t.Helper()
	var res csvResult
	for rec, err := range ReadCSV(bytes.NewReader(data), "t.csv", testColumns, o) {
		var p *Problem
		switch {
		case errors.As(err, &p):
			res.problems = append(res.problems, p.Error())
		case err != nil:
			res.err = err.Error()
		default:
			res.lines = append(res.lines, rec.Line)
			res.values = append(res.values, []string{rec.Value(0), rec.Value(1), rec.Value(2)})
			if rec.Has(2) != strings.Contains(string(data), "optioneel") {
				t.Error("Has is wrong")
			}
		}
	}
	return res
}

func TestReadCSVSeparators(t *testing.T) {
	for name, data := range map[string]string{
		"semicolon":    "Nummer;Naam\n1;Jansen, M.\n",
		"comma":        "nummer,naam\n1,\"Jansen, M.\"\n",
		"tab":          "nummer\tnaam\n1\tJansen, M.\n",
		"pipe":         "nummer|naam\n1|Jansen, M.\n",
		"sep line":     "sep=|\r\nnummer|naam\r\n1|Jansen, M.\r\n",
		"quoted comma": "\"nummer\",\"naam, volledig\";x\n",
	} {
		t.Run(name, func(t *testing.T) {
			res := readCSV(t, []byte(data), CSVOptions{})
			if name == "quoted comma" {
				if res.err == "" {
					t.Error("want an error for a header without naam")
				}
				return
			}
			want := 2
			if name == "sep line" {
				want = 3
			}
			if res.err != "" || len(res.values) != 1 || res.values[0][1] != "Jansen, M." || res.lines[0] != want {
				t.Errorf("got %+v", res)
			}
		})
	}
}

func TestReadCSVRows(t *testing.T) {
	data := "nummer;contactpersoon;optioneel\n" +
		"1;\"Jansen\nvan Dijk\";a\n" + // a quoted newline: the next record starts on line 4
		";;\n" + // only separators: skipped
		"\n" +
		"2;Smit\n" + // fewer fields: the missing one is empty
		"3;Smit;b;;\n" + // trailing empty fields: fine
		"4;Smit;b;c\n" + // one non-empty field too many: shifted
		"5;\"Bakker \"\"Bas\"\"\";c\n"
	res := readCSV(t, []byte(data), CSVOptions{})
	if res.err != "" {
		t.Fatal(res.err)
	}
	wantLines := []int{2, 6, 7, 9}
	if fmt.Sprint(res.lines) != fmt.Sprint(wantLines) {
		t.Errorf("lines %v, want %v", res.lines, wantLines)
	}
	if res.values[0][1] != "Jansen\nvan Dijk" || res.values[1][2] != "" || res.values[3][1] != `Bakker "Bas"` {
		t.Errorf("values %q", res.values)
	}
	if len(res.problems) != 1 || !strings.HasPrefix(res.problems[0], "t.csv:8: 4 fields where the header has 3") {
		t.Errorf("problems %q", res.problems)
	}
}

func TestReadCSVHeaderErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"", "t.csv: the file is empty"},
		{"\n\n", "t.csv: the file has only empty lines"},
		{"naam;x\n", "t.csv:1: no column nummer"},
		{"nummer;naam;contactpersoon\n", "t.csv:1: two columns mean naam (columns 2 and 3)"},
		{"nummer;Nummer\n", "t.csv:1: two columns are named nummer"},
		{"sep=;\nnaam\n", "t.csv:2: no column nummer"},
	} {
		if res := readCSV(t, []byte(tc.data), CSVOptions{}); !strings.HasPrefix(res.err, tc.want) {
			t.Errorf("%q: error %q, want %q", tc.data, res.err, tc.want)
		}
	}
}

func TestReadCSVExactHeaders(t *testing.T) {
	res := readCSV(t, []byte(" NUMMER ;naam\n1;x\n"), CSVOptions{ExactHeaders: true})
	if res.err != "" || len(res.values) != 1 {
		t.Errorf("got %+v", res)
	}
	res = readCSV(t, []byte("num mer;naam\n1;x\n"), CSVOptions{ExactHeaders: true})
	if res.err == "" {
		t.Error("exact headers should not ignore inner spaces")
	}
}

func TestReadCSVRecordTooLong(t *testing.T) {
	data := "nummer;naam\n1;\"" + strings.Repeat("x\n", MaxRecord) + "\n2;y\n"
	res := readCSV(t, []byte(data), CSVOptions{})
	if !strings.Contains(res.err, "longer than") {
		t.Errorf("error %q", res.err)
	}
}

func TestEncodings(t *testing.T) {
	cp1252 := []byte("nummer;naam\n1;Ren\xe9e Vi\xebtor\n2;\x80 5\n")
	utf8BOM := append([]byte("\xef\xbb\xbf"), "nummer;naam\n1;Renée Viëtor\n2;€ 5\n"...)
	mixed := []byte("nummer;naam\n1;Renée Viëtor\n2;\x80 5\n")
	utf16le := utf16Bytes("nummer;naam\r\n1;Renée Viëtor\r\n2;€ 5\r\n", false)
	utf16be := utf16Bytes("nummer;naam\r\n1;Renée Viëtor\r\n2;€ 5\r\n", true)
	for name, tc := range map[string]struct {
		data []byte
		enc  Encoding
	}{
		"windows-1252 auto": {cp1252, EncodingAuto}, "windows-1252 set": {cp1252, EncodingWindows1252},
		"utf-8 with BOM": {utf8BOM, EncodingAuto}, "BOM over setting": {utf8BOM, EncodingWindows1252},
		"mixed lines": {mixed, ""}, "utf-16le": {utf16le, ""}, "utf-16be": {utf16be, EncodingWindows1252},
	} {
		t.Run(name, func(t *testing.T) {
			res := readCSV(t, tc.data, CSVOptions{Encoding: tc.enc})
			if res.err != "" || len(res.values) != 2 || res.values[0][1] != "Renée Viëtor" || res.values[1][1] != "€ 5" {
				t.Errorf("got %+v", res)
			}
		})
	}
	res := readCSV(t, []byte("nummer;naam\n1;Ren\xe9e\n"), CSVOptions{Encoding: EncodingUTF8})
	if res.values[0][1] != "Ren\uFFFDe" {
		t.Errorf("utf-8 set: %q", res.values[0][1])
	}
}

func utf16Bytes(s string, bigEndian bool) []byte {
	units := utf16.Encode([]rune("\uFEFF" + s))
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]Encoding{"": EncodingAuto, "UTF8": EncodingUTF8, "cp1252": EncodingWindows1252, "Latin-1": EncodingWindows1252} {
		if got, err := ParseEncoding(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseEncoding("ebcdic"); err == nil {
		t.Error("ebcdic accepted")
	}
}

func TestReadJSONLines(t *testing.T) {
	data := "\xef\xbb\xbf{\"A\": \"x\", \"n\": 12, \"b\": true, \"z\": null, \"o\": {\"Naam\": \"Jansen\", \"x.y\": 1}, \"l\": [1]}\r\n" +
		"\n" +
		"[1]\n" +
		"{\"a\": \n" +
		"{\"a\": \"Ren\xe9e\"}\n" +
		"{\"a\": 1} x\n"
	var got []string
	for o, err := range ReadJSONLines(strings.NewReader(data), "t.jsonl", "") {
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		var parts []string
		for _, k := range []string{"a", "N", "b", "z", "missing", "o.naam", "o.x.y", "o.missing", "a.b", "l", "o"} {
			s, ok := o.Text(k)
			parts = append(parts, fmt.Sprintf("%s=%q/%v", k, s, ok))
		}
		got = append(got, fmt.Sprintf("%d: %s", o.Line, strings.Join(parts, " ")))
	}
	want := []string{
		`1: a="x"/true N="12"/true b="true"/true z=""/true missing=""/true o.naam="Jansen"/true o.x.y=""/true o.missing=""/true a.b=""/true l=""/false o=""/false`,
		"t.jsonl:3: not a JSON object",
		"t.jsonl:4: not valid JSON",
		`5: a="Renée"/true N=""/true b=""/true z=""/true missing=""/true o.naam=""/true o.x.y=""/true o.missing=""/true a.b=""/true l=""/true o=""/true`,
		"t.jsonl:6: trailing data after the JSON object",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTextOf(t *testing.T) {
	if s, ok := TextOf(map[string]any{"Naam": "x"}, "naam"); s != "x" || !ok {
		t.Error(s, ok)
	}
	if _, ok := TextOf("x", "naam"); ok {
		t.Error("a text is no object")
	}
	if s, ok := TextOf(nil, "naam"); s != "" || !ok {
		t.Error("null is empty")
	}
}

func testRow() Row {
	return Row{Line: 2, Ref: "lln-5521:extra-ondersteuning:20260901", Input: broker.InvolvementInput{
		BSN: "999990019", Service: "extra-ondersteuning", ServiceLabel: "Extra ondersteuning <IB> & zo", Status: "active",
		Start: "2026-09-01", Contact: broker.Contact{Name: "J. Smit", Phone: "033-2221100"}}}
}

func TestEncoder(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	r := testRow()
	if err := e.Encode(r); err != nil {
		t.Fatal(err)
	}
	r.Input.ServiceLabel, r.Input.Start, r.Input.Contact, r.Ref = "", "", broker.Contact{}, "x"
	r.Input.End, r.Input.Status = "2026-10-01", "ended"
	e.Encode(r)
	e.Flush()
	want := `{"ref":"lln-5521:extra-ondersteuning:20260901","bsn":"999990019","service":"extra-ondersteuning","service_label":"Extra ondersteuning <IB> & zo","status":"active","start":"2026-09-01","contact":{"name":"J. Smit","phone":"033-2221100"}}
{"ref":"x","bsn":"999990019","service":"extra-ondersteuning","status":"ended","end":"2026-10-01","contact":{}}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func seq(items ...any) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for _, it := range items {
			var ok bool
			switch v := it.(type) {
			case Row:
				ok = yield(v, nil)
			case error:
				ok = yield(Row{}, v)
			}
			if !ok {
				return
			}
		}
	}
}

func TestWriteSync(t *testing.T) {
	r := testRow()
	r.Warnings = []Problem{{File: "f", Line: 2, Column: "e-mail", Reason: "is not an e-mail address", Warning: true}}
	var buf bytes.Buffer
	var reported []string
	s, err := WriteSync(&buf, seq(r, &Problem{File: "f", Line: 3, Reason: "bad"}, r), func(p Problem) { reported = append(reported, p.Error()) })
	if err != nil || s != (Summary{Rows: 2, Skipped: 1, Warnings: 2}) || strings.Count(buf.String(), "\n") != 2 {
		t.Errorf("summary %+v, err %v, body %q", s, err, buf.String())
	}
	want := "f:2: e-mail: is not an e-mail address (left out; the row is kept)|f:3: bad|f:2: e-mail: is not an e-mail address (left out; the row is kept)"
	if strings.Join(reported, "|") != want {
		t.Errorf("reported %q", reported)
	}

	buf.Reset()
	fatal := errors.New("t.csv:9: an error")
	s, err = WriteSync(&buf, seq(testRow(), fatal), nil)
	if !errors.Is(err, fatal) || s.Rows != 1 || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("summary %+v, err %v, body %q: the row before the error must be flushed", s, err, buf.String())
	}
}

func TestWriteSyncKeep(t *testing.T) {
	var buf bytes.Buffer
	s, err := SyncOptions{KeepSkipped: true}.WriteSync(&buf,
		seq(&Problem{File: "f", Line: 2, Reason: "bad", Ref: "shv-1"}, &Problem{File: "f", Line: 3, Reason: "bad"}, testRow()))
	want := `{"ref":"shv-1"}` + "\n"
	if err != nil || s != (Summary{Rows: 1, Skipped: 2, Kept: 1}) || !strings.HasPrefix(buf.String(), want) {
		t.Errorf("summary %+v, err %v, body %q", s, err, buf.String())
	}
}

func TestProblemRef(t *testing.T) {
	m := NewMapper(Options{File: "f.csv", Today: today})
	b := m.Row(2)
	b.Ref("nr", "x-", "7")
	b.BSN("bsn", "999990021")
	if _, p := b.Done(); p == nil || p.Ref != "x-7" || strings.Contains(p.Error(), "x-7") {
		t.Errorf("problem %+v: the reference should be kept but not shown", p)
	}
	b = m.Row(3)
	b.Ref("nr", "x-", "7")
	b.BSN("bsn", "999990020")
	if _, p := b.Done(); p == nil || p.Reason != "gives the same reference as line 2" {
		t.Errorf("problem %+v: a kept reference is in the caseload", p)
	}
	b = m.Row(3)
	b.Ref("nr", "x-", "99999002")
	b.BSN("bsn", "99999002")
	if _, p := b.Done(); p == nil || p.Ref != "" {
		t.Errorf("problem %+v: a reference holding the BSN column must not be kept", p)
	}
}

func TestRowHidesBSN(t *testing.T) {
	r := testRow()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("row", "row", r)
	for _, s := range []string{r.String(), fmt.Sprintf("%v %+v %#v %s", r, r, r, r), buf.String()} {
		if strings.Contains(s, r.Input.BSN) {
			t.Errorf("the BSN shows: %s", s)
		}
	}
}

func TestRegistry(t *testing.T) {
	reg := Registry{"b": nil, "a": nil}
	if fmt.Sprint(reg.Names()) != "[a b]" {
		t.Error(reg.Names())
	}
	if _, err := reg.Open("c", Config{}); err == nil || err.Error() != `export: no adapter "c" (known: a, b)` {
		t.Error(err)
	}
	if NoMapping("school", Config{Mapping: "m.yaml"}) == nil || NoMapping("school", Config{}) != nil {
		t.Error("NoMapping")
	}
}

func TestBuilder(t *testing.T) {
	m := NewMapper(Options{File: "f.csv", Today: today})
	row := func(line int, fill func(b *Builder)) (Row, *Problem) {
		b := m.Row(line)
		fill(b)
		return b.Done()
	}
	r, p := row(2, func(b *Builder) {
		b.Ref("nr", "x-", "A 1", "b")
		b.BSN("bsn", "9999.90.019")
		b.Service("svc", "s", strings.Repeat("l", 150))
		b.Contact("naam", "J. Smit", "tel", "033 222 11 00", "mail", "j.smit@school.nl")
	})
	if p != nil || r.Ref != "x-A-1:b" || r.Input.BSN != "999990019" || len(r.Input.ServiceLabel) > 100 || r.Input.Status != "active" {
		t.Errorf("row %+v, problem %v", r.Input, p)
	}
	if _, p = row(3, func(b *Builder) { b.BSN("bsn", "999990019") }); p == nil || p.Reason != "no reference" {
		t.Errorf("no reference: %v", p)
	}
	if _, p = row(4, func(b *Builder) {
		b.Ref("nr", "x-", "A 1", "b")
		b.BSN("bsn", "999990020")
		b.Service("svc", "s", "")
	}); p == nil || p.Reason != "gives the same reference as line 2" {
		t.Errorf("duplicate: %v", p)
	}
	if _, p = row(5, func(b *Builder) {
		b.Ref("nr", "x-", "5")
		b.BSN("bsn", "999990020")
		b.Service("svc", "s", "")
		b.Status("status", "lopend")
	}); p == nil || p.Column != "status" {
		t.Errorf("status: %v", p)
	}
	if _, p = row(6, func(b *Builder) {
		b.Ref("nr", "x-", strings.Repeat("a", 130))
	}); p == nil || !strings.Contains(p.Reason, "longer than 128") {
		t.Errorf("long ref: %v", p)
	}
	if _, p = row(7, func(b *Builder) {
		b.Ref("nr", "x-", "7")
		b.BSN("bsn", "999990020")
		b.Service("svc", "s", "Team 999990020")
	}); p == nil || p.Column != "svc" || !strings.Contains(p.Reason, "holds the row's BSN") {
		t.Errorf("BSN in a label: %v", p)
	}
}

// TestStreamingMemory maps 500 000 rows and checks that the heap stays
// far below what holding them would take (about 300 bytes a row).
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("maps 500 000 rows")
	}
	const n = 500_000
	bsns := []string{"999990007", "999990019", "999990020", "999990032"}
	pr, pw := io.Pipe()
	go func() {
		w := bytes.NewBufferString("nummer;naam;optioneel\n")
		for i := range n {
			fmt.Fprintf(w, "%d;%s;Begeleiding\n", i, bsns[i%len(bsns)])
			if w.Len() > 64<<10 {
				pw.Write(w.Bytes())
				w.Reset()
			}
		}
		pw.Write(w.Bytes())
		pw.Close()
	}()
	m := NewMapper(Options{File: "big.csv", Today: today})
	rows := Map(ReadCSV(pr, "big.csv", testColumns, CSVOptions{}), func(rec *Record) (Row, *Problem) {
		b := m.Row(rec.Line)
		b.Ref("nummer", "n-", rec.Value(0))
		b.BSN("naam", rec.Value(1))
		b.Service("optioneel", ServiceCode(rec.Value(2)), rec.Value(2))
		return b.Done()
	})
	var peak uint64
	var ms runtime.MemStats
	s, err := WriteSync(io.Discard, func(yield func(Row, error) bool) {
		i := 0
		for r, err := range rows {
			if i++; i%50_000 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			if !yield(r, err) {
				return
			}
		}
	}, nil)
	if err != nil || s.Rows != n {
		t.Fatalf("%+v %v", s, err)
	}
	// The reference set takes about 40 bytes a row; the rows themselves
	// would take 150 MB.
	if peak > 64<<20 {
		t.Errorf("heap peaked at %d MB", peak>>20)
	}
	t.Logf("heap peak %d MB for %d rows", peak>>20, n)
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"01-09-2026", "2026-09-01T00:00:00Z", "1-9-2026 00:00", "29-02-2028", "31-02-2026", "", "9999-99-99"} {
		f.Add(s, "dd-mm-jjjj")
	}
	f.Add("9/1/2026", "d/m/yyyy")
	f.Add("20260901", "jjjjmmdd")
	f.Fuzz(func(t *testing.T, s, format string) {
		df, err := ParseDateFormat(format)
		if err != nil {
			return
		}
		got, ok := df.Parse(s)
		if !ok {
			return
		}
		v, err := time.Parse(time.DateOnly, got)
		if err != nil || v.Year() < 1900 || v.Year() > 2200 {
			t.Errorf("%q in %q gave %q", s, format, got)
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("nummer;contactpersoon;optioneel\n1;\"Jansen\nvan Dijk\";a\n;;\n2;Smit\n4;Smit;b;c\n"))
	f.Add([]byte("sep=,\nnummer,naam\n1,\"x\"\"y\"\n"))
	f.Add(utf16Bytes("nummer\tnaam\r\n1\tRenée\r\n", false))
	f.Add([]byte("\xef\xbb\xbfnummer;naam\n1;Ren\xe9e\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lastLine, sawErr := 0, false
		for rec, err := range ReadCSV(bytes.NewReader(data), "f.csv", testColumns, CSVOptions{}) {
			if sawErr {
				t.Fatal("a step after the final error")
			}
			var p *Problem
			if err != nil && !errors.As(err, &p) {
				sawErr = true
				continue
			}
			line := 0
			if p != nil {
				line = p.Line
			} else {
				line = rec.Line
				for i := range testColumns {
					_ = rec.Value(i)
				}
			}
			if line <= lastLine {
				t.Fatalf("line %d after %d", line, lastLine)
			}
			lastLine = line
		}
	})
}

func FuzzReadJSONLines(f *testing.F) {
	f.Add([]byte("{\"a\": \"x\", \"o\": {\"b\": 1}}\n\n[1]\n{\"a\": \n"))
	f.Add([]byte("\xef\xbb\xbf{\"a\": \"Ren\xe9e\"}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for o, err := range ReadJSONLines(bytes.NewReader(data), "f.jsonl", "") {
			if err == nil {
				o.Text("a")
				o.Text("o.b")
			}
		}
	})
}
