package broker

import (
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"time"
)

// Limits of a household list page.
const (
	DefaultHouseholdPage = 100
	MaxHouseholdPage     = 1000
)

// HouseholdSummary is one line of a household list: no members' labels,
// roles or dates, only how many there are.
type HouseholdSummary struct {
	ID           string    `json:"id"`
	Municipality string    `json:"municipality"`
	Area         string    `json:"area,omitempty"`
	Coordinator  Actor     `json:"coordinator"`
	Members      int       `json:"members"`
	Revision     uint64    `json:"revision"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// HouseholdList is a page of households; Next, when set, is the after of
// the next page.
type HouseholdList struct {
	Households []HouseholdSummary `json:"households"`
	Next       string             `json:"next,omitempty"`
}

// Households lists the households the caller's partner coordinates, in the
// municipalities it serves (or only municipality, when given), ordered by
// municipality, then id, from after on (a qualified id, municipality:id, as
// Next gives it). The policy is asked per municipality (household.list,
// under the caller's purpose): a municipality it refuses is left out, and
// when it refuses every one the refusal is the answer. A municipality the
// partner does not serve lists nothing, exactly as one without households.
func (s *Service) Households(ctx context.Context, c *Caller, municipality, after string, limit int) (HouseholdList, error) {
	out := HouseholdList{Households: []HouseholdSummary{}}
	if limit <= 0 {
		limit = DefaultHouseholdPage
	}
	limit = min(limit, MaxHouseholdPage)
	var afterM, afterID string
	if after != "" {
		var err error
		if afterM, afterID, err = splitHouseholdRef(after); err != nil || afterM == "" {
			return out, invalid("after", "a qualified household id, municipality:id, as next gives it")
		}
	}
	scope := slices.Sorted(slices.Values(c.Partner.Municipalities))
	if municipality != "" {
		if !c.Partner.Serves(municipality) {
			return out, nil
		}
		scope = []string{municipality}
	}
	var allowed []string
	var refusal error
	for _, m := range scope {
		if m < afterM {
			continue
		}
		_, err := s.decide(ctx, c, &DecisionInput{Action: ActionHouseholdList, Purpose: c.Purpose, Caller: callerFacts(c),
			Municipality: s.municipalityFacts(m)}, "households:"+m, nil)
		switch {
		case err == nil:
			allowed = append(allowed, m)
		case errors.Is(err, ErrDenied):
			refusal = cmp.Or(refusal, err)
		default:
			return out, err
		}
	}
	if len(allowed) == 0 && refusal != nil {
		return out, refusal
	}
	err := s.cfg.Store.View(func(tx ReadTx) error {
		for _, m := range allowed {
			from := ""
			if m == afterM {
				from = afterID
			}
			err := tx.MunicipalityHouseholds(m, from, func(h Household) error {
				if h.Coordinator.Partner != c.Partner.ID {
					return nil
				}
				if len(out.Households) == limit {
					out.Next = out.Households[limit-1].Municipality + HouseholdRefSep + out.Households[limit-1].ID
					return io.EOF
				}
				out.Households = append(out.Households, HouseholdSummary{ID: h.ID, Municipality: h.Municipality,
					Area: h.Area, Coordinator: h.Coordinator, Members: len(h.Members), Revision: h.Revision, UpdatedAt: h.UpdatedAt})
				return nil
			})
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
