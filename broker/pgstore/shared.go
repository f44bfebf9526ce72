package pgstore

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// What several brokers on one database coordinate beyond the store
// contract (issue 20): inbox signals between them (LISTEN/NOTIFY), and
// work only one of them may do at a time (a session advisory lock).

// inboxChannel is the NOTIFY channel of new inbox items; the payload is
// the partner's id.
const inboxChannel = "ketenbrug_inbox"

// reconnectWait is how long Listen and Exclusive wait before trying
// again after their connection failed.
const reconnectWait = time.Second

// Listen calls fn with the partner of every inbox item committed by any
// broker on the database (this one included), until ctx ends, so a
// long-poll held at one broker wakes for an item written at another.
// AppendInbox notifies in its transaction, and PostgreSQL delivers a
// notification only when that commits. After a lost connection Listen
// reconnects and calls fn with "" (anything may have arrived meanwhile).
// It holds one connection of the pool while it runs.
func (s *Store) Listen(ctx context.Context, fn func(partner string)) {
	for ctx.Err() == nil {
		err := s.listen(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		s.cfg.Logger.Warn("pgstore: inbox notifications interrupted; reconnecting", slog.Any("error", err))
		if !sleep(ctx, reconnectWait) {
			return
		}
		fn("")
	}
}

func (s *Store) listen(ctx context.Context, fn func(partner string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection was LISTENing: back in the pool it would deliver
	// notifications to whoever borrows it next, so it is closed instead.
	defer func() { _ = conn.Hijack().Close(context.Background()) }()
	if _, err := conn.Exec(ctx, "LISTEN "+inboxChannel); err != nil {
		return err
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}

// Exclusive runs fn while this broker holds the database-wide lock name,
// and returns when ctx ends: of all brokers on the database calling it
// with one name, one runs fn at a time, and another takes over within
// about a second when that one stops or dies (PostgreSQL releases a
// session's advisory locks when its connection ends). The webhook
// deliverer runs this way, so a delivery goes out once, not once per
// broker. If the lock's connection fails, fn's context is cancelled and
// the lock is sought again.
func (s *Store) Exclusive(ctx context.Context, name string, fn func(ctx context.Context) error) {
	h := fnv.New64a()
	_, _ = h.Write([]byte("ketenbrug.exclusive." + name))
	lock := int64(h.Sum64() >> 1)
	for ctx.Err() == nil {
		err := s.exclusive(ctx, lock, fn)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.cfg.Logger.Warn("pgstore: exclusive work interrupted; seeking the lock again",
				slog.String("work", name), slog.Any("error", err))
		}
		if !sleep(ctx, reconnectWait) {
			return
		}
	}
}

// errLockLost cancels fn when the lock's connection fails.
var errLockLost = errors.New("pgstore: the connection holding the lock failed")

func (s *Store) exclusive(ctx context.Context, lock int64, fn func(ctx context.Context) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Closed, not returned: a pooled connection would keep the lock.
	defer func() { _ = conn.Hijack().Close(context.Background()) }()
	for {
		var held bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lock).Scan(&held); err != nil {
			return err
		}
		if held {
			break
		}
		if !sleep(ctx, reconnectWait) {
			return nil
		}
	}
	work, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan error, 1)
	go func() { done <- fn(work) }()
	watch := time.NewTicker(reconnectWait)
	defer watch.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-watch.C:
			if err := ping(work, conn); err != nil && work.Err() == nil {
				cancel(errLockLost)
				<-done
				return errors.Join(errLockLost, err)
			}
		}
	}
}

func ping(ctx context.Context, conn *pgxpool.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return conn.Ping(ctx)
}

// sleep waits d or until ctx ends, reporting whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
