package audit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// benchSubject spreads subjects over the key space like HMAC pseudonyms.
func benchSubject(n uint64) broker.Pseudonym {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, n))
	return broker.Pseudonym("p:" + base64.RawURLEncoding.EncodeToString(sum[:16]))
}

// BenchmarkRecord measures durable entries per second from concurrent
// writers, each entry about one of 100 000 persons. The figure that matters
// is writers=64: every Record waits for its fsync, so throughput is batch
// size over commit time. writers=64-nowait turns MaxWait off, to show what
// holding a batch open for returning callers buys.
func BenchmarkRecord(b *testing.B) {
	cases := []struct {
		name    string
		writers int
		maxWait time.Duration
	}{
		{"writers=1", 1, 0}, {"writers=16", 16, 0}, {"writers=64", 64, 0},
		{"writers=64-nowait", 64, -1}, {"writers=256", 256, 0},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			store, _ := testStore(b)
			l := testLog(b, Config{Store: store, MaxWait: bc.maxWait})
			record := func(n uint64) bool {
				e := entry(int(n))
				subj := benchSubject(uint64(len(e.RequestID))*1_000_003 + n%100_000)
				e.Subjects, e.Disclosed[0].Subject = []broker.Pseudonym{subj}, subj
				if _, err := l.Record(context.Background(), e, nil); err != nil {
					b.Error(err)
					return false
				}
				return true
			}
			b.ReportAllocs()
			b.ResetTimer()
			if bc.writers == 1 {
				for n := uint64(0); n < uint64(b.N) && record(n); n++ {
				}
			} else {
				// RunParallel runs parallelism × GOMAXPROCS goroutines.
				b.SetParallelism(max(1, bc.writers/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for n := uint64(0); pb.Next() && record(n); n++ {
					}
				})
			}
			b.StopTimer()
			st := l.Stats()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(st.Records)/float64(max(1, st.Commits)), "entries/commit")
		})
	}
}

// BenchmarkVerify measures walking a chain of 10 000 entries.
func BenchmarkVerify(b *testing.B) {
	store, _ := testStore(b)
	l := testLog(b, Config{Store: store})
	const n = 10_000
	err := store.Update(func(tx broker.Tx) error {
		var head chainHead
		for i := range n {
			e := entry(i)
			raw, err := seal(&e, head)
			if err != nil {
				return err
			}
			if err := tx.AppendAudit(e.Seq, e.Hash, raw, subjectsOf(&e)); err != nil {
				return err
			}
			head = chainHead{e.Seq, e.Hash}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := l.loadHead(); err != nil { // the writer is idle; entries were added beside it
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := l.Verify(context.Background())
		if err != nil || !r.OK || r.Entries != n {
			b.Fatalf("Verify = %+v, %v", r, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
}
