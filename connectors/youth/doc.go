// Package youth maps the export of a youth and family centre (Centrum
// voor Jeugd en Gezin, CJG) — the youth professionals' caseload as a
// registration system or spreadsheet writes it — to involvements. Its
// adapter is called "youth".
//
// # Format
//
// A delimited text file with a header line, one row per client and form
// of help:
//
//	clientnummer,bsn,hulpvorm,start,eind,jeugdprofessional,telefoon
//	CJG-20417,999990263,Opvoedondersteuning,01-09-2026,,M. Jansen,033-7654321
//
// The file:
//
//   - Separator: ',' or ';' (or tab or '|'), detected from the header
//     line; an Excel "sep=;" first line is honoured. Fields may be quoted
//     ("Jansen, M.").
//   - Encoding: UTF-8 with or without a byte-order mark, or Windows-1252;
//     each line that is not valid UTF-8 is read as Windows-1252. UTF-16
//     with a byte-order mark is read too.
//   - Header names are compared case-insensitively and ignoring spaces,
//     accents and punctuation, in any order. Other columns are ignored.
//   - Dates: dd-mm-jjjj (also d-m-jjjj) or jjjj-mm-dd; a time after the
//     date is ignored.
//
// Columns (alternative header names in brackets); all but e-mail must be
// in the header:
//
//	clientnummer       (cliëntnummer, clientnr)                   the CJG's client number; required in each row
//	bsn                (burgerservicenummer)                      the child's (or parent's) BSN; nine digits, elfproef
//	hulpvorm           (zorgvorm, jeugdhulpvorm)                  free text, e.g. "Opvoedondersteuning"; required
//	start              (startdatum, begindatum)                   required in each row
//	eind               (einddatum)                                empty while the help lasts
//	jeugdprofessional  (professional, hulpverlener, contactpersoon)
//	telefoon           (telefoonnummer, tel)
//	e-mail             (email, e-mailadres)                       optional column
//
// # Mapping
//
//   - service: the hulpvorm as a code ("Ambulante jeugdhulp" is
//     "ambulante-jeugdhulp"); service_label: the hulpvorm as written.
//   - ref: "cl-<clientnummer>:<service>:<start as jjjjmmdd>", for example
//     "cl-CJG-20417:opvoedondersteuning:20260901": one client may get
//     several forms of help, and the same one again later.
//   - status: derived from the dates (see package export).
//   - contact: jeugdprofessional, telefoon, e-mail.
//
// A row with an invalid BSN, an empty clientnummer, hulpvorm or start, an
// unreadable date, an end before the start, or a reference used before is
// reported and skipped; a phone number or e-mail address that is not one
// is left out with a warning.
package youth
