package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Exhaustion is the strategy of Lease when the pool already has MaxSize containers.
type Exhaustion string

const (
	// ExhaustWait waits up to AcquireTimeout for a container to become free.
	ExhaustWait Exhaustion = "wait"
	// ExhaustFailFast fails at once with ErrExhausted.
	ExhaustFailFast Exhaustion = "fail_fast"
	// ExhaustTemporary creates a container outside the pool's count. It is destroyed when
	// released, like any other, and never joins the pool.
	ExhaustTemporary Exhaustion = "temporary"
)

// Timeouts of engine work the pool does on its own behalf.
const (
	// DefaultCreateTimeout is the CreateTimeout of a Config that leaves it zero.
	DefaultCreateTimeout = 2 * time.Minute
	removeTimeout        = 30 * time.Second
	// drainTimeout bounds the wait of Close for cancelled creations to clean up.
	drainTimeout = 2 * time.Second
	maxBackoff   = 30 * time.Second
	minBackoff   = 500 * time.Millisecond
	// leaseAttempts bounds how many idle containers one Lease discards as unhealthy.
	leaseAttempts = 3
)

// Config configures one pool. Zero durations disable what they time (no health checks,
// no maximum lifetime), except AcquireTimeout, whose zero means 30 seconds.
type Config struct {
	// Name names the pool; it is the runtime's name and goes into the pool label.
	Name string
	// Language goes into the language label.
	Language string
	// Spec is the template of every container; the pool adds its labels.
	Spec Spec

	MinIdle        int
	MaxSize        int
	AcquireTimeout time.Duration
	// CreateTimeout bounds the creation and warm-up of one container. Zero means 2 minutes.
	// The reaper's grace for untracked containers of this instance must exceed it.
	CreateTimeout time.Duration
	Exhaustion    Exhaustion
	// MaxLifetime is how long a container may wait idle in the pool before it is replaced.
	MaxLifetime         time.Duration
	HealthCheckInterval time.Duration
	// Prewarm keeps MinIdle containers ready. Without it, containers are created on lease.
	Prewarm bool

	// Warm makes a newly started container ready to run code. Nil means nothing to do.
	Warm func(ctx context.Context, b Backend, id string) error

	// Instance and Host identify this server instance in the labels; the reaper uses them.
	Instance string
	Host     string
	Logger   *slog.Logger
}

// Pool keeps warm containers of one runtime and leases each to one conversation. A leased
// container never returns to the pool: Release destroys it, and the pool refills in the
// background. A Pool is safe for concurrent use.
type Pool struct {
	backend Backend
	cfg     Config
	log     *slog.Logger

	// ctx is the lifetime context of the refill and health loops; Close cancels it at once.
	ctx    context.Context
	cancel context.CancelFunc
	// createCtx is the context of creations. Close lets running creations finish (their
	// containers are then removed) and cancels it only when its own deadline passes.
	createCtx    context.Context
	cancelCreate context.CancelFunc
	wg           sync.WaitGroup
	kick         chan struct{}

	mu           sync.Mutex
	containers   map[*container]struct{} // counted against MaxSize until removed
	temporary    map[*container]struct{}
	idle         []*container // oldest first
	waiters      []*waiter    // oldest first
	closed       bool
	stats        Stats
	failures     int   // consecutive creation failures
	lastFailure  error // of the last creation, nil after a success
	backoffUntil time.Time
}

type container struct {
	id        string // empty until the engine created it; guarded by Pool.mu
	state     State  // guarded by Pool.mu
	created   time.Time
	temporary bool
}

// waiter is a Lease call waiting for a container; exactly one result is sent on ch.
type waiter struct {
	ch chan waitResult
}

type waitResult struct {
	c   *container
	err error
}

