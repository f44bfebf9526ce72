package console

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// checkPDF reads a PDF as textPDF writes it: the cross-reference table
// points at each object, the page tree counts the pages, every content
// stream's length is right; it returns the text lines shown, decoded
// from WinAnsiEncoding (page footers left out).
func checkPDF(t *testing.T, pdf []byte) []string {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatal("not a PDF file")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 ")) {
		t.Fatal("startxref does not point at the xref table")
	}
	offs := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(pdf[xref:], -1)
	for i, o := range offs {
		off, _ := strconv.Atoi(string(o[1]))
		if !bytes.HasPrefix(pdf[off:], fmt.Appendf(nil, "%d 0 obj\n", i+1)) {
			t.Fatalf("xref entry %d points at %q", i+1, pdf[off:min(len(pdf), off+20)])
		}
	}
	streams := regexp.MustCompile(`(?s)<< /Length (\d+) >>\nstream\n(.*?)endstream`).FindAllSubmatch(pdf, -1)
	count := regexp.MustCompile(`/Count (\d+)`).FindSubmatch(pdf)
	if count == nil || string(count[1]) != strconv.Itoa(len(streams)) {
		t.Fatalf("/Count %s, %d content streams", count[1], len(streams))
	}
	var lines []string
	str := regexp.MustCompile(`\(((?:\\.|[^\\)])*)\) '`)
	for _, s := range streams {
		if n, _ := strconv.Atoi(string(s[1])); n != len(s[2]) {
			t.Fatalf("stream /Length %d, holds %d bytes", n, len(s[2]))
		}
		for _, l := range str.FindAllSubmatch(s[2], -1) {
			lines = append(lines, decodePDFString(string(l[1])))
		}
	}
	return lines
}

// decodePDFString undoes pdfString's escapes (Latin-1 only: enough for
// the tests' text).
func decodePDFString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '7' {
			n, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteRune(rune(n))
			i += 3
			continue
		}
		i++
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestTextPDF: lines are escaped, wrapped at the page's width with their
// indentation and paginated; the file's structure holds.
func TestTextPDF(t *testing.T) {
	long := "  " + strings.Repeat("woord ", 40)
	in := []string{"Overzicht (voor de inwoner) \\ één", long}
	for i := range 100 {
		in = append(in, fmt.Sprintf("regel %d", i))
	}
	pdf := textPDF("Overzicht", in)
	lines := checkPDF(t, pdf)
	if lines[0] != in[0] {
		t.Fatalf("first line %q", lines[0])
	}
	if !strings.HasPrefix(lines[2], "    woord") || len(lines[1]) > pdfWrap || strings.Join(strings.Fields(lines[1]+" "+lines[2]+" "+lines[3]), " ") != strings.TrimSpace(strings.Repeat("woord ", 40)) {
		t.Fatalf("wrapped: %q %q %q", lines[1], lines[2], lines[3])
	}
	if !bytes.Contains(pdf, []byte("/Count 2")) || lines[len(lines)-1] != "regel 99" {
		t.Fatalf("%d lines; last %q", len(lines), lines[len(lines)-1])
	}
	if got := pdfString("“a” – b €"); got != `(\223a\224 \226 b \200)` {
		t.Fatalf("WinAnsi: %s", got)
	}
}
