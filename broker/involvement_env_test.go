package broker_test

// The environment of the involvement, household, overview, sync and inbox
// tests: the whole system of package brokertest (a real broker.Service,
// bbolt store, audit log and OPA engine) with this package's region of
// partners and callers on top. The policy engine is only wrapped to count
// the questions asked.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/audit"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/broker/brokertest"
	"github.com/ketenbrug/ketenbrug/policy"
)

// invPurpose is the consent purpose of the overview tests.
const invPurpose = "integrale-ondersteuning"

// countingPolicy is the real engine, counting the questions per action.
type countingPolicy struct {
	*policy.Engine
	mu    sync.Mutex
	count map[string]int
}

func (p *countingPolicy) Decide(ctx context.Context, in *broker.DecisionInput) (broker.Decision, error) {
	p.mu.Lock()
	p.count[in.Action]++
	p.mu.Unlock()
	return p.Engine.Decide(ctx, in)
}

func (p *countingPolicy) asked(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count[action]
}

// invEnv is one broker for one test.
type invEnv struct {
	t        testing.TB
	ctx      context.Context
	svc      *broker.Service
	store    *boltstore.Store
	audit    *audit.Log
	policy   *countingPolicy
	logs     *brokertest.Buffer
	dbPath   string
	operator *broker.Caller
	// sys checks that no BSN the test used (bsn) is stored, logged or
	// audited.
	sys *brokertest.System

	reqs atomic.Int64
}

// The region of the tests. gem-a and gem-b are municipalities at level 2;
// the chain partners serve gem-a, except cjg-b, which serves gem-b.
// sociale-dienst is in the sector the policy lets see shielded persons.
var invPartners = []broker.Partner{
	{ID: "gem-a", Name: "Gemeente A", Sector: broker.SectorMunicipality, Municipalities: []string{"gem-a"},
		Roles: []broker.Role{broker.RoleCoordinator, broker.RoleProfessional}, Level: 2, Covenant: "2026-1"},
	{ID: "gem-b", Name: "Gemeente B", Sector: broker.SectorMunicipality, Municipalities: []string{"gem-b"},
		Roles: []broker.Role{broker.RoleCoordinator, broker.RoleProfessional}, Level: 2, Covenant: "2026-1"},
	{ID: "kredietbank", Name: "Kredietbank", Sector: broker.SectorDebt, Municipalities: []string{"gem-a"},
		Roles: []broker.Role{broker.RoleConnector, broker.RoleProfessional}, Level: 2, Covenant: "2026-1"},
	{ID: "cjg", Name: "CJG", Sector: broker.SectorYouth, Municipalities: []string{"gem-a"},
		Roles: []broker.Role{broker.RoleConnector, broker.RoleProfessional}, Level: 2, Covenant: "2026-1"},
	{ID: "school", Name: "Basisschool", Sector: broker.SectorEducation, Municipalities: []string{"gem-a"},
		Roles: []broker.Role{broker.RoleConnector}, Level: 2, Covenant: "2026-1"},
	{ID: "uwv", Name: "UWV", Sector: broker.SectorWorkIncome, Municipalities: []string{"gem-a"},
		Roles: []broker.Role{broker.RoleConnector}, Level: 2, Covenant: "2026-1"},
	{ID: "sociale-dienst", Name: "Sociale dienst", Sector: broker.SectorSocialServices, Municipalities: []string{"gem-a"},
		Roles: []broker.Role{broker.RoleConnector, broker.RoleProfessional, broker.RoleCoordinator}, Level: 2, Covenant: "2026-1"},
	{ID: "cjg-b", Name: "CJG B", Sector: broker.SectorYouth, Municipalities: []string{"gem-b"},
		Roles: []broker.Role{broker.RoleConnector, broker.RoleProfessional}, Level: 2, Covenant: "2026-1"},
	{ID: "fg", Name: "Privacy office", Sector: broker.SectorOther, Municipalities: []string{"gem-a"},
		Roles: []broker.Role{broker.RolePrivacyOfficer}, Level: 2, Covenant: "2026-1", PrivacyOffice: true},
}

// newInvEnv starts a broker with the region registered. When the test
// ends it checks that no BSN the test used is in the log output, in an
// audit entry or anywhere in the bbolt file.
func newInvEnv(t testing.TB) *invEnv {
	t.Helper()
	return newInvEnvWith(t, nil)
}

