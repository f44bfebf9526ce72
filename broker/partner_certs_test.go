package broker

import (
	"errors"
	"strings"
	"testing"
)

func TestPartnerClientCerts(t *testing.T) {
	p := Partner{ID: "kredietbank", Name: "Kredietbank", Sector: SectorDebt, Roles: []Role{RoleConnector}, Level: 2}
	if !p.AcceptsClientCert("00000001234567890000", []string{"Anyone"}) {
		t.Error("a partner bound to no certificate refused one")
	}
	p.ClientCerts = []string{"00000001234567890000", "Kredietbank Eemland"}
	for _, tc := range []struct {
		serial string
		orgs   []string
		ok     bool
	}{
		{"00000001234567890000", nil, true},
		{"", []string{"Other", "Kredietbank Eemland"}, true},
		{"00000009999999990000", []string{"Kredietbank"}, false},
		{"", nil, false},
	} {
		if got := p.AcceptsClientCert(tc.serial, tc.orgs); got != tc.ok {
			t.Errorf("AcceptsClientCert(%q, %q) = %v, want %v", tc.serial, tc.orgs, got, tc.ok)
		}
	}
	for _, bad := range [][]string{
		{""}, {strings.Repeat("x", 129)}, {"tab\there"}, strings.Split("a,b,c,d,e,f,g,h,i,j,k", ","),
	} {
		q := p
		q.ClientCerts = bad
		var ve *ValidationError
		if err := q.Validate(); !errors.As(err, &ve) || ve.Field != "client_certs" {
			t.Errorf("client_certs %q: %v, want client_certs invalid", bad, err)
		}
	}
	var ve *ValidationError
	if err := p.Validate(); errors.As(err, &ve) && ve.Field == "client_certs" {
		t.Errorf("valid client_certs refused: %v", err)
	}
}
