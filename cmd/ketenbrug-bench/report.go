package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/dataset"
	"github.com/ketenbrug/ketenbrug/cmd/ketenbrug-bench/load"
)

// result holds every figure of a run.
type result struct {
	Machine struct {
		CPU        string `json:"cpu"`
		Cores      int    `json:"cores"`
		GoVersion  string `json:"go"`
		GOMAXPROCS int    `json:"gomaxprocs"`
	} `json:"machine"`
	Mode         string
	Persons      int
	Households   int
	Involvements int
	Consents     int
	SeedSeconds  float64
	SeedRate     float64
	StartupSecs  float64
	StoreBytes   int64
	Clients      int
	Elapsed      time.Duration
	Ops          [load.NumOps]*load.OpStats
	BadSigs      int64

	CPUSeconds       float64 // the broker's and, when it is local, the load clients'
	BrokerCPUSeconds float64
	ClientCPUSeconds float64
	CPUNote          string
	RSSMiB           float64 // the broker's peak while loaded
	RSSStartMiB      float64
	RSSEndMiB        float64
	RSSFileMiB       float64
	RSSAnonMiB       float64
	HeapMiB          float64

	CryptoRPS       float64
	OPARPS          float64
	OPAP50, OPAP99  float64
	OPAErrors       int64
	OPAKind         string
	OPAAgree        string
	OPANote         string
	EngineRPS       float64
	EngineP50       float64
	EngineP99       float64
	EngineCPUPerDec float64
	PeerInputs      int

	// OpenLoop holds the open-loop runs after the closed loop.
	OpenLoop []openLoopPoint

	// SyncSingle and SyncSignal are the full-caseload syncs over HTTP
	// (sync.go): persons who live alone, household members with match
	// signals. nil when not measured.
	SyncSingle, SyncSignal *syncFigures
	// SyncError says why a sync broke off: the run goes on to the
	// comparisons and reports what it measured before.
	SyncError string
}

// openLoopPoint is one open-loop run: the arrival rate asked, the rate
// achieved, and the overview's latencies from each request's intended
// send time.
type openLoopPoint struct {
	Percent  int
	Rate     float64
	Achieved float64
	Elapsed  time.Duration
	Overview *load.OpStats
	Errors   int64
}

func newResult(ds *dataset.Dataset, clients int) *result {
	res := &result{Clients: clients, Persons: ds.Persons(), Households: ds.Households(), Involvements: ds.Involvements()}
	res.Machine.CPU, res.Machine.Cores = cpuModel(), runtime.NumCPU()
	res.Machine.GoVersion, res.Machine.GOMAXPROCS = runtime.Version(), runtime.GOMAXPROCS(0)
	return res
}

// summary is the JSON line: the figures the issue names, and the rest.
func (r *result) summary() map[string]any {
	ov := r.Ops[load.Overview]
	errs := int64(0)
	byStatus := map[string]map[string]int64{}
	ops := map[string]any{}
	for _, o := range r.Ops {
		errs += o.Errors
		byStatus[o.Name] = o.ByStatus
		ops[o.Name] = map[string]any{"requests": o.Count, "rps": round(o.RPS, 1), "p50_ms": round(o.P50, 3),
			"p95_ms": round(o.P95, 3), "p99_ms": round(o.P99, 3), "max_ms": round(o.Max, 3), "errors": o.Errors,
			"status": o.ByStatus}
	}
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return round(a/b, 3)
	}
	return map[string]any{
		"overview_rps": round(ov.RPS, 1), "overview_p50_ms": round(ov.P50, 3), "overview_p95_ms": round(ov.P95, 3),
		"overview_p99_ms": round(ov.P99, 3), "overview_max_ms": round(ov.Max, 3),
		"errors": errs + r.BadSigs, "errors_by_status": byStatus, "bad_signatures": r.BadSigs,
		"crypto_ceiling_rps": round(r.CryptoRPS, 1), "ceiling_ratio": ratio(ov.RPS, r.CryptoRPS),
		"opa_rest_rps": round(r.OPARPS, 1), "opa_rest_p50_ms": round(r.OPAP50, 3), "opa_rest_p99_ms": round(r.OPAP99, 3),
		"opa_rest_errors": r.OPAErrors, "opa_peer": r.OPAKind, "opa_agreement": r.OPAAgree, "opa_note": r.OPANote,
		"peer_ratio":   ratio(ov.RPS, r.OPARPS),
		"embedded_rps": round(r.EngineRPS, 1), "embedded_p50_ms": round(r.EngineP50, 3), "embedded_p99_ms": round(r.EngineP99, 3),
		"embedded_cpu_us_per_decision": round(r.EngineCPUPerDec, 1), "peer_inputs": r.PeerInputs,
		"cpu_s": round(r.CPUSeconds, 2), "cpu_note": r.CPUNote, "broker_cpu_s": round(r.BrokerCPUSeconds, 2), "rss_mib": round(r.RSSMiB, 1), "heap_mib": round(r.HeapMiB, 1),
		"rss_before_load_mib": round(r.RSSStartMiB, 1), "rss_end_mib": round(r.RSSEndMiB, 1),
		"rss_file_mib": round(r.RSSFileMiB, 1), "rss_anon_mib": round(r.RSSAnonMiB, 1),
		"startup_s": round(r.StartupSecs, 3), "seed_s": round(r.SeedSeconds, 2),
		"seed_involvements_per_s": round(r.SeedRate, 0), "store_bytes": r.StoreBytes,
		"store_bytes_per_involvement": ratio(float64(r.StoreBytes), float64(r.Involvements)),
		"persons":                     r.Persons, "households": r.Households, "involvements": r.Involvements, "consents": r.Consents,
		"clients": r.Clients, "duration_s": round(r.Elapsed.Seconds(), 2), "mode": r.Mode, "ops": ops,
		"machine": r.Machine, "open_loop": r.openLoopSummary(),
		"sync_single_lines_per_s": round(r.SyncSingle.rate(), 0), "sync_signal_lines_per_s": round(r.SyncSignal.rate(), 0),
		"sync_signals": r.SyncSignal.signalCount(), "sync_error": r.SyncError,
	}
}

