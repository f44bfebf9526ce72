// Package generic maps any delimited (CSV) or JSON-lines export to
// involvements as a small mapping file says, so that a partner without an
// adapter of its own — a WMO desk, the GGD, MEE — connects without new
// code. Its adapter is called "generic" and needs a mapping file
// (ketenbrug connector sync --adapter generic --mapping wmo.yaml --file F).
//
// # Mapping file
//
// YAML or JSON (a file that starts with '{' is read as JSON). Unknown keys
// are refused. For a WMO desk's semicolon-separated export:
//
//	format: csv                 # csv (default) or jsonl
//	separator: ";"              # csv: ",", ";", "|", "tab" or auto (default: detected from the header)
//	encoding: auto              # auto (default), utf-8 or windows-1252
//	date_format: dd-mm-jjjj     # or a list; default: dd-mm-jjjj or jjjj-mm-dd
//	ref: [clientnummer, voorziening]   # column, or columns joined with ':'; required
//	ref_prefix: wmo-            # put before the reference; recommended
//	bsn: bsn                    # column; required
//	service: voorziening        # column, or {value: code} for one fixed service; required
//	service_values:             # optional: translate the service column
//	  HH: {code: huishoudelijke-hulp, label: Huishoudelijke hulp}
//	  BG: {code: wmo-begeleiding, label: Begeleiding (Wmo)}
//	label: omschrijving         # optional: column, or {value: "…"}
//	status: status              # optional column; empty cells and no column: derived from the dates
//	status_values: {verlengd: active}   # optional, on top of the built-in words below
//	start: ingangsdatum         # optional column
//	end: einddatum              # optional column
//	contact:
//	  name: consulent           # each: column, or {value: "…"}
//	  phone: {value: "14 033"}
//	  email: email
//
// Wherever a column is named, it may also be written as {column: name};
// fixed values as {value: "…"}. Quote fixed values in YAML: an unquoted
// 0334567890 is a number to YAML and loses its leading zero.
//
// # Export files
//
// CSV: a header line; the columns the mapping names must all be in it
// (compared case-insensitively, surrounding spaces ignored), others are
// ignored and never read. Separator, quoting, encodings (UTF-8 with or
// without BOM, Windows-1252 per line when not valid UTF-8, UTF-16 with a
// BOM), Excel's "sep=;" line, empty rows and shifted rows are handled as
// package export describes.
//
// JSON lines: one JSON object per line, blank lines skipped, at most 64
// KiB a line. A column name is a key (compared case-insensitively); a
// dotted name such as "contact.naam" reaches into a nested object. Values
// may be text, numbers, true/false or null (empty); an object or array
// where a value is expected is a bad row. Missing keys are empty.
//
// # Mapping rows
//
//   - ref: ref_prefix and the ref columns' values joined with ':', each
//     with characters a reference cannot hold made '-'. A number of nine
//     digits that passes the elfproef is refused in a reference, with or
//     without a prefix (it looks like a BSN; broker.ContainsBSN).
//   - service: with service_values, the value's code and label (and an
//     unknown value is a bad row); without, the value as a code
//     ("Huishoudelijke hulp" is "huishoudelijke-hulp") and as the label;
//     a label column or value overrides the label.
//   - status: the status column's value (case-insensitive) via
//     status_values and the built-in words — registered, aangemeld,
//     aanmelding, aangevraagd, gepland, wachtlijst; active, actief,
//     lopend, open, toegekend, in behandeling; ended, beëindigd,
//     beeindigd, afgesloten, gesloten, gestopt — an unknown value is a bad
//     row; an empty one, or no status column, is derived from the dates
//     (see package export).
//   - dates in date_format; contact as mapped.
//
// A row with an invalid BSN, an empty reference or service, an unknown
// service or status value, an unreadable date, an end before the start,
// or a reference used before is reported and skipped; a phone number or
// e-mail address that is not one is left out with a warning.
package generic
