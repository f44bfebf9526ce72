package youth

import (
	"io"
	"iter"
	"strings"

	"github.com/ketenbrug/ketenbrug/connectors/export"
)

// Name is the adapter's name.
const Name = "youth"

// Adapter reads a CJG export; see the package documentation.
type Adapter struct{}

var _ export.Adapter = Adapter{}

// Open is the adapter's factory for an export.Registry.
func Open(cfg export.Config) (export.Adapter, error) {
	if err := export.NoMapping(Name, cfg); err != nil {
		return nil, err
	}
	return Adapter{}, nil
}

// Name returns "youth".
func (Adapter) Name() string { return Name }

const (
	colClient = iota
	colBSN
	colHelp
	colStart
	colEnd
	colProfessional
	colPhone
	colEmail
)

var columns = []export.Column{
	colClient:       {Names: []string{"clientnummer", "cliëntnummer", "clientnr"}, Required: true},
	colBSN:          {Names: []string{"bsn", "burgerservicenummer"}, Required: true},
	colHelp:         {Names: []string{"hulpvorm", "zorgvorm", "jeugdhulpvorm"}, Required: true},
	colStart:        {Names: []string{"start", "startdatum", "begindatum"}, Required: true},
	colEnd:          {Names: []string{"eind", "einddatum"}, Required: true},
	colProfessional: {Names: []string{"jeugdprofessional", "professional", "hulpverlener", "contactpersoon"}, Required: true},
	colPhone:        {Names: []string{"telefoon", "telefoonnummer", "tel"}, Required: true},
	colEmail:        {Names: []string{"e-mail", "email", "e-mailadres"}},
}

func name(c int) string { return columns[c].Names[0] }

// Rows streams the rows of a CJG export.
func (Adapter) Rows(r io.Reader, opts export.Options) iter.Seq2[export.Row, error] {
	m := export.NewMapper(opts)
	records := export.ReadCSV(r, m.File(), columns, export.CSVOptions{})
	return export.Map(records, func(rec *export.Record) (export.Row, *export.Problem) {
		b := m.Row(rec.Line)
		client, help, start := rec.Value(colClient), rec.Value(colHelp), rec.Value(colStart)
		if !b.Required(name(colClient), client) || !b.Required(name(colHelp), help) || !b.Required(name(colStart), start) {
			return b.Done()
		}
		// The reference first: a row skipped for its BSN or contact then
		// still names it, so the sync can keep that involvement.
		b.Start(name(colStart), start, export.DutchOrISO)
		code := export.ServiceCode(help)
		b.Service(name(colHelp), code, help)
		b.Ref(name(colClient), "cl-", client, code, strings.ReplaceAll(b.StartDate(), "-", ""))
		b.BSN(name(colBSN), rec.Value(colBSN))
		b.End(name(colEnd), rec.Value(colEnd), export.DutchOrISO)
		b.Contact(name(colProfessional), rec.Value(colProfessional), name(colPhone), rec.Value(colPhone),
			name(colEmail), rec.Value(colEmail))
		return b.Done()
	})
}