// newInvEnvWith is newInvEnv with the service's configuration adjusted by
// opt (a controlled clock, say) before it starts.
func newInvEnvWith(t testing.TB, opt func(*broker.Config)) *invEnv {
	t.Helper()
	pol := &countingPolicy{Engine: brokertest.Engine(t), count: map[string]int{}}
	sys := brokertest.New(t, brokertest.Options{ID: "kb-test", Policy: pol, Adjust: opt})
	e := &invEnv{t: t, ctx: sys.Ctx, svc: sys.Service, store: sys.Store, audit: sys.Audit, policy: pol, logs: sys.Logs,
		dbPath: sys.DBPath, sys: sys}
	opPartner := broker.Partner{ID: "operator", Name: "Operator", Sector: broker.SectorOther,
		Roles: []broker.Role{broker.RoleOperator}, Level: broker.MaxLevel, JWKS: json.RawMessage(`{"keys":[]}`)}
	if _, _, err := e.svc.EnsureOperator(e.ctx, opPartner); err != nil {
		t.Fatal(err)
	}
	e.operator = e.caller("operator", broker.RoleOperator, "")
	for _, p := range invPartners {
		p.JWKS = json.RawMessage(`{"keys":[]}`)
		p.Municipalities = slices.Clone(p.Municipalities)
		p.Roles = slices.Clone(p.Roles)
		if _, err := e.svc.RegisterPartner(e.ctx, e.operator, p); err != nil {
			t.Fatalf("registering %s: %v", p.ID, err)
		}
	}
	return e
}

// caller returns a verified caller of partner (as registered now).
func (e *invEnv) caller(partner string, role broker.Role, purpose string) *broker.Caller {
	e.t.Helper()
	p, err := e.svc.LookupPartner(partner)
	if err != nil {
		e.t.Fatalf("partner %s: %v", partner, err)
	}
	sub := "connector"
	switch role {
	case broker.RoleCoordinator:
		sub = "c.regisseur"
	case broker.RoleProfessional:
		sub = "p.professional"
	case broker.RolePrivacyOfficer:
		sub = "fg.officer"
	case broker.RoleOperator:
		sub = "operator"
	}
	c := &broker.Caller{Partner: *p, Sub: sub, Role: role, Purpose: purpose,
		RequestID: fmt.Sprintf("r-test-%d", e.reqs.Add(1)), TokenID: fmt.Sprintf("jti-test-%020d", e.reqs.Load())}
	// The operator, privacy officers and coordinators act with person keys
	// (verified); the others with their organisation's key (asserted).
	if role == broker.RoleOperator || role == broker.RolePrivacyOfficer || role == broker.RoleCoordinator {
		c.Person = broker.Person{ID: sub, Verified: true, Via: "key:test"}
	}
	return c
}

// connector, coordinator and professional are the usual callers. A
// connector registers its involvements for integrated support (a purpose
// is required; under this consent purpose they are shown only with the
// person's consent).
func (e *invEnv) connector(partner string) *broker.Caller {
	e.t.Helper()
	return e.caller(partner, broker.RoleConnector, invPurpose)
}

func (e *invEnv) coordinator(partner, purpose string) *broker.Caller {
	e.t.Helper()
	return e.caller(partner, broker.RoleCoordinator, purpose)
}

func (e *invEnv) professional(partner, purpose string) *broker.Caller {
	e.t.Helper()
	return e.caller(partner, broker.RoleProfessional, purpose)
}

// setLevel has the operator change a partner's (or municipality's) level.
func (e *invEnv) setLevel(id string, level int) {
	e.t.Helper()
	p, err := e.svc.LookupPartner(id)
	if err != nil {
		e.t.Fatal(err)
	}
	q := *p
	q.Level = level
	if _, err := e.svc.UpdatePartner(e.ctx, e.operator, q); err != nil {
		e.t.Fatalf("setting the level of %s: %v", id, err)
	}
}

// bsn returns a fresh random valid BSN and remembers it for the leak checks.
func (e *invEnv) bsn() string { return e.sys.BSN() }

// usedBSNs returns every BSN the test used so far.
func (e *invEnv) usedBSNs() []string { return e.sys.UsedBSNs() }

// entries returns the whole audit trail.
func (e *invEnv) entries() []broker.AuditEntry { return e.sys.Entries() }

// entriesSince returns the audit entries after seq (not checkpoints).
func (e *invEnv) entriesSince(seq uint64) []broker.AuditEntry {
	e.t.Helper()
	var out []broker.AuditEntry
	for _, a := range e.entries() {
		if a.Seq > seq && a.Event != broker.EventCheckpoint {
			out = append(out, a)
		}
	}
	return out
}

// head is the last audit sequence number.
func (e *invEnv) head() uint64 {
	e.t.Helper()
	es := e.entries()
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].Seq
}

// noBSN fails when v, as JSON, holds a BSN of the test other than the ones
// the caller sent in the request that answered it.
func (e *invEnv) noBSN(what string, v any, sent ...string) {
	e.t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range e.usedBSNs() {
		if slices.Contains(sent, b) {
			continue
		}
		if bytes.Contains(raw, []byte(b)) {
			e.t.Errorf("%s echoes a BSN the caller did not send: %s", what, raw)
		}
	}
}