// openLoopSummary is the JSON of the open-loop runs: per run the asked
// rate, what was achieved, and the overview's p50 and p99 in ms.
func (r *result) openLoopSummary() []map[string]any {
	out := []map[string]any{}
	for _, p := range r.OpenLoop {
		out = append(out, map[string]any{"percent_of_max": p.Percent, "rate": round(p.Rate, 1), "achieved_rps": round(p.Achieved, 1),
			"p50_ms": round(p.Overview.P50, 3), "p99_ms": round(p.Overview.P99, 3), "max_ms": round(p.Overview.Max, 3),
			"overview_requests": p.Overview.Count, "errors": p.Errors})
	}
	return out
}

func round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

func (r *result) printTable(w io.Writer) {
	fmt.Fprintf(w, "\nKetenbrug load tool — %s, %d persons, %d households, %d involvements; %d clients for %.1fs\n",
		r.Mode, r.Persons, r.Households, r.Involvements, r.Clients, r.Elapsed.Seconds())
	fmt.Fprintf(w, "machine: %s, %d cores, %s\n\n", r.Machine.CPU, r.Machine.Cores, r.Machine.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors\tstatuses\t")
	for _, o := range r.Ops {
		var st []string
		for k, v := range o.ByStatus {
			st = append(st, fmt.Sprintf("%s:%d", k, v))
		}
		sort.Strings(st)
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%s\t\n", o.Name, o.Count, o.RPS, o.P50, o.P95, o.P99, o.Max,
			o.Errors, strings.Join(st, " "))
	}
	tw.Flush()
	ov := r.Ops[load.Overview].RPS
	fmt.Fprintf(w, "\nCPU: %.1f s over the run, %.1f s of it the broker's (%s)\n", r.CPUSeconds, r.BrokerCPUSeconds, r.CPUNote)
	fmt.Fprintf(w, "memory: peak RSS while loaded %.0f MiB (%.0f MiB before the load; at the end %.0f MiB: %.0f MiB anonymous, %.0f MiB file-backed: the binary and the mmapped store, page cache); Go heap in use %.0f MiB; start-up %.2fs\n",
		r.RSSMiB, r.RSSStartMiB, r.RSSEndMiB, r.RSSAnonMiB, r.RSSFileMiB, r.HeapMiB, r.StartupSecs)
	if r.SeedSeconds > 0 {
		fmt.Fprintf(w, "seeding: %.1fs (%.0f involvements/s), store %.1f MiB = %.0f bytes per involvement\n",
			r.SeedSeconds, r.SeedRate, float64(r.StoreBytes)/(1<<20), float64(r.StoreBytes)/float64(max(1, r.Involvements)))
	}
	if r.BadSigs > 0 {
		fmt.Fprintf(w, "RESPONSE SIGNATURES THAT DID NOT VERIFY: %d\n", r.BadSigs)
	}
	fmt.Fprintf(w, "crypto-only ceiling: %.0f req/s (client sign + broker verify + response sign, all cores); overview ÷ ceiling = %.3f\n",
		r.CryptoRPS, ov/max(r.CryptoRPS, 1e-9))
	if r.OPARPS > 0 {
		fmt.Fprintf(w, "OPA REST (%s), same bundle and %d recorded inputs: %.0f decisions/s, p50 %.2f ms, p99 %.2f ms, %d errors; agreement %s; overview ÷ OPA = %.3f\n",
			r.OPAKind, r.PeerInputs, r.OPARPS, r.OPAP50, r.OPAP99, r.OPAErrors, r.OPAAgree, ov/r.OPARPS)
	}
	if r.OPANote != "" {
		fmt.Fprintf(w, "OPA: %s\n", r.OPANote)
	}
	for _, p := range r.OpenLoop {
		fmt.Fprintf(w, "open loop at %d%% of the maximum (%.0f req/s asked, %.0f achieved): overview p50 %.2f ms, p99 %.2f ms, max %.2f ms (from the intended send time); %d errors\n",
			p.Percent, p.Rate, p.Achieved, p.Overview.P50, p.Overview.P99, p.Overview.Max, p.Errors)
	}
	for _, f := range []*syncFigures{r.SyncSingle, r.SyncSignal} {
		if f != nil {
			fmt.Fprintf(w, "full-caseload sync over HTTP, %s: %d lines, %d added, %d match signals in %.2fs = %.0f lines added/s\n",
				f.kind, f.lines, f.added, f.signals, f.elapsed.Seconds(), f.rate())
		}
	}
	if r.SyncError != "" {
		fmt.Fprintf(w, "full-caseload sync broke off: %s\n", r.SyncError)
	}
	if r.EngineRPS > 0 {
		fmt.Fprintf(w, "embedded engine, same inputs in process: %.0f decisions/s, p50 %.3f ms, p99 %.3f ms, %.0f µs CPU per decision\n",
			r.EngineRPS, r.EngineP50, r.EngineP99, r.EngineCPUPerDec)
	}
}
