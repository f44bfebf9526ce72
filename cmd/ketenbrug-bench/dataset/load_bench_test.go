package dataset

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
)

// BenchmarkLoad writes a whole data set into a fresh bbolt file and reports
// involvements per second and the file's bytes per involvement. Its size
// is KETENBRUG_BENCH_PERSONS (default 100 000; the figure is
// 1 000 000 with 3 000 000 involvements and 300 000 households).
func BenchmarkLoad(b *testing.B) {
	persons := 100_000
	if v, err := strconv.Atoi(os.Getenv("KETENBRUG_BENCH_PERSONS")); err == nil && v > 0 {
		persons = v
	}
	d, err := New(Config{Seed: 1, Persons: persons})
	if err != nil {
		b.Fatal(err)
	}
	ps, _ := broker.NewPseudonymizer(make([]byte, 32))
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "kb.db")
		store, err := boltstore.Open(path, boltstore.Config{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		st, err := Load(context.Background(), store, ps, d, LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		store.Close()
		fi, _ := os.Stat(path)
		b.ReportMetric(float64(st.Involvements)/st.Elapsed.Seconds(), "involvements/s")
		b.ReportMetric(float64(fi.Size())/float64(st.Involvements), "file-bytes/involvement")
		b.StartTimer()
	}
}
