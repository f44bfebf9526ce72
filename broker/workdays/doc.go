// Package workdays counts working days the Dutch way, for the due dates
// of follow-ups ("N working days after the match signal").
//
// A working day is a Monday to Friday that is not an algemeen erkende
// feestdag of the Algemene termijnenwet (Atw, BWBR0002448) and not a day
// the municipality's policy data names as closed (Calendar). Dates are
// calendar dates in Europe/Amsterdam: a signal at 00:30 on 1 July in
// Amsterdam is a 1 July signal even though it is still 30 June in UTC.
//
// # The holidays, and where they come from
//
// Atw art. 3 lid 1 names the algemeen erkende feestdagen: Nieuwjaarsdag,
// the Christian tweede Paasdag and tweede Pinksterdag, both Kerstdagen,
// Hemelvaartsdag, the day on which the King's birthday is celebrated, and
// 5 mei. Art. 3 lid 2 then equates Goede Vrijdag with those days "for the
// application of this law" — by the law itself, not by a Besluit — so
// Goede Vrijdag is counted here too. Art. 3 lid 3 lets the Crown equate
// further days by a besluit published in the Staatscourant.
//
// Confirmed in this package's research (2026-12-03) from secondary
// sources that quote art. 3, because the wetten.overheid.nl text of
// BWBR0002448 itself was not reachable: staatsrechtpraktijk.nl
// ("Nieuwjaarsdag en Kerstmis in het staatsrecht", quoting lid 1 and 2),
// wvhl.nl ("De Algemene termijnenwet", quoting lid 1 to 3) and
// nl.wikipedia.org/wiki/Algemene_termijnenwet (lid 2 equates Goede
// Vrijdag, lid 3 allows a koninklijk besluit). They agree with each other;
// check them against wetten.overheid.nl before relying on this for a
// statutory deadline.
//
// Koningsdag: the Atw names "the day on which the King's birthday is
// celebrated", not a date. That day is 27 April, or 26 April when the 27th
// is a Sunday (koninklijkhuis.nl, "Koningsdag"; so 26 April 2014 and 26
// April 2025). The package applies this rule to every year; it does not
// reconstruct Koninginnedag (30 April, until 2013) or the years before 5
// mei became a yearly holiday, since due dates lie in the present. The
// Sunday shift never changes a count of working days: the 26th is then a
// Saturday.
//
// Not counted: the days equated under art. 3 lid 3. They are bridge days
// (the Friday after Hemelvaartsdag, a Friday after a Thursday holiday),
// fixed by a besluit every few years rather than by a rule, so they cannot
// be computed. sterfgeval.nl (October 2025) names the current one as the
// "Besluit gelijkstelling van 2 januari 2026, 15 mei 2026, 7 mei 2027,
// 28 april 2028 en 26 mei 2028 met een algemeen erkende feestdag"; that
// title was not checked against the Staatscourant. A municipality that
// wants those days closed names them in its policy data, which is what
// Calendar is for. Days closed only locally (carnival, a biddag) are not
// feestdagen of the Atw either; they too belong in Calendar.
//
// Easter is computed with the anonymous Gregorian algorithm (Meeus,
// Jones, Butcher), proleptically for years before 1583.
//
// # Time zone
//
// The package imports time/tzdata, as broker and broker/console already
// do: a fixed UTC+1 fallback would put an instant between 22:00 and 23:00
// UTC in summer on the wrong Amsterdam date, and so move a due date by a
// day on a machine without a zone database. The embedded database costs
// nothing extra in a binary that already links broker.
package workdays
