package pool

import (
	"context"
	"time"
)

// remove destroys c. A container already being removed is left to that removal, and
// remove returns nil.
func (p *Pool) remove(c *container, reason RemoveReason) error {
	p.mu.Lock()
	marked := p.markRemovingLocked(c, reason)
	p.mu.Unlock()
	if !marked {
		return nil
	}
	return p.finishRemove(c, reason)
}

// removeIfIdle destroys c if it is still idle, which it checks in the same critical section
// that marks c as removing, so that a Lease cannot take c in between. why is logged.
func (p *Pool) removeIfIdle(c *container, reason RemoveReason, why error) {
	p.mu.Lock()
	marked := c.state == StateIdle && p.markRemovingLocked(c, reason)
	p.mu.Unlock()
	if !marked {
		return
	}
	p.log.Info("replacing idle container", "container_id", c.id, "reason", reason, "error", why)
	_ = p.finishRemove(c, reason)
}

// markRemovingLocked moves c to removing, through unhealthy when it was idle and reason is
// ReasonUnhealthy. It returns false when another removal already did.
func (p *Pool) markRemovingLocked(c *container, reason RemoveReason) bool {
	if c.state == StateRemoving || c.state == StateRemoved {
		return false
	}
	if c.state == StateIdle {
		p.dropIdleLocked(c)
		if reason == ReasonUnhealthy {
			p.setStateLocked(c, StateUnhealthy)
		}
	}
	p.setStateLocked(c, StateRemoving)
	return true
}

// removeAsync is remove in a goroutine the pool waits for on Close. After Close it does
// nothing: Close removes every container that is not being created.
func (p *Pool) removeAsync(c *container, reason RemoveReason) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.remove(c, reason)
	}()
}

// finishRemove removes a container in state removing from the engine and from the pool,
// then wakes the refill loop. The slot is freed even if the engine call fails, so that a
// broken engine cannot shrink the pool for good. The reaper removes such a container later,
// because the pool no longer tracks it.
func (p *Pool) finishRemove(c *container, reason RemoveReason) error {
	err := p.removeFromEngine(c.id)

	p.mu.Lock()
	p.setStateLocked(c, StateRemoved)
	delete(p.containers, c)
	delete(p.temporary, c)
	p.stats.Removed[reason]++
	p.mu.Unlock()

	p.log.Info("container removed", "container_id", c.id, "reason", reason)
	p.kickRefill()
	return err
}

// removeFromEngine removes id on a context of its own, so that a cancelled caller still
// frees the container.
func (p *Pool) removeFromEngine(id string) error {
	if id == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	err := p.backend.Remove(ctx, id)
	if err != nil {
		p.log.Warn("removing container failed", "container_id", id, "error", err)
	}
	return err
}

func (p *Pool) dropIdleLocked(c *container) {
	for i, x := range p.idle {
		if x == c {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return
		}
	}
}

// kickRefill wakes the refill loop without blocking.
func (p *Pool) kickRefill() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// refillLoop keeps MinIdle containers ready (or as many as callers wait for), creating
// them outside the lock, backing off after failures.
func (p *Pool) refillLoop() {
	defer p.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-p.kick:
		case <-timer.C:
		}
		if wait := p.refill(); wait > 0 {
			timer.Reset(wait)
		}
	}
}

// refill starts the creations that are missing. During a backoff it starts none and
// returns how long to wait.
func (p *Pool) refill() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0
	}
	if wait := time.Until(p.backoffUntil); wait > 0 {
		return wait
	}
	want := len(p.waiters)
	if p.cfg.Prewarm {
		want = max(want, p.cfg.MinIdle)
	}
	// Temporary containers being created are for their callers and fill no pool slot.
	missing := want - len(p.idle) - p.creatingLocked()
	room := p.cfg.MaxSize - len(p.containers)
	for range min(missing, room) {
		p.spawnCreateLocked(nil)
	}
	return 0
}

// healthLoop checks the idle containers every HealthCheckInterval.
func (p *Pool) healthLoop() {
	defer p.wg.Done()
	ticker := time.NewTicker(p.cfg.HealthCheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-ticker.C:
			p.checkIdle(p.ctx)
		}
	}
}

// checkIdle probes each idle container without holding the lock and removes the ones that
// are dead or past MaxLifetime, if they are still idle by then.
func (p *Pool) checkIdle(ctx context.Context) {
	p.mu.Lock()
	idle := append([]*container(nil), p.idle...)
	p.mu.Unlock()

	for _, c := range idle {
		reason, err := p.validate(ctx, c)
		if err == nil || reason == "" {
			continue
		}
		p.removeIfIdle(c, reason, err)
	}
}
