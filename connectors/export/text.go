package export

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names the text encoding of an export.
type Encoding string

// Encodings.
const (
	// EncodingAuto reads each line as UTF-8 when it is valid UTF-8 and as
	// Windows-1252 otherwise. "" means the same.
	EncodingAuto Encoding = "auto"
	// EncodingUTF8 reads UTF-8; invalid bytes become U+FFFD.
	EncodingUTF8 Encoding = "utf-8"
	// EncodingWindows1252 reads Windows-1252 (also for files said to be
	// ISO-8859-1, of which it is a superset, as browsers do).
	EncodingWindows1252 Encoding = "windows-1252"
)

// ParseEncoding reads an encoding name as people write it.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return EncodingAuto, nil
	case "utf-8", "utf8":
		return EncodingUTF8, nil
	case "windows-1252", "cp1252", "win1252", "ansi", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "latin-9":
		return EncodingWindows1252, nil
	}
	return "", fmt.Errorf("unknown encoding %q (use auto, utf-8 or windows-1252)", s)
}

// Limits on what one read holds in memory.
const (
	// MaxRecord bounds one CSV record, quoted newlines included.
	MaxRecord = 1 << 20
	// MaxJSONLine bounds one JSON line, as the broker bounds a sync line.
	MaxJSONLine = 64 << 10
)

var (
	errLineTooLong   = errors.New("line too long")
	errRecordTooLong = errors.New("record too long")
)

// textReader turns an export into UTF-8 text a line at a time. It is the
// io.Reader the CSV parser reads, and it bounds how much a record may
// take: the parser itself would buffer an unbalanced quote to the end of
// the file.
type textReader struct {
	src     *bufio.Reader
	enc     Encoding
	started bool
	dec     *encoding.Decoder

	out     []byte // decoded text not yet read; aliases scratch or the decoder's output
	scratch []byte

	delivered int64 // bytes handed out by Read
	mark      int64 // where the current record began, set by the reader's user
	maxRecord int64
}

func newTextReader(r io.Reader, enc Encoding) *textReader {
	if enc == "" {
		enc = EncodingAuto
	}
	return &textReader{src: bufio.NewReaderSize(r, 64<<10), enc: enc, maxRecord: MaxRecord,
		dec: charmap.Windows1252.NewDecoder()}
}

// start looks at the byte-order mark, which overrides the configured
// encoding: it cannot be there by accident.
func (t *textReader) start() {
	t.started = true
	b, _ := t.src.Peek(3)
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		t.src.Discard(3)
		// Lines that are not valid UTF-8 after all are still read as
		// Windows-1252 (EncodingAuto), which is likelier right than U+FFFD.
		if t.enc == EncodingWindows1252 {
			t.enc = EncodingAuto
		}
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		utf16 := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		t.src = bufio.NewReaderSize(transform.NewReader(t.src, utf16), 64<<10)
		t.enc = EncodingUTF8
	}
}

// readLine returns the next line, newline included, decoded to UTF-8. A
// line longer than max is skipped to its end and reported as
// errLineTooLong, so that the caller may go on with the next one.
func (t *textReader) readLine(max int) ([]byte, error) {
	if !t.started {
		t.start()
	}
	t.scratch = t.scratch[:0]
	tooLong := false
	for {
		chunk, err := t.src.ReadSlice('\n')
		if !tooLong {
			if len(t.scratch)+len(chunk) > max {
				tooLong = true
				t.scratch = t.scratch[:0]
			} else {
				t.scratch = append(t.scratch, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong {
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, errLineTooLong
		}
		if err != nil && (err != io.EOF || len(t.scratch) == 0) {
			return nil, err
		}
		return t.decode(t.scratch), nil
	}
}

// decode makes one line UTF-8. Pure ASCII, the usual case, is returned
// as is.
func (t *textReader) decode(line []byte) []byte {
	ascii := true
	for _, c := range line {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return line
	}
	switch t.enc {
	case EncodingUTF8:
		if utf8.Valid(line) {
			return line
		}
		return bytes.ToValidUTF8(line, []byte("\uFFFD"))
	case EncodingAuto:
		if utf8.Valid(line) {
			return line
		}
	}
	out, err := t.dec.Bytes(line)
	if err != nil { // Windows-1252 decodes every byte; this cannot happen
		return bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	return out
}

// Read implements io.Reader for the CSV parser.
func (t *textReader) Read(p []byte) (int, error) {
	for len(t.out) == 0 {
		if t.delivered-t.mark > t.maxRecord {
			return 0, errRecordTooLong
		}
		line, err := t.readLine(MaxRecord)
		if errors.Is(err, errLineTooLong) {
			return 0, errRecordTooLong
		}
		if err != nil {
			return 0, err
		}
		t.out = line
	}
	n := copy(p, t.out)
	t.out = t.out[n:]
	t.delivered += int64(n)
	return n, nil
}

// peekLine returns the first line without consuming it.
func (t *textReader) peekLine() ([]byte, error) {
	if len(t.out) > 0 {
		return t.out, nil
	}
	line, err := t.readLine(MaxRecord)
	if errors.Is(err, errLineTooLong) {
		return nil, errRecordTooLong
	}
	if err != nil {
		return nil, err
	}
	t.out = line
	return t.out, nil
}

// skipPeeked drops the peeked line (Excel's "sep=;").
func (t *textReader) skipPeeked() { t.out = nil }
