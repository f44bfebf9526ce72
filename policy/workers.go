package policy

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// workers runs policy evaluations on a few long-lived goroutines.
//
// OPA's evaluator recurses deeply. Evaluated on the request's own goroutine
// (a fresh one per HTTP request), every decision grows that goroutine's
// stack from its initial few kilobytes by doubling and copying it: under
// `ketenbrug bench` that copying (runtime.newstack, copystack) was 8 % of
// the broker's CPU. A worker keeps the stack it grew, so only its first
// decision pays. Bounding the workers to a small multiple of the cores
// also makes 64 concurrent requests queue for the policy instead of
// interleaving 64 evaluations, which keeps each one's working set in cache.
//
// Workers start on demand and exit after being idle for a while, so an
// engine needs no Close and an idle broker holds no evaluation goroutines.
type workers struct {
	jobs    chan *job
	running atomic.Int32
	max     int32
	idle    time.Duration
}

// job is one evaluation handed to a worker; done is closed when it ran.
type job struct {
	run  func()
	done chan struct{}
}

// workerIdle is how long a worker waits for the next job before exiting.
const workerIdle = 30 * time.Second

func newWorkers(limit int) *workers {
	if limit <= 0 {
		limit = max(4, 2*runtime.GOMAXPROCS(0))
	}
	return &workers{jobs: make(chan *job), max: int32(limit), idle: workerIdle}
}

// do runs f on a worker and waits for it. It returns ctx's error, without
// running f, when ctx ends before a worker is free. f must observe ctx
// itself once it runs.
func (w *workers) do(ctx context.Context, f func()) error {
	j := &job{run: f, done: make(chan struct{})}
	select {
	case w.jobs <- j: // an idle worker took it
	default:
		if w.running.Add(1) <= w.max {
			go w.work(j)
		} else {
			w.running.Add(-1)
			select {
			case w.jobs <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	<-j.done
	return nil
}

func (w *workers) work(j *job) {
	defer w.running.Add(-1)
	timer := time.NewTimer(w.idle)
	defer timer.Stop()
	for {
		j.run()
		close(j.done)
		timer.Reset(w.idle)
		select {
		case j = <-w.jobs:
		case <-timer.C:
			return
		}
	}
}
