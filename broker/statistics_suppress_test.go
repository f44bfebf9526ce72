package broker

import (
	"slices"
	"testing"
)

// grid builds a cellGrid of months rows plus a total row over cols from
// the month rows' values (the totals are summed, asked is allowed +
// denied when those columns are there), with the equations of a total
// over months beside those within each row. The broker publishes no such
// total (each month stands alone); these tables hold the solver to a
// harder system than the one it meets.
func grid(t *testing.T, cols []string, months [][]int) *cellGrid {
	t.Helper()
	g := newCellGrid(len(months)+1, cols)
	for j := range cols {
		eq := cellEquation{total: g.at(len(months), j)}
		for r := range months {
			eq.parts = append(eq.parts, g.at(r, j))
		}
		g.eqs = append(g.eqs, eq)
	}
	ai, li, di := slices.Index(cols, measureOverviewsAsked), slices.Index(cols, measureOverviewsAllowed), slices.Index(cols, measureOverviewsDenied)
	for r, row := range months {
		if len(row) != len(cols) {
			t.Fatalf("row %d has %d values for %d columns", r, len(row), len(cols))
		}
		if ai >= 0 && row[ai] != row[li]+row[di] {
			t.Fatalf("row %d: asked %d is not allowed + denied", r, row[ai])
		}
		for j, v := range row {
			g.val[g.at(r, j)] = v
			g.val[g.at(len(months), j)] += v
		}
	}
	return g
}

// leaks checks what a reader of the published cells learns: no shown cell
// below t, no equation that tells a hidden cell or a small sum of hidden
// cells on its own, and nothing that all of them together tell.
func leaks(t *testing.T, g *cellGrid, hidden []bool, minCell int) {
	t.Helper()
	for i, v := range g.val {
		if !hidden[i] && v < minCell {
			t.Errorf("cell %d (%d) is shown", i, v)
		}
	}
	for _, e := range g.eqs {
		n, sum := 0, 0
		for _, i := range e.members() {
			if hidden[i] {
				n++
			}
		}
		for _, i := range e.parts {
			if hidden[i] {
				sum += g.val[i]
			}
		}
		if n == 1 {
			t.Errorf("equation %v: one hidden cell, which the others give away", e)
		}
		if n > 0 && !hidden[e.total] && sum < minCell {
			t.Errorf("equation %v: the hidden parts sum to %d, which the shown total gives away", e, sum)
		}
	}
	if x := g.exposed(hidden, minCell); x != nil {
		t.Errorf("cells %v follow from the shown ones", x)
	}
}

// shown returns the value of cell i, or -1 when hidden.
func shown(g *cellGrid, hidden []bool, r, j int) int {
	if hidden[g.at(r, j)] {
		return -1
	}
	return g.val[g.at(r, j)]
}

// A cell of 3 never appears, not as a cell, not as the difference of a
// total and its shown parts, not as the difference of two totals.
func TestSuppressACellOfThree(t *testing.T) {
	cols := []string{measureOverviewsAsked, measureOverviewsAllowed, measureOverviewsDenied,
		deniedKey(ReasonNoRelation), deniedKey(ReasonPurposeMissing), deniedKey(reasonOther)}
	// January: 12 allowed, 3 denied (all for no relation); February: 11
	// allowed, 15 denied (purpose missing); March: 40 allowed.
	g := grid(t, cols, [][]int{
		{15, 12, 3, 3, 0, 0},
		{26, 11, 15, 0, 15, 0},
		{40, 40, 0, 0, 0, 0},
	})
	hidden := g.suppress(10)
	leaks(t, g, hidden, 10)
	// No two shown cells of a row or a column differ by 3 (the denied
	// cell of January, and the total denied for no relation).
	for r := 0; r < g.rows; r++ {
		for a := range cols {
			for b := range cols {
				x, y := shown(g, hidden, r, a), shown(g, hidden, r, b)
				if x >= 0 && y >= 0 && x-y == 3 {
					t.Errorf("row %d: %s − %s = 3", r, cols[a], cols[b])
				}
			}
		}
	}
	for j := range cols {
		for r1 := 0; r1 < g.rows; r1++ {
			for r2 := 0; r2 < g.rows; r2++ {
				x, y := shown(g, hidden, r1, j), shown(g, hidden, r2, j)
				if x >= 0 && y >= 0 && x-y == 3 {
					t.Errorf("%s: row %d − row %d = 3", cols[j], r1, r2)
				}
			}
		}
	}
	// The totals of asked and allowed would differ by exactly the 3
	// denied of January (81 − 63 = 18 = 3 + 15) only with February's
	// denials shown: they are hidden with it.
	if !hidden[g.at(0, 2)] || !hidden[g.at(0, 1)] {
		t.Errorf("January's denied and allowed must both be hidden: %v", hidden[:len(cols)])
	}
	// What can be shown, is: March's and the period's asked. (March's
	// allowed, 40, is hidden: beside the shown asked it would tell that
	// nobody was denied.)
	if hidden[g.at(2, 0)] || hidden[g.at(3, 0)] || !hidden[g.at(2, 1)] {
		t.Errorf("March's and the period's asked should be shown, March's allowed hidden: %v", hidden)
	}
}

