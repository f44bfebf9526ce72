package policy

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	kbrego "github.com/ketenbrug/ketenbrug/rego"
)

func TestNewChecksAndActivatesDefault(t *testing.T) {
	e := engine(t)
	id, raw, rep := e.Builtin()
	if id != broker.PolicyID(raw) || e.Active() != id {
		t.Fatalf("active %s, builtin %s, hash %s", e.Active(), id, broker.PolicyID(raw))
	}
	again, err := Pack(kbrego.Bundle)
	if err != nil || broker.PolicyID(again) != id {
		t.Fatalf("packing is not deterministic: %v", err)
	}
	if rep.Passed < 40 || rep.Failed != 0 || rep.Errored != 0 || len(rep.Tests) != rep.Passed {
		t.Fatalf("report: %d passed, %d failed, %d errored, %d tests", rep.Passed, rep.Failed, rep.Errored, len(rep.Tests))
	}
	if len(rep.Notes) != 0 {
		t.Errorf("notes on the default bundle: %v", rep.Notes)
	}
	if s := e.Settings(); s.AuditRetentionDays <= 0 || s.Covenant == "" || s.RectificationNoticeDays != 30 ||
		s.InformResponsible != broker.InformCoordinator {
		t.Errorf("settings %+v", s)
	}
}

// TestDefaultBundleTests runs the default bundle's Rego tests through OPA's
// tester, as the broker does on upload, and reports each one.
func TestDefaultBundleTests(t *testing.T) {
	raw, err := Pack(kbrego.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	_, _, rep, err := check(context.Background(), raw)
	if err != nil {
		t.Fatalf("%v: %v", err, rep.Notes)
	}
	for _, tc := range rep.Tests {
		if !tc.Pass {
			t.Errorf("%s.%s: %s", tc.Package, tc.Name, tc.Error)
		}
	}
	t.Logf("%d Rego tests passed", rep.Passed)
}

func TestConfigValidate(t *testing.T) {
	for name, c := range map[string]Config{
		"no default":     {},
		"negative":       {Default: kbrego.Bundle, Timeout: -1},
		"negative cache": {Default: kbrego.Bundle, CacheSize: -1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	c := Config{Default: kbrego.Bundle}
	if err := c.Validate(); err != nil || c.Timeout != DefaultTimeout || c.CacheSize != DefaultCacheSize || c.Logger == nil {
		t.Errorf("defaults not filled: %+v, %v", c, err)
	}
}

func TestDecideOverview(t *testing.T) {
	e := engine(t)
	d, err := e.Decide(context.Background(), overviewInput())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"inv-1": {"partner", "contact", "service", "status", "period"},
		"inv-2": {"partner", "contact", "service", "status", "period"},
		"inv-4": {"partner", "contact", "service", "status", "period"},
		"inv-5": {"partner", "contact", "service", "status", "period"},
	}
	if !d.Allow || len(d.Reasons) != 0 || d.Version != e.Active() || len(d.Show) != len(want) {
		t.Fatalf("decision %+v", d)
	}
	for id, f := range want {
		if !slices.Equal(d.Show[id], f) {
			t.Errorf("show[%s] = %v, want %v", id, d.Show[id], f)
		}
	}
	if !slices.Equal(d.Bases, []string{"AVG art. 6 lid 1 sub a", "AVG art. 9 lid 2 sub a", "UAVG art. 5 lid 1"}) {
		t.Errorf("bases %v", d.Bases)
	}
}

func TestDecideDenies(t *testing.T) {
	e := engine(t)
	in := overviewInput()
	in.Caller.Covenant = "2020-1"
	d, err := e.Decide(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || !slices.Equal(d.Reasons, []string{broker.ReasonCovenantNotSigned}) || d.Show != nil || len(d.Bases) == 0 {
		t.Fatalf("decision %+v", d)
	}
	if !errors.Is(d.Err(), broker.ErrDenied) || errors.Is(d.Err(), broker.ErrPolicy) {
		t.Errorf("Err() = %v", d.Err())
	}
}

func TestDecideNilInputFailsClosed(t *testing.T) {
	e := engine(t)
	d, err := e.Decide(context.Background(), nil)
	if !errors.Is(err, broker.ErrPolicy) || d.Allow || !slices.Equal(d.Reasons, []string{broker.ReasonPolicyError}) {
		t.Fatalf("%+v, %v", d, err)
	}
}