// New returns a pool and starts its refill and health-check loops. Close stops them.
func New(b Backend, cfg Config) *Pool {
	if cfg.AcquireTimeout <= 0 {
		cfg.AcquireTimeout = 30 * time.Second
	}
	if cfg.Exhaustion == "" {
		cfg.Exhaustion = ExhaustWait
	}
	ctx, cancel := context.WithCancel(context.Background())
	createCtx, cancelCreate := context.WithCancel(context.Background())
	p := &Pool{
		backend:      b,
		cfg:          cfg,
		log:          logger(cfg.Logger).With("pool", cfg.Name),
		ctx:          ctx,
		cancel:       cancel,
		createCtx:    createCtx,
		cancelCreate: cancelCreate,
		kick:         make(chan struct{}, 1),
		containers:   make(map[*container]struct{}),
		temporary:    make(map[*container]struct{}),
		stats:        Stats{Pool: cfg.Name, Max: cfg.MaxSize, Removed: make(map[RemoveReason]uint64)},
	}
	p.wg.Add(1)
	go p.refillLoop()
	if cfg.HealthCheckInterval > 0 {
		p.wg.Add(1)
		go p.healthLoop()
	}
	p.kickRefill()
	return p
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Lease returns a ready container for conversation, which only that conversation may use.
// It takes an idle container when there is one (after checking it is alive and not past
// MaxLifetime), and otherwise creates one or applies the Exhaustion strategy. It waits at
// most AcquireTimeout for a pooled container (the temporary strategy then creates one, which
// takes longer), and returns ctx's error if ctx ends first.
func (p *Pool) Lease(ctx context.Context, conversation string) (*Lease, error) {
	for attempt := 1; ; attempt++ {
		c, fresh, err := p.take(ctx, conversation)
		if err != nil {
			return nil, err
		}
		if fresh {
			return p.newLease(c, conversation), nil
		}
		reason, err := p.validate(ctx, c)
		if err == nil {
			return p.newLease(c, conversation), nil
		}
		if reason == "" {
			// The check could not run, so nothing is known against the container, but it
			// was handed out and is not reused.
			p.removeAsync(c, ReasonConversationEnd)
			return nil, err
		}
		p.log.Info("discarding idle container", "container_id", c.id, "reason", reason, "error", err)
		p.removeAsync(c, reason)
		if attempt == leaseAttempts {
			return nil, err
		}
	}
}

func (p *Pool) newLease(c *container, conversation string) *Lease {
	p.log.Info("container leased", "container_id", c.id, "session_id", conversation, "temporary", c.temporary)
	return &Lease{pool: p, c: c}
}

// take returns a leased container. fresh reports that it was created for this call and
// needs no validation.
func (p *Pool) take(ctx context.Context, conversation string) (c *container, fresh bool, err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false, ErrClosed
	}
	if c := p.popIdleLocked(); c != nil {
		p.setStateLocked(c, StateLeased)
		p.mu.Unlock()
		p.kickRefill()
		return c, false, nil
	}

	w := &waiter{ch: make(chan waitResult, 1)}
	switch {
	case len(p.containers) < p.cfg.MaxSize:
		p.spawnCreateLocked(w)
	case p.unclaimedLocked() > 0:
		// A refill is creating a container that no waiter claimed yet, so this call
		// waits for it rather than report a full pool.
	case p.cfg.Exhaustion == ExhaustFailFast:
		p.stats.Exhausted++
		p.mu.Unlock()
		p.log.Warn("pool exhausted", "max_size", p.cfg.MaxSize, "strategy", p.cfg.Exhaustion)
		return nil, false, fmt.Errorf("%w: all %d containers are in use", ErrExhausted, p.cfg.MaxSize)
	case p.cfg.Exhaustion == ExhaustTemporary:
		p.stats.Exhausted++
		p.mu.Unlock()
		c, err := p.createTemporary(ctx, conversation)
		return c, true, err
	default:
		p.stats.Exhausted++
		p.stats.Waits++
	}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()
	p.kickRefill()
	return p.wait(ctx, w, conversation)
}

// waitFailed returns the error of a wait that timed out. The pool is exhausted only when
// every container is leased. Otherwise containers are still being created, or their
// creation keeps failing, and the error reports which.
func (p *Pool) waitFailed() error {
	p.mu.Lock()
	leased, lastFailure := p.stats.Leased, p.lastFailure
	p.mu.Unlock()
	timeout := p.cfg.AcquireTimeout
	switch {
	case leased >= p.cfg.MaxSize:
		p.log.Warn("no container became free in time", "acquire_timeout", timeout)
		return fmt.Errorf("%w: no container became free within %s", ErrExhausted, timeout)
	case lastFailure != nil:
		p.log.Warn("no container became ready in time: creating them fails", "acquire_timeout", timeout, "error", lastFailure)
		return fmt.Errorf("no container became ready within %s, and the last creation failed: %w", timeout, lastFailure)
	default:
		p.log.Warn("no container became ready in time: they are still being created", "acquire_timeout", timeout)
		return fmt.Errorf("%w: no container became ready within %s", ErrNotReady, timeout)
	}
}

// wait blocks until w is served, AcquireTimeout passes or ctx ends.
// Under the temporary strategy, a caller that waited for a pooled container in vain gets a
// temporary one instead of an error.
func (p *Pool) wait(ctx context.Context, w *waiter, conversation string) (*container, bool, error) {
	start := time.Now()
	timer := time.NewTimer(p.cfg.AcquireTimeout)
	defer timer.Stop()
	defer p.addWaitTime(start)

	select {
	case r := <-w.ch:
		return r.c, true, r.err
	case <-timer.C:
		if r, served := p.abandon(w); served {
			return r.c, true, r.err
		}
		if p.cfg.Exhaustion == ExhaustTemporary {
			c, err := p.createTemporary(ctx, conversation)
			return c, true, err
		}
		return nil, false, p.waitFailed()
	case <-ctx.Done():
		if r, served := p.abandon(w); served {
			p.recycle(r)
		}
		return nil, false, ctx.Err()
	}
}

func (p *Pool) addWaitTime(start time.Time) {
	p.mu.Lock()
	p.stats.WaitTime += time.Since(start)
	p.mu.Unlock()
}