// Two hidden parts whose sum the shown total and parts tell (15 = 15 + y
// + z, so y = z = 0) together with a second equation (13 = 10 + x + y)
// would give x = 3 away through non-negativity: the sum rule hides more.
func TestSuppressNoPinThroughZeroSums(t *testing.T) {
	cols := []string{"a", "b", "c"}
	// Columns a, b, c over two months; the total row sums them. Month 1:
	// a=15, b=0, c=0 (but b, c hidden); month 2 holds the 3.
	g := grid(t, cols, [][]int{
		{15, 0, 0},
		{10, 3, 0},
	})
	hidden := g.suppress(10)
	leaks(t, g, hidden, 10)
	if !hidden[g.at(1, 1)] {
		t.Fatal("the 3 is shown")
	}
}

// A single month: the total row equals it, so both hide together and
// nothing else needs to.
func TestSuppressOneMonth(t *testing.T) {
	g := grid(t, []string{"a", "b"}, [][]int{{3, 12}})
	hidden := g.suppress(10)
	if !hidden[0] || hidden[1] || !hidden[2] || hidden[3] {
		t.Fatalf("hidden %v", hidden)
	}
	leaks(t, g, hidden, 10)
}

// Random tables: whatever the counts, no shown cell is small and no
// equation, nor all of them together, gives a hidden cell away.
func TestSuppressRandomTables(t *testing.T) {
	cols := []string{measureOverviewsAsked, measureOverviewsAllowed, measureOverviewsDenied,
		deniedKey(ReasonNoRelation), deniedKey(ReasonPurposeMissing), deniedKey(reasonOther), "signals", "consents"}
	seed := uint32(7)
	next := func(n int) int {
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % n
	}
	for round := range 200 {
		var months [][]int
		for range 1 + next(12) {
			r1, r2, r3 := next(14), next(20), next(4)
			allowed := next(40)
			months = append(months, []int{allowed + r1 + r2 + r3, allowed, r1 + r2 + r3, r1, r2, r3, next(30), next(12)})
		}
		g := grid(t, cols, months)
		hidden := g.suppress(10)
		leaks(t, g, hidden, 10)
		if t.Failed() {
			t.Fatalf("round %d: %v", round, months)
		}
	}
}

// A month as the broker publishes it: its own row and equations. The 3
// denied (all for one reason) shows nowhere, nor as asked − allowed.
func TestSuppressOneMonthAsPublished(t *testing.T) {
	cols := []string{measureOverviewsAsked, measureOverviewsAllowed, measureOverviewsDenied,
		deniedKey(ReasonNoRelation), deniedKey(ReasonPurposeMissing), "signals"}
	for _, row := range [][]int{
		{15, 12, 3, 3, 0, 40},
		{28, 15, 13, 10, 3, 0},
		{40, 40, 0, 0, 0, 12},
	} {
		g := newCellGrid(1, cols)
		copy(g.val, row)
		hidden := g.suppress(10)
		leaks(t, g, hidden, 10)
		for a := range cols {
			for b := range cols {
				if !hidden[a] && !hidden[b] && g.val[a]-g.val[b] == 3 {
					t.Errorf("%v: %s − %s = 3", row, cols[a], cols[b])
				}
			}
		}
		if hidden[0] && row[0] >= 10 && hidden[1] && hidden[2] {
			t.Errorf("%v: more hidden than needed: %v", row, hidden)
		}
	}
}
