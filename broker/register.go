package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ketenbrug/ketenbrug/connectors/wire"
)

// The register of processing activities (verwerkingsregister, AVG art. 30),
// generated from the active policy and the partner registry, so that the
// register and the rules that decide cannot drift apart. A privacy officer
// signs it; `ketenbrug policy register` prints it.

// PolicyDescription is what a policy version says about itself: its policy
// data (data.json's ketenbrug_config) and, per purpose, the legal basis its
// rule's METADATA names.
type PolicyDescription struct {
	Version      string            `json:"version"`
	Config       json.RawMessage   `json:"config"`
	PurposeBases map[string]string `json:"purpose_bases"`
}

// Controller roles of a partner (AVG art. 4, 26, 28).
const (
	ControllerRole      = "controller"       // verwerkingsverantwoordelijke
	JointControllerRole = "joint-controller" // gezamenlijk verwerkingsverantwoordelijke (art. 26)
	ProcessorRole       = "processor"        // verwerker (art. 28)
)

// ControllerRoles are the roles a partner may have for the broker's
// processing.
var ControllerRoles = []string{ControllerRole, JointControllerRole, ProcessorRole}

// ProcessingRegister is wire.ProcessingRegister: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type ProcessingRegister = wire.ProcessingRegister

// ProcessingActivity is wire.ProcessingActivity: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type ProcessingActivity = wire.ProcessingActivity

// RegisterParty is wire.RegisterParty: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type RegisterParty = wire.RegisterParty

// registerConfig is the part of the policy data the register reads.
type registerConfig struct {
	AuditRetentionDays       int      `json:"audit_retention_days"`
	InvolvementRetentionDays int      `json:"involvement_retention_days"`
	SensitiveSectors         []string `json:"sensitive_sectors"`
	CriminalSectors          []string `json:"criminal_sectors"`
	Fields                   []string `json:"fields"`
	Purposes                 map[string]struct {
		Name        string   `json:"name"`
		Basis       string   `json:"basis"`
		Roles       []string `json:"roles"`
		Sectors     []string `json:"sectors"`
		ShowSectors []string `json:"show_sectors"`
		Relations   []string `json:"relations"`
	} `json:"purposes"`
}

// fieldNames names the fields of an involvement in the register's words.
var fieldNames = map[string]string{
	FieldPartner: "organisatie", FieldContact: "contactpersoon", FieldService: "dienst",
	FieldStatus: "status", FieldPeriod: "periode",
}

// ProcessingRegister generates the register of processing from the active
// policy and the registry. Privacy officers and operators.
func (s *Service) ProcessingRegister(_ context.Context, c *Caller) (ProcessingRegister, error) {
	if err := requireRole(c, RolePrivacyOfficer, RoleOperator); err != nil {
		return ProcessingRegister{}, err
	}
	d := s.cfg.Policy.Describe()
	var cfg registerConfig
	if err := json.Unmarshal(d.Config, &cfg); err != nil {
		return ProcessingRegister{}, fmt.Errorf("%w: the active policy's data does not describe its purposes: %v", ErrInvalid, err)
	}
	reg := ProcessingRegister{GeneratedAt: s.now(), Broker: s.cfg.ID, PolicyVersion: d.Version,
		AuditRetentionDays: cfg.AuditRetentionDays, InvolvementRetentionDays: cfg.InvolvementRetentionDays,
		Activities: []ProcessingActivity{}, Parties: []RegisterParty{}}
	special := append(slices.Clone(cfg.SensitiveSectors), cfg.CriminalSectors...)
	if !slices.Contains(special, string(SectorHealth)) {
		special = append(special, string(SectorHealth)) // health is always special (AVG art. 9)
	}
	fields := make([]string, 0, len(cfg.Fields))
	for _, f := range cfg.Fields {
		if n, ok := fieldNames[f]; ok {
			fields = append(fields, n)
		}
	}
	for _, code := range slices.Sorted(maps.Keys(cfg.Purposes)) {
		p := cfg.Purposes[code]
		a := ProcessingActivity{Purpose: code, Name: p.Name, Basis: d.PurposeBases[code], Grounds: p.Basis,
			Subjects:       []string{"inwoners die hulp of ondersteuning ontvangen", "de leden van hun huishouden"},
			RecipientRoles: slices.Clone(p.Roles), RecipientSectors: slices.Clone(p.Sectors), Relations: slices.Clone(p.Relations)}
		if a.Basis == "" {
			a.Basis = "(geen grondslag in de regels: het doel wordt geweigerd)"
		}
		for _, sec := range p.ShowSectors {
			a.Categories = append(a.Categories, fmt.Sprintf("betrokkenheid van %s (%s)", sec, strings.Join(fields, ", ")))
			if slices.Contains(special, sec) {
				a.SpecialCategories = append(a.SpecialCategories, sec)
			}
		}
		a.Categories = append(a.Categories, "toestemmingen (doel, reikwijdte, gever, geldigheid)", "pseudoniem van het BSN (nooit het BSN zelf)")
		reg.Activities = append(reg.Activities, a)
	}
	for _, p := range s.partnersSorted() {
		if p.Sector == "" || slices.Contains(p.Roles, RoleOperator) && len(p.Roles) == 1 {
			continue // the operator's own identity is not a party to the processing
		}
		reg.Parties = append(reg.Parties, RegisterParty{ID: p.ID, Name: p.Name, Sector: p.Sector,
			Municipalities: slices.Clone(p.Municipalities), Role: p.ControllerRole, Contact: p.PrivacyContact,
			PrivacyOffice: p.PrivacyOffice})
	}
	return reg, nil
}

// partnersSorted returns the registered partners by id.
func (s *Service) partnersSorted() []*Partner {
	m := *s.partners.Load()
	out := make([]*Partner, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id])
	}
	return out
}
