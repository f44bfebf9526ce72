package policy

import (
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	kbrego "github.com/ketenbrug/ketenbrug/rego"
)

var (
	sharedOnce   sync.Once
	sharedEngine *Engine
	sharedErr    error
)

// engine returns an engine with the default bundle, shared by the tests
// that do not change its active version.
func engine(t testing.TB) *Engine {
	t.Helper()
	sharedOnce.Do(func() {
		// A generous limit: these tests hold answers, not latency, and CI
		// runs every package's tests at once on two cores (the fail-closed
		// tests set their own short limits).
		sharedEngine, sharedErr = New(Config{Default: kbrego.Bundle, Logger: quiet(), Timeout: 10 * time.Second})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedEngine
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// pack packs the given files (path → content) as a bundle.
func pack(t testing.TB, files map[string]string) []byte {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, c := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(c), Mode: 0o644}
	}
	b, err := Pack(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// minimal is a tiny valid policy: it allows what the input says, with one
// passing test.
const minimalPolicy = `package ketenbrug

decision := {"allow": true, "reasons": [], "bases": ["test"], "show": {}} if input.allow

decision := {"allow": false, "reasons": ["role_not_allowed"], "bases": ["test"]} if not input.allow
`

const minimalTest = `package ketenbrug_test

import data.ketenbrug

test_allow if ketenbrug.decision.allow with input as {"allow": true}

test_deny if not ketenbrug.decision.allow with input as {"allow": false}
`

// overviewInput is a household of four with six candidate involvements and
// realistic consents: the benchmark's and several tests' input.
func overviewInput() *broker.DecisionInput {
	consent := func(id string, sectors []broker.Sector, all bool, by string) broker.ConsentFacts {
		return broker.ConsentFacts{ID: id, Purpose: "integrale-ondersteuning", Sectors: sectors, AllSectors: all,
			GivenBy: by, ValidFrom: "2026-01-15", ValidUntil: "2027-06-01",
			Explicit: slices.Contains(sectors, broker.SectorYouth), Evidence: true, NotConditional: true,
			RecordedAt: "2026-01-15T10:00:00Z"}
	}
	partner := func(id string, s broker.Sector) broker.PartnerFacts {
		return broker.PartnerFacts{ID: id, Sector: s, Level: 4, Covenant: "2026-1", RegisteredAt: "2025-06-01T08:00:00Z"}
	}
	return &broker.DecisionInput{
		Action: broker.ActionHouseholdOverview, Purpose: "integrale-ondersteuning", Now: "2026-11-22T19:00:00Z",
		Caller: broker.CallerFacts{Partner: "gem-leusden", Sector: broker.SectorMunicipality, Role: broker.RoleCoordinator,
			Sub: "c.devries", Level: 4, Covenant: "2026-1", Municipalities: []string{"gem-leusden"}, Area: "centrum",
			RegisteredAt: "2025-06-01T08:00:00Z"},
		Municipality: &broker.MunicipalityFacts{ID: "gem-leusden", Level: 2},
		Household: &broker.HouseholdFacts{ID: "hh-1042", Municipality: "gem-leusden", Area: "centrum",
			CoordinatorPartner: "gem-leusden", CoordinatorSub: "c.devries"},
		Relations: []string{broker.RelationCoordinator},
		Subjects: map[broker.Pseudonym]*broker.SubjectFacts{
			"p:3f9a": {Label: "moeder", Role: "parent", BirthYear: 1988, Consents: []broker.ConsentFacts{
				consent("c-1", []broker.Sector{broker.SectorDebt, broker.SectorEducation}, false, "self"),
				{ID: "c-0", Purpose: "integrale-ondersteuning", AllSectors: true, GivenBy: "self",
					ValidFrom: "2025-01-01", ValidUntil: "2026-01-01"},
			}},
			"p:81be": {Label: "vader", Role: "parent", BirthYear: 1985, Consents: []broker.ConsentFacts{
				consent("c-2", nil, true, "self"),
			}},
			"p:77c1": {Label: "kind 1", Role: "child", BirthYear: 2014, Consents: []broker.ConsentFacts{
				consent("c-3", []broker.Sector{broker.SectorEducation, broker.SectorYouth}, false, "parent"),
				// 12: in youth care the child consents too.
				consent("c-4", []broker.Sector{broker.SectorYouth}, false, "self"),
			}},
			"p:9d02": {Label: "kind 2", Role: "child", BirthYear: 2019, Consents: []broker.ConsentFacts{}},
		},
		Candidates: []broker.Candidate{
			{ID: "inv-1", Subject: "p:3f9a", Service: "schuldregeling", Status: "active", Partner: partner("kredietbank", broker.SectorDebt), Purpose: "integrale-ondersteuning"},
			{ID: "inv-2", Subject: "p:81be", Service: "re-integratie", Status: "active", Partner: partner("uwv", broker.SectorWorkIncome), Purpose: "integrale-ondersteuning"},
			{ID: "inv-3", Subject: "p:81be", Service: "ggz", Status: "active", Partner: partner("ggd", broker.SectorHealth), Purpose: "integrale-ondersteuning"},
			{ID: "inv-4", Subject: "p:77c1", Service: "leerplicht", Status: "active", Partner: partner("school", broker.SectorEducation), Purpose: "integrale-ondersteuning"},
			{ID: "inv-5", Subject: "p:77c1", Service: "opvoedondersteuning", Status: "active", Partner: partner("cjg", broker.SectorYouth), Purpose: "integrale-ondersteuning"},
			{ID: "inv-6", Subject: "p:9d02", Service: "kinderopvangtoeslag", Status: "ended", Partner: partner("sociale-dienst", broker.SectorSocialServices), Purpose: "integrale-ondersteuning"},
		},
	}
}

func defaultFS(testing.TB) fs.FS { return kbrego.Bundle }
