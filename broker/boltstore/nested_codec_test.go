package boltstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

var codecTime = time.Date(2026, 11, 22, 19, 0, 0, 123456789, time.UTC)

// fullHousehold sets every field (allFieldsSet checks it), so that a field
// added to broker.Household fails TestNestedCodecsRoundTrip until the
// codec carries it.
func fullHousehold() broker.Household {
	return broker.Household{ID: "hh-1", Municipality: "gm0307", Area: "noord",
		Coordinator: broker.Actor{Partner: "gm0307", Sub: "regisseur-1"},
		Members: []broker.Member{
			{Label: "moeder", Subject: "p:0000000000000000000001", Role: "parent", BirthYear: 1984, BirthDate: "1984-02-29", Shielded: true},
			{Label: "kind", Subject: "p:0000000000000000000002", Role: "child", BirthYear: -1},
		},
		PlanTerm:  &broker.PlanTerm{Purpose: "integrale-ondersteuning", Ends: "2027-06-30"},
		CreatedAt: codecTime, UpdatedAt: codecTime.Add(time.Hour), Revision: 7}
}

func fullConsent() broker.Consent {
	return broker.Consent{ID: "c-1", Subject: "p:0000000000000000000001", Purpose: "integrale-ondersteuning",
		AllSectors: true, Sectors: []broker.Sector{"school", "wmo"}, Partners: []string{"kredietbank", ""},
		GivenBy: "betrokkene", Evidence: "dossier 12/formulier", Explicit: true, NotConditional: true,
		ValidFrom: "2026-01-01", ValidUntil: "2026-12-31",
		RecordedBy: broker.Actor{Partner: "gm0307", Sub: "regisseur-1"}, RecordedAt: codecTime,
		Withdrawn: &broker.Withdrawal{At: codecTime.Add(time.Minute), By: broker.Actor{Partner: "gm0307", Sub: "b"}, Reason: "ingetrokken"}}
}

// allFieldsSet fails for any field of v, however deep, left at its zero
// value.
func allFieldsSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s is nil in the fixture", path)
			return
		}
		allFieldsSet(t, path, v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			if v.Interface().(time.Time).IsZero() {
				t.Errorf("%s is zero in the fixture", path)
			}
			return
		}
		for i := range v.NumField() {
			allFieldsSet(t, path+"."+v.Type().Field(i).Name, v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			t.Errorf("%s is empty in the fixture", path)
		}
		for i := range v.Len() {
			if v.Index(i).Kind() == reflect.Struct {
				allFieldsSet(t, path+"[]", v.Index(i))
				return
			}
		}
	default:
		if v.IsZero() {
			t.Errorf("%s is zero in the fixture: set it, and carry it in the codec", path)
		}
	}
}

// nestedCase runs the same checks on either codec.
type nestedCase[T any] struct {
	codec    codec[T]
	tbl      table[T]
	full     T
	variants []T
}

