package wire_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// jsonFields lists a struct's JSON field tags (name and options), in order.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if tag, ok := f.Tag.Lookup("json"); ok && tag != "-" && f.IsExported() {
			out = append(out, tag)
		}
	}
	return out
}

// The wire copies of domain types that have methods must say the same on
// the wire as the domain's types; a field added to one and not the other
// would be silently dropped by the SDK or by the broker.
func TestWireCopiesMatchDomain(t *testing.T) {
	for _, c := range []struct{ domain, wire any }{
		{broker.PersonKey{}, wire.PersonKey{}},
		{broker.LoginConfig{}, wire.LoginConfig{}},
		{broker.RoleMapping{}, wire.RoleMapping{}},
		{broker.Partner{}, wire.Partner{}},
	} {
		d, w := reflect.TypeOf(c.domain), reflect.TypeOf(c.wire)
		if df, wf := jsonFields(d), jsonFields(w); !slices.Equal(df, wf) {
			t.Errorf("%s has JSON fields %v, %s has %v", d, df, w, wf)
		}
		for f := range d.Fields() {
			if !f.IsExported() {
				continue
			}
			g, ok := w.FieldByName(f.Name)
			if !ok || g.Type.Kind() != f.Type.Kind() {
				t.Errorf("%s.%s is a %s; the wire's is %v", d, f.Name, f.Type, g.Type)
			}
		}
	}
}
