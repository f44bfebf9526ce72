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

// PurposeChoice is wire.PurposeChoice: the API's shape, kept in connectors/wire so that the
// SDK carries it without importing the domain.
type PurposeChoice = wire.PurposeChoice

// purposeConfig is the part of the policy data Purposes reads.
type purposeConfig struct {
	Purposes map[string]struct {
		Name    string   `json:"name"`
		Basis   string   `json:"basis"`
		Roles   []string `json:"roles"`
		Sectors []string `json:"sectors"`
	} `json:"purposes"`
}

// Purposes returns the purposes the caller's role and sector may state
// under the active policy, by code, each with its name and legal basis. It
// narrows a choice, it decides nothing: every request with a purpose is
// still decided by the policy (relations, designations, consent). A
// purpose without a legal basis in the rules is left out, since the policy
// refuses it.
func (s *Service) Purposes(c *Caller) ([]PurposeChoice, error) {
	d := s.cfg.Policy.Describe()
	var cfg purposeConfig
	if err := json.Unmarshal(d.Config, &cfg); err != nil {
		return nil, fmt.Errorf("%w: the active policy's data does not describe its purposes: %v", ErrInvalid, err)
	}
	out := []PurposeChoice{}
	for _, code := range slices.Sorted(maps.Keys(cfg.Purposes)) {
		p := cfg.Purposes[code]
		if !slices.Contains(p.Roles, string(c.Role)) || (len(p.Sectors) > 0 && !slices.Contains(p.Sectors, string(c.Partner.Sector))) {
			continue
		}
		basis := d.PurposeBases[code]
		if basis == "" {
			continue
		}
		out = append(out, PurposeChoice{Code: code, Name: p.Name, Basis: basis, Grounds: p.Basis})
	}
	return out, nil
}

// AssignmentType is a kind of assignment the active policy knows, for a
// form's choice.
type AssignmentType struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// AssignmentTypes returns the assignment types of the active policy's data
// by code. Whether a given one may be given is the policy's decision.
func (s *Service) AssignmentTypes() []AssignmentType {
	var cfg struct {
		Assignments struct {
			Types map[string]struct {
				Name string `json:"name"`
			} `json:"types"`
		} `json:"assignments"`
	}
	out := []AssignmentType{}
	if json.Unmarshal(s.cfg.Policy.Describe().Config, &cfg) != nil {
		return out
	}
	for _, code := range slices.Sorted(maps.Keys(cfg.Assignments.Types)) {
		out = append(out, AssignmentType{Code: code, Name: cfg.Assignments.Types[code].Name})
	}
	return out
}

// RecordBSNInURL audits that a console request carried a BSN in its URL,
// where none may be (browser history, proxy logs): the request was
// refused before anything was looked up. The entry names the person by
// pseudonym, so the resident's access report shows it.
func (s *Service) RecordBSNInURL(ctx context.Context, c *Caller, bsn string) {
	e := s.auditEntry(c, EventDenial, "console.refused")
	e.Decision, e.Reasons = DecisionDeny, []string{"bsn_in_url"}
	if b, err := ParseBSN(bsn); err == nil {
		e.Subjects = []Pseudonym{s.cfg.Pseudonyms.Pseudonym(b)}
	}
	if err := s.commit(ctx, e, nil, nil); err != nil {
		s.log.Error("auditing a BSN in a console URL", "error", err)
	}
}

// DirectoryEntry is a partner as a form offers it to choose from: its id,
// name and sector, which are no personal data.
type DirectoryEntry struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Sector Sector `json:"sector"`
}

// Directory lists the active partners, other than the caller's own, that
// serve one of the caller's municipalities, by name: the choice of a
// recipient or of partners a consent names.
func (s *Service) Directory(c *Caller) []DirectoryEntry {
	out := []DirectoryEntry{}
	for _, p := range s.partnersSorted() {
		if p.ID == c.Partner.ID || p.Status != PartnerActive || p.Sector == "" {
			continue
		}
		if slices.ContainsFunc(p.Municipalities, func(m string) bool { return slices.Contains(c.Partner.Municipalities, m) }) {
			out = append(out, DirectoryEntry{ID: p.ID, Name: p.Name, Sector: p.Sector})
		}
	}
	slices.SortFunc(out, func(a, b DirectoryEntry) int { return strings.Compare(a.Name, b.Name) })
	return out
}
