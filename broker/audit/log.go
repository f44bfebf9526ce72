package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ketenbrug/ketenbrug/broker"
)

// Store is what the log needs of the broker's store; *boltstore.Store has
// it.
type Store interface {
	Update(fn func(broker.Tx) error) error
	View(fn func(broker.ReadTx) error) error
}

// ErrClosed means the log was closed. It matches broker.ErrUnavailable.
var ErrClosed = fmt.Errorf("audit: log closed: %w", broker.ErrUnavailable)

// Defaults of Config.
const (
	DefaultMaxBatch           = 256
	DefaultMaxQueue           = 4096
	DefaultCheckpointEvery    = 10_000
	DefaultCheckpointInterval = time.Minute
	DefaultMaxWait            = time.Millisecond
)

// Config configures a Log.
type Config struct {
	// Store holds the entries. Required.
	Store Store
	// Signer signs checkpoints and purge anchors, and verifies them.
	// Required.
	Signer Signer
	// Logger receives operational logs. Default slog.Default().
	Logger *slog.Logger
	// MaxBatch is the most records committed in one transaction. Default
	// 256: enough to amortise an fsync over a busy moment, small enough
	// that a batch's transaction stays short.
	MaxBatch int
	// MaxQueue is how many records may wait for the writer; beyond it
	// Record blocks (back-pressure) until there is room or its context
	// ends. Default 4096.
	MaxQueue int
	// MaxWait is how long the writer may hold a batch open for callers
	// that are already inside Record but not yet queued — typically those
	// it has just answered, coming straight back. Without it, a steady
	// set of concurrent callers splits into two groups that alternate
	// between being committed and re-queueing, halving every batch. The
	// writer never waits for callers that are not there, so a lone record
	// is not delayed. Default 1ms (about two fsyncs here); negative turns
	// waiting off.
	MaxWait time.Duration
	// CheckpointEvery is the number of entries after which a checkpoint is
	// written. Default 10 000.
	CheckpointEvery int
	// CheckpointInterval is the longest time new entries wait for a
	// checkpoint. Default one minute.
	CheckpointInterval time.Duration
	// Now is the clock for entry times. Default time.Now.
	Now func() time.Time
}

