// Package uwv maps an export of UWV benefits (uitkeringen) for the
// municipality's residents to involvements. Its adapter is called "uwv".
//
// UWV has no single export for this; the package defines the one it
// reads, in the shape UWV's own JSON interfaces use (Dutch field names,
// ISO dates), so a file pulled from Suwinet-Inkijk or made by a small
// extraction script fits it.
//
// # Format
//
// JSON lines: one JSON object per line, UTF-8 (a byte-order mark is
// dropped; a line that is not valid UTF-8 is read as Windows-1252), blank
// lines skipped, at most 64 KiB a line:
//
//	{"uitkeringsnummer": "WW-2026-004512", "bsn": "999990342", "regeling": "WW",
//	 "ingangsdatum": "2026-03-02", "einddatum": null,
//	 "contact": {"naam": "Team WW Amersfoort", "telefoon": "088 898 20 01", "email": "ww.amersfoort@uwv.nl"}}
//
// (shown on three lines here; one line in the file). Field names are
// compared case-insensitively; other fields are ignored.
//
//	uitkeringsnummer  (or dossiernummer)  text or number; required: the benefit's own number, the reference
//	bsn               text (or number)    nine digits passing the elfproef
//	regeling          text                WW, WIA, Wajong or ZW (also "Ziektewet"), any case; required
//	ingangsdatum      text or null        jjjj-mm-dd (a timestamp's time is ignored) or dd-mm-jjjj
//	einddatum         text or null        as ingangsdatum; null or absent while the benefit runs
//	contact           object or text      {"naam", "telefoon", "email" (or "e-mail")}; a text is the name
//
// # Mapping
//
// The regeling gives the service:
//
//	regeling  service  service_label
//	WW        ww       WW-uitkering
//	WIA       wia      WIA-uitkering
//	Wajong    wajong   Wajong-uitkering
//	ZW        zw       Ziektewet-uitkering
//
// and further:
//
//   - ref: "uwv-<uitkeringsnummer>", for example "uwv-WW-2026-004512".
//     A benefit number is required because nothing else identifies a
//     benefit without the BSN, and a reference made from a BSN would
//     carry it into URLs (even hashed: there are only 10^9 BSNs to try).
//   - status: derived from the dates (see package export).
//
// A line that is not a JSON object, or has an invalid BSN, no
// uitkeringsnummer, an unknown regeling, an unreadable date, an end
// before the start, a field of the wrong type, or a benefit number used
// before is reported and skipped; a phone number or e-mail address that
// is not one is left out with a warning.
package uwv
