package policy

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	kbrego "github.com/ketenbrug/ketenbrug/rego"
)

// bulkInput is a bulk match-signal question about n households like the
// overview's (four members, consents of every kind), each with the six
// involvements of the overview as new ones, to be signalled to the
// coordinator and three partners. Every third household's municipality is
// at level 1, every fourth has a shielded member, every fifth a plan that
// ended, every seventh is in another area than a recipient.
func bulkInput(n int) *broker.DecisionInput {
	base := overviewInput()
	recipient := func(id string, s broker.Sector, level int) *broker.CallerFacts {
		return &broker.CallerFacts{Partner: id, Sector: s, Role: broker.RoleConnector, Level: level, Covenant: "2026-1",
			Municipalities: []string{"gem-leusden"}, RegisteredAt: "2025-06-01T08:00:00Z"}
	}
	q := &broker.SignalQuestion{Recipients: map[string]*broker.CallerFacts{
		"gem-leusden": recipient("gem-leusden", broker.SectorMunicipality, 4),
		"uwv":         recipient("uwv", broker.SectorWorkIncome, 3),
		"school":      recipient("school", broker.SectorEducation, 2),
		"cjg":         recipient("cjg", broker.SectorYouth, 4),
	}}
	q.Recipients["cjg"].Area = "noord"
	in := &broker.DecisionInput{Action: broker.ActionMatchSignal, Purpose: base.Purpose, Now: base.Now,
		Subjects: map[broker.Pseudonym]*broker.SubjectFacts{}, SignalQuestion: q}
	for i := range n {
		h := *base.Household
		h.ID = fmt.Sprintf("hh-%d", i)
		if i%7 == 0 {
			h.Area = "zuid"
		}
		if i%5 == 0 {
			h.PlanPurpose, h.PlanEnds = "integrale-ondersteuning", "2026-06-30"
		}
		m := *base.Municipality
		if i%3 == 0 {
			m.Level = 1
		}
		g := broker.SignalGroup{Household: h, Municipality: &m, Shielded: i%4 == 0,
			Recipients: []string{"cjg", "gem-leusden", "school", "uwv"}}
		for _, c := range base.Candidates {
			c.ID = fmt.Sprintf("%s-%d", c.ID, i)
			c.Subject = broker.Pseudonym(fmt.Sprintf("%s-%d", c.Subject, i))
			g.Candidates = append(g.Candidates, c)
		}
		for p, f := range base.Subjects {
			in.Subjects[broker.Pseudonym(fmt.Sprintf("%s-%d", p, i))] = f
		}
		q.Signals = append(q.Signals, g)
	}
	return in
}

// oneLine is the one-line match.signal question the broker asks about
// candidate c of group g for recipient r (broker.householdSignals): the
// recipient as caller (the coordinator as coordinator), the candidate's
// subject only, shielded when a member of the household is.
func oneLine(in *broker.DecisionInput, g *broker.SignalGroup, r string, c broker.Candidate) *broker.DecisionInput {
	caller := *in.Recipients[r]
	if r == g.Household.CoordinatorPartner {
		caller.Role, caller.Sub = broker.RoleCoordinator, g.Household.CoordinatorSub
	}
	subj := in.Subjects[c.Subject]
	if subj != nil && g.Shielded && !subj.Shielded {
		cp := *subj
		cp.Shielded = true
		subj = &cp
	}
	h := g.Household
	return &broker.DecisionInput{Action: broker.ActionMatchSignal, Purpose: in.Purpose, Now: in.Now, Caller: caller,
		Municipality: g.Municipality, Household: &h, Subjects: map[broker.Pseudonym]*broker.SubjectFacts{c.Subject: subj},
		Candidates: []broker.Candidate{c}}
}

// TestBulkSignalsEqualOneLine holds the bulk answer to the one-line
// answers, recipient by recipient and candidate by candidate, under the
// purposes of both kinds: the rules of overview.rego's bulk section mirror
// those of the one-line question.
func TestBulkSignalsEqualOneLine(t *testing.T) {
	e := engine(t)
	ctx := context.Background()
	for _, purpose := range []string{"integrale-ondersteuning", "re-integratie", "onbekend", ""} {
		in := bulkInput(28)
		in.Purpose = purpose
		d, err := e.Decide(ctx, in)
		if err != nil || !d.Allow || d.Signals == nil {
			t.Fatalf("%s: %+v, %v", purpose, d, err)
		}
		shown := 0
		for gi := range in.Signals {
			g := &in.Signals[gi]
			for _, r := range g.Recipients {
				for _, c := range g.Candidates {
					one, err := e.Decide(ctx, oneLine(in, g, r, c))
					if err != nil {
						t.Fatal(err)
					}
					var want []string
					if one.Allow {
						want = one.Show[c.ID]
					}
					got := d.Signals[g.Household.ID][r][c.ID]
					if !slices.Equal(got, want) {
						t.Fatalf("%s: household %s, recipient %s, candidate %s: bulk %v, one line %v (%v)",
							purpose, g.Household.ID, r, c.ID, got, want, one.Reasons)
					}
					shown += len(got)
				}
			}
		}
		t.Logf("%s: %d fields shown", purpose, shown)
	}
}

// BenchmarkDecideBulkSignals decides a bulk question of 128 households
// with six new involvements and four recipients each (3,072 recipient and
// involvement pairs), as a sync chunk of household members asks it.
func BenchmarkDecideBulkSignals(b *testing.B) {
	e, err := New(Config{Default: kbrego.Bundle, Logger: quiet(), Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	in := bulkInput(128)
	ctx := context.Background()
	if d, err := e.Decide(ctx, in); err != nil || len(d.Signals) == 0 {
		b.Fatalf("%+v %v", d, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Decide(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(128*6*4)/1000, "µs/pair")
}
