package debt

import (
	"io"
	"iter"
	"strings"

	"github.com/ketenbrug/ketenbrug/connectors/export"
)

// Name is the adapter's name.
const Name = "debt"

// Adapter reads a debt counselling export; see the package documentation.
type Adapter struct{}

var _ export.Adapter = Adapter{}

// Open is the adapter's factory for an export.Registry.
func Open(cfg export.Config) (export.Adapter, error) {
	if err := export.NoMapping(Name, cfg); err != nil {
		return nil, err
	}
	return Adapter{}, nil
}

// Name returns "debt".
func (Adapter) Name() string { return Name }

// Phase is a phase of debt counselling and the service it maps to.
type Phase struct {
	Name, Service, Label string
}

// Phases are the phases of the Wet gemeentelijke schuldhulpverlening's
// usual process, in order.
var Phases = []Phase{
	{"aanmelding", "schuldhulp-aanmelding", "Schuldhulpverlening: aanmelding"},
	{"intake", "schuldhulp-intake", "Schuldhulpverlening: intake"},
	{"stabilisatie", "schuldhulp-stabilisatie", "Schuldhulpverlening: stabilisatie"},
	{"schuldregeling", "schuldregeling", "Schuldregeling"},
	{"wsnp", "wsnp", "Wettelijke schuldsanering (Wsnp)"},
	{"nazorg", "schuldhulp-nazorg", "Schuldhulpverlening: nazorg"},
}

var phaseNames = func() string {
	names := make([]string, len(Phases))
	for i, p := range Phases {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}()

// phase finds the phase s names, ignoring case, punctuation and a
// trailing "fase".
func phase(s string) (Phase, bool) {
	k := strings.TrimSuffix(export.FoldHeader(s), "fase")
	for _, p := range Phases {
		if p.Name == k {
			return p, true
		}
	}
	return Phase{}, false
}

const (
	colDossier = iota
	colBSN
	colPhase
	colStart
	colEnd
	colCounsellor
	colPhone
	colEmail
)

var columns = []export.Column{
	colDossier:    {Names: []string{"dossiernummer", "dossiernr", "dossier"}, Required: true},
	colBSN:        {Names: []string{"bsn", "burgerservicenummer"}, Required: true},
	colPhase:      {Names: []string{"fase", "traject"}, Required: true},
	colStart:      {Names: []string{"startdatum", "begindatum", "start"}, Required: true},
	colEnd:        {Names: []string{"einddatum", "eind"}, Required: true},
	colCounsellor: {Names: []string{"schuldhulpverlener", "consulent", "contactpersoon"}, Required: true},
	colPhone:      {Names: []string{"telefoon", "telefoonnummer", "tel"}, Required: true},
	colEmail:      {Names: []string{"e-mail", "email", "e-mailadres"}},
}

func name(c int) string { return columns[c].Names[0] }

// Rows streams the rows of a debt counselling export.
func (Adapter) Rows(r io.Reader, opts export.Options) iter.Seq2[export.Row, error] {
	m := export.NewMapper(opts)
	records := export.ReadCSV(r, m.File(), columns, export.CSVOptions{})
	return export.Map(records, func(rec *export.Record) (export.Row, *export.Problem) {
		b := m.Row(rec.Line)
		b.Ref(name(colDossier), "shv-", rec.Value(colDossier))
		b.BSN(name(colBSN), rec.Value(colBSN))
		if f := rec.Value(colPhase); b.Required(name(colPhase), f) {
			if p, ok := phase(f); ok {
				b.Service(name(colPhase), p.Service, p.Label)
			} else {
				b.Fail(name(colPhase), "is not a phase this adapter knows ("+phaseNames+")")
			}
		}
		b.Start(name(colStart), rec.Value(colStart), export.DutchOrISO)
		b.End(name(colEnd), rec.Value(colEnd), export.DutchOrISO)
		b.Contact(name(colCounsellor), rec.Value(colCounsellor), name(colPhone), rec.Value(colPhone),
			name(colEmail), rec.Value(colEmail))
		return b.Done()
	})
}