// Validate checks cfg and fills its defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("audit: Store is required"))
	}
	if c.Signer == nil {
		errs = append(errs, errors.New("audit: Signer is required"))
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{{"MaxBatch", &c.MaxBatch, DefaultMaxBatch}, {"MaxQueue", &c.MaxQueue, DefaultMaxQueue},
		{"CheckpointEvery", &c.CheckpointEvery, DefaultCheckpointEvery}} {
		switch {
		case *f.v < 0:
			errs = append(errs, fmt.Errorf("audit: %s must not be negative", f.name))
		case *f.v == 0:
			*f.v = f.def
		}
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	switch {
	case c.CheckpointInterval < 0:
		errs = append(errs, errors.New("audit: CheckpointInterval must not be negative"))
	case c.CheckpointInterval == 0:
		c.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return errors.Join(errs...)
}

// Log is the audit trail. It is safe for concurrent use.
type Log struct {
	cfg Config
	log *slog.Logger

	queue    chan *request
	stopping chan struct{} // closed first by Close: blocked senders give up
	stopped  chan struct{} // closed by the writer when it has drained
	// mu guards closed against sends on a closed queue: senders hold it
	// shared while sending, Close exclusively before closing the queue.
	mu        sync.RWMutex
	closed    bool
	closeOnce sync.Once
	closeErr  error

	// inflight counts callers inside submit; lingering is set while the
	// writer waits for them, and nudge wakes it when one leaves.
	inflight  atomic.Int64
	lingering atomic.Bool
	nudge     chan struct{}

	stats struct {
		records, checkpoints, commits, failures, retries atomic.Uint64
	}

	// ver is where the last clean verification ended (incremental.go).
	ver verified

	// Owned by the writer goroutine (and New, before it starts).
	head           chainHead
	sinceCheck     int       // entries since the last checkpoint
	lastCheckpoint time.Time // when it was written (or the log opened)
	batch          []*request
}

var (
	_ broker.AuditLog    = (*Log)(nil)
	_ broker.AuditReader = (*Log)(nil)
)

// chainHead is the last sealed entry: its seq and hash.
type chainHead struct {
	seq  uint64
	hash string
}

// States of a request: the writer and a cancelled caller race to move it
// out of queued, so a record is either written or reported cancelled,
// never both.
const (
	queued int32 = iota
	taken
	cancelled
)

type request struct {
	entry broker.AuditEntry
	// body is entry's canonical encoding after prev_hash, made by the
	// caller; nil when prepare fills in the entry (checkpoints, purges).
	body []byte
	// prepare runs in the batch transaction before the entry is sealed: the
	// caller's apply, or the log's own work for checkpoints and purges. It
	// may fill in e. It may run more than once (see Record).
	prepare func(tx broker.Tx, e *broker.AuditEntry, head chainHead) error
	done    chan result // nil for the log's own checkpoints
	state   atomic.Int32
}

type result struct {
	entry broker.AuditEntry
	err   error
}

// New starts a log over cfg.Store, continuing the chain it holds.
func New(cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Log{
		cfg: cfg, log: cfg.Logger,
		queue:    make(chan *request, cfg.MaxQueue),
		stopping: make(chan struct{}),
		stopped:  make(chan struct{}),
		nudge:    make(chan struct{}, 1),
		batch:    make([]*request, 0, cfg.MaxBatch),
	}
	if err := l.loadHead(); err != nil {
		return nil, fmt.Errorf("audit: read chain head: %w", err)
	}
	l.lastCheckpoint = time.Now()
	go l.run()
	return l, nil
}

// loadHead reads the chain head from the store. When the newest entry is
// not a checkpoint (the broker stopped without one), the next time-based
// checkpoint covers it.
func (l *Log) loadHead() error {
	return l.cfg.Store.View(func(tx broker.ReadTx) error {
		seq, hash, err := tx.AuditHead()
		if err != nil {
			return err
		}
		l.head, l.sinceCheck = chainHead{seq, hash}, 0
		if seq == 0 {
			return nil
		}
		// A head entry that is gone or unreadable is Verify's to report;
		// the log carries on after the recorded head either way.
		raw, err := tx.AuditGet(seq)
		if err != nil && !errors.Is(err, broker.ErrNotFound) {
			return err
		}
		if e, err := decode(raw); err != nil || e.Event != broker.EventCheckpoint {
			l.sinceCheck = 1
		}
		return nil
	})
}

// Record seals e into the chain and returns once it is durable, with Seq,
// PrevHash and Hash set and Time in UTC (a zero Time becomes now). When
// apply is not nil it runs in the same store transaction, so a change and
// its entry commit together or not at all.
//
// Records of concurrent callers share one transaction. Because bbolt has no
// savepoints, a failing apply aborts the whole transaction, which is then
// re-run without that record: apply may therefore run more than once and
// must be safe to repeat — assign results to captured variables, never
// append to them. An error from apply is returned as it is and nothing of
// that record is written.
//
// A context that ends while the record waits in the queue returns the
// context's error and nothing is written; once the record is in a batch
// being committed, Record waits for and reports the true outcome. A failed
// commit matches broker.ErrAuditFailed. After Close, Record returns
// ErrClosed.
func (l *Log) Record(ctx context.Context, e broker.AuditEntry, apply func(broker.Tx) error) (broker.AuditEntry, error) {
	if err := validate(&e); err != nil {
		return broker.AuditEntry{}, err
	}
	if e.Time.IsZero() {
		e.Time = l.cfg.Now()
	}
	// Encode here, in the caller's goroutine, not in the single writer.
	body, err := encodeBody(&e)
	if err != nil {
		return broker.AuditEntry{}, err
	}
	r := &request{entry: e, body: body, done: make(chan result, 1)}
	if apply != nil {
		r.prepare = func(tx broker.Tx, _ *broker.AuditEntry, _ chainHead) error { return apply(tx) }
	}
	res, err := l.submit(ctx, r)
	if err != nil {
		return broker.AuditEntry{}, err
	}
	return res.entry, res.err
}

// submit queues r and waits for its outcome. The error is about queueing
// (closed, cancelled); the result carries the outcome of a written record.
func (l *Log) submit(ctx context.Context, r *request) (result, error) {
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	l.inflight.Add(1)
	defer l.leave()
	if err := l.enqueue(ctx, r); err != nil {
		return result{}, err
	}
	select {
	case res := <-r.done:
		return res, nil
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, cancelled) {
			return result{}, ctx.Err()
		}
		// The writer has it: report what really happened.
		return <-r.done, nil
	}
}

// leave marks a caller gone, and wakes the writer if it waits for callers.
func (l *Log) leave() {
	l.inflight.Add(-1)
	if l.lingering.Load() {
		select {
		case l.nudge <- struct{}{}:
		default:
		}
	}
}

func (l *Log) enqueue(ctx context.Context, r *request) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	select {
	case l.queue <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-l.stopping:
		return ErrClosed
	}
}

