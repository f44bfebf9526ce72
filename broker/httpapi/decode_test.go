package httpapi

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
	}
	type target struct {
		ID    string            `json:"id"`
		Level int               `json:"level"`
		Tags  []string          `json:"tags"`
		Inner *inner            `json:"inner"`
		List  []inner           `json:"list"`
		Map   map[string]string `json:"map"`
	}
	cases := []struct {
		name  string
		body  string
		field string // "" for no field; "-" when the body is fine
	}{
		{"valid", `{"id":"a","level":2,"tags":["x","x"],"inner":{"name":"n"},"list":[{"name":"a"},{"name":"a"}],"map":{"id":"id"}}`, "-"},
		{"valid with spaces", " \n{ \"id\" : \"a\" }\n ", "-"},
		{"string values equal to keys", `{"id":"id","inner":{"name":"name"}}`, "-"},
		{"empty", ``, ""},
		{"only spaces", "  \n", ""},
		{"unknown field", `{"id":"a","colour":"red"}`, "colour"},
		{"unknown nested field", `{"inner":{"name":"n","age":3}}`, "age"},
		{"duplicate key", `{"id":"a","level":1,"id":"b"}`, "id"},
		{"duplicate key in another case", `{"id":"a","ID":"b"}`, "ID"},
		{"duplicate key by Unicode folding", `{"inner":{"name":"a","nameſ":"b","NAMES":"c"}}`, "NAMES"},
		{"duplicate escaped key", `{"id":"a","\u0069d":"b"}`, "id"},
		{"duplicate nested key", `{"inner":{"name":"a","name":"b"}}`, "name"},
		{"duplicate key in an array element", `{"list":[{"name":"a"},{"name":"b","name":"c"}]}`, "name"},
		{"duplicate map key", `{"map":{"k":"1","k":"2"}}`, "k"},
		{"trailing object", `{"id":"a"}{}`, ""},
		{"trailing value", `{"id":"a"} 1`, ""},
		{"trailing garbage", `{"id":"a"}x`, ""},
		{"wrong type", `{"level":"two"}`, "level"},
		{"wrong nested type", `{"inner":{"name":3}}`, "inner.name"},
		{"not an object", `["id"]`, ""},
		{"truncated", `{"id":"a"`, ""},
		{"too deep", strings.Repeat(`{"inner":`, 70) + `{}` + strings.Repeat(`}`, 70), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v target
			err := decodeStrict([]byte(c.body), &v)
			if c.field == "-" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var be *bodyError
			if !errors.As(err, &be) {
				t.Fatalf("want a bodyError, got %v", err)
			}
			if be.status != 400 || be.code != "malformed_body" || be.field != c.field {
				t.Errorf("got %d %s field %q (%s), want field %q", be.status, be.code, be.field, be.detail, c.field)
			}
			if p := problemFor(err); p.Status != 400 || p.Code != "malformed_body" || p.Field != be.field {
				t.Errorf("problem %+v", p)
			}
		})
	}
}

func TestDecodeStrictEmbedded(t *testing.T) {
	type input struct {
		BSN     string `json:"bsn"`
		Contact struct {
			Phone string `json:"phone"`
		} `json:"contact"`
	}
	type line struct {
		Ref string `json:"ref"`
		input
		More []input `json:"more"`
	}
	for body, field := range map[string]string{
		`{"bsn":123456782}`:                  "bsn",
		`{"contact":{"phone":612345678}}`:    "contact.phone",
		`{"ref":1}`:                          "ref",
		`{"more":[{"bsn":1}]}`:               "more.bsn",
		`{"more":[{"contact":{"phone":1}}]}`: "more.contact.phone",
	} {
		var l line
		var be *bodyError
		if err := decodeStrict([]byte(body), &l); !errors.As(err, &be) || be.field != field {
			t.Errorf("%s: %v, want field %q", body, err, field)
		}
	}
}

func TestFoldKey(t *testing.T) {
	for _, pair := range [][2]string{{"bsn", "BSN"}, {"given_by", "Given_By"}, {"s", "ſ"}, {"k", "\u212a"}} {
		if foldKey(pair[0]) != foldKey(pair[1]) {
			t.Errorf("%q and %q fold apart", pair[0], pair[1])
		}
	}
	if foldKey("p:abc") == foldKey("p:abd") {
		t.Error("different keys fold together")
	}
}
