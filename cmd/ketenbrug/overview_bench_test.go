package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
	"github.com/ketenbrug/ketenbrug/broker/boltstore"
	"github.com/ketenbrug/ketenbrug/broker/httpapi"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
)

// The benchmarks of the broker's hot paths end to end, in process, on a
// seeded data set: KETENBRUG_BENCH_PERSONS persons (default 100 000; the
// issue's figure is 1 000 000 with 3 000 000 involvements and 300 000
// households), loaded once per test binary.
//
//	go test ./cmd/ketenbrug -run XXX -bench 'Overview|Sync' -benchmem
//	KETENBRUG_BENCH_PERSONS=1000000 go test ./cmd/ketenbrug -run XXX -bench Overview -benchtime 20000x

// benchWorld is a broker on a seeded data directory.
type benchWorld struct {
	sys        *System
	ds         *dataset.Dataset
	pseudonyms *broker.Pseudonymizer
	dir        string
	// probe is a household of 4 members with 6 involvements in a
	// municipality at level 2 or more.
	probe string
	// probeMunicipality is the probe household's municipality.
	probeMunicipality string
	caller            *broker.Caller
	err               error
}

func benchPersons() int {
	if v, err := strconv.Atoi(os.Getenv("KETENBRUG_BENCH_PERSONS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// loadWorld seeds a data directory and starts a broker on it, for one
// top-level benchmark (it is removed when the benchmark ends).
func loadWorld(b *testing.B) *benchWorld {
	b.Helper()
	world := &benchWorld{}
	b.Cleanup(func() {
		if world.sys != nil {
			world.sys.Close()
		}
		if world.dir != "" {
			os.RemoveAll(filepath.Clean(world.dir))
		}
	})
	{
		world.err = func() error {
			dir, err := os.MkdirTemp("", "ketenbrug-benchworld-*")
			if err != nil {
				return err
			}
			world.dir = dir
			if world.ds, err = dataset.New(dataset.Config{Seed: 1, Persons: benchPersons()}); err != nil {
				return err
			}
			d, _, err := prepareDataDir(dir)
			if err != nil {
				return err
			}
			if world.pseudonyms, err = broker.NewPseudonymizer(d.secret); err != nil {
				return err
			}
			store, err := boltstore.Open(d.file(storeFile), boltstore.Config{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return err
			}
			st, err := dataset.Load(context.Background(), store, world.pseudonyms, world.ds, dataset.LoadOptions{})
			store.Close()
			if err != nil {
				return err
			}
			fi, _ := os.Stat(d.file(storeFile))
			fmt.Fprintf(os.Stderr, "bench world: %d persons, %d households, %d involvements, %d consents loaded in %s; store %d bytes (%.0f per involvement)\n",
				world.ds.Persons(), st.Households, st.Involvements, st.Consents, st.Elapsed.Round(time.Millisecond),
				fi.Size(), float64(fi.Size())/float64(st.Involvements))
			start := time.Now()
			if world.sys, err = CreateSystem(context.Background(), SystemConfig{DataDir: dir, ID: "ketenbrug-bench",
				FourEyes: true, PolicyTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "bench world: broker started in %s\n", time.Since(start).Round(time.Millisecond))
			return world.findProbe()
		}()
	}
	if world.err != nil {
		b.Fatal(world.err)
	}
	return world
}

// findProbe picks the household the issue names: 4 members, 6
// involvements, at a municipality of level 2 or more.
func (w *benchWorld) findProbe() error {
	return w.sys.Store.View(func(tx broker.ReadTx) error {
		for h := range w.ds.Households() {
			hh := w.ds.Household(h)
			if len(hh.Members) != 4 {
				continue
			}
			m, _ := w.ds.Partner(hh.Municipality)
			if m.Level < 2 {
				continue
			}
			n := 0
			for _, mem := range hh.Members {
				bsn, _ := broker.ParseBSN(mem.BSN)
				vs, err := tx.InvolvementsOf(w.pseudonyms.Pseudonym(bsn))
				if err != nil {
					return err
				}
				n += len(vs)
			}
			if n != 6 {
				continue
			}
			p, err := w.sys.Service.LookupPartner(hh.Municipality)
			if err != nil {
				return err
			}
			w.probe, w.probeMunicipality = hh.ID, hh.Municipality
			w.caller = &broker.Caller{Partner: *p, Sub: "regisseur-bench", Role: broker.RoleCoordinator,
				Purpose: dataset.Purpose, RequestID: "r-bench"}
			return nil
		}
		return fmt.Errorf("no household of 4 with 6 involvements among %d", w.ds.Households())
	})
}

// discardAudit is an audit log that writes nothing: it isolates the
// decision and the store reads from the durable audit write.
type discardAudit struct{}

func (discardAudit) Record(_ context.Context, e broker.AuditEntry, _ func(broker.Tx) error) (broker.AuditEntry, error) {
	return e, nil
}

// reportLatency reports percentiles of per-operation latencies.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}

// BenchmarkOverview answers the household overview of the probe household
// (4 members, 6 involvements) through broker.Service: the policy decision,
// the store reads and, for audited, the durable audit entry and decision
// record (group commit, one fsync per batch).
//
//   - audited-64: 64 concurrent callers, as in the issue; overviews/s and
//     the latency percentiles are the figures to compare.
//   - decision-and-store: one caller, with an audit log that writes
//     nothing: the work of an overview without waiting for the fsync.
func BenchmarkOverview(b *testing.B) {
	w := loadWorld(b)
	ctx := context.Background()
	if _, err := w.sys.Service.HouseholdOverview(ctx, w.caller, w.probe); err != nil {
		b.Fatal(err)
	}
	b.Run("audited-64", func(b *testing.B) {
		var mu sync.Mutex
		var all []time.Duration
		var failed atomic.Int64
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var lat []time.Duration
			for pb.Next() {
				t0 := time.Now()
				if _, err := w.sys.Service.HouseholdOverview(ctx, w.caller, w.probe); err != nil {
					failed.Add(1)
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
		b.StopTimer()
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d overviews failed", n)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "overviews/s")
		reportLatency(b, all)
	})
	b.Run("decision-and-store", func(b *testing.B) {
		svc := discardService(b, w)
		lat := make([]time.Duration, 0, 1024)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			t0 := time.Now()
			if _, err := svc.HouseholdOverview(ctx, w.caller, w.probe); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat)
	})
}

// discardService is the world's broker with an audit log that writes
// nothing.
func discardService(b *testing.B, w *benchWorld) *broker.Service {
	b.Helper()
	svc, err := broker.New(context.Background(), broker.Config{ID: "ketenbrug-bench", Store: w.sys.Store, Audit: discardAudit{},
		AuditReader: w.sys.Audit, Policy: w.sys.Policy, Pseudonyms: w.pseudonyms, CheckJWKS: httpapi.CheckJWKS,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

// BenchmarkHouseholdReads is the store work of one overview of the probe
// household in one read transaction: the household, and each member's
// consents and involvements.
func BenchmarkHouseholdReads(b *testing.B) {
	w := loadWorld(b)
	var subjects []broker.Pseudonym
	_ = w.sys.Store.View(func(tx broker.ReadTx) error {
		h, err := tx.Household(w.probeMunicipality, w.probe)
		for _, m := range h.Members {
			subjects = append(subjects, m.Subject)
		}
		return err
	})
	b.ReportAllocs()
	for b.Loop() {
		err := w.sys.Store.View(func(tx broker.ReadTx) error {
			if _, err := tx.Household(w.probeMunicipality, w.probe); err != nil {
				return err
			}
			for _, s := range subjects {
				if _, err := tx.ConsentsOf(s); err != nil {
					return err
				}
				if _, err := tx.InvolvementsOf(s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyncImport runs a partner's full-caseload sync through
// broker.Service into the world's bbolt file, audited: every iteration
// sends a caseload of new references (10 000 singles, 1 000 household
// members) of a partner whose caseload is empty, so every line is added.
// The partners' caseloads of the data set are ended first, before the
// clock runs; each iteration takes the next partner, so that no iteration
// times the end of the previous one's lines (ending, with its
// rectification notices, is a cost of its own).
//
//   - singles: the persons live alone (no household), as most of a
//     partner's caseload: no match signals.
//   - household-members: every person is a household member, so each new
//     involvement may be signalled to each other partner of the household
//     (and its coordinator), under integrated support.
func BenchmarkSyncImport(b *testing.B) {
	w := loadWorld(b)
	ctx := context.Background()
	inHouseholds := 0
	for h := w.ds.Households() - 1; h >= 0 && inHouseholds == 0; h-- {
		hh := w.ds.Household(h)
		inHouseholds = hh.Members[len(hh.Members)-1].Person + 1
	}
	var callers []*broker.Caller
	for _, dp := range w.ds.ChainPartners() {
		p, err := w.sys.Service.LookupPartner(dp.ID)
		if err != nil {
			b.Fatal(err)
		}
		c := &broker.Caller{Partner: *p, Sub: "connector", Role: broker.RoleConnector, RequestID: "r-sync",
			Purpose: "integrale-ondersteuning"}
		_, err = w.sys.Service.Sync(ctx, c, func(func(broker.SyncItem) bool) {}, broker.SyncOptions{AllowMassEnd: true})
		var denied *broker.DeniedError
		switch {
		case errors.As(err, &denied):
			continue // a partner the data set left without a covenant, say
		case err != nil:
			b.Fatal(err)
		}
		callers = append(callers, c)
	}
	used := 0 // callers[used:] have an empty caseload
	for _, kind := range []string{"singles", "household-members"} {
		b.Run(kind, func(b *testing.B) {
			lines := 10_000
			if kind == "household-members" {
				lines = 1_000
			}
			round, added, ended := 0, 0, 0
			for b.Loop() {
				round++
				items := iter.Seq[broker.SyncItem](func(yield func(broker.SyncItem) bool) {
					for n := range lines {
						v := w.ds.Involvement((round*lines + n) % w.ds.Involvements())
						person := int(dataset.Uint64(uint64(round), uint64(n)) % uint64(inHouseholds))
						if kind == "singles" {
							person = inHouseholds + int(dataset.Uint64(uint64(round), uint64(n))%uint64(max(1, w.ds.Persons()-inHouseholds)))
						}
						v.Input.BSN = w.ds.BSN(person)
						if !yield(broker.SyncItem{Line: n + 1, Ref: "s" + strconv.Itoa(round) + "-" + strconv.Itoa(n), Input: v.Input}) {
							return
						}
					}
				})
				// Past the last partner, a partner's caseload of an earlier
				// iteration ends too (-benchtime Nx keeps N small).
				c := callers[used%len(callers)]
				used++
				res, err := w.sys.Service.Sync(ctx, c, items, broker.SyncOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if res.Rejected > 0 {
					b.Fatalf("%d lines rejected: %+v", res.Rejected, res.Problems[0])
				}
				added += res.Added
				ended += res.Ended
			}
			b.ReportMetric(float64(added)/b.Elapsed().Seconds(), "added/s")
			b.ReportMetric(float64(added+ended)/b.Elapsed().Seconds(), "written/s")
		})
	}
}
