package broker

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Small-cell suppression of the figures. A published table gives more
// than its cells: every total is also an equation, and a cell hidden in
// one place can be worked out from the others. So, with threshold t
// (statistics.min_cell, default 10):
//
//  1. Only months that have ended are published, each month on its own,
//     with no total over months. A month that has ended no longer
//     changes, so asking again, or for another period, gives the same
//     cells; and with no sum over months, no two periods' totals can be
//     subtracted to lay one month bare (nor a year-to-date total asked on
//     two days to lay bare what happened in between).
//  2. Primary: every count below t is hidden (0 too: that nothing
//     happened is as telling as that one thing did).
//  3. Equations within a month: overviews asked = allowed + denied,
//     denied = the sum of its reasons (each denial counts under one
//     reason, so that the sum is exact), and match follow-ups due = in
//     time + late.
//  4. Secondary, repeated until nothing changes: in an equation with
//     exactly one hidden cell, the smallest other cell is hidden too; in
//     an equation whose total is shown, the hidden parts together must
//     come to t or more (else their sum, a small count, is told by the
//     difference), or the smallest shown cell is hidden too.
//  5. Check: all equations together are solved for the hidden cells
//     (Gauss–Jordan elimination over the hidden cells, the shown ones
//     moved to the right-hand side). A hidden cell that comes out
//     exactly, or a set of hidden cells that comes out as a sum below t,
//     gets the smallest shown cell of an equation it is in hidden too,
//     and step 4 runs again. (The solver takes any system of sums; the
//     tests hold it to tables with totals over rows too.)
//
// Every hidden cell reads the same ("<10"), whether it is small or was
// hidden to protect one, so that nobody can tell which is which. A median
// is shown only over t or more observations, and only where the count it
// belongs to is shown.

// suppressionMethod describes the method for the answer.
func suppressionMethod(t int) string {
	return fmt.Sprintf("Only months that have ended are counted, each on its own: no total over months is published, so "+
		"that no two periods, nor the same period asked on two days, can be subtracted to lay one month bare. Every count "+
		"below %d is shown as <%d (0 too). Within a month, overviews asked = allowed + denied, denied = the sum of its "+
		"reasons (each denial under its first reason) and follow-ups due = in time + late; wherever a hidden cell, or a sum of hidden cells below %d, could be "+
		"worked out from these, the next smallest cell is hidden too, until none can (checked by solving all of them "+
		"together). A cell hidden to protect another reads <%d as well. Medians are shown only over %d or more "+
		"observations, and only where their count is shown.", t, t, t, t, t)
}

// cellGrid is a table of counts, rows by columns, with its equations.
type cellGrid struct {
	rows int
	cols []string
	val  []int
	eqs  []cellEquation
}

// cellEquation says that the cell total is the sum of the cells parts.
type cellEquation struct {
	total int
	parts []int
}

func (e *cellEquation) members() []int { return append([]int{e.total}, e.parts...) }

func (g *cellGrid) at(r, j int) int { return r*len(g.cols) + j }

// newCellGrid makes a grid of rows over the count columns cols with the
// figures' equations, which hold within each row (a month).
func newCellGrid(rows int, cols []string) *cellGrid {
	g := &cellGrid{rows: rows, cols: cols, val: make([]int, rows*len(cols))}
	col := func(k string) int { return slices.Index(cols, k) }
	asked, allowed, denied := col(measureOverviewsAsked), col(measureOverviewsAllowed), col(measureOverviewsDenied)
	for r := 0; r < rows; r++ {
		if asked >= 0 && allowed >= 0 && denied >= 0 {
			g.eqs = append(g.eqs, cellEquation{total: g.at(r, asked), parts: []int{g.at(r, allowed), g.at(r, denied)}})
		}
		var reasons []int
		for j, k := range cols {
			if strings.HasPrefix(k, measureOverviewsDenied+".") {
				reasons = append(reasons, g.at(r, j))
			}
		}
		if denied >= 0 && len(reasons) > 0 {
			g.eqs = append(g.eqs, cellEquation{total: g.at(r, denied), parts: reasons})
		}
		if due, inTime, late := col(measureFollowupsDue), col(measureFollowupsInTime), col(measureFollowupsLate); due >= 0 && inTime >= 0 && late >= 0 {
			g.eqs = append(g.eqs, cellEquation{total: g.at(r, due), parts: []int{g.at(r, inTime), g.at(r, late)}})
		}
	}
	return g
}

