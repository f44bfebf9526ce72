package console

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A PDF of text lines: the resident's access report as a file to hand
// over or keep (issue 16). The report is plain text (inzage.WriteText, the
// wording the CLI and the printable page share), so a PDF of it needs no
// layout engine: A4 pages of Helvetica (one of the fonts every PDF reader
// has, so nothing is embedded), lines wrapped at the page's width,
// uncompressed. Small enough to write here rather than add a dependency.

const (
	pdfPageW, pdfPageH = 595, 842 // A4 in points
	pdfMargin          = 56
	pdfFontSize        = 10
	pdfLeading         = 13
	// pdfWrap is how many characters fit on a line: Helvetica at 10 pt
	// averages about 5 pt a character over the 483 pt between margins.
	pdfWrap         = 92
	pdfLinesPerPage = (pdfPageH - 2*pdfMargin) / pdfLeading
)

// winAnsi maps the characters outside Latin-1 that Dutch text uses to
// their byte in WinAnsiEncoding, the standard fonts' encoding.
var winAnsi = map[rune]byte{'€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94,
	'•': 0x95, '–': 0x96, '—': 0x97}

// pdfString is s as a PDF literal string in WinAnsiEncoding: backslash,
// parentheses escaped; a character the encoding lacks becomes '?'.
func pdfString(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range s {
		switch {
		case r == '\\' || r == '(' || r == ')':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r >= 0xa0 && r <= 0xff:
			fmt.Fprintf(&b, "\\%03o", r)
		case winAnsi[r] != 0:
			fmt.Fprintf(&b, "\\%03o", winAnsi[r])
		case r == '\t':
			b.WriteString("    ")
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte(')')
	return b.String()
}

// wrapLine breaks a line at spaces to at most width characters, keeping
// its indentation on the continued lines.
func wrapLine(line string, width int) []string {
	indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
	var out []string
	for utf8.RuneCountInString(line) > width {
		cut := -1
		n := 0
		for i, r := range line {
			if n > width {
				break
			}
			if r == ' ' && i > len(indent) {
				cut = i
			}
			n++
		}
		if cut < 0 { // one long word: cut it
			cut = len(string([]rune(line)[:width]))
		}
		out = append(out, strings.TrimRight(line[:cut], " "))
		line = indent + "  " + strings.TrimLeft(line[cut:], " ")
	}
	return append(out, line)
}

// textPDF returns a PDF of lines (wrapped and paginated) with title in its
// document information.
func textPDF(title string, lines []string) []byte {
	var wrapped []string
	for _, l := range lines {
		wrapped = append(wrapped, wrapLine(strings.TrimRight(l, "\r"), pdfWrap)...)
	}
	var pages [][]string
	for len(wrapped) > 0 || len(pages) == 0 {
		n := min(len(wrapped), pdfLinesPerPage)
		pages = append(pages, wrapped[:n])
		wrapped = wrapped[n:]
	}
	// Objects: 1 catalog, 2 page tree, 3 font, 4 info, then per page its
	// page object and its content stream.
	var objs []string
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Title %s /Producer (Ketenbrug) >>", pdfString(title)))
	for i, pg := range pages {
		var c strings.Builder
		fmt.Fprintf(&c, "BT /F1 %d Tf %d TL %d %d Td\n", pdfFontSize, pdfLeading, pdfMargin, pdfPageH-pdfMargin-pdfFontSize)
		for _, l := range pg {
			fmt.Fprintf(&c, "%s '\n", pdfString(l))
		}
		fmt.Fprintf(&c, "ET\nBT /F1 8 Tf %d %d Td %s Tj ET\n", pdfMargin, pdfMargin/2, pdfString(fmt.Sprintf("Pagina %d van %d", i+1, len(pages))))
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", pdfPageW, pdfPageH, 6+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", c.Len(), c.String()))
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
