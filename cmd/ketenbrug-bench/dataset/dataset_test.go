package dataset

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
)

func TestBSNsAreValidAndDistinct(t *testing.T) {
	d, err := New(Config{Seed: 7, Persons: 200_000})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]int, d.Persons())
	for i := range d.Persons() {
		b := d.BSN(i)
		if _, err := broker.ParseBSN(b); err != nil {
			t.Fatalf("person %d: BSN fails the elfproef", i)
		}
		if j, dup := seen[b]; dup {
			t.Fatalf("persons %d and %d share a BSN", j, i)
		}
		seen[b] = i
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := New(Config{Seed: 42, Persons: 5000})
	b, _ := New(Config{Seed: 42, Persons: 5000})
	c, _ := New(Config{Seed: 43, Persons: 5000})
	for _, i := range []int{0, 1, 999, 4999} {
		if !reflect.DeepEqual(a.Person(i), b.Person(i)) || !reflect.DeepEqual(a.Consents(i), b.Consents(i)) {
			t.Fatalf("person %d differs between runs", i)
		}
		if a.BSN(i) == c.BSN(i) {
			t.Errorf("person %d has the same BSN under another seed", i)
		}
	}
	for _, h := range []int{0, 17, a.Households() - 1} {
		if !reflect.DeepEqual(a.Household(h), b.Household(h)) {
			t.Fatalf("household %d differs between runs", h)
		}
	}
	for _, j := range []int{0, 5, a.Involvements() - 1} {
		if !reflect.DeepEqual(a.Involvement(j), b.Involvement(j)) {
			t.Fatalf("involvement %d differs between runs", j)
		}
	}
	if !reflect.DeepEqual(a.ChainPartners()[0].Key, b.ChainPartners()[0].Key) {
		t.Fatal("partner keys differ between runs")
	}
}

func TestShape(t *testing.T) {
	d, err := New(Config{Seed: 1, Persons: 10_000, Households: 3000, Involvements: 30_000})
	if err != nil {
		t.Fatal(err)
	}
	levels := map[int]bool{}
	for _, m := range d.Municipalities() {
		levels[m.Level] = true
	}
	if len(levels) != 4 {
		t.Errorf("municipality levels %v, want 1-4", levels)
	}
	sectors := map[broker.Sector]bool{}
	for _, p := range d.ChainPartners() {
		sectors[p.Sector] = true
		if err := p.Partner.Validate(); err != nil {
			t.Errorf("partner %s: %v", p.ID, err)
		}
	}
	// Every sector of the social domain but the municipality's own and
	// other (whose partners may not key involvements by BSN).
	if len(sectors) != len(broker.Sectors)-2 || sectors[broker.SectorOther] {
		t.Errorf("sectors %v", sectors)
	}
	members, sizes := 0, map[int]int{}
	for h := range d.Households() {
		hh := d.Household(h)
		members += len(hh.Members)
		sizes[len(hh.Members)]++
		for k, m := range hh.Members {
			p := d.Person(m.Person)
			if p.Household != h || p.Member != k || p.Role != m.Role || p.BSN != m.BSN {
				t.Fatalf("household %d member %d: person %+v", h, k, p)
			}
		}
	}
	if members > d.Persons() || sizes[4] == 0 || sizes[1] == 0 {
		t.Errorf("members %d, sizes %v", members, sizes)
	}
	for p := range d.ChainPartners() {
		_, n := d.InvolvementOf(p, 0)
		for k := range min(n, 50) {
			j, _ := d.InvolvementOf(p, k)
			if d.Involvement(j).Partner != d.ChainPartners()[p].ID {
				t.Fatalf("InvolvementOf(%d, %d) = %d belongs to another partner", p, k, j)
			}
		}
	}
	for m := range d.Municipalities() {
		h, _ := d.HouseholdOf(m, 3)
		if d.Household(h).Municipality != MunicipalityID(m) {
			t.Fatalf("HouseholdOf(%d, 3) is in another municipality", m)
		}
	}
}

func TestLoad(t *testing.T) {
	d, err := New(Config{Seed: 3, Persons: 2000})
	if err != nil {
		t.Fatal(err)
	}
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "kb.db"), boltstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ps, err := broker.NewPseudonymizer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Load(context.Background(), store, ps, d, LoadOptions{Batch: 777})
	if err != nil {
		t.Fatal(err)
	}
	if st.Involvements != d.Involvements() || st.Households != d.Households() || st.Consents == 0 {
		t.Fatalf("stats %+v", st)
	}
	hh := d.Household(5)
	err = store.View(func(tx broker.ReadTx) error {
		h, err := tx.Household(hh.Municipality, hh.ID)
		if err != nil {
			return err
		}
		if len(h.Members) != len(hh.Members) {
			t.Errorf("household %s has %d members, want %d", hh.ID, len(h.Members), len(hh.Members))
		}
		n := 0
		for i := range d.Persons() {
			b, _ := broker.ParseBSN(d.BSN(i))
			vs, err := tx.InvolvementsOf(ps.Pseudonym(b))
			if err != nil {
				return err
			}
			n += len(vs)
		}
		if n != d.Involvements() {
			t.Errorf("%d involvements reachable by subject, want %d", n, d.Involvements())
		}
		want, _ := d.StoredInvolvement(11, ps)
		got, err := tx.Involvement(want.Partner, want.Ref)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("involvement 11:\n got %+v\nwant %+v", got, want)
		}
		_, err = tx.Partner(d.Municipalities()[0].ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Check(); err != nil {
		t.Fatal(err)
	}
}
