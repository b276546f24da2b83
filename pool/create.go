package pool

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"time"
)

// spawnCreateLocked reserves a slot in the pool's count and creates a container in the
// background. The container goes to the waiters. If creation fails, the error goes to
// trigger, the waiter the container was created for, when it is still waiting.
func (p *Pool) spawnCreateLocked(trigger *waiter) {
	c := &container{state: StateCreating}
	p.containers[c] = struct{}{}
	p.stats.Creating++
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		err := p.createContainer(p.createCtx, c, "")
		p.created(c, trigger, err)
	}()
}

// created records the outcome of a creation.
func (p *Pool) created(c *container, trigger *waiter, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.creationFailedLocked(c, trigger, err)
		return
	}
	p.stats.Created++
	p.stats.LastCreateError = ""
	p.failures = 0
	p.lastFailure = nil
	p.handOutLocked(c)
}

func (p *Pool) creationFailedLocked(c *container, trigger *waiter, err error) {
	p.setStateLocked(c, StateRemoving)
	p.setStateLocked(c, StateRemoved)
	delete(p.containers, c)
	if p.closed {
		p.log.Debug("creation ended by shutdown", "error", err)
		return
	}
	p.stats.CreateFailures++
	p.stats.LastCreateError = err.Error()
	p.failures++
	p.lastFailure = err
	backoff := min(maxBackoff, minBackoff<<min(p.failures-1, 10))
	p.backoffUntil = time.Now().Add(backoff)
	p.log.Warn("creating container failed", "error", err, "consecutive_failures", p.failures, "retry_in", backoff)
	p.kickRefill() // the refill loop schedules the retry after the backoff
	if trigger != nil && p.removeWaiterLocked(trigger) {
		trigger.ch <- waitResult{err: err}
	}
}

func (p *Pool) removeWaiterLocked(w *waiter) bool {
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// handOutLocked gives a ready container to the oldest waiter, or makes it idle. After Close,
// it removes the container instead.
func (p *Pool) handOutLocked(c *container) {
	if p.closed {
		// Only creation goroutines, which the pool's WaitGroup already counts, get here
		// after Close, so adding to the group cannot race with Close's Wait.
		p.setStateLocked(c, StateRemoving)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			_ = p.finishRemove(c, ReasonShutdown)
		}()
		return
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.setStateLocked(c, StateLeased)
		w.ch <- waitResult{c: c}
		return
	}
	p.setStateLocked(c, StateIdle)
	p.idle = append(p.idle, c)
	p.log.Info("container ready", "container_id", c.id, "idle", p.stats.Idle)
}

// createContainer creates, starts and warms c's container. On failure nothing is left
// behind in the engine.
func (p *Pool) createContainer(ctx context.Context, c *container, conversation string) error {
	timeout := p.cfg.CreateTimeout
	if timeout <= 0 {
		timeout = DefaultCreateTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()

	id, err := p.backend.Create(ctx, p.spec(c, conversation))
	if err != nil {
		return fmt.Errorf("creating container: %w", err)
	}
	p.mu.Lock()
	c.id = id
	c.created = time.Now()
	p.mu.Unlock()

	if p.cfg.Warm != nil {
		if err := p.cfg.Warm(ctx, p.backend, id); err != nil {
			p.removeFromEngine(id)
			return fmt.Errorf("warming container: %w", err)
		}
	}
	p.log.Info("container created", "container_id", id, "temporary", c.temporary,
		"duration_ms", time.Since(start).Milliseconds())
	return nil
}

// spec returns the container spec with this pool's labels added.
func (p *Pool) spec(c *container, conversation string) Spec {
	s := p.cfg.Spec
	s.Labels = maps.Clone(s.Labels)
	if s.Labels == nil {
		s.Labels = make(map[string]string)
	}
	s.Labels[LabelManaged] = "true"
	s.Labels[LabelInstance] = p.cfg.Instance
	s.Labels[LabelHost] = p.cfg.Host
	s.Labels[LabelPool] = p.cfg.Name
	s.Labels[LabelLanguage] = p.cfg.Language
	s.Labels[LabelConversation] = conversation
	s.Labels[LabelTemporary] = fmt.Sprint(c.temporary)
	return s
}

// createTemporary creates a container outside the pool's count for one lease. The caller's
// cancellation does not interrupt the engine calls; a container that no caller waits for
// any more is removed.
func (p *Pool) createTemporary(ctx context.Context, conversation string) (*container, error) {
	c := &container{state: StateCreating, temporary: true}
	p.mu.Lock()
	p.temporary[c] = struct{}{}
	p.stats.Creating++
	p.stats.TemporaryTotal++
	p.mu.Unlock()
	p.log.Info("pool full, creating temporary container", "session_id", conversation, "max_size", p.cfg.MaxSize)

	err := p.createContainer(context.WithoutCancel(ctx), c, conversation)
	p.mu.Lock()
	switch {
	case err != nil:
		p.setStateLocked(c, StateRemoving)
		p.setStateLocked(c, StateRemoved)
		delete(p.temporary, c)
		p.stats.CreateFailures++
		p.stats.LastCreateError = err.Error()
		p.mu.Unlock()
		return nil, err
	case ctx.Err() != nil || p.closed:
		// No caller takes this container any more, and Close did not see it while it was
		// being created, so it is removed here.
		p.setStateLocked(c, StateRemoving)
		p.mu.Unlock()
		_ = p.finishRemove(c, ReasonConversationEnd)
		return nil, cmp.Or(ctx.Err(), ErrClosed)
	}
	p.stats.Created++
	p.setStateLocked(c, StateLeased)
	p.mu.Unlock()
	return c, nil
}
