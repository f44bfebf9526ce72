// Package debt maps the caseload export of a debt counselling service
// (schuldhulpverlening, a municipal credit bank or its contractor), as
// case systems and spreadsheets write it, to involvements. Its adapter is
// called "debt".
//
// # Format
//
// A delimited text file with a header line, one row per dossier:
//
//	dossiernummer,bsn,fase,startdatum,einddatum,schuldhulpverlener,telefoon
//	2026-0117,999990196,schuldregeling,12-01-2026,,P. de Boer,033-4567890
//
// The file:
//
//   - Separator: ',' or ';' (or tab or '|'), detected from the header
//     line; an Excel "sep=;" first line is honoured. Fields may be quoted.
//   - Encoding: UTF-8 with or without a byte-order mark, or Windows-1252;
//     each line that is not valid UTF-8 is read as Windows-1252. UTF-16
//     with a byte-order mark is read too.
//   - Header names are compared case-insensitively and ignoring spaces,
//     accents and punctuation, in any order. Other columns (amounts of
//     debt, creditors) are ignored and never read.
//   - Dates: dd-mm-jjjj (also d-m-jjjj) or jjjj-mm-dd; a time after the
//     date is ignored.
//
// Columns (alternative header names in brackets); all but e-mail must be
// in the header:
//
//	dossiernummer       (dossiernr, dossier)              required in each row
//	bsn                 (burgerservicenummer)             the applicant's BSN; nine digits, elfproef
//	fase                (traject)                         one of the phases below; required
//	startdatum          (begindatum, start)               may be empty
//	einddatum           (eind)                            empty while the dossier is open
//	schuldhulpverlener  (consulent, contactpersoon)
//	telefoon            (telefoonnummer, tel)
//	e-mail              (email, e-mailadres)              optional column
//
// The phase (case-insensitive; a trailing "fase", as in
// "Stabilisatiefase", is allowed) gives the service:
//
//	fase            service                   service_label
//	aanmelding      schuldhulp-aanmelding     Schuldhulpverlening: aanmelding
//	intake          schuldhulp-intake         Schuldhulpverlening: intake
//	stabilisatie    schuldhulp-stabilisatie   Schuldhulpverlening: stabilisatie
//	schuldregeling  schuldregeling            Schuldregeling
//	wsnp            wsnp                      Wettelijke schuldsanering (Wsnp)
//	nazorg          schuldhulp-nazorg         Schuldhulpverlening: nazorg
//
// # Mapping
//
//   - ref: "shv-<dossiernummer>", for example "shv-2026-0117". A dossier
//     is one involvement through all its phases: when it moves on, the
//     involvement's service changes.
//   - status: derived from the dates (see package export).
//   - contact: schuldhulpverlener, telefoon, e-mail.
//
// A row with an invalid BSN, an empty dossiernummer, an unknown or empty
// phase, an unreadable date, an end before the start, or a dossier number
// used before is reported and skipped; a phone number or e-mail address
// that is not one is left out with a warning.
package debt