// Close writes what is queued, signs a final checkpoint, and stops the
// writer. Close the log before its store. Later calls return the first
// call's result.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		close(l.stopping)
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.queue)
	})
	<-l.stopped
	return l.closeErr
}

// Stats are counters of the log since New.
type Stats struct {
	Records     uint64 // callers' entries written
	Checkpoints uint64 // checkpoint entries written
	Commits     uint64 // store transactions committed
	Failures    uint64 // transactions that failed to commit
	Retries     uint64 // batches re-run without a record whose apply failed
	Queued      int    // records waiting now
}

// Stats returns the log's counters; Records/Commits is the mean batch size.
func (l *Log) Stats() Stats {
	return Stats{
		Records: l.stats.records.Load(), Checkpoints: l.stats.checkpoints.Load(),
		Commits: l.stats.commits.Load(), Failures: l.stats.failures.Load(),
		Retries: l.stats.retries.Load(), Queued: len(l.queue),
	}
}

// run is the single writer: it takes whatever is queued, up to MaxBatch,
// and commits it in one transaction. While it commits, new records queue
// up and form the next batch, so batches grow with the load without a
// timer delaying a lone record.
func (l *Log) run() {
	defer close(l.stopped)
	timer := time.NewTimer(l.cfg.CheckpointInterval)
	defer timer.Stop()
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		select {
		case r, ok := <-l.queue:
			if !ok {
				l.finish()
				return
			}
			batch := l.batch[:0]
			if r.state.CompareAndSwap(queued, taken) {
				batch = append(batch, r)
			}
			open := true
		collect:
			for open && len(batch) < l.cfg.MaxBatch {
				select {
				case r, ok := <-l.queue:
					if !ok {
						open = false
						break collect
					}
					if r.state.CompareAndSwap(queued, taken) {
						batch = append(batch, r)
					}
				default:
					break collect
				}
			}
			if open && len(batch) < l.cfg.MaxBatch && int64(len(batch)) < l.inflight.Load() && l.cfg.MaxWait > 0 {
				batch, open = l.linger(batch, wait)
			}
			if len(batch) > 0 {
				l.commit(batch, l.checkpointDue(len(batch)))
			}
			clear(batch)
			if !open {
				l.finish()
				return
			}
		case <-timer.C:
			if l.sinceCheck > 0 {
				l.commit(nil, true)
			}
			timer.Reset(l.cfg.CheckpointInterval)
		}
	}
}

// linger keeps collecting while callers are inside Record without being in
// the batch — answered callers on their way back, or callers about to
// queue — until all are in, the batch is full, or MaxWait has passed. It
// reports whether the queue is still open.
func (l *Log) linger(batch []*request, wait *time.Timer) ([]*request, bool) {
	l.lingering.Store(true)
	defer l.lingering.Store(false)
	wait.Reset(l.cfg.MaxWait)
	defer wait.Stop()
	for len(batch) < l.cfg.MaxBatch && int64(len(batch)) < l.inflight.Load() {
		select {
		case r, ok := <-l.queue:
			if !ok {
				return batch, false
			}
			if r.state.CompareAndSwap(queued, taken) {
				batch = append(batch, r)
			}
		case <-l.nudge:
		case <-wait.C:
			return batch, true
		}
	}
	return batch, true
}

// checkpointDue reports whether a batch of n records should end with a
// checkpoint.
func (l *Log) checkpointDue(n int) bool {
	return l.sinceCheck+n >= l.cfg.CheckpointEvery ||
		(l.sinceCheck+n > 0 && time.Since(l.lastCheckpoint) >= l.cfg.CheckpointInterval)
}

// finish runs when the queue is closed and drained: a final checkpoint
// signs the head, so the chain ends attested.
func (l *Log) finish() {
	if l.sinceCheck == 0 {
		return
	}
	if err := l.commit(nil, true); err != nil {
		l.closeErr = fmt.Errorf("audit: final checkpoint: %w", err)
	}
}

// errSkip aborts a batch transaction so it can be re-run without the
// record that failed.
var errSkip = errors.New("audit: record failed; re-running batch without it")

