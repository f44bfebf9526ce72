package httpapi

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

// FuzzDecodeStrict feeds arbitrary bodies to the strict decoder with each
// request type of the API: it never panics, a refusal is always a body
// problem that quotes no BSN-like number, and what it accepts is one JSON
// value that encodes again.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"bsn":"111222333","purpose":"integrale-ondersteuning","all":true,"given_by":"self"}`,
		`{"household":"hh-1","recipient":"kb","type":"intake","due":"2026-12-01"}`,
		`{"goals":[{"id":"g","title":"t"}],"agreements":[{"goal":"g","partner":"p","action":"a"}]}`,
		`{"a":1,"a":2}`, `{} {}`, `[1]`, `{"111222333":1}`, `{"reason":"\u0000"}`, `"x"`, `{"status":1e999}`,
		`{"members":[{"label":"moeder","bsn":"123456782","role":"parent"}]}`,
	} {
		f.Add([]byte(s))
	}
	targets := []func() any{
		func() any { return &ConsentRequest{} }, func() any { return &PersonRequest{} }, func() any { return &LookupRequest{} }, func() any { return &RejectRequest{} }, func() any { return &PartnerRequest{} },
		func() any { return &AssignmentRequest{} }, func() any { return &StepRequest{} }, func() any { return &AgreementStatusRequest{} },
		func() any { return &broker.PlanInput{} }, func() any { return &broker.HouseholdInput{} }, func() any { return &broker.InvolvementInput{} },
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mk := range targets {
			v := mk()
			err := decodeStrict(body, v)
			if err != nil {
				var be *bodyError
				if !errors.As(err, &be) {
					t.Fatalf("%T: a refusal that is not a body problem: %v", v, err)
				}
				if digitRun.MatchString(be.detail) || digitRun.MatchString(be.field) {
					t.Fatalf("%T: a problem quotes a BSN-like number: %q %q", v, be.field, be.detail)
				}
				continue
			}
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("%T: accepted %q but cannot encode it: %v", v, body, err)
			}
		}
	})
}
