package dataset

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// LoadOptions tune Load.
type LoadOptions struct {
	// Batch is the number of objects written per transaction (default
	// 100 000). Larger batches mean fewer commits and more memory for
	// the transaction's dirty pages.
	Batch int
	// Progress, when set, is called after each committed batch.
	Progress func(Stats)
}

// Stats count what Load wrote.
type Stats struct {
	Partners     int
	Households   int
	Members      int
	Involvements int
	Consents     int
	Elapsed      time.Duration
}

// Load writes d into store: its partners (keys included), households,
// involvements and consents, with subjects as pseudonyms made by p. It
// writes through broker.Store.Update in large transactions, without the
// broker's services: no policy question and no audit entry, since the data
// is synthetic. The broker must be created (or its partner registry
// reloaded) after Load, so that it sees the partners.
//
// Writes come in key order where the layout allows it (a partner's
// involvements by reference, households by id), so bbolt appends instead
// of splitting pages at random.
func Load(ctx context.Context, store broker.Store, p *broker.Pseudonymizer, d *Dataset, opt LoadOptions) (Stats, error) {
	if opt.Batch <= 0 {
		opt.Batch = 100_000
	}
	start := time.Now()
	var st Stats
	w := &batcher{ctx: ctx, store: store, size: opt.Batch, done: func() {
		if opt.Progress != nil {
			st.Elapsed = time.Since(start)
			opt.Progress(st)
		}
	}}
	at := d.cfg.Today.Add(-24 * time.Hour)

	for _, ps := range [][]Partner{d.municipalities, d.partners} {
		for i := range ps {
			part := ps[i].Partner
			if err := w.add(func(tx broker.Tx) error { return tx.PutPartner(part) }); err != nil {
				return st, err
			}
			st.Partners++
		}
	}

	pseudonym := func(bsn string) (broker.Pseudonym, error) {
		b, err := broker.ParseBSN(bsn)
		if err != nil {
			return "", fmt.Errorf("dataset: generated an invalid BSN: %w", err)
		}
		return p.Pseudonym(b), nil
	}

	// Households in id order.
	if err := w.phase(); err != nil {
		return st, err
	}
	for _, h := range inKeyOrder(d.cfg.Households) {
		spec := d.Household(h)
		hh := broker.Household{ID: spec.ID, Municipality: spec.Municipality, Area: spec.Area, Coordinator: spec.Coordinator,
			CreatedAt: at, UpdatedAt: at, Revision: 1, Members: make([]broker.Member, len(spec.Members))}
		for k, m := range spec.Members {
			s, err := pseudonym(m.BSN)
			if err != nil {
				return st, err
			}
			hh.Members[k] = broker.Member{Label: m.Label, Subject: s, Role: m.Role, BirthYear: m.BirthYear, Shielded: m.Shielded}
		}
		if err := w.add(func(tx broker.Tx) error { return tx.PutHousehold(hh) }); err != nil {
			return st, err
		}
		st.Households++
		st.Members += len(hh.Members)
	}

	// Involvements partner by partner (in id order), each partner's in
	// reference order.
	if err := w.phase(); err != nil {
		return st, err
	}
	order := make([]int, len(d.partners))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(d.partners[a].ID, d.partners[b].ID) })
	for _, pi := range order {
		_, count := d.InvolvementOf(pi, 0)
		for k := range count {
			j, _ := d.InvolvementOf(pi, k)
			v, err := d.involvement(j, at, pseudonym)
			if err != nil {
				return st, err
			}
			if err := w.add(func(tx broker.Tx) error { return tx.PutInvolvement(v) }); err != nil {
				return st, err
			}
			st.Involvements++
		}
	}

	// Consents in id order ("c-<person>-<n>").
	if err := w.phase(); err != nil {
		return st, err
	}
	for _, i := range inKeyOrder(d.cfg.Persons) {
		cs := d.Consents(i)
		if len(cs) == 0 {
			continue
		}
		s, err := pseudonym(d.BSN(i))
		if err != nil {
			return st, err
		}
		for _, c := range cs {
			c.Subject = s
			if err := w.add(func(tx broker.Tx) error { return tx.PutConsent(c) }); err != nil {
				return st, err
			}
			st.Consents++
		}
	}
	if err := w.flush(); err != nil {
		return st, err
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// StoredInvolvement returns involvement j as Load stores it, with subject
// pseudonym made by p.
func (d *Dataset) StoredInvolvement(j int, p *broker.Pseudonymizer) (broker.Involvement, error) {
	return d.involvement(j, d.cfg.Today.Add(-24*time.Hour), func(bsn string) (broker.Pseudonym, error) {
		b, err := broker.ParseBSN(bsn)
		if err != nil {
			return "", err
		}
		return p.Pseudonym(b), nil
	})
}

func (d *Dataset) involvement(j int, at time.Time, pseudonym func(string) (broker.Pseudonym, error)) (broker.Involvement, error) {
	spec := d.Involvement(j)
	s, err := pseudonym(spec.Input.BSN)
	if err != nil {
		return broker.Involvement{}, err
	}
	in := spec.Input
	return broker.Involvement{ID: "i-" + strconv.Itoa(j), Partner: spec.Partner, Ref: spec.Ref, Subject: s,
		Service: in.Service, ServiceLabel: in.ServiceLabel, Status: in.Status, Start: in.Start, End: in.End,
		Contact: in.Contact, CreatedAt: at, UpdatedAt: at, Revision: 1}, nil
}

// inKeyOrder returns 0..n-1 ordered as their decimal strings sort, the
// order of keys like "hh-<n+1>" and "c-<n>-1".
func inKeyOrder(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	slices.SortFunc(out, func(a, b int) int { return cmp.Compare(strconv.Itoa(a+1), strconv.Itoa(b+1)) })
	return out
}

// batcher groups writes into transactions.
//
// bbolt splits a node only when a transaction commits, so inserts at
// random positions into a bucket that has few pages yet (every index
// keyed by pseudonym, at the start of a phase) make one leaf of the whole
// transaction's keys and cost O(n²) to keep it sorted. Transactions
// therefore start small and double up to size: by the time they are
// large, the index has enough leaves to spread them.
type batcher struct {
	ctx     context.Context
	store   broker.Store
	size    int
	cur     int
	pending []func(broker.Tx) error
	done    func()
}

// firstBatch is the size of the first transaction of a phase.
const firstBatch = 1000

// phase flushes and starts a new bucket's writes with small transactions.
func (b *batcher) phase() error {
	err := b.flush()
	b.cur = min(firstBatch, b.size)
	return err
}

func (b *batcher) add(fn func(broker.Tx) error) error {
	b.pending = append(b.pending, fn)
	if b.cur == 0 {
		b.cur = min(firstBatch, b.size)
	}
	if len(b.pending) >= b.cur {
		b.cur = min(2*b.cur, b.size)
		return b.flush()
	}
	return nil
}

func (b *batcher) flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	if err := b.ctx.Err(); err != nil {
		return err
	}
	err := b.store.Update(func(tx broker.Tx) error {
		for _, fn := range b.pending {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return errors.Join(errors.New("dataset: load"), err)
	}
	clear(b.pending)
	b.pending = b.pending[:0]
	b.done()
	return nil
}
