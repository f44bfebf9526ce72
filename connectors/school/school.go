package school

import (
	"io"
	"iter"
	"strings"

	"github.com/ketenbrug/ketenbrug/connectors/export"
)

// Name is the adapter's name.
const Name = "school"

// Adapter reads a school's export; see the package documentation.
type Adapter struct{}

var _ export.Adapter = Adapter{}

// Open is the adapter's factory for an export.Registry.
func Open(cfg export.Config) (export.Adapter, error) {
	if err := export.NoMapping(Name, cfg); err != nil {
		return nil, err
	}
	return Adapter{}, nil
}

// Name returns "school".
func (Adapter) Name() string { return Name }

// The columns, in the order of columns below.
const (
	colPupil = iota
	colBSN
	colSupport
	colStart
	colEnd
	colContact
	colPhone
	colEmail
)

var columns = []export.Column{
	colPupil:   {Names: []string{"leerlingnummer", "leerlingnr", "llnr"}, Required: true},
	colBSN:     {Names: []string{"bsn", "burgerservicenummer", "bsn leerling"}, Required: true},
	colSupport: {Names: []string{"ondersteuningsvorm", "ondersteuning", "arrangement"}, Required: true},
	colStart:   {Names: []string{"begindatum", "startdatum", "begin"}, Required: true},
	colEnd:     {Names: []string{"einddatum", "eind"}, Required: true},
	colContact: {Names: []string{"contactpersoon", "intern begeleider", "ib", "ib'er"}, Required: true},
	colPhone:   {Names: []string{"telefoon", "telefoonnummer", "tel"}, Required: true},
	colEmail:   {Names: []string{"e-mail", "email", "e-mailadres"}},
}

func name(c int) string { return columns[c].Names[0] }

// Rows streams the rows of a school export.
func (Adapter) Rows(r io.Reader, opts export.Options) iter.Seq2[export.Row, error] {
	m := export.NewMapper(opts)
	records := export.ReadCSV(r, m.File(), columns, export.CSVOptions{})
	return export.Map(records, func(rec *export.Record) (export.Row, *export.Problem) {
		b := m.Row(rec.Line)
		pupil, support, start := rec.Value(colPupil), rec.Value(colSupport), rec.Value(colStart)
		if !b.Required(name(colPupil), pupil) || !b.Required(name(colSupport), support) || !b.Required(name(colStart), start) {
			return b.Done()
		}
		// The reference first: a row skipped for its BSN or contact then
		// still names it, so the sync can keep that involvement.
		b.Start(name(colStart), start, export.DutchOrISO)
		code := export.ServiceCode(support)
		b.Service(name(colSupport), code, support)
		b.Ref(name(colPupil), "lln-", pupil, code, strings.ReplaceAll(b.StartDate(), "-", ""))
		b.BSN(name(colBSN), rec.Value(colBSN))
		b.End(name(colEnd), rec.Value(colEnd), export.DutchOrISO)
		b.Contact(name(colContact), rec.Value(colContact), name(colPhone), rec.Value(colPhone), name(colEmail), rec.Value(colEmail))
		return b.Done()
	})
}
