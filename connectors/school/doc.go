// Package school maps a school's export of pupils with extra support
// (leerlingen met ondersteuning), as pupil administration systems
// (ParnasSys, Magister, ESIS, Somtoday) and spreadsheets produce it, to
// involvements. Its adapter is called "school".
//
// # Format
//
// A delimited text file with a header line, one row per pupil and form of
// support:
//
//	leerlingnummer;bsn;ondersteuningsvorm;begindatum;einddatum;contactpersoon;telefoon
//	5521;999990019;Extra ondersteuning;01-09-2026;;J. Smit (intern begeleider);033-2221100
//
// The file:
//
//   - Separator: ';' as Dutch spreadsheets write it, or ',', tab or '|';
//     detected from the header line. An Excel "sep=;" first line is
//     honoured.
//   - Encoding: UTF-8 with or without a byte-order mark, or Windows-1252
//     (older exports; é and ë in names). Each line that is not valid UTF-8
//     is read as Windows-1252. UTF-16 with a byte-order mark (Excel's
//     "Unicode text") is read too.
//   - Header names are compared case-insensitively and ignoring spaces,
//     accents and punctuation, in any order. Other columns (name, group,
//     date of birth) are ignored and never read.
//   - Dates: dd-mm-jjjj (also d-m-jjjj) or jjjj-mm-dd; a time after the
//     date is ignored.
//
// Columns (alternative header names in brackets); all but e-mail must be
// in the header:
//
//	leerlingnummer      (leerlingnr, llnr)                   the school's pupil number; required in each row
//	bsn                 (burgerservicenummer, bsn leerling)  the pupil's BSN; nine digits, elfproef
//	ondersteuningsvorm  (ondersteuning, arrangement)         free text, e.g. "Extra ondersteuning"; required
//	begindatum          (startdatum, begin)                  required in each row
//	einddatum           (eind)                               empty while the support lasts
//	contactpersoon      (intern begeleider, ib, ib'er)       usually the intern begeleider
//	telefoon            (telefoonnummer, tel)
//	e-mail              (email, e-mailadres)                 optional column
//
// # Mapping
//
//   - service: the ondersteuningsvorm as a code ("Extra ondersteuning" is
//     "extra-ondersteuning"); service_label: the ondersteuningsvorm as
//     written.
//   - ref: "lln-<leerlingnummer>:<service>:<begindatum as jjjjmmdd>", for
//     example "lln-5521:extra-ondersteuning:20260901". A pupil may have
//     several forms of support, and the same one again in a later period,
//     so the pupil number alone does not identify one; a corrected
//     begindatum therefore reads as one involvement ending and another
//     starting.
//   - status: derived from the dates (see package export): ended when the
//     einddatum is past, registered when the begindatum is still to come,
//     active otherwise.
//   - contact: contactpersoon, telefoon, e-mail.
//
// A row with an invalid BSN, an empty leerlingnummer, ondersteuningsvorm
// or begindatum, an unreadable date, an einddatum before the begindatum,
// or a reference used before in the file is reported and skipped. A phone
// number or e-mail address that is not one is left out with a warning.
package school
