// Package export is the contract every partner adapter shares: the mapped
// Row and the Problem that keeps a row out, the Adapter interface and a
// Registry the CLI picks adapters from by name, and the writer of the
// broker's NDJSON sync body. It also holds the parts every export format
// needs alike, so that the adapters agree on them: reading delimited and
// JSON-lines text in the encodings Dutch systems produce, Dutch and ISO
// dates, service codes, and the checks on references, BSNs and contacts.
//
// # Rows and problems
//
// An adapter reads an export as a stream (Adapter.Rows, an iter.Seq2 of
// Row and error) so a caseload of 500 000 rows maps in bounded memory. Each
// step yields one of:
//
//   - a Row: a line number, the partner's reference and the
//     broker.InvolvementInput to sync; its Warnings list values that were
//     left out (a phone number that is not one, say) without losing the row;
//   - a *Problem: a bad row, skipped with file, line, column and reason
//     (invalid BSN, unparsable date, unknown code, missing reference, a
//     reference seen before in the file); the stream goes on;
//   - any other error: the file cannot be read further (missing columns,
//     an unbalanced quote, an I/O error); it is the last step.
//
// No problem, warning or error ever contains a BSN or any other value of
// the export: they name the column and what was expected, and the line
// number lets the sender find the row. Row's String and LogValue hide the
// BSN too.
//
// # What every adapter does alike
//
//   - Status: an export that has no status of its own gets one derived
//     from the dates and "today" (Options.Today, the current date in
//     Europe/Amsterdam by default): "ended" when the end date is before
//     today, "registered" when the start date is after today, "active"
//     otherwise (so also when there are no dates).
//   - References: made from the partner's own number with an adapter
//     prefix ("lln-", "uwv-", "shv-", "cl-"). A number that looks like a
//     BSN (nine digits passing the elfproef, also written 1234.56.782) is
//     refused as a reference even with a prefix, as the broker refuses it
//     (broker.ContainsBSN): references appear in URLs and logs, and such
//     a number may be a BSN. The row is reported; map another column as
//     the reference, or ask the system for one. Accents are removed
//     and characters other than ASCII letters, digits, '.', '_', ':' and
//     '-' become '-'. A reference
//     is at most 128 characters. A row whose reference contains its own
//     BSN is refused, as is one whose reference was already used on an
//     earlier line of the file (the broker would refuse the second anyway;
//     here the report names both lines).
//   - BSN: nine digits passing the elfproef (broker.ParseBSN); spaces,
//     dots and hyphens between the digits are removed first. Eight digits
//     are refused with a hint that a leading zero was lost (spreadsheets
//     drop it), not padded: a digit missing by mistake would then point at
//     someone else one time in eleven.
//   - Dates: per adapter, by default both dd-mm-jjjj (also d-m-jjjj) and
//     jjjj-mm-dd; a time after the date ("01-09-2026 00:00:00") is ignored.
//     Years outside 1900-2200 and an end before the start are refused.
//   - Service codes: where an export has free text (a school's
//     ondersteuningsvorm), the code is that text in lower case with accents
//     removed and every other run of characters made '-', at most 64
//     characters ("Extra ondersteuning" becomes "extra-ondersteuning"); the
//     text itself is the label. Labels and contact names longer than the
//     broker's 100 bytes are shortened with "…".
//   - Contacts: a phone number must be one to the broker (digits, spaces,
//     '(', ')', '-', optionally a leading '+'); '.' and '/' between digits
//     become spaces, and nine digits without a leading 0 get it back
//     (spreadsheets drop it). A phone or e-mail address that is still not
//     valid is left out with a warning. A row where the BSN appears in any
//     other field (a shifted column) is refused.
//
// # Text
//
// Delimited files (ReadCSV) are read as RFC 4180 with lenient quotes: the
// separator is given or detected from the header line (',', ';', tab or
// '|', the most frequent outside quotes); an Excel "sep=;" first line is
// honoured; header names are compared case-insensitively and ignoring
// spaces, accents and punctuation, in any order; columns the adapter does not know
// are ignored and never read; rows of only empty fields are skipped; a row
// with more non-empty fields than the header is refused (an unquoted
// separator shifts the columns after it), a row with fewer has the missing
// fields empty. A record longer than 1 MiB stops the read (an unbalanced
// quote swallows the rest of the file otherwise).
//
// Encodings: with EncodingAuto (the default), each line that is valid
// UTF-8 is read as UTF-8 and any other line as Windows-1252, the encoding
// of Dutch Windows exports. Per line rather than per file because a file
// is streamed and cannot be checked whole first, and because appended
// exports mix the two. A UTF-8 byte-order mark is dropped (and turns a
// windows-1252 setting into auto); a UTF-16 one (Excel's "Unicode text")
// makes the file read as UTF-16 whatever the setting. EncodingUTF8 reads
// invalid bytes as U+FFFD; EncodingWindows1252 reads every line as
// Windows-1252. The same applies to JSON-lines files (ReadJSONLines).
//
// # Sync body
//
// WriteSync and Encoder write rows as the body of the broker's
// full-caseload sync: one JSON object per line, exactly
//
//	{"ref":"…","bsn":"…","service":"…","service_label":"…","status":"…","start":"…","end":"…","contact":{"name":"…","phone":"…","email":"…"}}
//
// with empty optional fields left out. Because the broker ends every
// involvement a full sync does not mention, a skipped row would end that
// person's involvement. A Problem therefore carries the row's reference
// when it could be made, and SyncOptions.KeepSkipped writes for it a line
// with only that reference: the broker rejects the line but counts the
// reference as part of the caseload, so the involvement stays as it was
// until the export is fixed. Either way a caller should look at the
// problems before it sends the body (or send it as a dry run first).
package export
