package policy

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestWorkersBoundConcurrency(t *testing.T) {
	w := newWorkers(3)
	var now, peak atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := w.do(context.Background(), func() {
				n := now.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				now.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 1 {
		t.Fatalf("peak concurrency %d, want 1..3", p)
	}
	if r := w.running.Load(); r > 3 {
		t.Fatalf("%d workers running, want at most 3", r)
	}
}

func TestWorkersQueuedJobObservesContext(t *testing.T) {
	w := newWorkers(1)
	release := make(chan struct{})
	started := make(chan struct{})
	go w.do(context.Background(), func() { close(started); <-release })
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := false
	err := w.do(ctx, func() { ran = true })
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("queued job: err %v, ran %v; want the context's error and not run", err, ran)
	}
}

func TestWorkersExitWhenIdle(t *testing.T) {
	w := newWorkers(2)
	w.idle = 10 * time.Millisecond
	if err := w.do(context.Background(), func() {}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.running.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still running after idling", w.running.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
