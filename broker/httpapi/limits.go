package httpapi

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits keep one partner from taking the broker from the others. They are
// applied after the request token verified, by the partner that signed it,
// so nobody can spend another partner's budget.
type Limits struct {
	// PartnerRate is the sustained requests per second of one partner
	// (a token bucket). Default DefaultPartnerRate; rate.Inf disables it.
	PartnerRate rate.Limit
	// PartnerBurst is the bucket's size: requests a partner may make at
	// once after a quiet spell. Default DefaultPartnerBurst.
	PartnerBurst int
	// LongPolls bounds a partner's inbox long-polls waiting at once; one
	// more is answered 429 at once. Default DefaultLongPolls.
	LongPolls int
	// AuthFailureRate and AuthFailureBurst bound the refused request
	// tokens one client address may send: past them its requests are
	// answered 429 before any signature is checked, so that a flood of
	// forged tokens cannot keep the cores busy with verification. Honest
	// clients rarely send a refused token. Behind a reverse proxy every
	// client shares the proxy's address: disable it there (rate.Inf) and
	// limit at the proxy. Defaults DefaultAuthFailureRate and
	// DefaultAuthFailureBurst.
	AuthFailureRate  rate.Limit
	AuthFailureBurst int
}

// Defaults of Limits. A coordinator's screen makes a few requests a second
// and a connector's nightly sync is one request: 100/s with bursts of 200
// is far above honest use and still a fraction of what two cores serve.
const (
	DefaultPartnerRate  rate.Limit = 100
	DefaultPartnerBurst            = 200
	DefaultLongPolls               = 4

	DefaultAuthFailureRate  rate.Limit = 10
	DefaultAuthFailureBurst            = 100
)

// maxFailureAddrs bounds the addresses tracked for refused tokens; past it
// the table starts afresh, which forgets (never blocks) honest clients.
const maxFailureAddrs = 10_000

// Validate fills defaults and refuses nonsense.
func (l *Limits) Validate() error {
	var errs []error
	if l.PartnerRate < 0 || math.IsNaN(float64(l.PartnerRate)) {
		errs = append(errs, errors.New("httpapi: Limits.PartnerRate must not be negative"))
	}
	if l.AuthFailureRate < 0 || math.IsNaN(float64(l.AuthFailureRate)) || l.AuthFailureBurst < 0 {
		errs = append(errs, errors.New("httpapi: Limits.AuthFailureRate and AuthFailureBurst must not be negative"))
	}
	if l.AuthFailureRate == 0 {
		l.AuthFailureRate = DefaultAuthFailureRate
	}
	if l.AuthFailureBurst == 0 {
		l.AuthFailureBurst = DefaultAuthFailureBurst
	}
	if l.PartnerBurst < 0 || l.LongPolls < 0 {
		errs = append(errs, errors.New("httpapi: Limits.PartnerBurst and LongPolls must not be negative"))
	}
	if l.PartnerRate == 0 {
		l.PartnerRate = DefaultPartnerRate
	}
	if l.PartnerBurst == 0 {
		l.PartnerBurst = DefaultPartnerBurst
	}
	if l.LongPolls == 0 {
		l.LongPolls = DefaultLongPolls
	}
	return errors.Join(errs...)
}

// limitError is a request refused by a limit; it answers 429 with
// Retry-After.
type limitError struct {
	what       string
	retryAfter time.Duration
}

func (e *limitError) Error() string {
	return fmt.Sprintf("%s; retry after %s", e.what, e.retryAfter)
}

// retryAfterSeconds rounds up to whole seconds, at least one.
func (e *limitError) retryAfterSeconds() int {
	return max(1, int(math.Ceil(e.retryAfter.Seconds())))
}

// limiter keeps a token bucket and a long-poll count per partner. Partners
// are few (a region has tens to hundreds), so the maps are never pruned.
type limiter struct {
	cfg      Limits
	mu       sync.Mutex
	bkt      map[string]*rate.Limiter
	polls    map[string]int
	failures map[string]*rate.Limiter // by client address
}

func newLimiter(cfg Limits) *limiter {
	return &limiter{cfg: cfg, bkt: map[string]*rate.Limiter{}, polls: map[string]int{}, failures: map[string]*rate.Limiter{}}
}

// addrBlocked reports whether addr used up its allowance of refused
// tokens; such a request is answered 429 without verifying anything.
func (l *limiter) addrBlocked(addr string, now time.Time) error {
	if l.cfg.AuthFailureRate == rate.Inf {
		return nil
	}
	l.mu.Lock()
	b := l.failures[addr]
	l.mu.Unlock()
	if b == nil || b.TokensAt(now) >= 1 {
		return nil
	}
	wait := time.Duration(float64(time.Second) * (1 - b.TokensAt(now)) / float64(l.cfg.AuthFailureRate))
	return &limitError{what: "too many refused request tokens from your address", retryAfter: wait}
}

// refused spends one of addr's allowance of refused tokens.
func (l *limiter) refused(addr string, now time.Time) {
	if l.cfg.AuthFailureRate == rate.Inf {
		return
	}
	l.mu.Lock()
	b, ok := l.failures[addr]
	if !ok {
		if len(l.failures) >= maxFailureAddrs {
			l.failures = map[string]*rate.Limiter{}
		}
		b = rate.NewLimiter(l.cfg.AuthFailureRate, l.cfg.AuthFailureBurst)
		l.failures[addr] = b
	}
	l.mu.Unlock()
	b.AllowN(now, 1)
}

// allow takes one request from partner's bucket, or says how long to wait.
func (l *limiter) allow(partner string, now time.Time) error {
	if l.cfg.PartnerRate == rate.Inf {
		return nil
	}
	l.mu.Lock()
	b, ok := l.bkt[partner]
	if !ok {
		b = rate.NewLimiter(l.cfg.PartnerRate, l.cfg.PartnerBurst)
		l.bkt[partner] = b
	}
	l.mu.Unlock()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused request spends nothing
		return &limitError{what: "too many requests from your organisation", retryAfter: d}
	}
	return nil
}

// startPoll counts a long-poll of partner in; done must be called when it
// ends.
func (l *limiter) startPoll(partner string) (done func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.polls[partner] >= l.cfg.LongPolls {
		return nil, &limitError{what: fmt.Sprintf("at most %d inbox long-polls of your organisation at once", l.cfg.LongPolls),
			retryAfter: time.Second}
	}
	l.polls[partner]++
	return func() {
		l.mu.Lock()
		l.polls[partner]--
		l.mu.Unlock()
	}, nil
}