// abandon removes w from the waiters. If w was served meanwhile, it returns that result.
func (p *Pool) abandon(w *waiter) (waitResult, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := slices.Index(p.waiters, w); i >= 0 {
		p.waiters = slices.Delete(p.waiters, i, i+1)
		return waitResult{}, false
	}
	return <-w.ch, true
}

// recycle disposes of a container handed to a waiter that left before taking it. Leased
// containers never return to the pool, so it is removed and the pool refills.
func (p *Pool) recycle(r waitResult) {
	if r.c != nil {
		p.removeAsync(r.c, ReasonConversationEnd)
	}
}

// unclaimedLocked returns how many pooled containers being created no waiter will get.
func (p *Pool) unclaimedLocked() int {
	return p.creatingLocked() - len(p.waiters)
}

// creatingLocked returns how many pooled containers are being created. Stats.Creating
// counts temporary ones too.
func (p *Pool) creatingLocked() int {
	n := 0
	for c := range p.containers {
		if c.state == StateCreating {
			n++
		}
	}
	return n
}

func (p *Pool) popIdleLocked() *container {
	if len(p.idle) == 0 {
		return nil
	}
	c := p.idle[0]
	p.idle = p.idle[1:]
	return c
}

// validate checks an idle container before it is handed out. It returns the removal
// reason when the container must not be used, and an empty reason with the error when the
// check could not run because ctx ended or the engine does not respond.
func (p *Pool) validate(ctx context.Context, c *container) (RemoveReason, error) {
	if p.cfg.MaxLifetime > 0 && time.Since(c.created) > p.cfg.MaxLifetime {
		return ReasonExpired, errors.New("container is past its maximum lifetime")
	}
	st, err := p.backend.Inspect(ctx, c.id)
	if err != nil && (ctx.Err() != nil || errors.Is(err, ErrEngineUnavailable)) {
		return "", fmt.Errorf("inspecting container: %w", err)
	}
	if err != nil {
		return ReasonUnhealthy, fmt.Errorf("inspecting container: %w", err)
	}
	if !st.Running {
		return ReasonUnhealthy, fmt.Errorf("container is not running (exit code %d)", st.ExitCode)
	}
	return "", nil
}

// setStateLocked moves c to state to. An illegal transition is a bug: it is logged with
// both states and the container keeps its state.
func (p *Pool) setStateLocked(c *container, to State) bool {
	if err := checkTransition(c.state, to); err != nil {
		p.log.Error("illegal container state transition", "container_id", c.id, "from", c.state, "to", to)
		return false
	}
	p.countLocked(c.state, -1)
	c.state = to
	p.countLocked(to, +1)
	return true
}

func (p *Pool) countLocked(s State, delta int) {
	switch s {
	case StateIdle:
		p.stats.Idle += delta
	case StateLeased:
		p.stats.Leased += delta
	case StateCreating:
		p.stats.Creating += delta
	}
}

// Stats returns a snapshot of the pool's gauges and counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Removed = maps.Clone(p.stats.Removed)
	s.Total = len(p.containers)
	s.Temporary = len(p.temporary)
	return s
}

// Tracks reports whether id is a container this pool owns, leased or not.
func (p *Pool) Tracks(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, set := range []map[*container]struct{}{p.containers, p.temporary} {
		for c := range set {
			if c.id == id {
				return true
			}
		}
	}
	return false
}

// Close stops the background loops, fails waiting Lease calls with ErrClosed and removes
// every container of the pool, leased ones included. It blocks until removals finish or
// ctx ends, and then cancels creations still running and waits up to 2 s more for them to
// clean up. Calling Close again returns nil.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for _, w := range p.waiters {
		w.ch <- waitResult{err: ErrClosed}
	}
	p.waiters = nil
	var doomed []*container
	for _, set := range []map[*container]struct{}{p.containers, p.temporary} {
		for c := range set {
			if c.state == StateIdle || c.state == StateLeased || c.state == StateUnhealthy {
				doomed = append(doomed, c)
			}
		}
	}
	p.mu.Unlock()

	p.cancel()
	errs := make(chan error, len(doomed))
	for _, c := range doomed {
		go func() { errs <- p.remove(c, ReasonShutdown) }()
	}
	var all []error
collect:
	for range doomed {
		select {
		case err := <-errs:
			all = append(all, err)
		case <-ctx.Done():
			// The removals go on in the background, each within removeTimeout.
			all = append(all, fmt.Errorf("removing the containers of pool %s: %w", p.cfg.Name, ctx.Err()))
			break collect
		}
	}

	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// Creations still running are cancelled, and each then removes what the engine
		// made of its container. A server that exited meanwhile would leave that
		// container behind, so Close gives them drainTimeout to finish.
		p.cancelCreate()
		all = append(all, fmt.Errorf("waiting for pool %s to stop: %w", p.cfg.Name, ctx.Err()))
		timer := time.NewTimer(drainTimeout)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
		}
	}
	p.cancelCreate()
	return errors.Join(all...)
}