func (c nestedCase[T]) run(t *testing.T) {
	allFieldsSet(t, reflect.TypeOf(c.full).Name(), reflect.ValueOf(c.full))
	for _, v := range append([]T{c.full}, c.variants...) {
		raw := c.codec.encode(nil, &v)
		var got T
		if err := c.codec.decode(raw, &got); err != nil {
			t.Fatalf("decode %#v: %v", v, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("round trip:\n got %#v\nwant %#v", got, v)
		}
		// It decodes to what the JSON form decoded to, so the switch of
		// codec changes nothing a caller sees.
		js, _ := json.Marshal(&v)
		viaJSON, err := c.tbl.decode([]byte("k"), js)
		if err != nil {
			t.Fatal(err)
		}
		if viaBin, _ := c.tbl.decode([]byte("k"), raw); !reflect.DeepEqual(viaBin, viaJSON) {
			t.Errorf("binary %#v\n  json %#v", viaBin, viaJSON)
		}
		// Any truncation is an error, never a panic or a silently short
		// value — except at a field boundary, where a shorter value is a
		// value with fewer fields; those must still decode cleanly.
		for n := 1; n < len(raw); n++ {
			var short T
			_ = c.codec.decode(raw[:n], &short)
		}
		var none T
		if err := c.codec.decode(raw[:0], &none); err == nil {
			t.Error("an empty value decoded")
		}
	}
	full := c.codec.encode(nil, &c.full)
	js, _ := json.Marshal(&c.full)
	t.Logf("%T: binary %d bytes, JSON %d", c.full, len(full), len(js))
	if 2*len(full) > len(js) {
		t.Errorf("binary %d bytes, JSON %d: expected under half", len(full), len(js))
	}
}

func TestNestedCodecsRoundTrip(t *testing.T) {
	t.Run("household", func(t *testing.T) {
		empty := fullHousehold()
		empty.Members, empty.PlanTerm = []broker.Member{}, &broker.PlanTerm{}
		nestedCase[broker.Household]{codec: householdCodec{}, tbl: households, full: fullHousehold(),
			variants: []broker.Household{{}, {ID: "x", Members: []broker.Member{{}}}, empty}}.run(t)
	})
	t.Run("consent", func(t *testing.T) {
		withdrawnEmpty := fullConsent()
		withdrawnEmpty.Withdrawn = &broker.Withdrawal{}
		nestedCase[broker.Consent]{codec: consentCodec{}, tbl: consents, full: fullConsent(),
			variants: []broker.Consent{{}, {ID: "x", Sectors: []broker.Sector{""}}, withdrawnEmpty}}.run(t)
	})
}

// A value cut inside a field, an unknown tag or tags out of order is an
// error: the decoder refuses what it cannot read rather than drop it.
func TestNestedCodecsRefuse(t *testing.T) {
	h := fullHousehold()
	raw := householdCodec{}.encode(nil, &h)
	for name, bad := range map[string][]byte{
		"cut in a string":     raw[:3],
		"unknown tag":         {formatHouseholdV1, 99, 0},
		"tags out of order":   {formatHouseholdV1, 2, 1, 'a', 1, 1, 'b'},
		"nested too long":     {formatHouseholdV1, 4, 9, 1, 1, 'a'},
		"unknown nested tag":  {formatHouseholdV1, 4, 3, 7, 1, 'a'},
		"birth year overflow": append([]byte{formatHouseholdV1, 5, 11, 4}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}...),
		"another format":      {formatConsentV1},
	} {
		var got broker.Household
		if err := (householdCodec{}).decode(bad, &got); err == nil {
			t.Errorf("%s: decoded to %#v", name, got)
		}
	}
}

// FuzzNestedCodecs: no input panics either decoder, and what decodes
// encodes to a value that decodes the same.
func FuzzNestedCodecs(f *testing.F) {
	h, c := fullHousehold(), fullConsent()
	f.Add(householdCodec{}.encode(nil, &h))
	f.Add(consentCodec{}.encode(nil, &c))
	f.Add([]byte{formatHouseholdV1, 5, 0, 6})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var h broker.Household
		if (householdCodec{}).decode(raw, &h) == nil {
			var again broker.Household
			if err := (householdCodec{}).decode(householdCodec{}.encode(nil, &h), &again); err != nil || !reflect.DeepEqual(again, h) {
				t.Fatalf("household %#v re-encoded decodes to %#v, %v", h, again, err)
			}
		}
		var c broker.Consent
		if (consentCodec{}).decode(raw, &c) == nil {
			var again broker.Consent
			if err := (consentCodec{}).decode(consentCodec{}.encode(nil, &c), &again); err != nil || !reflect.DeepEqual(again, c) {
				t.Fatalf("consent %#v re-encoded decodes to %#v, %v", c, again, err)
			}
		}
	})
}

// BenchmarkHouseholdDecode: every overview and match signal reads the
// household.
func BenchmarkHouseholdDecode(b *testing.B) {
	h := fullHousehold()
	bin := householdCodec{}.encode(nil, &h)
	js, _ := json.Marshal(&h)
	for name, raw := range map[string][]byte{"binary": bin, "json": js} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.ReportMetric(float64(len(raw)), "bytes")
			for b.Loop() {
				if _, err := households.decode(nil, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