// suppress returns which cells to hide, by the method above.
func (g *cellGrid) suppress(t int) []bool {
	hidden := make([]bool, len(g.val))
	for i, v := range g.val {
		hidden[i] = v < t
	}
	eqsOf := map[int][]int{}
	for k := range g.eqs {
		for _, i := range g.eqs[k].members() {
			eqsOf[i] = append(eqsOf[i], k)
		}
	}
	for range len(g.val) + 1 {
		if k := g.weakEquation(hidden, t); k >= 0 {
			g.hideSmallest(hidden, []int{k})
			continue
		}
		exposed := g.exposed(hidden, t)
		if len(exposed) == 0 {
			return hidden
		}
		var eqs []int
		for _, i := range exposed {
			eqs = append(eqs, eqsOf[i]...)
		}
		if !g.hideSmallest(hidden, eqs) {
			break
		}
	}
	// Nothing left to hide that would help: hide every cell rather than
	// show one that can be worked out.
	for i := range hidden {
		hidden[i] = true
	}
	return hidden
}

// weakEquation returns an equation that gives a hidden cell or a small
// sum of hidden cells away on its own, or -1.
func (g *cellGrid) weakEquation(hidden []bool, t int) int {
	for k := range g.eqs {
		e := &g.eqs[k]
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
		if n == 1 || (n > 0 && !hidden[e.total] && sum < t) {
			return k
		}
	}
	return -1
}

// hideSmallest hides the smallest shown cell of the equations eqs (a part
// before the total on a tie); false when all of their cells are hidden.
func (g *cellGrid) hideSmallest(hidden []bool, eqs []int) bool {
	best := -1
	for _, k := range eqs {
		e := &g.eqs[k]
		for _, i := range append(slices.Clone(e.parts), e.total) {
			if !hidden[i] && (best < 0 || g.val[i] < g.val[best]) {
				best = i
			}
		}
	}
	if best < 0 {
		return false
	}
	hidden[best] = true
	return true
}

// exposed solves all equations for the hidden cells together and returns
// the hidden cells of the first row of the reduced system that fixes one
// cell, or a sum (all coefficients of one sign) below t; none when no
// such row exists.
func (g *cellGrid) exposed(hidden []bool, t int) []int {
	var unknowns []int
	col := map[int]int{}
	for i, h := range hidden {
		if h {
			col[i] = len(unknowns)
			unknowns = append(unknowns, i)
		}
	}
	if len(unknowns) == 0 {
		return nil
	}
	n := len(unknowns)
	// One row per equation: total - sum(parts) = 0, the shown cells moved
	// to the right-hand side (column n).
	m := make([][]float64, 0, len(g.eqs))
	for k := range g.eqs {
		e := &g.eqs[k]
		row := make([]float64, n+1)
		used := false
		add := func(i int, coef float64) {
			if j, ok := col[i]; ok {
				row[j] += coef
				used = true
			} else {
				row[n] -= coef * float64(g.val[i])
			}
		}
		add(e.total, 1)
		for _, i := range e.parts {
			add(i, -1)
		}
		if used {
			m = append(m, row)
		}
	}
	const eps = 1e-9
	// Gauss–Jordan elimination to reduced row echelon form.
	pivotRow := 0
	for c := 0; c < n && pivotRow < len(m); c++ {
		best := pivotRow
		for r := pivotRow; r < len(m); r++ {
			if math.Abs(m[r][c]) > math.Abs(m[best][c]) {
				best = r
			}
		}
		if math.Abs(m[best][c]) < eps {
			continue
		}
		m[pivotRow], m[best] = m[best], m[pivotRow]
		p := m[pivotRow][c]
		for j := range m[pivotRow] {
			m[pivotRow][j] /= p
		}
		for r := range m {
			if r == pivotRow || math.Abs(m[r][c]) < eps {
				continue
			}
			f := m[r][c]
			for j := range m[r] {
				m[r][j] -= f * m[pivotRow][j]
			}
		}
		pivotRow++
	}
	for r := 0; r < pivotRow; r++ {
		var cells []int
		pos, neg, maxCoef := false, false, 0.0
		for j := 0; j < n; j++ {
			c := m[r][j]
			if math.Abs(c) < eps {
				continue
			}
			cells = append(cells, unknowns[j])
			pos, neg = pos || c > 0, neg || c < 0
			maxCoef = math.Max(maxCoef, math.Abs(c))
		}
		if len(cells) == 1 {
			return cells // one hidden cell follows exactly
		}
		rhs := m[r][n]
		if neg && !pos {
			rhs = -rhs
		}
		if pos != neg && rhs < float64(t)*maxCoef-eps {
			return cells // a sum of hidden cells follows, and it is small
		}
	}
	return nil
}
