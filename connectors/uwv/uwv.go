package uwv

import (
	"io"
	"iter"
	"strings"

	"github.com/ketenbrug/ketenbrug/connectors/export"
)

// Name is the adapter's name.
const Name = "uwv"

// Adapter reads a UWV export; see the package documentation.
type Adapter struct{}

var _ export.Adapter = Adapter{}

// Open is the adapter's factory for an export.Registry.
func Open(cfg export.Config) (export.Adapter, error) {
	if err := export.NoMapping(Name, cfg); err != nil {
		return nil, err
	}
	return Adapter{}, nil
}

// Name returns "uwv".
func (Adapter) Name() string { return Name }

// Scheme is a benefit scheme (regeling) and the service it maps to.
type Scheme struct {
	Name, Service, Label string
}

// Schemes are the benefits the adapter knows.
var Schemes = []Scheme{
	{"WW", "ww", "WW-uitkering"},
	{"WIA", "wia", "WIA-uitkering"},
	{"Wajong", "wajong", "Wajong-uitkering"},
	{"ZW", "zw", "Ziektewet-uitkering"},
}

func scheme(s string) (Scheme, bool) {
	if strings.EqualFold(s, "ziektewet") {
		s = "ZW"
	}
	for _, sc := range Schemes {
		if strings.EqualFold(sc.Name, s) {
			return sc, true
		}
	}
	return Scheme{}, false
}

// Rows streams the rows of a UWV export.
func (Adapter) Rows(r io.Reader, opts export.Options) iter.Seq2[export.Row, error] {
	m := export.NewMapper(opts)
	return export.Map(export.ReadJSONLines(r, m.File(), export.EncodingAuto), func(o *export.Object) (export.Row, *export.Problem) {
		b := m.Row(o.Line)
		text := func(field string) string {
			s, ok := o.Text(field)
			if !ok {
				b.Fail(field, "must be text, a number or null")
			}
			return s
		}
		refField := "uitkeringsnummer"
		ref := text(refField)
		if ref == "" && !b.Failed() {
			if alt := text("dossiernummer"); alt != "" {
				refField, ref = "dossiernummer", alt
			}
		}
		b.Ref(refField, "uwv-", ref)
		b.BSN("bsn", text("bsn"))
		if reg := text("regeling"); b.Required("regeling", reg) {
			if sc, ok := scheme(reg); ok {
				b.Service("regeling", sc.Service, sc.Label)
			} else {
				b.Fail("regeling", "is not a scheme this adapter knows (WW, WIA, Wajong, ZW)")
			}
		}
		b.Start("ingangsdatum", text("ingangsdatum"), isoOrDutch)
		b.End("einddatum", text("einddatum"), isoOrDutch)
		name, phone, email := contact(b, o.Value("contact"))
		b.Contact("contact.naam", name, "contact.telefoon", phone, "contact.email", email)
		return b.Done()
	})
}

// isoOrDutch tries ISO first: it is what JSON exports write.
var isoOrDutch = []export.DateFormat{export.ISODate, export.DutchDate}

// contact reads the contact object, or a text that is only a name.
func contact(b *export.Builder, v any) (name, phone, email string) {
	switch c := v.(type) {
	case nil:
		return "", "", ""
	case string:
		return strings.TrimSpace(c), "", ""
	case map[string]any:
		get := func(keys ...string) string {
			for _, k := range keys {
				s, ok := export.TextOf(c, k)
				if !ok {
					b.Fail("contact."+keys[0], "must be text")
					return ""
				}
				if s != "" {
					return s
				}
			}
			return ""
		}
		return get("naam", "name"), get("telefoon", "phone"), get("email", "e-mail")
	}
	b.Fail("contact", "must be an object with naam, telefoon and email, or a name")
	return "", "", ""
}
