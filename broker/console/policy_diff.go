package console

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"path"
	"slices"
	"strings"
)

// bundleFiles returns the Rego and data files of a bundle by path.
func bundleFiles(bundle []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(bundle) == 0 {
		return out, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(bundle))
	if err != nil {
		return out, errBundle
	}
	tr := tar.NewReader(zr)
	total := 0
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, errBundle
		}
		name := strings.TrimPrefix(path.Clean("/"+hd.Name), "/")
		ext := path.Ext(name)
		if hd.Typeflag != tar.TypeReg || (ext != ".rego" && ext != ".json" && ext != ".yaml" && ext != ".yml") ||
			strings.HasPrefix(path.Base(name), ".") {
			continue
		}
		if hd.Size > maxBundleFile || total+int(hd.Size) > maxBundleTotal {
			return out, errBundle
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxBundleFile))
		if err != nil {
			return out, errBundle
		}
		total += len(b)
		out[name] = string(b)
	}
}

// fileDiff is one file of a version beside the active version's.
type fileDiff struct {
	Name string
	// State: "gelijk", "gewijzigd", "nieuw", "vervallen" (or "" without
	// an active version to compare with).
	State   string
	Rows    []diffRow
	Added   int
	Removed int
	TooBig  bool
}

// diffRow is one row of the side-by-side table: the active version's
// line on the left, this version's on the right. Kind: "same", "del",
// "add", "change", or "skip" (Skipped unchanged lines left out).
type diffRow struct {
	Kind       string
	OldN, NewN int
	Old, New   string
	Skipped    int
}

// compareFiles pairs the files of the active version (old) and this one.
func compareFiles(old, cur map[string]string, compare bool) []fileDiff {
	names := map[string]bool{}
	for n := range old {
		names[n] = true
	}
	for n := range cur {
		names[n] = true
	}
	var out []fileDiff
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range names {
			if !yield(k) {
				return
			}
		}
	}) {
		o, inOld := old[n]
		c, inCur := cur[n]
		f := fileDiff{Name: n}
		switch {
		case !compare:
			f.Rows = diffLines(nil, splitLines(c), false)
		case !inOld:
			f.State = "nieuw"
			f.Rows = diffLines(nil, splitLines(c), true)
		case !inCur:
			f.State = "vervallen"
			f.Rows = diffLines(splitLines(o), nil, true)
		case o == c:
			f.State = "gelijk"
		default:
			f.State = "gewijzigd"
			ol, cl := splitLines(o), splitLines(c)
			if len(ol)*len(cl) > 4_000_000 {
				f.TooBig = true
				f.Rows = diffLines(nil, cl, false)
			} else {
				f.Rows = diffLines(ol, cl, true)
			}
		}
		for _, r := range f.Rows {
			switch r.Kind {
			case "add":
				f.Added++
			case "del":
				f.Removed++
			case "change":
				f.Added++
				f.Removed++
			}
		}
		if !compare {
			f.Added = 0
		}
		out = append(out, f)
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// diffLines is the side-by-side line diff of a and b (a longest common
// subsequence); with trim, long runs of unchanged lines are folded to
// diffContext lines around each change. Without compare (a is nil and
// there is nothing to compare with) every line of b is "same".
func diffLines(a, b []string, trim bool) []diffRow {
	n, m := len(a), len(b)
	// lcs[i][j]: the length of the LCS of a[i:] and b[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var rows []diffRow
	var dels, adds []diffRow
	flush := func() {
		// Pair removed and added lines side by side as changes.
		k := 0
		for ; k < len(dels) && k < len(adds); k++ {
			rows = append(rows, diffRow{Kind: "change", OldN: dels[k].OldN, Old: dels[k].Old, NewN: adds[k].NewN, New: adds[k].New})
		}
		rows = append(rows, dels[k:]...)
		if k < len(adds) {
			rows = append(rows, adds[k:]...)
		}
		dels, adds = dels[:0], adds[:0]
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			flush()
			rows = append(rows, diffRow{Kind: "same", OldN: i + 1, Old: a[i], NewN: j + 1, New: b[j]})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			if a == nil && !trim {
				rows = append(rows, diffRow{Kind: "same", NewN: j + 1, New: b[j]})
			} else {
				adds = append(adds, diffRow{Kind: "add", NewN: j + 1, New: b[j]})
			}
			j++
		default:
			dels = append(dels, diffRow{Kind: "del", OldN: i + 1, Old: a[i]})
			i++
		}
	}
	flush()
	if !trim {
		return rows
	}
	// Fold unchanged lines further than diffContext from any change.
	near := make([]bool, len(rows))
	for k, r := range rows {
		if r.Kind != "same" {
			for d := max(0, k-diffContext); d <= min(len(rows)-1, k+diffContext); d++ {
				near[d] = true
			}
		}
	}
	var out []diffRow
	for k := 0; k < len(rows); k++ {
		if near[k] {
			out = append(out, rows[k])
			continue
		}
		e := k
		for e < len(rows) && !near[e] {
			e++
		}
		out = append(out, diffRow{Kind: "skip", Skipped: e - k})
		k = e - 1
	}
	return out
}
