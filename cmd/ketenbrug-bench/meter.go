package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// A meter measures the broker's CPU and memory around the load.
type meter interface {
	// begin resets the peak RSS and notes the CPU used so far.
	begin(ctx context.Context, res *result, say func(string, ...any))
	// profile starts a CPU profile of the run into file ("": none).
	profile(ctx context.Context, file string, d time.Duration) (stop func() error, err error)
	// end fills the broker's figures of the run.
	end(ctx context.Context, res *result)
}

// procMeter measures a broker process on this machine: its /proc files
// and its /metrics.
type procMeter struct {
	pid     int
	metrics string // the broker's base URL
	cpu0    float64
}

func (m *procMeter) begin(ctx context.Context, res *result, say func(string, ...any)) {
	// Writing 5 to clear_refs resets VmHWM to the current RSS, so that the
	// peak covers serving and not start-up.
	if err := os.WriteFile(procFile(m.pid, "clear_refs"), []byte("5"), 0); err != nil {
		say("cannot reset the broker's peak RSS (%v): it includes start-up", err)
	}
	res.RSSStartMiB = float64(procStatusKB(m.pid, "VmRSS")) / 1024
	m.cpu0 = scrapeMetrics(ctx, m.metrics)[metricCPU]
}

func (m *procMeter) end(ctx context.Context, res *result) {
	v := scrapeMetrics(ctx, m.metrics)
	res.BrokerCPUSeconds = v[metricCPU] - m.cpu0
	res.CPUSeconds = res.BrokerCPUSeconds + res.ClientCPUSeconds
	res.CPUNote = "the broker's process and the load clients' (signing, HTTP client), on the same cores"
	res.RSSMiB = float64(procStatusKB(m.pid, "VmHWM")) / 1024
	res.RSSEndMiB = float64(procStatusKB(m.pid, "VmRSS")) / 1024
	res.RSSFileMiB = float64(procStatusKB(m.pid, "RssFile")) / 1024
	res.RSSAnonMiB = float64(procStatusKB(m.pid, "RssAnon")) / 1024
	res.HeapMiB = v[metricHeap] / (1 << 20)
}

// remoteMeter measures a running broker through its /metrics only,
// sampling its RSS for the peak.
type remoteMeter struct {
	url     string
	cpu0    float64
	peak    atomic.Int64
	stopped chan struct{}
}

func (m *remoteMeter) begin(ctx context.Context, res *result, _ func(string, ...any)) {
	m.cpu0 = scrapeMetrics(ctx, m.url)[metricCPU]
	m.stopped = make(chan struct{})
	go func() {
		tk := time.NewTicker(250 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-m.stopped:
				return
			case <-tk.C:
				if rss := int64(scrapeMetrics(ctx, m.url)[metricRSS]); rss > m.peak.Load() {
					m.peak.Store(rss)
				}
			}
		}
	}()
}

// profile profiles this process: the load clients.
func (m *remoteMeter) profile(_ context.Context, file string, _ time.Duration) (func() error, error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error { pprof.StopCPUProfile(); return f.Close() }, nil
}

func (m *remoteMeter) end(ctx context.Context, res *result) {
	close(m.stopped)
	v := scrapeMetrics(ctx, m.url)
	res.BrokerCPUSeconds = v[metricCPU] - m.cpu0
	res.CPUSeconds = res.BrokerCPUSeconds
	res.CPUNote = "the broker's process_cpu_seconds_total from /metrics"
	res.RSSMiB = float64(max(int64(v[metricRSS]), m.peak.Load())) / (1 << 20)
	res.HeapMiB = v[metricHeap] / (1 << 20)
}

// The figures read from a broker's /metrics.
const (
	metricCPU  = "process_cpu_seconds_total"
	metricRSS  = "process_resident_memory_bytes"
	metricHeap = "go_memstats_heap_inuse_bytes"
)

// scrapeMetrics reads the process figures of a broker's /metrics (missing
// ones are 0).
func scrapeMetrics(ctx context.Context, url string) map[string]float64 {
	out := map[string]float64{}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	if err != nil {
		return out
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if ok && (name == metricCPU || name == metricRSS || name == metricHeap) {
			out[name], _ = strconv.ParseFloat(v, 64)
		}
	}
	return out
}

// processCPU returns this process's user and system CPU seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func procFile(pid int, name string) string { return "/proc/" + strconv.Itoa(pid) + "/" + name }

// procStatusKB reads a kB field of /proc/PID/status (0 where there is
// none).
func procStatusKB(pid int, field string) int64 {
	f, err := os.Open(procFile(pid, "status"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}
