package boltstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/ketenbrug/ketenbrug/broker"
)

func BenchmarkPartnerGet(b *testing.B) {
	s := openTest(b, Config{})
	const n = 500
	mustUpdate(b, s, func(tx broker.Tx) error {
		for i := range n {
			if err := tx.PutPartner(partner(fmt.Sprintf("partner-%03d", i))); err != nil {
				return err
			}
		}
		return nil
	})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			id := fmt.Sprintf("partner-%03d", i%n)
			i++
			if err := s.View(func(tx broker.ReadTx) error {
				_, err := tx.Partner(id)
				return err
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkConsentsOf(b *testing.B) {
	s := openTest(b, Config{})
	// 10 000 subjects with 3 consents each.
	const subjects, each = 10_000, 3
	subject := func(i int) broker.Pseudonym { return broker.Pseudonym(fmt.Sprintf("p:%022d", i)) }
	mustUpdate(b, s, func(tx broker.Tx) error {
		for i := range subjects {
			for j := range each {
				if err := tx.PutConsent(consent(fmt.Sprintf("c-%06d-%d", i, j), subject(i))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			subj := subject(i * 7919 % subjects)
			i++
			var n int
			if err := s.View(func(tx broker.ReadTx) error {
				cs, err := tx.ConsentsOf(subj)
				n = len(cs)
				return err
			}); err != nil || n != each {
				b.Errorf("ConsentsOf = %d, %v", n, err)
				return
			}
		}
	})
}

// BenchmarkAppendAudit measures durable appends from concurrent writers:
// one record per transaction (an fsync each) and 64 per transaction, the
// group commit package audit does.
func BenchmarkAppendAudit(b *testing.B) {
	for _, perTx := range []int{1, 64} {
		b.Run(fmt.Sprintf("perTx=%d", perTx), func(b *testing.B) {
			s := openTest(b, Config{})
			raw := bytes.Repeat([]byte{'x'}, 450)
			var mu sync.Mutex // stands in for the audit log's single writer
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				subj := []broker.Pseudonym{"p:0000000000000000000000"}
				for {
					n := 0
					for n < perTx && pb.Next() {
						n++
					}
					if n == 0 {
						return
					}
					mu.Lock()
					err := s.Update(func(tx broker.Tx) error {
						head, _, _ := tx.AuditHead()
						for i := range n {
							seq := head + uint64(i) + 1
							subj[0] = pseudonym(seq % 100_000)
							if err := tx.AppendAudit(seq, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", raw, subj); err != nil {
								return err
							}
						}
						return nil
					})
					mu.Unlock()
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// pseudonym spreads n over the key space the way HMAC pseudonyms are.
func pseudonym(n uint64) broker.Pseudonym {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, n))
	return broker.Pseudonym("p:" + base64.RawURLEncoding.EncodeToString(sum[:16]))
}