// put registers an involvement of partner's connector and fails on error.
func (e *invEnv) put(partner, ref, bsn, service string) broker.InvolvementView {
	e.t.Helper()
	v, _, err := e.svc.PutInvolvement(e.ctx, e.connector(partner), ref, broker.InvolvementInput{
		BSN: bsn, Service: service, ServiceLabel: strings.ToUpper(service[:1]) + service[1:], Status: broker.InvolvementActive,
		Start: "2026-01-05", Contact: broker.Contact{Name: "Contact " + partner, Phone: "033-1234567"}})
	if err != nil {
		e.t.Fatalf("%s registering %s: %v", partner, ref, err)
	}
	return v
}

// consent records a consent for integrated support, by the CJG professional:
// explicit (it names the sectors, youth care among them), with its
// evidence and the record that support was not made conditional on it.
func (e *invEnv) consent(bsn, givenBy string, sectors ...broker.Sector) broker.ConsentView {
	e.t.Helper()
	c, err := e.svc.RecordConsent(e.ctx, e.professional("cjg", invPurpose), bsn, broker.Consent{
		Purpose: invPurpose, Sectors: sectors, GivenBy: givenBy, Evidence: "form 2026-1",
		Explicit: true, NotConditional: true})
	if err != nil {
		e.t.Fatalf("recording a consent: %v", err)
	}
	return c
}

// family is the household of the overview tests: hh-1 of gem-a, four
// members, each served by one partner.
type family struct {
	id   string
	bsns map[string]string // label → BSN
}

// Members of the family, in order.
var familyMembers = []broker.MemberInput{
	{Label: "moeder", Role: broker.MemberParent, BirthYear: 1988},
	{Label: "vader", Role: broker.MemberParent, BirthYear: 1985},
	{Label: "kind 1", Role: broker.MemberChild, BirthYear: 2014},
	{Label: "kind 2", Role: broker.MemberChild, BirthYear: 2019},
}

// newFamily registers household id in gem-a (as its coordinator) and the
// four involvements: kredietbank serves the mother, uwv the father, the
// school the first child, the CJG the second.
func (e *invEnv) newFamily(id string, shielded ...string) family {
	e.t.Helper()
	f := family{id: id, bsns: map[string]string{}}
	in := broker.HouseholdInput{Municipality: "gem-a", Area: "centrum"}
	for _, m := range familyMembers {
		m.BSN = e.bsn()
		m.Shielded = slices.Contains(shielded, m.Label)
		f.bsns[m.Label] = m.BSN
		in.Members = append(in.Members, m)
	}
	if _, err := e.svc.PutHousehold(e.ctx, e.coordinator("gem-a", invPurpose), id, in); err != nil {
		e.t.Fatalf("registering household %s: %v", id, err)
	}
	e.put("kredietbank", id+"-kb", f.bsns["moeder"], "schuldregeling")
	e.put("uwv", id+"-ww", f.bsns["vader"], "ww")
	e.put("school", id+"-ib", f.bsns["kind 1"], "extra-ondersteuning")
	e.put("cjg", id+"-og", f.bsns["kind 2"], "opvoedondersteuning")
	return f
}

// consentAll records the mother's consent for herself and, as parent, for
// both children, and the first child's own; the father does not consent.
func (e *invEnv) consentAll(f family) (mother broker.ConsentView) {
	e.t.Helper()
	mother = e.consent(f.bsns["moeder"], broker.GivenBySelf, broker.SectorDebt, broker.SectorYouth, broker.SectorEducation, broker.SectorWorkIncome)
	e.consent(f.bsns["kind 1"], broker.GivenByParent, broker.SectorYouth, broker.SectorEducation)
	// The first child is 12: in youth care (and health) the child's own
	// consent is needed beside the parent's.
	e.consent(f.bsns["kind 1"], broker.GivenBySelf, broker.SectorYouth, broker.SectorEducation)
	e.consent(f.bsns["kind 2"], broker.GivenByParent, broker.SectorYouth, broker.SectorEducation)
	return mother
}

// shownByLabel summarises an overview: per member label, the partners shown.
func shownByLabel(o broker.Overview) map[string][]string {
	out := map[string][]string{}
	for _, m := range o.Members {
		out[m.Label] = []string{}
		for _, v := range m.Involvements {
			out[m.Label] = append(out[m.Label], v.Partner)
		}
	}
	return out
}

// isDenied reports whether err is a policy denial with exactly these reasons.
func deniedWith(err error, reasons ...string) bool {
	var d *broker.DeniedError
	if !errors.As(err, &d) {
		return false
	}
	return slices.Equal(d.Reasons, reasons)
}

// invalidField returns the field of a validation error ("" when err is none).
func invalidField(err error) string {
	var ve *broker.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}