// commit writes batch (and a checkpoint after it, when asked) in one
// transaction and reports each record's outcome. It returns the
// transaction's or the checkpoint's error, for Close.
func (l *Log) commit(batch []*request, checkpoint bool) error {
	if checkpoint {
		batch = append(batch, l.checkpointRequest())
	}
	var checkpointErr error
	sealed := make([]broker.AuditEntry, len(batch))
	for len(batch) > 0 {
		failed, failErr := -1, error(nil)
		var head chainHead
		err := l.cfg.Store.Update(func(tx broker.Tx) error {
			// The store's head, not l.head: on a store several brokers
			// share (pgstore, issue 20) another broker may have appended
			// since this log last did. Update runs writers one at a
			// time, so the head read here is the head until this
			// transaction commits, and the chain stays one chain.
			seq, hash, err := tx.AuditHead()
			if err != nil {
				return err
			}
			head = chainHead{seq, hash}
			for i, r := range batch {
				e := r.entry
				if err := runPrepare(r, tx, &e, head); err != nil {
					failed, failErr = i, err
					return errSkip
				}
				body := r.body
				if body == nil {
					var err error
					if body, err = encodeBody(&e); err != nil {
						failed, failErr = i, err
						return errSkip
					}
				}
				raw := sealBody(&e, body, head)
				if err := tx.AppendAudit(e.Seq, e.Hash, raw, subjectsOf(&e)); err != nil {
					return err
				}
				sealed[i] = e
				head = chainHead{e.Seq, e.Hash}
			}
			return nil
		})
		if failed >= 0 && errors.Is(err, errSkip) {
			l.stats.retries.Add(1)
			r := batch[failed]
			if r.done == nil {
				checkpointErr = failErr
				l.log.Error("audit checkpoint failed", slog.Any("error", failErr))
			} else {
				r.done <- result{err: failErr}
			}
			batch = append(batch[:failed], batch[failed+1:]...)
			sealed = sealed[:len(batch)]
			continue
		}
		if err != nil {
			l.stats.failures.Add(1)
			l.log.Error("audit batch failed; nothing of it was written",
				slog.Int("records", len(batch)), slog.Any("error", err))
			err = fmt.Errorf("%w: %w", broker.ErrAuditFailed, err)
			for _, r := range batch {
				if r.done != nil {
					r.done <- result{err: err}
				}
			}
			// The transaction rolled back; the store's head is the truth.
			if lerr := l.loadHead(); lerr != nil {
				l.log.Error("audit head reload failed", slog.Any("error", lerr))
			}
			return err
		}
		l.stats.commits.Add(1)
		l.head = head
		for i, r := range batch {
			if sealed[i].Event == broker.EventCheckpoint {
				l.sinceCheck, l.lastCheckpoint = 0, time.Now()
				l.stats.checkpoints.Add(1)
			} else {
				l.sinceCheck++
				l.stats.records.Add(1)
			}
			if r.done != nil {
				r.done <- result{entry: sealed[i]}
			}
		}
		return checkpointErr
	}
	return checkpointErr
}

// runPrepare runs r's prepare step; a panic fails only that record.
func runPrepare(r *request, tx broker.Tx, e *broker.AuditEntry, head chainHead) (err error) {
	if r.prepare == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("audit: apply panicked: %v", p)
		}
	}()
	return r.prepare(tx, e, head)
}

// checkpointRequest builds the log's own checkpoint entry: it signs the
// entry sealed just before it, whatever that turns out to be in the
// transaction.
func (l *Log) checkpointRequest() *request {
	r := &request{entry: broker.AuditEntry{
		Event: broker.EventCheckpoint, Action: "audit.checkpoint", Decision: broker.DecisionAllow,
	}}
	r.prepare = func(_ broker.Tx, e *broker.AuditEntry, head chainHead) error {
		sig, err := l.cfg.Signer.Sign(checkpointPayload(head.seq, head.hash))
		if err != nil {
			return fmt.Errorf("audit: sign checkpoint: %w", err)
		}
		e.Time = l.cfg.Now()
		e.Detail = map[string]string{
			DetailHeadSeq: strconv.FormatUint(head.seq, 10), DetailHeadHash: head.hash,
			DetailKeyID: l.cfg.Signer.KeyID(), DetailSignature: sig,
		}
		return nil
	}
	return r
}
